"""Named suites of datasets and tasks (suites.yaml) and their tables."""
