"""brewbench leaderboard: ``streamlit run leaderboard/app.py -- --db results.duckdb`` (or ``bench leaderboard``)."""

from __future__ import annotations

import sys
from pathlib import Path

_ROOT = str(Path(__file__).resolve().parent.parent)
if _ROOT not in sys.path:  # streamlit puts only this folder on sys.path; the pages import `leaderboard.*`
    sys.path.insert(0, _ROOT)

import streamlit as st  # noqa: E402

from leaderboard import data, ui  # noqa: E402

st.set_page_config(page_title="brewbench leaderboard", page_icon=":material/leaderboard:", layout="wide")

# The pages, in menu order. Adding a page is one line here plus its file in views/ (paths relative to this file),
# e.g. st.Page("views/submit.py", title="Submit", icon=":material/upload:", url_path="submit").
# Not a folder named pages/: next to the main script, Streamlit treats pages/ as its legacy multipage layout and then
# runs a page without this script first (AppTest always does), losing the navigation and this setup.
PAGES = [
    st.Page("views/overview.py", title="Overview", icon=":material/table_chart:", default=True),
    st.Page("views/dataset.py", title="Dataset", icon=":material/dataset:", url_path="dataset"),
    st.Page("views/model.py", title="Model", icon=":material/memory:", url_path="model"),
    st.Page("views/compare.py", title="Compare", icon=":material/compare_arrows:", url_path="compare"),
    st.Page("views/efficiency.py", title="Efficiency", icon=":material/speed:", url_path="efficiency"),
    st.Page("views/tasks.py", title="Tasks", icon=":material/functions:", url_path="tasks"),
    st.Page("views/submit.py", title="Submit", icon=":material/upload:", url_path="submit"),
]

page = st.navigation(PAGES)
# A deployed leaderboard shows names and hashes, never the server's file system: no database path here, and
# store errors are shown with the path cut to the file's name.
with ui.store_errors(hide=(data.db_path(),)):
    page.run()
