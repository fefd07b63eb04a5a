"""The privacy check itself: which URLs count as leaving the machine (no browser needed)."""

from __future__ import annotations

import pytest
from streamlit_ui import leaves_machine


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8501/_stcore/health",
        "ws://127.0.0.1:8501/_stcore/stream",
        "http://localhost:8501/static/js/index.js",
        "data:image/png;base64,iVBORw0KGgo=",
        "blob:http://127.0.0.1:8501/5a0c6b1e-0000-4000-8000-000000000000",
    ],
)
def test_loopback_and_in_page_urls_stay_on_the_machine(url: str) -> None:
    assert not leaves_machine(url)


@pytest.mark.parametrize(
    "url",
    [
        "https://cdn.plot.ly/plotly-2.35.2.min.js",
        "https://fonts.googleapis.com/css2?family=Source+Sans+Pro",
        "https://webhooks.fivetran.com/webhooks/streamlit-usage",
        "http://127.0.0.2:8501/",
        "http://127.0.0.1.example.org/",
        "//example.org/tracker.gif",
    ],
)
def test_any_other_host_counts_as_leaving_the_machine(url: str) -> None:
    assert leaves_machine(url)
