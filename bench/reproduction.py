"""Re-run specs and compare with their expected scores (``bench reproduce``); record each check.

Targets come from a spec (its ``expected:`` entries, or the datasets asked for), from every spec in
``models/`` (``--all``; ``--quick`` keeps what :func:`~bench.evaluation.verdicts.quick_keeps` says), or from a
submission with a spec (the expected scores are those of its own run files). Nothing here is
specific to a model or a runner kind.

A check that passes records the re-run with provenance ``reproduced`` and its per-metric rows in one
transaction; a check that fails records only its rows (``run_id`` NULL): a drifted run is never
published. A submission whose every run reproduces moves from ``self-reported`` to ``reproduced``.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bench import cache_reads
from bench.datasets.beir import Dataset
from bench.errors import BenchError, DatasetError, SubmissionError
from bench.evaluation.evaluate import EvalResult, evaluate
from bench.evaluation.measures import DEFAULT_MEASURES
from bench.evaluation.verdicts import EVERY_DATASET_FAMILIES, QUICK_DATASETS, MetricCheck, Verdict, compare, overall, quick_keeps
from bench.kernels import fingerprint, fingerprint_diff
from bench.runners.base import Progress, Runner, RunOutput
from bench.specs import ModelSpec, load_spec
from bench.submissions.validate import RunFile, ValidSubmission, validate_submission
from bench.types import Thought

if TYPE_CHECKING:
    from bench.execute import RunSummary


@dataclass(frozen=True)
class Target:
    """One check to make: ``spec`` on ``dataset_name``, compared with ``expected`` (or the spec's own entry)."""

    spec: ModelSpec
    source: str
    dataset_name: str
    split: str = "test"
    expected_hash: str | None = None
    """The dataset content the expected scores are for; None: look the entry up by the local copy's hash."""
    expected: Mapping[str, float] | None = None
    submission: ValidSubmission | None = None
    run_file: RunFile | None = None
    problem: str | None = None
    """Why this target cannot be checked (reported as a FAIL)."""
    run_spec: ModelSpec | None = None
    """The spec actually run when it is not ``spec``: a trained student whose weights differ from the pinned ones."""
    not_here: str | None = None
    """Why a published entry (``expected: - published: ...``) is not checked on this machine: its set is not at hand."""

    def tolerance_for(self, metric: str) -> float:
        return self.spec.tolerance_for(metric)

    @property
    def spec_path(self) -> Path:
        """The spec file that is re-run (a submission's own spec.yaml, or the spec given)."""
        if self.submission is not None and self.submission.spec_file is not None:
            return self.submission.root / self.submission.spec_file
        return Path(self.source)


@dataclass(frozen=True)
class Reproduction:
    """The outcome of one target."""

    target: Target
    checks: tuple[MetricCheck, ...] = ()
    dataset_hash: str | None = None
    problem: str | None = None
    run_id: str | None = None
    wall_s: float = 0.0
    mode: str = "generated"
    """How a reasoning embedder's thoughts were obtained: ``generated``, or ``replayed thoughts of run <id>``."""
    fresh: bool = False
    """Made with ``--fresh``: every cache of the re-run was a new, empty one."""
    caches_read: dict[str, int] = field(default_factory=dict)
    """Cache hits during the re-run, by kind (:mod:`bench.cache_reads`); empty: nothing was read from a cache."""
    weights_note: str | None = None
    """Set when a trained student's weights differ from the pinned ones: which stage differs first, and the kernels' diff."""
    kernels_diff: tuple[str, ...] = ()
    """``key: expected -> observed`` of the platform fingerprint, when the expected entry records one (``measured_on:``)."""
    published_checks: tuple[MetricCheck, ...] = ()
    """The run against a published reference table (:mod:`bench.published.tables`), at the table's printed precision."""
    published_from: str | None = None
    """Which table and row: ``pyserini-2cr bm25-flat / scifact (pyserini 1.6.0: pyserini/2cr/beir.yaml)``."""
    published_rows: tuple[Any, ...] = ()
    """The published numbers (:class:`bench.published.tables.PublishedScore`) of ``published_checks``, in the same order."""
    published_note: str | None = None
    """Why no published table was compared (e.g. "no published table for this content"), for a spec that has one."""

    @property
    def verdict(self) -> Verdict:
        if self.problem:
            return "FAIL"
        v = overall(self.checks + self.published_checks)
        return "OKish" if v == "OK" and self.weights_note else v

    @property
    def note(self) -> str | None:
        """What the verdict says beyond its metrics (weights that differ, the kernels' difference), or None."""
        parts = [self.weights_note] if self.weights_note else []
        if self.kernels_diff and (self.verdict != "OK" or self.weights_note):
            parts.append("kernels differ from where the expected scores were measured: " + ", ".join(self.kernels_diff))
        return "; ".join(parts) or None

    @property
    def how(self) -> str:
        """``fresh``, ``no cache read`` or ``cached (kind n, ...)``."""
        if self.fresh:
            return "fresh"
        if not self.caches_read:
            return "no cache read"
        return "cached (" + ", ".join(f"{k} {n}" for k, n in sorted(self.caches_read.items())) + ")"

    def as_json(self) -> dict[str, Any]:
        """What ``bench reproduce --json`` prints for this check."""
        return {
            "model": self.target.spec.name,
            "source": self.target.source,
            "dataset": self.target.dataset_name,
            "dataset_hash": self.dataset_hash,
            "verdict": self.verdict,
            "problem": self.problem,
            "run_id": self.run_id,
            "mode": self.mode,
            "fresh": self.fresh,
            "caches_read": self.caches_read,
            "how": self.how,
            "note": self.note,
            "kernels_diff": list(self.kernels_diff),
            "checks": [{**asdict(c), "diff": c.diff} for c in self.checks],
            "published": {
                "from": self.published_from,
                "note": self.published_note,
                "checks": [{**asdict(c), "diff": c.diff} for c in self.published_checks],
            },
        }


# -- planning ---------------------------------------------------------------------------------------
def spec_targets(spec_path: Path, datasets: Iterable[str] = (), quick: bool = False) -> list[Target]:
    """Targets of one spec: the datasets asked for, else every ``expected:`` entry (those ``quick_keeps`` with ``quick``).

    Raises:
        DatasetError: a dataset asked for, or named by an ``expected:`` entry, cannot be found (before anything runs:
            a typo is not a drift).
    """
    from bench.datasets.registry import resolve_dataset

    spec = load_spec(spec_path)
    source = str(spec_path)
    asked = list(datasets)
    if asked:
        for name in asked:
            resolve_dataset(name)
        return [Target(spec, source, name) for name in asked]
    entries = [e for e in spec.expected if not quick or quick_keeps(spec.family, e.dataset)]
    if not entries:
        which = f" on the quick datasets ({', '.join(QUICK_DATASETS)})" if quick and spec.family not in EVERY_DATASET_FAMILIES else ""
        fix = f"add `expected:` entries (`bench reproduce {spec_path} --dataset NAME --print-expected` prints them)"
        return [Target(spec, source, "—", problem=f"{spec_path}: no expected scores{which}; {fix}")]
    targets = []
    for e in entries:
        try:
            resolve_dataset(e.dataset, e.split)
        except DatasetError as err:
            if e.published is None:  # a collection this spec was measured on here: missing is a problem, not a skip
                raise DatasetError(f"{spec_path}: expected scores for {e.dataset}: {err}") from err
            why = f"{e.dataset} is not at hand here (`bench datasets fetch {e.dataset}` gets it); its expected scores are {e.published}'s"
            targets.append(Target(spec, source, e.dataset, e.split, e.hash, e.metrics, not_here=why))
            continue
        targets.append(Target(spec, source, e.dataset, e.split, e.hash, e.metrics))
    return targets


def all_targets(models_dir: Path, quick: bool = False) -> list[Target]:
    """Targets of every spec in ``models_dir`` (sorted by file name)."""
    paths = sorted(models_dir.glob("*.yaml"))
    if not paths:
        raise SubmissionError(f"{models_dir}: no specs (*.yaml) here; pass --models with the folder of reference specs")
    return [t for p in paths for t in spec_targets(p, quick=quick)]


def submission_targets(folder: Path) -> list[Target]:
    """Targets of a submission with a spec: re-run it on each dataset it submitted, expecting its own scores."""
    sub = validate_submission(folder)
    if sub.spec is None:
        raise SubmissionError(
            f"{folder}: the submission has no spec, so it cannot be re-run",
            [f"{folder}: add spec.yaml (models/*.yaml schema, a registered runner kind) to have it reproduced"],
        )
    targets = []
    for rf in sub.runs:
        submitted = evaluate(rf.run, rf.dataset.qrels(), DEFAULT_MEASURES, rf.dataset.drop_identical_ids).aggregate
        targets.append(Target(sub.spec, str(folder), rf.dataset.name, rf.dataset.split, rf.dataset.content_hash, dict(submitted), sub, rf))
    return targets


# -- running ----------------------------------------------------------------------------------------
def reproduce_all(
    targets: Iterable[Target],
    db: Path | None,
    progress: Progress | None = None,
    *,
    replay_from: Path | None = None,
    fresh: bool = False,
) -> Iterator[Reproduction]:
    """:func:`reproduce` each target in turn; targets of the same spec share one runner (weights and JVM loaded once).

    ``fresh``: the caller runs this inside :func:`bench.paths.fresh_caches`; a trained student is then trained again
    from its recipe first (no training stage is read either), and every verdict says it was fresh.
    """
    from bench.runners.base import make_runner

    runners: dict[tuple[str, str], tuple[Runner, ModelSpec, str | None]] = {}
    for t in targets:
        runner, note = None, None
        if t.problem is None:
            key = (t.spec.spec_hash, t.source)
            try:
                if key not in runners:
                    before = cache_reads.snapshot()
                    spec_run, note = trained_student(t.spec, t.source, progress, train=fresh)
                    runners[key] = (make_runner(spec_run, t.source), spec_run, note)
                    setup_reads = cache_reads.since(before)
                else:
                    setup_reads = {}
                runner, spec_run, note = runners[key]
            except BenchError as e:
                yield Reproduction(t, problem=f"the re-run failed: {e}", fresh=fresh)
                continue
            if spec_run is not t.spec:
                t = replace(t, run_spec=spec_run)
        else:
            setup_reads = {}
        r = reproduce(t, db, progress, runner=runner, replay_from=replay_from, fresh=fresh, weights_note=note, setup_reads=setup_reads)
        yield r


def trained_student(spec: ModelSpec, source: str, progress: Progress | None, *, train: bool = False) -> tuple[ModelSpec, str | None]:
    """The spec to re-run for ``spec``, and a note when a student's weights differ from the ones it pins.

    A spec without a recipe is returned as it is. A student is evaluated with the weights trained here (``train``:
    train them first, as ``--fresh`` does), always: when they differ from ``weights.sha256``, the returned spec pins
    the weights at hand instead, and the note names the first training stage whose output differs from the
    spec's ``trained.stages`` and the kernels' difference from ``trained.measured_on``.
    """
    if spec.training is None or spec.weights is None or spec.weights.sha256 is None:
        return spec, None
    from bench.kernels import fingerprint_diff
    from bench.training.pipeline import train_recipe, trained_model
    from bench.weights import fingerprint

    card = train_recipe(spec, source, progress) if train else None
    digest = card.weights_sha256 if card is not None else fingerprint(trained_model(spec, source))[0]
    if digest == spec.weights.sha256:
        return spec, None
    meta = {} if card is not None else _train_meta(spec, source)
    stages = card.stage_sha256 if card is not None else dict(meta.get("stage_sha256", {}))
    ref = spec.trained.stages if spec.trained is not None else {}
    first = next((s for s in ("mine", "teachers", "filter") if s in ref and s in stages and ref[s] != stages[s]), None)
    where = (
        f"first differing stage: {first}"
        if first
        else ("every earlier stage equal: the train stage differs" if ref else "no reference stage hashes in the spec")
    )
    trained_kernels = dict((card.environment if card is not None else meta.get("environment", {})).get("kernels", {}))
    kernels = fingerprint_diff(spec.trained.measured_on if spec.trained is not None else None, trained_kernels)
    note = f"weights differ ({digest[:12]} here, {spec.weights.sha256[:12]} pinned): {where}" + (
        f"; training kernels: {', '.join(kernels)}" if kernels else ""
    )
    return spec.model_copy(update={"weights": spec.weights.model_copy(update={"sha256": digest})}), note


def _train_meta(spec: ModelSpec, source: str) -> dict[str, Any]:
    """The meta of the train stage entry trained here (stage hashes, environment), read once; empty when there is none."""
    from bench.training.cache import stage_cache
    from bench.training.pipeline import plan

    p = plan(spec, source)
    entry = stage_cache("train", p.root).load(p.keys["train"], count=False)
    return dict(entry.meta) if entry is not None else {}


def reproduce(
    target: Target,
    db: Path | None,
    progress: Progress | None = None,
    *,
    runner: Runner | None = None,
    replay_from: Path | None = None,
    fresh: bool = False,
    weights_note: str | None = None,
    setup_reads: dict[str, int] | None = None,
) -> Reproduction:
    """Re-run one target, compare, and (with ``db``) record the check; never raises for a drift or a bad target.

    ``replay_from``: a database whose latest recorded run of this spec on the same data logged thoughts; a reasoning
    embedder re-uses them instead of generating (so a generator that is not deterministic can still be checked
    exactly); the result's ``mode`` says so. ``fresh``, ``weights_note``, ``setup_reads``: see :func:`reproduce_all`;
    the cache hits of the re-run (plus ``setup_reads``, those of loading its runner) are in the result.
    """
    from bench.datasets.registry import resolve_dataset
    from bench.execute import execute_run

    if target.problem:
        return Reproduction(target, problem=target.problem)
    if db is not None and target.submission is None:  # a name it may not write under is refused before the work
        from bench.execute import precheck_name
        from bench.identity import spec_writer

        precheck_name(db, target.spec.name, target.spec.spec_hash, spec_writer(target.spec_path, target.spec.spec_hash, reproduced=True))
    t0 = time.perf_counter()
    try:
        ds = resolve_dataset(target.dataset_name, target.split)
        dataset_hash = ds.content_hash
    except BenchError as e:
        return Reproduction(target, problem=str(e))
    expected = target.expected
    pub_rows, pub_note = [], None
    if target.submission is None:  # published tables are about reference specs at their committed contents
        from bench.published.tables import applicable

        try:
            pub_rows, pub_note = applicable(target.spec.name, target.spec.spec_hash, ds.file_hashes, target.split, dataset_hash)
        except BenchError as e:
            return Reproduction(target, dataset_hash=dataset_hash, problem=str(e))
    if target.expected_hash is not None and dataset_hash != target.expected_hash:
        return Reproduction(
            target,
            dataset_hash=dataset_hash,
            problem=(
                f"the local {ds.name} ({ds.path}) has content hash {dataset_hash[:12]}, but the expected scores are for "
                f"{target.expected_hash[:12]}; use that version of the data, or re-measure and update {target.source}"
            ),
        )
    if expected is None:
        entry = target.spec.expected_for(dataset_hash)
        if (entry is None or entry.split != target.split) and not pub_rows:
            return Reproduction(
                target,
                dataset_hash=dataset_hash,
                problem=(
                    f"{target.source}: no expected scores for {ds.name} (content hash {dataset_hash[:12]}, split {target.split}); "
                    f"add an `expected:` entry (`bench reproduce {target.source} --dataset {target.dataset_name} --print-expected` prints it)"
                    + (f"; {pub_note}" if pub_note else "")
                ),
            )
        expected = entry.metrics if entry is not None and entry.split == target.split else {}
    if not expected and not pub_rows:  # a published entry whose table does not apply: nothing would be compared
        return Reproduction(
            target,
            dataset_hash=dataset_hash,
            problem=f"{target.source}: the expected scores for {ds.name} are a published table's, but none applies: {pub_note or 'no published row'}",
        )
    replay, mode = None, "generated"
    if replay_from is not None:
        found = _logged_thoughts(replay_from, target, dataset_hash)
        if isinstance(found, str):
            return Reproduction(target, dataset_hash=dataset_hash, problem=found)
        run_id, replay = found
        mode = f"replayed thoughts of run {run_id}"
    started = _now()
    before = cache_reads.snapshot()
    try:
        summary, out, evaluation = execute_run(
            target.run_spec or target.spec,
            ds,
            None,
            spec_path=target.spec_path,
            measures=tuple(dict.fromkeys([*expected, *(r.metric for r in pub_rows)])),
            progress=progress,
            runner=runner,
            replay_thoughts=replay,
        )
    except BenchError as e:
        return Reproduction(target, dataset_hash=dataset_hash, problem=f"the re-run failed: {e}")
    reads = cache_reads.since(before)
    for k, n in (setup_reads or {}).items():
        reads[k] = reads.get(k, 0) + n
    checks = tuple(compare(expected, summary.metrics, target.tolerance_for))
    entry = target.spec.expected_for(dataset_hash)
    result = Reproduction(
        target,
        checks,
        dataset_hash,
        wall_s=time.perf_counter() - t0,
        mode=mode,
        fresh=fresh,
        caches_read=reads,
        weights_note=weights_note,
        kernels_diff=tuple(fingerprint_diff(dict(entry.measured_on) if entry and entry.measured_on else None, fingerprint())),
        published_checks=tuple(_published_checks(pub_rows, summary.metrics)),
        published_rows=tuple(pub_rows),
        published_from=f"{pub_rows[0].row} ({pub_rows[0].source_ref})" if pub_rows else None,
        published_note=pub_note if (pub_note and (not expected or _published_name(ds.name))) else None,
    )
    if db is None:
        return result
    swapped = _differs_from_ingested(db, target, dataset_hash)
    if swapped is not None:
        result = replace(result, problem=swapped)
    return replace(result, run_id=_record(db, result, ds, summary, out, evaluation, started))


def _published_name(name: str) -> bool:
    from bench.published.tables import published

    return name in {r.dataset for r in published()}


def _published_checks(rows: list, observed: Mapping[str, float]) -> list[MetricCheck]:
    from bench.published.tables import check

    return check(rows, dict(observed))


def _record(
    db: Path, result: Reproduction, ds: Dataset, summary: RunSummary, out: RunOutput, evaluation: EvalResult, started: datetime
) -> str | None:
    from bench.execute import model_row, run_record
    from bench.identity import spec_writer
    from bench.provenance import code_version
    from bench.store.db import open_writer, transaction
    from bench.store.reproductions import PublishedCheckRow, ReproductionRow, insert_published_checks, insert_reproduction
    from bench.store.runs import insert_run
    from bench.store.submissions import submission_runs

    target = result.target
    passed = result.verdict != "FAIL" and result.weights_note is None  # other weights than the pinned ones publish nothing
    rec = None
    if passed and target.submission is None:
        rec = run_record(
            model=model_row(target.spec),
            dataset=ds,
            stats=ds.validate(),
            run=out.run,
            evaluation=evaluation,
            timings=summary.timings,
            started_at=started,
            writer=spec_writer(target.spec_path, target.spec.spec_hash, reproduced=True),
            spec_hash=target.spec.spec_hash,
            spec=target.spec,
            cost=out.cost,
            weights_hash=out.weights_hash,
        )
    with open_writer(db) as con:
        run_id = rec.run_id if rec else None
        if passed and target.submission is not None:
            run_id = submission_runs(con, target.submission.submission_id).get(ds.content_hash)
        reproduction_id, checked_at = uuid.uuid4().hex[:16], _now()
        with transaction(con, f"recording the reproduction of {target.spec.name} on {ds.name}"):
            if rec is not None:
                insert_run(con, rec)
            insert_reproduction(
                con,
                reproduction_id=reproduction_id,
                checked_at=checked_at,
                model_name=target.spec.name,
                source=target.source,
                spec_hash=target.spec.spec_hash,
                dataset_hash=ds.content_hash,
                dataset_name=ds.name,
                run_id=run_id,
                # a check failed for a reason outside its metrics (a swapped submission file) is FAIL on each of them:
                # the reads (latest_verdicts) must never show it as OK
                rows=[
                    ReproductionRow(c.metric, c.expected, c.observed, c.tolerance, "FAIL" if result.problem else c.verdict)
                    for c in result.checks
                ],
                code_version=code_version(),
                fresh=result.fresh,
                caches_read=result.caches_read,
                note=result.note,
            )
            insert_published_checks(  # the same check against the published table's row (its own table)
                con,
                reproduction_id=reproduction_id,
                checked_at=checked_at,
                model_name=target.spec.name,
                spec_hash=target.spec.spec_hash,
                dataset_hash=ds.content_hash,
                run_id=run_id,
                rows=[
                    PublishedCheckRow(p.source, p.source_ref, p.condition, p.dataset, p.split, c.metric, c.expected, c.observed,
                                      p.decimals, "FAIL" if result.problem else c.verdict)
                    for p, c in zip(result.published_rows, result.published_checks, strict=True)
                ],
            )  # fmt: skip
    return run_id


def publish_reproduced(db: Path, sub: ValidSubmission, results: list[Reproduction]) -> str | None:
    """Move an ingested, self-reported submission to ``reproduced`` when every one of its runs reproduced.

    Returns a note for the user, or None when there is nothing to say.
    """
    from bench.store.db import open_writer, transaction
    from bench.store.submissions import set_provenance, submission_info, submission_runs

    if not db.is_file():
        return f"{sub.submission_id} is not ingested in {db}; `bench submit ingest` it, then reproduce again to publish it as reproduced"
    with open_writer(db) as con:
        info = submission_info(con, sub.submission_id)
        if info is None:
            return (
                f"{sub.submission_id} is not ingested in {db}; `bench submit ingest` it, then reproduce again to publish it as reproduced"
            )
        if any(r.verdict == "FAIL" for r in results):
            return f"{sub.submission_id} stays {info.status}: not every run reproduced"
        if info.status != "self-reported":
            return (
                f"{sub.submission_id} is {info.status}; approve it first (`bench submit approve {sub.submission_id}`), then reproduce again"
            )
        ingested = submission_runs(con, sub.submission_id)
        passed = {r.dataset_hash for r in results if r.verdict != "FAIL"}
        missing = [h for h in ingested if h not in passed]
        if missing:
            return f"{sub.submission_id} stays {info.status}: {len(missing)} of its ingested run(s) were not re-run and matched"
        run_ids = list(ingested.values())
        with transaction(con, f"publishing {sub.submission_id} as reproduced"):
            set_provenance(
                con, submission_id=sub.submission_id, model_name=info.model_name, run_ids=run_ids, provenance="reproduced", now=_now()
            )
    return f"{sub.submission_id}: every run reproduced; its {len(run_ids)} run(s) are now shown as reproduced"


# -- measuring expected scores ----------------------------------------------------------------------
def measure_expected(spec_path: Path, datasets: Iterable[str], progress: Progress | None = None) -> list[dict]:
    """Run a spec on datasets and return ``expected:`` entries (full precision) for its YAML file."""
    from bench.datasets.registry import resolve_dataset
    from bench.execute import execute_run

    spec = load_spec(spec_path)
    entries = []
    for name in datasets:
        ds = resolve_dataset(name)
        summary, _, _ = execute_run(spec, ds, None, spec_path=spec_path, progress=progress)
        entries.append({"dataset": ds.name, "hash": ds.content_hash, "metrics": dict(summary.metrics)})
    return entries


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def _logged_thoughts(db: Path, target: Target, dataset_hash: str) -> tuple[str, dict[str, list[Thought]]] | str:
    """``(run id, thoughts by query)`` of the latest recorded run of this spec on this data that logged thoughts, or why not."""
    from bench.store.db import open_read_only
    from bench.store.thoughts import latest_thought_run, replay_log

    fix = f"record a run first (`bench run {target.source} -d {target.dataset_name} --db DB`), or reproduce without --replay-thoughts"
    if not db.is_file():
        return f"--replay-thoughts needs the database that holds the logged thoughts; {fix}"
    with open_read_only(db) as con:
        run_id = latest_thought_run(con, target.spec.spec_hash, dataset_hash)
        if run_id is None:
            return (
                f"no recorded run of {target.spec.name} (spec {target.spec.spec_hash[:12]}) on {target.dataset_name} logged thoughts; {fix}"
            )
        return run_id, replay_log(con, run_id)


def _differs_from_ingested(db: Path, target: Target, dataset_hash: str) -> str | None:
    """Why a submission's check cannot vouch for its ingested run: its run file or spec is not what was ingested.

    A reproduction publishes the runs that were *submitted*; comparing the re-run with a run file swapped after
    ingestion would vouch for numbers nobody re-ran. None when the files are the ingested ones (or nothing is ingested).
    """
    from bench.store.db import open_read_only
    from bench.store.submissions import submission_files

    sub, rf = target.submission, target.run_file
    if sub is None or rf is None or not db.is_file():
        return None
    with open_read_only(db) as con:
        ingested = submission_files(con, sub.submission_id)
    if ingested is None:
        return None
    spec_hash, files = ingested
    if spec_hash is not None and sub.spec is not None and spec_hash != sub.spec.spec_hash:
        return f"{target.spec_path}: the spec differs from the one ingested with {sub.submission_id}; submit a new version in a new folder"
    sha = files.get(dataset_hash)
    if sha is not None and sha != rf.sha256:
        return (
            f"{sub.root / rf.file}: the run file differs from the one ingested with {sub.submission_id} (sha256 {rf.sha256[:12]} vs "
            f"{sha[:12]}); a reproduction vouches only for the submitted files: restore them, or submit a new version in a new folder"
        )
    return None
