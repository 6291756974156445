"""The reproducibility CI: `.ci/reproduce` (quick by default, `--full` for everything) and the GitHub workflow that runs it."""

from __future__ import annotations

import subprocess

import yaml

from tests.conftest import ROOT

WORKFLOW = ROOT / ".github" / "workflows" / "reproduce.yml"
SCRIPT = ROOT / ".ci" / "reproduce"


def test_the_workflow_checks_pull_requests_quickly_and_everything_weekly() -> None:
    flow = yaml.safe_load(WORKFLOW.read_text())
    on = flow.get("on", flow.get(True))  # YAML 1.1 reads the key `on` as True
    (cron,) = [s["cron"] for s in on["schedule"]]
    minute, hour, day, month, weekday = cron.split()
    assert (day, month) == ("*", "*") and weekday.isdigit() and minute.isdigit() and hour.isdigit(), f"not weekly: {cron}"
    jobs = flow["jobs"]
    runs = {name: [s["run"] for s in job["steps"] if "reproduce" in s.get("run", "")] for name, job in jobs.items()}
    assert runs == {"reproduce": [".ci/reproduce"], "full": [".ci/reproduce --full"]}
    assert "schedule" in jobs["full"]["if"] and "!= 'schedule'" in jobs["reproduce"]["if"]
    assert jobs["full"]["steps"][:-1] == jobs["reproduce"]["steps"][:-1]  # the same setup: data, Python, make setup


def test_the_script_is_quick_by_default_and_refuses_unknown_arguments() -> None:
    text = SCRIPT.read_text()
    assert '"") scope=(--quick)' in text and "--full) scope=()" in text
    r = subprocess.run([str(SCRIPT), "--fast"], capture_output=True, text=True, timeout=30)
    assert r.returncode == 2 and "usage: .ci/reproduce [--full]" in r.stderr
