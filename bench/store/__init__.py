"""The results database (DuckDB): one module per table family.

:mod:`.db` opens and migrates, :mod:`.migrations` holds the numbered schema, :mod:`.runs` (models, datasets, runs,
metrics, rankings), :mod:`.submissions`, :mod:`.reproductions`; :mod:`.leaderboard` is the only module the
leaderboard app reads through.
"""
