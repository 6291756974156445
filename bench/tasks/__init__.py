"""Embedding tasks beyond retrieval (STS, pair classification, classification, clustering) as data folders."""

from bench.tasks.reader import Task, find_task, read_task

__all__ = ["Task", "find_task", "read_task"]
