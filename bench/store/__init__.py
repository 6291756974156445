"""The results database (DuckDB): migrations, the one write path, and the only read queries."""

from bench.store.db import connect, open_read_only, open_writer
from bench.store.writes import RunRecord, record_run

__all__ = ["RunRecord", "connect", "open_read_only", "open_writer", "record_run"]
