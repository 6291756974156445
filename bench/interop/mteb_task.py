"""A local BEIR folder as an ``mteb`` retrieval task (no Hub access).

MTEB v2 loads tasks from the Hub; :func:`mteb_task` subclasses ``AbsTaskRetrieval`` and overrides
``load_data`` so ``mteb.evaluate`` scores the exact bytes brewbench scores (same content hash).
"""

from __future__ import annotations

from typing import Any

from bench.datasets.beir import Dataset
from bench.interop.mteb_names import local_task_name


def mteb_task(ds: Dataset) -> Any:
    """An ``AbsTaskRetrieval`` over ``ds`` (its split, its qrels); identical ids are kept, as brewbench does by default."""
    from datasets import Dataset as HFDataset
    from mteb.abstasks.retrieval import AbsTaskRetrieval
    from mteb.abstasks.task_metadata import TaskMetadata

    class LocalTask(AbsTaskRetrieval):
        ignore_identical_ids = False
        metadata = TaskMetadata(
            name=local_task_name(ds.name),
            description=f"{ds.name} from its local BEIR folder",
            type="Retrieval",
            category="t2t",
            reference=None,
            dataset={"path": f"local/{ds.name}", "revision": ds.content_hash[:12]},
            eval_splits=[ds.split],
            eval_langs=["eng-Latn"],
            main_score="ndcg_at_10",
            date=None,
            domains=None,
            task_subtypes=None,
            license="not specified",
            annotations_creators="expert-annotated",
            dialect=[],
            sample_creation="found",
            bibtex_citation="",
        )

        def load_data(self, num_proc=None, **kwargs) -> None:
            if self.data_loaded:
                return
            corpus = HFDataset.from_list([{"id": d.id, "title": d.title, "text": d.text} for d in ds.iter_corpus()])
            queries = HFDataset.from_list([{"id": q.id, "text": q.text} for q in ds.queries().values()])
            self.dataset = {"default": {ds.split: {"corpus": corpus, "queries": queries, "relevant_docs": ds.qrels(), "top_ranked": None}}}
            self.data_loaded = True

    return LocalTask()
