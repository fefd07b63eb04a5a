"""Streamlit helpers of the ward dashboard (the only package besides pages/ that imports
streamlit). ``ui.setup.setup_page`` is the one call every page starts with."""
