"""Progress in logs: when stderr is not a terminal, plain parseable lines at a steady interval that count texts."""

from __future__ import annotations

import io
import itertools
import json
import os
import subprocess
import sys
import time
import warnings
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import TypeVar

import pytest
from rich.console import Console

from bench.cli import main
from bench.datasets import resolve_dataset
from bench.paths import progress_interval
from bench.progress import LINE, LogProgress, RichProgress
from bench.runners.base import Progress, make_runner
from bench.settings import SettingsError
from bench.specs import load_spec
from tests.conftest import ROOT

T = TypeVar("T")


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def _parsed(text: str) -> list[dict]:
    out = []
    for line in text.splitlines():
        m = LINE.match(line)
        assert m, f"not a progress line: {line!r}"
        out.append({**m.groupdict(), "stage": json.loads(m["stage"])})
    return out


def test_lines_come_at_the_interval_count_units_and_end_with_done_equal_total() -> None:
    stream, clock = io.StringIO(), Clock()
    progress = LogProgress(stream, interval=5.0, clock=clock)
    batches = [["a"] * 4, ["b"] * 4, ["c"] * 4, ["d"] * 3]  # 15 texts in 4 batches
    for _ in progress.track(batches, 'encoding 15 "documents"', total=15, units=len):
        clock.now += 3.0
    lines = _parsed(stream.getvalue())
    assert [(int(x["done"]), x["total"]) for x in lines] == [(0, "15"), (8, "15"), (15, "15")]  # start, after 6 s, the end
    assert {x["stage"] for x in lines} == {'encoding 15 "documents"'}  # quotes in a name keep the line parseable
    assert float(lines[1]["rate"]) == pytest.approx(8 / 6, abs=0.05) and lines[1]["eta"] == f"{7 / (8 / 6):.1f}s"
    assert lines[-1]["eta"] == "0.0s"


def test_an_item_longer_than_the_interval_still_gets_lines_at_the_interval() -> None:
    """One shard of 1,400 documents that takes 142 s wrote no line until it ended; now a line comes every interval."""
    stream = io.StringIO()

    def slow(n: int) -> Iterator[int]:
        for i in range(n):
            time.sleep(0.45)
            yield i

    for _ in LogProgress(stream, interval=0.1).track(slow(2), "encoding 2 documents", total=2):
        pass
    lines = _parsed(stream.getvalue())
    elapsed = [float(x["elapsed"]) for x in lines]
    assert len(lines) >= 5 and lines[-1]["done"] == "2"  # ~0.9 s at 0.1 s: about 9 lines, not 3
    assert max(b - a for a, b in itertools.pairwise(elapsed)) < 0.4  # without the heartbeat: 0.45 s, one line per item
    assert [int(x["done"]) for x in lines] == sorted(int(x["done"]) for x in lines)


def test_hugging_face_bars_are_off_when_stderr_is_not_a_terminal(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """transformers' "Loading weights" bar (tqdm) writes nothing in a log; our progress lines are the only ones."""
    from transformers.utils import logging as transformers_logging

    monkeypatch.delenv("HF_HUB_DISABLE_PROGRESS_BARS", raising=False)
    with warnings.catch_warnings():  # huggingface_hub warns when an earlier in-process `bench` already turned them off
        warnings.simplefilter("ignore")
        transformers_logging.enable_progress_bar()
    try:
        assert main(["--version"]) == 0  # stderr is captured here: not a terminal
        assert os.environ["HF_HUB_DISABLE_PROGRESS_BARS"] == "1" and not transformers_logging.is_progress_bar_enabled()
        for _ in transformers_logging.tqdm(range(3), desc="Loading weights"):
            pass
        assert "Loading weights" not in capsys.readouterr().err
    finally:
        transformers_logging.disable_progress_bar()


def test_every_item_with_interval_zero_and_no_repeated_last_line() -> None:
    stream, clock = io.StringIO(), Clock()
    for _ in LogProgress(stream, interval=0.0, clock=clock).track(range(3), "searching 3 queries", total=3):
        clock.now += 1.0
    assert [int(x["done"]) for x in _parsed(stream.getvalue())] == [0, 1, 2, 3]


def test_an_interrupted_loop_ends_on_where_it_stopped_and_unknown_totals_say_so() -> None:
    stream, clock = io.StringIO(), Clock()
    for i in LogProgress(stream, interval=60.0, clock=clock).track(iter(range(10)), "thinking"):
        clock.now += 1.0
        if i == 3:
            break
    lines = _parsed(stream.getvalue())
    assert lines[0]["total"] == "?" and lines[0]["eta"] == "?"
    assert [x["done"] for x in lines] == ["0", "3"]  # the loop left during its 4th item: 3 done


def test_stages_say_started_and_done_or_failed() -> None:
    stream, clock = io.StringIO(), Clock()
    progress = LogProgress(stream, interval=60.0, clock=clock)
    with progress.stage("indexing adi (flat)"):
        clock.now += 2.5
    with pytest.raises(RuntimeError), progress.stage("encoding"):
        raise RuntimeError("boom")
    lines = _parsed(stream.getvalue())
    assert [(x["stage"], x["status"]) for x in lines] == [
        ("indexing adi (flat)", "started"),
        ("indexing adi (flat)", "done"),
        ("encoding", "started"),
        ("encoding", "failed"),
    ]
    assert lines[1]["stage_elapsed"] == "2.5"


def test_rich_progress_writes_log_lines_when_the_console_is_not_a_terminal() -> None:
    stream = io.StringIO()
    progress = RichProgress(Console(file=stream, force_terminal=False), interval=0.0)
    assert list(progress.track([[1, 2], [3]], "encoding 3 queries", total=3, units=len)) == [[1, 2], [3]]
    assert _parsed(stream.getvalue())[-1]["done"] == "3"
    silent = io.StringIO()
    assert list(RichProgress(Console(file=silent, force_terminal=False), enabled=False).track([1], "x", total=1)) == [1]
    assert silent.getvalue() == ""


def test_a_terminal_bar_counts_texts_not_batches() -> None:
    stream = io.StringIO()
    progress = RichProgress(Console(file=stream, force_terminal=True, width=100))
    for _ in progress.track([["a"] * 4, ["b"] * 4, ["c"] * 7], "encoding 15 documents", total=15, units=len):
        pass
    assert " 0/15" in stream.getvalue() and "15/15" in stream.getvalue() and "/3" not in stream.getvalue()


def test_interval_is_validated(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("BENCH_PROGRESS_INTERVAL", raising=False)
    assert progress_interval() == 10.0
    monkeypatch.setenv("BENCH_PROGRESS_INTERVAL", "2.5")
    assert progress_interval() == 2.5
    for bad in ("-1", "soon", "nan", "1e9", " "):
        monkeypatch.setenv("BENCH_PROGRESS_INTERVAL", bad)
        with pytest.raises(SettingsError, match="BENCH_PROGRESS_INTERVAL"):
            progress_interval()


def test_a_real_run_with_stderr_on_a_pipe_logs_parseable_lines_ending_at_the_total() -> None:
    env = {**os.environ, "BENCH_PROGRESS_INTERVAL": "0"}
    proc = subprocess.run(
        [sys.executable, "-m", "bench.cli", "run", str(ROOT / "models" / "bm25-flat.yaml"), "-d", "adi", "--no-record", "--json"],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    # quiet logs: only our progress lines, no java.util.logging INFO of Lucene ("Using MemorySegmentIndexInput ...")
    assert [line for line in proc.stderr.splitlines() if not line.startswith("progress ")] == []
    lines = _parsed("\n".join(line for line in proc.stderr.splitlines() if line.startswith("progress ")))
    stages = {x["stage"] for x in lines}
    assert {"validating adi", "indexing adi (flat)"} <= stages
    searching = [x for x in lines if x["stage"].startswith("searching")]
    judged = len(resolve_dataset("adi").qrels())
    assert searching and int(searching[-1]["done"]) == int(searching[-1]["total"]) == judged  # queries, not batches
    assert json.loads(proc.stdout)["queries"]["judged"] == judged  # stdout stays one JSON object

    bad = subprocess.run(
        [sys.executable, "-m", "bench.cli", "run", str(ROOT / "models" / "bm25-flat.yaml"), "-d", "adi", "--no-record"],
        capture_output=True,
        text=True,
        env={**env, "BENCH_PROGRESS_INTERVAL": "often"},
        timeout=300,
    )
    assert bad.returncode == 2 and "BENCH_PROGRESS_INTERVAL='often'" in bad.stderr


class Recorder(Progress):
    """Remembers each tracked loop's total and the units it counted."""

    def __init__(self) -> None:
        self.loops: dict[str, tuple[int | None, int]] = {}
        self.steps: dict[str, list[int]] = {}

    def track(self, items: Iterable[T], description: str, total: int | None = None, units: Callable[[T], int] | None = None) -> Iterator[T]:
        counted, steps = 0, []
        for item in items:
            yield item
            steps.append(units(item) if units is not None else 1)
            counted += steps[-1]
        self.loops[description] = (total, counted)
        self.steps[description] = steps


def _small_collection(root: Path, documents: int, queries: int) -> Path:
    """The first documents and queries of adi as a BEIR folder (every query judged), so encoding takes seconds."""
    adi = resolve_dataset("adi").path
    root.mkdir()
    (root / "corpus.jsonl").write_text("".join((adi / "corpus.jsonl").read_text().splitlines(keepends=True)[:documents]))
    lines = (adi / "queries.jsonl").read_text().splitlines(keepends=True)[:queries]
    (root / "queries.jsonl").write_text("".join(lines))
    doc_ids = [json.loads(line)["_id"] for line in (root / "corpus.jsonl").read_text().splitlines()]
    (root / "qrels").mkdir()
    qrels = ["query-id\tcorpus-id\tscore"] + [f"{json.loads(q)['_id']}\t{doc_ids[0]}\t1" for q in lines]
    (root / "qrels" / "test.tsv").write_text("\n".join(qrels) + "\n")
    return root


def test_encoder_progress_counts_texts_not_batches(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("BENCH_CACHE", str(tmp_path / "cache"))  # nothing cached: every text is encoded
    spec = load_spec(ROOT / "models" / "all-minilm-l6-v2.yaml")
    spec = spec.model_copy(update={"params": {**spec.params, "batch_size": 2}})  # 7 documents = 4 batches, 3 queries = 2
    small = resolve_dataset(str(_small_collection(tmp_path / "small", documents=7, queries=3)))
    recorder = Recorder()
    make_runner(spec).retrieve(small, small.judged_queries(), recorder)
    documents, queries = len(small.corpus_ids()), len(small.judged_queries())
    assert (documents, queries) == (7, 3)
    assert recorder.loops[f"encoding {documents} documents"] == (documents, documents)
    assert recorder.loops[f"encoding {queries} queries"] == (queries, queries)
    # counted batch by batch (the shard of 7 is one cache entry, yet 4 steps): a big shard is no silent minute
    assert recorder.steps[f"encoding {documents} documents"] == [2, 2, 2, 1]
