"""The OUT folder store: each student's feedback.md and results.json, written atomically
(``autograder.course.files.write_atomic``, the one atomic writer).

``OUT/<student_id>/results.json`` present means "this student is done"; only the owner of OUT (the
TA's ``autograder grade`` process) writes here.
"""

from __future__ import annotations

import json
from pathlib import Path

from autograder.course.files import write_atomic
from autograder.course.results import SubmissionResult
from autograder.intake.submission import Submission
from autograder.render import gradescope
from autograder.render.feedback import feedback_md

__all__ = ["is_current", "load_result", "load_result_text", "parse_result", "save_result", "write_atomic"]


def save_result(out: Path, r: SubmissionResult, title: str = "") -> str:
    """feedback.md, then results.json (its presence means: this student is done); returns the
    results.json text."""
    folder = Path(out) / r.student_id
    folder.mkdir(parents=True, exist_ok=True)
    write_atomic(folder / "feedback.md", feedback_md(r, title))
    text = gradescope.dumps(r)
    write_atomic(folder / "results.json", text)
    return text


def parse_result(text: str) -> SubmissionResult:
    """A result from results.json text this grader wrote; ValueError when it is not one."""
    try:
        return gradescope.from_gradescope(json.loads(text))
    except (ValueError, KeyError, TypeError, IndexError, AttributeError) as exc:
        raise ValueError(f"not a results.json of this grader ({type(exc).__name__}: {exc})") from None


def load_result(out: Path, student_id: str) -> SubmissionResult | None:
    return load_result_text(out, student_id)[0]


def load_result_text(out: Path, student_id: str) -> tuple[SubmissionResult | None, str]:
    """(the result in OUT/<id>/results.json, its text); (None, "") when there is none this grader reads."""
    try:
        text = (Path(out) / student_id / "results.json").read_text(encoding="utf-8")
        return parse_result(text), text
    except (OSError, ValueError):
        return None, ""


def is_current(r: SubmissionResult | None, sub: Submission, ahash: str) -> bool:
    """``r`` is this submission's result under these tests (a grader failure never is)."""
    return (r is not None and r.student_id == sub.student_id and bool(r.submission_hash)
            and r.submission_hash == sub.hash and r.assignment_hash == ahash)
