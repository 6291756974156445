"""Interop with other tools' formats: results out (``bench export``) and in (``bench import mteb``), and MTEB tasks.

One module per format: :mod:`.trec` (TREC run files), :mod:`.per_query` (per-query CSV / parquet),
:mod:`.mteb_export` (MTEB's results layout), :mod:`.mteb_read` (MTEB results files, every layout mteb wrote);
:mod:`.mteb_names` maps metric and task names; :mod:`.mteb_task` is a local BEIR folder as an ``mteb`` task.
"""

from __future__ import annotations

from bench.interop.mteb_task import mteb_task

__all__ = ["mteb_task"]
