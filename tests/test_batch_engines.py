"""Parquet in and out, the Dask engine, bad files and interrupted runs (issue #17).

The Dask tests start a real ``distributed.LocalCluster`` of two worker processes once
for the module and close it at the end.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import psutil
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq
import pytest
from hypothesis import given, settings

from crs.batch.chunked import Chunk, written_at_the_end
from crs.batch.dask_engine import Cluster, DaskPool, WorkerFailure, grade_on_dask
from crs.batch.engine import Request, grade_encoded, patients_of
from crs.batch.sinks import arrow_table
from crs.errors import UnusableExportError
from crs.read import read_export
from crs.read.decided import Decided
from tests.batch_exports import NO_SHRINK, assert_same, grade, messy_exports
from tests.cli_run import run_cli

REPO = Path(__file__).resolve().parents[1]
PYTHON = sys.executable
WHOLE = 1 << 40


@pytest.fixture(scope="module")
def client():
    from distributed import Client, LocalCluster

    with (
        LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
        Client(cluster) as connected,
    ):
        yield connected


def _on_dask(client, path: Path, out: Path, block_bytes: int, partition_rows: int = 3):
    from tests.batch_exports import Graded

    try:
        done = grade_on_dask(
            Request(
                source=path, output=str(out), block_bytes=block_bytes, partition_rows=partition_rows
            ),
            Cluster(),
            client=client,
        )
    except UnusableExportError as exc:
        return Graded(None, None, None, None, str(exc))
    return Graded(
        out.read_bytes(), done.report.to_text(), done.report.to_frame(), done.missing, None
    )


@settings(
    max_examples=12,
    **NO_SHRINK,
)
@given(export=messy_exports())
def test_the_dask_engine_writes_what_one_process_writes(tmp_path_factory, client, export) -> None:
    tmp = tmp_path_factory.mktemp("dask")
    path = tmp / "export.csv"
    path.write_bytes(export.data)
    whole = grade(path, WHOLE, tmp / "whole.csv")
    chunked = grade(path, 300, tmp / "chunked.csv", partition_rows=4)
    on_dask = _on_dask(client, path, tmp / "dask.csv", 300, 4)
    assert_same(whole, chunked)
    assert_same(whole, on_dask)


def test_a_dask_dataset_holds_the_rows_of_the_csv(tmp_path, client) -> None:
    source = REPO / "data" / "sample_ward.csv"
    grade(source, WHOLE, tmp_path / "whole.csv")
    grade_on_dask(
        Request(source=source, output=str(tmp_path / "graded") + "/", block_bytes=4000),
        Cluster(),
        client=client,
    )
    parts = sorted((tmp_path / "graded").iterdir())
    assert len(parts) > 3 and all(p.name.startswith("part-") for p in parts)
    _same_cells(pd.read_parquet(tmp_path / "graded"), tmp_path / "whole.csv")
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".partial")]


def test_a_chunk_that_fails_on_a_worker_is_reported_with_its_patients(client) -> None:
    records = b"patient_id,time,temp_c\nP1,2024-03-01T08:00,38.5\nP1,2024-03-01T09:00,39.5\n"
    chunk = Chunk(records, np.array([2, 3]), 2, ("REG-0000017", "REG-0000042"))
    # A bug of ours, as it would show: attributions without the columns they must have.
    shared = (Decided(), "x.csv", None, pd.DataFrame({"nonsense": [1]}))
    parts = DaskPool(client).in_order(
        grade_encoded, [chunk], shared, False, "csv", numbered=True, held=patients_of
    )
    with pytest.raises(WorkerFailure, match="patients REG-0000017 to REG-0000042") as failure:
        next(parts)
    assert "failed on the cluster (KeyError" in str(failure.value)


def test_an_output_that_fails_midway_leaves_nothing_that_looks_complete(tmp_path) -> None:
    target = tmp_path / "graded.csv"
    with pytest.raises(RuntimeError), written_at_the_end(target) as temporary:
        temporary.write_text("patient_id,time\nP1,2024-01-01T00:00:00\n")
        raise RuntimeError("a worker was lost")
    assert list(tmp_path.iterdir()) == []


def _same_cells(parquet: pd.DataFrame, csv_path: Path) -> None:
    """The Parquet table's cells read as the CSV writes them."""
    expected = pd.read_csv(csv_path, dtype="str", keep_default_na=False)
    got = parquet.astype("str").replace({"nan": "", "None": ""})
    for column in ("grade",):
        got[column] = parquet[column].astype("int64").astype("str")
    assert list(got.columns) == list(expected.columns)
    for column in (
        "patient_id",
        "time",
        "grade",
        "drivers",
        "unknown",
        "explanation",
        "recommendation",
        "alerts",
    ):
        if column in expected:
            assert got[column].tolist() == expected[column].tolist(), column
    numbers = parquet["ne_eq_ug_min"].to_numpy()
    written = pd.to_numeric(expected["ne_eq_ug_min"]).to_numpy()
    assert np.array_equal(numbers, written, equal_nan=True)


def test_parquet_out_holds_the_cells_of_csv_out_with_text_dictionary_encoded(tmp_path) -> None:
    source = REPO / "data" / "sample_ward.csv"
    for name in ("graded.csv", "graded.parquet"):
        done = run_cli(PYTHON, REPO, "grade", source, "-o", tmp_path / name, "--chunk-mb", "0.004")
        assert done.returncode == 0, done.stderr
    _same_cells(pd.read_parquet(tmp_path / "graded.parquet"), tmp_path / "graded.csv")
    meta = pq.ParquetFile(tmp_path / "graded.parquet").metadata
    column = meta.schema.names.index("recommendation")
    encodings = meta.row_group(0).column(column).encodings
    assert any("DICTIONARY" in e for e in encodings)


def test_categoricals_reach_the_parquet_table_as_the_texts_they_hold() -> None:
    """The sink hands categoricals to Arrow as dictionaries: the table is the one their
    texts give, missing cells and unused or unsorted categories included."""
    texts = pd.Categorical(
        ["a,b", None, "=1", "a,b"], categories=["=1", "unused", "a,b"], ordered=False
    )
    frame = pd.DataFrame(
        {
            "patient_id": pd.array(["P1", "P1", "P2", "P2"], dtype="str"),
            "grade": np.array([0, 1, 2, 3], dtype="int64"),
            "recommendation": texts,
            "icans_drivers": pd.Categorical([None] * 4, categories=["x"]),
        }
    )
    as_text = frame.astype({"recommendation": "str", "icans_drivers": "str"})
    table = arrow_table(frame)
    assert table.equals(arrow_table(as_text))
    assert table.column("recommendation").to_pylist() == ["a,b", None, "=1", "a,b"]
    assert table.column("icans_drivers").null_count == 4


def test_a_parquet_export_grades_as_the_same_export_in_csv(tmp_path) -> None:
    source = REPO / "data" / "sample_ward.csv"
    table = pa_csv.read_csv(source, convert_options=pa_csv.ConvertOptions(strings_can_be_null=True))
    folder = tmp_path / "export"
    folder.mkdir()
    half = table.num_rows // 2
    pq.write_table(table.slice(0, half), folder / "a.parquet")
    pq.write_table(table.slice(half), folder / "b.parquet")
    for name, given_input in (("csv", source), ("folder", folder), ("file", folder / "a.parquet")):
        done = run_cli(PYTHON, REPO, "grade", given_input, "-o", tmp_path / f"{name}.csv")
        assert done.returncode == 0, done.stderr
    assert (tmp_path / "folder.csv").read_bytes() == (tmp_path / "csv.csv").read_bytes()
    first = pd.read_csv(tmp_path / "file.csv", dtype="str")
    assert set(first["patient_id"]) < set(
        pd.read_csv(tmp_path / "csv.csv", dtype="str")["patient_id"]
    )


@pytest.mark.parametrize(
    "engine",
    [
        [],
        ["--chunk-mb", "0.0001", "--jobs", "1"],
        ["--chunk-mb", "0.0001", "--jobs", "2"],
        ["--engine", "dask"],
    ],
    ids=["whole", "chunked", "chunked-in-two-processes", "dask"],
)
def test_a_bad_file_gets_the_same_clear_error_with_every_engine(tmp_path, engine) -> None:
    bad = tmp_path / "no_time.csv"
    bad.write_text("patient_id,temp_c\n" + "".join(f"P{i},38.{i}\n" for i in range(200)))
    done = run_cli(PYTHON, REPO, "grade", bad, "-o", tmp_path / "out.csv", *engine)
    assert done.returncode == 2
    assert done.stderr.startswith("error: no_time.csv has no time column")
    assert "Traceback" not in done.stderr
    assert not (tmp_path / "out.csv").exists()
    assert [p.name for p in tmp_path.iterdir()] == ["no_time.csv"]


def _ctrl_c_delivered() -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_ctrl_c_leaves_no_temporary_files_and_no_worker_process(tmp_path, jobs) -> None:
    sys.path.insert(0, str(REPO / "benchmarks"))
    from scale_export import make_export

    export = tmp_path / "scattered.csv"
    make_export(export, 300_000, rows_per_patient=50, scattered=True)
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    out = tmp_path / "out"
    out.mkdir()
    child = subprocess.Popen(
        [
            PYTHON,
            "-m",
            "crs",
            "grade",
            str(export),
            "-o",
            str(out / "graded.csv"),
            "--chunk-mb",
            "2",
            "--jobs",
            jobs,
        ],
        cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(REPO), "TMPDIR": str(scratch)},
        stderr=subprocess.PIPE,
        text=True,
        # As from a terminal: Ctrl-C delivered. A suite started in the background
        # (`make test &`) ignores SIGINT, and a child would inherit that.
        preexec_fn=_ctrl_c_delivered,
    )
    # Wait until the partitions are being written (the scattered export needs them).
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and not any(scratch.rglob("*.csv")):
        time.sleep(0.05)
    assert any(scratch.rglob("*.csv")), "the run never wrote its partitions"
    workers = psutil.Process(child.pid).children(recursive=True)
    assert len(workers) == (int(jobs) if jobs != "1" else 0)
    child.send_signal(signal.SIGINT)
    _, err = child.communicate(timeout=120)
    assert child.returncode == 130, err
    assert not [w for w in workers if w.is_running() and w.status() != psutil.STATUS_ZOMBIE]
    assert "error: interrupted" in err
    assert list(scratch.iterdir()) == []
    assert list(out.iterdir()) == []


def _stderr_on_a_terminal(tmp_path: Path, *extra: str) -> str:
    """Standard error of `crs grade` when it is a terminal (a real pseudo-terminal)."""
    import pty

    leader, follower = pty.openpty()
    child = subprocess.Popen(
        [
            PYTHON,
            "-m",
            "crs",
            "grade",
            str(REPO / "data" / "sample_ward.csv"),
            "-o",
            str(tmp_path / "graded.csv"),
            "--report",
            str(tmp_path / "report.txt"),
            *extra,
        ],
        cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        stderr=follower,
        stdout=subprocess.DEVNULL,
    )
    os.close(follower)
    seen = b""
    while True:
        try:
            data = os.read(leader, 4096)
        except OSError:
            break
        if not data:
            break
        seen += data
    child.wait(timeout=120)
    os.close(leader)
    assert child.returncode == 0
    return seen.decode("utf-8", "replace")


def test_progress_shows_on_a_terminal_and_not_with_quiet(tmp_path) -> None:
    shown = _stderr_on_a_terminal(tmp_path, "--chunk-mb", "0.01")
    assert "rows read" in shown and "patients" in shown and "rows/s" in shown
    # the last line: every graded row counted, as many as the whole read grades
    whole = read_export(REPO / "data" / "sample_ward.csv").report.rows_graded
    assert f"graded {whole:,}" in shown
    assert "rows read" not in _stderr_on_a_terminal(tmp_path, "--chunk-mb", "0.01", "--quiet")


def test_progress_is_silent_when_standard_error_is_not_a_terminal(tmp_path) -> None:
    done = run_cli(
        PYTHON,
        REPO,
        "grade",
        REPO / "data" / "sample_ward.csv",
        "-o",
        tmp_path / "graded.csv",
        "--report",
        tmp_path / "r.txt",
        "--chunk-mb",
        "0.01",
    )
    assert done.returncode == 0
    assert done.stderr == ""


def test_a_patients_table_is_applied_with_every_engine(tmp_path, client) -> None:
    source, patients = REPO / "data" / "sample_ward.csv", REPO / "data" / "sample_ward_patients.csv"
    whole = grade(source, WHOLE, tmp_path / "whole.csv", patients=patients)
    small_blocks = grade(source, 4000, tmp_path / "chunked.csv", patients=patients)
    on_dask = grade_on_dask(
        Request(
            source=source, output=str(tmp_path / "dask.csv"), patients=patients, block_bytes=4000
        ),
        Cluster(),
        client=client,
    )
    assert small_blocks.output == whole.output
    assert (tmp_path / "dask.csv").read_bytes() == whole.output
    assert on_dask.report.to_text() == whole.report_text
    assert whole.output != grade(source, WHOLE, tmp_path / "alone.csv").output
