"""Submit: upload run files with the metadata form; validated at once; a valid upload goes to the inbox.

This page never opens the results database. :func:`bench.submissions.inbox.save_upload` validates the
upload with the same code as ``bench submit validate`` and files it under the inbox with a generated
id; a maintainer runs ``bench submit process-inbox`` (-> pending) and ``bench submit approve ID``.
Submitted text is shown back only through ``st.code`` (never rendered as Markdown).
"""

from __future__ import annotations

import streamlit as st

from bench.specs import FAMILIES
from bench.submissions.inbox import UPLOAD_LIMITS, Upload, metadata_from_form, save_upload

MIB = 1 << 20

st.title("Submit results")
st.markdown(
    "Upload one TREC run file per dataset (`qid Q0 docid rank score tag`, at most 1000 documents per query), "
    "named after the dataset: `adi.trec` or `adi.trec.gz`. We evaluate it against our own judgments and show it as "
    "**self-reported** once a maintainer has reviewed it. To have it **reproduced**, open a pull request with a "
    "`spec.yaml` instead (see `submissions/README.md`)."
)
st.caption(
    f"Limits: {UPLOAD_LIMITS.max_file_bytes // MIB} MiB per file, {UPLOAD_LIMITS.max_submission_bytes // MIB} MiB per submission, "
    f"{UPLOAD_LIMITS.max_decompressed_bytes // MIB} MiB per file decompressed."
)

with st.form("submission", clear_on_submit=False):
    name = st.text_input("Model name", placeholder="acme-bm25plus", help="Lower-case letters, digits, '.', '_' or '-'.")
    family = st.selectbox("Family", FAMILIES)
    description = st.text_area("Description", height=80)
    parameters = st.number_input("Parameter count", min_value=0, value=None, step=1, help="0 for BM25-like models.")
    dimension = st.number_input("Embedding dimension", min_value=1, value=None, step=1, help="Leave empty for lexical models.")
    licence = st.text_input("Licence", placeholder="Apache-2.0")
    training = st.text_input("Training datasets", placeholder="msmarco, nq", help="Comma-separated; used for zero-shot flags.")
    links = st.text_area("Links", placeholder="https://...", help="One URL per line.", height=80)
    contact = st.text_input("Contact", placeholder="you@example.org", help="An e-mail address or an https:// URL.")
    files = st.file_uploader(
        "Run files", type=["trec", "gz"], accept_multiple_files=True, max_upload_size=UPLOAD_LIMITS.max_file_bytes // MIB
    )
    submitted = st.form_submit_button("Validate and submit", type="primary")

if submitted:
    metadata = metadata_from_form(
        name=name,
        family=family,
        description=description,
        parameters=parameters,
        dimension=dimension,
        licence=licence,
        training_datasets=training,
        links=links,
        contact=contact,
    )
    uploads = [Upload(f.name, f.getvalue()) for f in files or []]
    with st.spinner("Validating..."):
        submission_id, problems = save_upload(metadata, uploads)
    if problems:
        st.error(f"Not submitted: {len(problems)} problem(s). Fix them and submit again.")
        st.code("\n".join(problems), language=None, wrap_lines=True)
    else:
        st.success("Received. A maintainer will review it; quote this id in any question:")
        st.code(submission_id, language=None)
