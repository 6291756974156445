"""trec_eval-exact evaluation with canonical metric names."""

from bench.evaluation.evaluate import EvalResult, evaluate
from bench.evaluation.measures import DEFAULT_MEASURES, Measure, parse_measure
from bench.evaluation.trec import read_trec_run, write_trec_run

__all__ = ["DEFAULT_MEASURES", "EvalResult", "Measure", "evaluate", "parse_measure", "read_trec_run", "write_trec_run"]
