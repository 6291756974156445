"""Embedding tasks: `bench run -t` vs a script calling `mteb.evaluate` on the same tasks, fresh processes on both sides.

Ours runs cold (a brand-new cache) and warm (the cache the cold run filled); the peer is a fresh Python that loads the
same weights folder with `SentenceTransformer` and calls `mteb.evaluate` on the same task objects (their data set from
the same local files through `bench.tasks.mteb_tasks`), results cache off.
"""

from __future__ import annotations

import json
import sys
import tempfile
import textwrap
from pathlib import Path
from typing import Any

from benchmarks.measure import ROOT, Samples, Settings, bench_cli, clean_env, ratio_cell, timed_process
from benchmarks.report import Report

TASKS = ("STS15", "STS16", "SICK-R", "Banking77")
QUICK_TASKS = ("STS16",)
MINILM = ROOT / "models" / "all-minilm-l6-v2.yaml"

MTEB_RUN = textwrap.dedent(
    """
    import json, sys
    import mteb
    from sentence_transformers import SentenceTransformer
    from bench.tasks import find_task
    from bench.tasks.mteb_tasks import mteb_task_for

    model = SentenceTransformer(sys.argv[1], device="cpu")
    model.max_seq_length = int(sys.argv[2])
    model.model_card_data.model_name = "brewbench-bench/all-MiniLM-L6-v2"
    out = {}
    for name in sys.argv[3:]:
        task = find_task(name)
        result = mteb.evaluate(model, mteb_task_for(task), cache=None, show_progress_bar=False, encode_kwargs={"batch_size": 32})
        out[name] = result.task_results[0].scores["test"][0]["main_score"]
    print(json.dumps(out))
    """
)


def _ours(tasks: tuple[str, ...], env: dict[str, str]) -> tuple[float, dict[str, Any]]:
    cmd = [*bench_cli(), "run", str(MINILM), *[a for t in tasks for a in ("-t", t)], "--no-record", "--json"]
    seconds, out = timed_process(cmd, env)
    rows = [json.loads(line) for line in out.splitlines() if line.strip()]
    return seconds, {r["task"]["name"]: r for r in rows}


def run(report: Report, cfg: Settings) -> None:
    """Fresh processes: `bench run -t ...` cold and warm vs `mteb.evaluate` on the same tasks; texts/s per task type."""
    from bench.specs import load_spec
    from bench.weights import PACKAGED

    spec = load_spec(MINILM)
    found = PACKAGED[spec.weights.id].locate()
    if found is None:
        raise RuntimeError(f"{PACKAGED[spec.weights.id].distribution} is not installed: the peer needs a local copy of {spec.weights.id}")
    tasks = QUICK_TASKS if cfg.quick else TASKS
    rounds = cfg.repeat(3)
    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="bench-tasks-") as tmp:
        work = Path(tmp)
        for i in range(rounds):
            env = clean_env(BENCH_HOME=str(work / f"home-{i}"), BENCH_CACHE=str(work / f"cache-{i}"), MTEB_CACHE=str(work / f"mteb-{i}"))
            row: dict[str, Any] = {}
            for side in ("ours", "peer") if i % 2 == 0 else ("peer", "ours"):
                if side == "ours":
                    row["cold_s"], row["cold"] = _ours(tasks, env)
                    row["warm_s"], row["warm"] = _ours(tasks, env)
                    if any(r["cost"]["texts_encoded"] for r in row["warm"].values()):
                        raise RuntimeError("the warm run encoded texts: the embedding cache did not serve it")
                else:
                    seconds, out = timed_process([sys.executable, "-c", MTEB_RUN, str(found), str(spec.params["max_length"]), *tasks], env)
                    row["mteb_s"], row["mteb"] = seconds, json.loads(out.strip().splitlines()[-1])
            rows.append(row)
            print(f"[bench] tasks, round {i + 1}/{rounds}", flush=True)
    cold, warm, peer = (Samples.of([r[k] for r in rows]) for k in ("cold_s", "warm_s", "mteb_s"))
    last = rows[-1]
    scores = ", ".join(f"{t} {last['cold'][t]['main_score']['value']:.5f} / {last['mteb'][t]:.5f}" for t in tasks)
    rate = [
        [
            t,
            last["cold"][t]["task"]["type"],
            last["cold"][t]["cost"]["texts"],
            f"{Samples.of([r['cold'][t]['cost']['texts_per_s'] for r in rows]).cell(0)}",
        ]
        for t in tasks
    ]
    report.section(
        "Embedding tasks, whole processes: `bench run -t` vs `mteb.evaluate`",
        f"all-MiniLM-L6-v2 on {', '.join(tasks)} (batch 32, CPU), one process per side for all the tasks. Every cell is a "
        f"fresh process timed from spawn to exit, median (min–max) of {rounds} round(s), the order of the sides alternating. "
        "Ours: `bench run models/all-minilm-l6-v2.yaml -t ... --no-record --json`, cold (new cache: hashes the task files and "
        "the weights, loads the model, encodes through the embedding cache, then mteb's evaluator), and warm (the same "
        "command again: every vector from the cache, mteb's evaluator still runs: for Banking77 that is 10 logistic "
        "regressions). Peer: a fresh Python loading the same weights with `SentenceTransformer` and calling `mteb.evaluate` "
        f"on the same task objects. Main scores (ours / mteb's): {scores}.",
        ["pipeline (fresh process)", "seconds", "ratio"],
        [
            ["script calling mteb.evaluate", peer.cell(1), "1.00x"],
            ["`bench run -t`, cold (fresh cache)", cold.cell(1), ratio_cell(cold, peer)],
            ["`bench run -t`, warm (cache filled by the cold run)", warm.cell(1), ratio_cell(warm, peer)],
        ],
        notes="Texts per second inside our cold run, per task (texts mteb asked for / seconds of the whole task, "
        "evaluation included):\n\n| task | type | texts | texts/s |\n|---|---|---|---|\n"
        + "\n".join(f"| {a} | {b} | {c} | {d} |" for a, b, c, d in rate),
    )
