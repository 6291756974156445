"""Self-service submissions: ``submission.yaml`` + ``runs/<dataset>.trec[.gz]`` (+ an optional spec).

``validate`` checks everything and lists every problem; ``ingest`` evaluates against our qrels and
records in one transaction; ``inbox`` is where the website files uploads for ``process-inbox``.
"""

from bench.submissions.model import Submission, parse_submission
from bench.submissions.runfile import DEFAULT_LIMITS, Limits
from bench.submissions.validate import RunFile, ValidSubmission, check_submission, validate_submission

__all__ = [
    "DEFAULT_LIMITS",
    "Limits",
    "RunFile",
    "Submission",
    "ValidSubmission",
    "check_submission",
    "parse_submission",
    "validate_submission",
]
