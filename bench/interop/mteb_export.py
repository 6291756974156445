"""MTEB's results layout: ``<org>__<model>/<revision>/<Task>.json``, as mteb's ``ResultCache`` writes it and
``mteb.TaskResult.from_disk`` reads it.

Folders. A model version that *is* a Hugging Face model (the reference spec of its id + revision,
:func:`bench.identity.reference_for_weights`) is written where mteb writes that model:
``sentence-transformers__all-MiniLM-L6-v2/8b3219a92973c328a8e22fadcfa821b5dc75636a/`` (mteb's
``ModelMeta.model_name_as_path()``, the weights revision), with mteb's own ``model_meta.json`` for it when mteb knows
the model. Any other version (BM25, a variant, ``-m`` with other parameters, a bare run file) is not that model:
``brewbench__<name>/<spec hash>/`` (the spec hash is the version, as a revision is mteb's).

Tasks. A collection the task table maps to an MTEB task (``bench/datasets/mteb_tasks.yaml``: ``scifact`` ->
``SciFact``) is written as that task, ``<revision folder>/SciFact.json``, and ``TaskResult.task`` is mteb's task, when
the run scored that task's registered content (a folder merely named ``scifact`` is local). A
local collection (adi, cranfield, ...: not an MTEB task) goes one folder down, ``<revision folder>/local/BrewbenchAdi.json``:
still a file ``TaskResult.from_disk`` reads, but outside the ``model/revision/task.json`` pattern mteb's
``ResultCache`` loads, so it never merges with MTEB's results, and its ``brewbench.task`` says ``local``.

Scores. Every key mteb's retrieval evaluator writes (``ndcg_at_{1,3,5,10,20,100,1000}``, ``map_at_*``,
``recall_at_*``, ``precision_at_*``, ``mrr_at_*``, ``hit_rate_at_*``, ``nauc_*``, ``accuracy``), computed by mteb's
own ``calculate_retrieval_scores`` over the stored rankings and the dataset's qrels (when the dataset with that content
is at hand), with brewbench's own recorded measures (trec_eval ``-c`` means, full precision) kept for the keys it
records; ``main_score`` is nDCG@10. Nothing is invented: without stored rankings (an import) or the dataset, only the
recorded keys are written, and ``brewbench.not_computed`` says why. ``mteb_version`` is the installed mteb's (its
evaluator and layout); a top-level ``brewbench`` object (pydantic ignores unknown fields, so mteb reads the file
unchanged) carries the provenance, spec hash, run id and dataset content hash: ``bench import mteb`` recognises such a
file and refuses to relabel a brewbench result as ``imported``.
"""

from __future__ import annotations

import json
import math
from datetime import UTC
from pathlib import Path
from typing import Any

import duckdb

from bench.errors import BenchError, StoreError
from bench.interop.mteb_names import MAIN_SCORE, local_task_name, mteb_tasks, task_for_dataset, to_mteb_key
from bench.store.exports import StoredRun

PROVENANCE_KEY = "brewbench"
"""The top-level key of an exported MTEB file that says where it came from."""
ORG = "brewbench"
LOCAL_FOLDER = "local"
"""The subfolder of a revision folder that holds collections mteb does not have (outside ResultCache's pattern)."""
K_VALUES = (1, 3, 5, 10, 20, 100, 1000)
"""mteb's ``AbsTaskRetrieval.k_values``."""


def _mteb_version() -> str | None:
    try:
        import mteb
    except ImportError:  # pragma: no cover - mteb is a dependency
        return None
    return str(mteb.__version__)


def hf_model(run: StoredRun) -> tuple[str, str] | None:
    """``(hf id, revision)`` when the run's version is that Hugging Face model itself (its reference spec), else None."""
    from bench.identity import reference_for_weights

    if not run.hf_id or not run.revision:
        return None
    twin = reference_for_weights(run.hf_id, run.revision)
    if twin is None or twin[1].name != run.model_name or twin[1].spec_hash != run.spec_hash:
        return None
    return twin[1].weights.id, run.revision  # type: ignore[union-attr]  # the spec's spelling (mteb's: all-MiniLM-L6-v2)


def model_folder(run: StoredRun) -> str:
    """``<org>__<model>/<revision>``: the HF id and weights revision of a reference model, else ``brewbench__<name>/<spec hash>``."""
    hf = hf_model(run)
    if hf is not None:
        return f"{hf[0].replace('/', '__').replace(' ', '_')}/{hf[1]}"  # mteb's ModelMeta.model_name_as_path()
    return f"{ORG}__{run.model_name}/{run.spec_hash}"


def is_mteb_task(dataset: str) -> bool:
    """Whether the registry dataset is exported as an MTEB task (the task table lists it)."""
    return dataset in mteb_tasks().values()


def is_mteb_content(run: StoredRun) -> bool:
    """Whether the run scored the content of the MTEB task its dataset's name maps to.

    The name alone is not enough: a folder called ``scifact`` with other documents is not MTEB's SciFact. The content
    must be registered for that name (``bench/published/content.yaml``, ``bench/datasets/contents.yaml`` or a
    ``bench datasets fetch`` record), or the run imported from MTEB's own file of that task; else it is local.
    """
    from bench.datasets.contents import registered_hashes

    if not is_mteb_task(run.dataset):
        return False
    # an imported result was read from MTEB's own file of that task: the task is its content by origin
    return run.provenance == "imported" or run.dataset_hash in registered_hashes(run.dataset, run.split)


def _local_note(run: StoredRun, task: str) -> str:
    if is_mteb_task(run.dataset):
        return (
            f"{task} is brewbench's collection {run.dataset} with content {run.dataset_hash[:12]}, which is not the registered "
            f"content of MTEB's {task_for_dataset(run.dataset)} (`bench datasets fetch {run.dataset}` registers the published copy)"
        )
    return f"{task} is brewbench's local collection {run.dataset}, not an MTEB task"


def _qrels_at_hand(run: StoredRun) -> tuple[dict[str, dict[str, int]], bool] | str:
    """The qrels and identical-ids rule of the run's dataset, if a folder with that very content is at hand; else why not."""
    from bench.datasets.registry import resolve_dataset

    try:
        ds = resolve_dataset(run.dataset, run.split)
        if ds.content_hash != run.dataset_hash:
            return f"the {run.dataset} folder at hand ({ds.content_hash[:12]}) is not the content this run scored ({run.dataset_hash[:12]})"
        return ds.qrels(), bool(ds.drop_identical_ids)
    except BenchError:
        return f"dataset {run.dataset} ({run.dataset_hash[:12]}) is not at hand (`bench datasets list`)"


def mteb_scores(con: duckdb.DuckDBPyConnection | None, run: StoredRun) -> tuple[dict[str, float | None], str | None]:
    """Every score key mteb's retrieval evaluator writes, by mteb's own code over the stored rankings; or ({}, why not)."""
    if con is None:
        return {}, "no database connection"
    rows = con.execute("SELECT qid, docid, score FROM rankings WHERE run_id = ?", [run.run_id]).fetchall()
    if not rows:
        return {}, f"run {run.run_id} has no stored rankings ({run.provenance} results carry aggregates only)"
    at_hand = _qrels_at_hand(run)
    if isinstance(at_hand, str):
        return {}, at_hand
    qrels, drop_ids = at_hand
    results: dict[str, dict[str, float]] = {}
    for qid, docid, score in rows:
        if drop_ids and qid == docid:
            continue
        results.setdefault(qid, {})[docid] = float(score)
    results = {q: docs for q, docs in results.items() if q in qrels and docs}
    if not results:
        return {}, f"run {run.run_id} answers none of the judged queries"
    from mteb._evaluators.retrieval_metrics import calculate_retrieval_scores, make_score_dict

    r = calculate_retrieval_scores(results, qrels, list(K_VALUES))
    scores = make_score_dict(
        ndcg=r.ndcg, _map=r.map, recall=r.recall, precision=r.precision, mrr=r.mrr,
        naucs=r.naucs, naucs_mrr=r.naucs_mrr, hit_rate=r.hit_rate, task_scores={},
    )  # fmt: skip
    # mteb writes NaN where a value is undefined (the nAUC of a query set whose scores are all alike): null here, which is
    # valid JSON (mteb reads it) where NaN is not
    return {k: (float(v) if math.isfinite(v) else None) for k, v in scores.items() if isinstance(v, int | float)}, None


def task_result(run: StoredRun, con: duckdb.DuckDBPyConnection | None = None) -> dict[str, Any]:
    """The MTEB results JSON of ``run`` (mteb 2.x layout), with the brewbench provenance object.

    Raises:
        StoreError: the run has no nDCG@10 (mteb's main score for retrieval).
    """
    if MAIN_SCORE not in run.metrics or not math.isfinite(run.metrics[MAIN_SCORE]):
        raise StoreError(
            f"{run.label} on {run.dataset}: run {run.run_id} has no {MAIN_SCORE}, mteb's main score; it cannot be exported as MTEB"
        )
    computed, why_not = mteb_scores(con, run)
    ours: dict[str, float] = {}
    unmapped = []
    for metric, value in sorted(run.metrics.items()):
        key = to_mteb_key(metric)
        if key is None:
            unmapped.append(metric)
        else:
            ours[key] = value
    scores: dict[str, Any] = {"hf_subset": "default", "languages": ["eng-Latn"], "main_score": run.metrics[MAIN_SCORE]}
    scores.update(sorted({**computed, **ours}.items()))
    from bench import __version__

    local = not is_mteb_content(run)
    task = local_task_name(run.dataset) if local else task_for_dataset(run.dataset)
    return {
        "dataset_revision": run.dataset_hash,
        "task_name": task,
        "mteb_version": _mteb_version(),  # mteb's layout and (for the keys brewbench does not record) mteb's evaluator
        "scores": {run.split: [scores]},
        "evaluation_time": run.wall_s,
        "kg_co2_emissions": None,
        "date": run.finished_at.replace(tzinfo=UTC).timestamp(),
        PROVENANCE_KEY: {
            **run.provenance_record(),
            "brewbench_version": __version__,
            "task": ({"local": True, "note": _local_note(run, task)} if local else {"local": False, "mteb_task": task}),
            "evaluation": "trec_eval -c means over every judged query (an unanswered judged query counts 0)",
            "recorded_keys": sorted(ours),
            "computed_keys": (
                f"the other keys: mteb {_mteb_version()} calculate_retrieval_scores over the stored rankings and the qrels"
                if computed
                else None
            ),
            "not_computed": why_not,
            "undefined_keys": sorted(k for k, v in computed.items() if v is None),  # NaN in mteb's own files
            "not_exported": unmapped,
        },
    }


def _reference_hf(name: str, spec_hash: str) -> tuple[str, str] | None:
    """``(hf id, revision)`` when version ``name`` / ``spec_hash`` is the reference spec that is that HF model, else None."""
    from bench.identity import reference_for_weights, reference_specs

    for _, spec in reference_specs():
        if spec.name == name and spec.spec_hash == spec_hash and spec.weights is not None and spec.weights.revision:
            twin = reference_for_weights(spec.weights.id, spec.weights.revision)
            if twin is not None and twin[1].spec_hash == spec_hash:
                return spec.weights.id, spec.weights.revision
    return None


def _hf_meta(hf: tuple[str, str], record: dict[str, Any]) -> dict[str, Any]:
    """mteb's own ModelMeta of HF model ``hf`` (id, revision) when mteb knows it, else the fields its layout needs."""
    try:
        import mteb

        meta = mteb.get_model_meta(hf[0], hf[1]).to_dict()
        if meta.get("name") == hf[0] and meta.get("revision") == hf[1]:
            return {**json.loads(json.dumps(meta, default=str)), PROVENANCE_KEY: record}
    except Exception:
        pass
    return {"name": hf[0], "revision": hf[1], "release_date": None, "languages": ["eng-Latn"], PROVENANCE_KEY: record}


def _model_meta(run: StoredRun) -> dict[str, Any]:
    hf = hf_model(run)
    record = {"model": run.label, "spec_hash": run.spec_hash, "family": run.family, "hf_id": run.hf_id, "revision": run.revision}
    if hf is not None:
        return _hf_meta(hf, record)
    return {
        "name": f"{ORG}/{run.model_name}",
        "revision": run.spec_hash,
        "release_date": None,
        "languages": ["eng-Latn"],
        "framework": ["brewbench"],
        PROVENANCE_KEY: record,
    }


def write_mteb(run: StoredRun, out: Path, con: duckdb.DuckDBPyConnection | None = None, result: dict[str, Any] | None = None) -> Path:
    """Write ``out/<model folder>/<Task>.json`` (``local/<Task>.json`` for a local collection) and ``model_meta.json``."""
    folder = out / model_folder(run)
    result = result if result is not None else task_result(run, con)
    target = folder / LOCAL_FOLDER if result[PROVENANCE_KEY]["task"]["local"] else folder
    target.mkdir(parents=True, exist_ok=True)
    path = target / f"{result['task_name']}.json"
    path.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    (folder / "model_meta.json").write_text(json.dumps(_model_meta(run), indent=2) + "\n", encoding="utf-8")
    return path


def write_task_mteb(run: dict[str, Any], label: str, out: Path) -> Path:
    """Write a recorded task run (:func:`bench.store.tasks.task_run`) where :func:`write_mteb` writes retrieval: the HF
    id and weights revision of a reference model (else ``brewbench__<name>/<spec hash>``), ``local/`` for a task whose
    content is not MTEB's.

    The scores are mteb's own ``TaskResult`` of the run; the task name is MTEB's when the content is MTEB's, else
    ``Brewbench<Name>``; the ``brewbench`` object carries the provenance, run id, task content hash and origin.
    """
    result = run.get("mteb_result")
    if not isinstance(result, dict) or "scores" not in result:
        raise StoreError(f"{label} on {run['task_name']}: run {run['run_id']} has no mteb result (an imported one?); nothing to export")
    from bench import __version__

    hf = _reference_hf(str(run["model_name"]), str(run["spec_hash"]))
    folder = out / (f"{hf[0].replace('/', '__')}/{hf[1]}" if hf else f"{ORG}__{run['model_name']}/{run['spec_hash']}")
    target = folder if run.get("origin") == "mteb" else folder / LOCAL_FOLDER  # a local or derived task never merges with MTEB's
    target.mkdir(parents=True, exist_ok=True)
    doc = {
        **result,
        PROVENANCE_KEY: {
            "model": label, "spec_hash": run["spec_hash"], "run_id": run["run_id"], "provenance": run["provenance"],
            "task": run["task_name"], "task_hash": run["task_hash"], "origin": run["origin"], "brewbench_version": __version__,
        },
    }  # fmt: skip
    path = target / f"{result['task_name']}.json"
    path.write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")
    if hf is not None:
        (folder / "model_meta.json").write_text(
            json.dumps(_hf_meta(hf, {"model": label, "spec_hash": run["spec_hash"]}), indent=2) + "\n", encoding="utf-8"
        )
        return path
    meta = {"name": f"{ORG}/{run['model_name']}", "revision": run["spec_hash"], "release_date": None, "languages": ["eng-Latn"],
            "framework": ["brewbench"], PROVENANCE_KEY: {"model": label, "spec_hash": run["spec_hash"]}}  # fmt: skip
    (folder / "model_meta.json").write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
    return path
