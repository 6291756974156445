"""Datasets in BEIR format: reading and validation, the registry of known datasets, fetching."""

from bench.datasets.beir import Dataset, DatasetStats
from bench.datasets.registry import KnownDataset, known_datasets, resolve_dataset, search_path

__all__ = ["Dataset", "DatasetStats", "KnownDataset", "known_datasets", "resolve_dataset", "search_path"]
