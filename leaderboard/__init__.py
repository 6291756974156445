"""The Streamlit leaderboard (``bench leaderboard`` / ``make leaderboard``): reads the results database
through :mod:`bench.store.leaderboard` only, and never writes to it.

``app.py`` is the entry point (``streamlit run leaderboard/app.py -- --db results.duckdb``); the pages
live in ``views/`` (never ``pages/``, see app.py); ``tables.py`` holds the arithmetic (no Streamlit), ``data.py`` the cached reads,
``ui.py`` the rendering helpers that keep untrusted strings as plain text.
"""
