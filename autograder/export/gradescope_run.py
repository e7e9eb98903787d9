"""Inside Gradescope's container: grade ``ROOT/submission`` into ``ROOT/results/results.json``.

``run_autograder`` (from ``autograder export gradescope``) calls ``python -m
autograder.export.gradescope_run --root ROOT --assignment NAME`` with the engine, the assignment and
its hidden tests under ``ROOT/source``. The submission is vetted as ``autograder grade`` vets one
student and graded by ``grade_submission`` (the same session, isolated worker and results.json,
without the class pipeline), then adapted:

- ``output`` is the student's feedback (Markdown), ``visibility`` comes from the assignment's
  ``[gradescope]`` table, and each test is shown no earlier than that table's ``test_visibility``
  and its own ``visibility`` marker allow;
- ``submission_metadata.json``'s ``created_at`` (the submission time) goes to the late policy
  (``[late]`` in assignment.toml: ``score`` is then the final score, ``extra_data`` has raw score,
  penalty and days late), and is recorded in ``extra_data.gradescope`` with Gradescope's own due
  dates, whether or not there is a policy.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import sys
import tempfile
import time
import tomllib
from pathlib import Path

from autograder.course.errors import SetupError
from autograder.course.files import write_atomic
from autograder.course.kinds import Visibility

VISIBILITY = tuple(Visibility)  # Gradescope's visibility values, from shown soonest to never shown
FOLDER = "submission"  # the student's folder while grading, when their id cannot name a folder
_SAFE_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.@+-]{0,99}")


def settings(assignment_toml: Path) -> dict[str, str]:
    """The ``[gradescope]`` table: ``visibility`` and ``test_visibility`` (both default visible)."""
    data = tomllib.loads(Path(assignment_toml).read_text(encoding="utf-8")).get("gradescope", {})
    out = {}
    for key in ("visibility", "test_visibility"):
        value = data.get(key, Visibility.VISIBLE)
        if value not in VISIBILITY:
            raise SetupError(f"{assignment_toml}: [gradescope] {key} = {value!r}; use one of "
                             f"{', '.join(VISIBILITY)}")
        out[key] = value
    return out


def stricter(a: str, b: str) -> str:
    """The later of two visibilities (a test marked hidden stays hidden whatever the default)."""
    return max(a, b, key=lambda v: VISIBILITY.index(v) if v in VISIBILITY else 0)


def read_metadata(path: Path) -> dict:
    """What we use from submission_metadata.json (all optional: a missing file is no error)."""
    try:
        meta = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    assignment = meta.get("assignment") or {}
    users = meta.get("users") or [{}]
    user = users[0] if isinstance(users[0], dict) else {}
    return {
        "student_id": str(user.get("sid") or user.get("email") or user.get("id") or ""),
        "gradescope_submission_id": meta.get("id"),
        "submitted_at": meta.get("created_at") or "",
        "due_date": assignment.get("due_date") or "",
        "late_due_date": assignment.get("late_due_date") or "",
    }


def _late(submitted_at: str, due: str) -> bool | None:
    """Submitted after Gradescope's due date (None when either time is unknown)."""
    from datetime import datetime

    try:
        return datetime.fromisoformat(submitted_at) > datetime.fromisoformat(due)
    except (TypeError, ValueError):
        return None


def grade(root: Path, assignment: str) -> dict:
    """The results.json document for the submission under ``root``."""
    from autograder.course import i18n
    from autograder.course.assignment import find_assignment
    from autograder.course.late import apply_late
    from autograder.grading.batch import with_times
    from autograder.grading.session import grade_submission
    from autograder.intake.discover import discover
    from autograder.render.feedback import feedback_md
    from autograder.render.gradescope import to_gradescope

    t0 = time.monotonic()
    course = root / "source" / "course"
    a, secrets = find_assignment(course, assignment)
    conf = settings(a.folder / "assignment.toml")
    meta = read_metadata(root / "submission_metadata.json")
    with tempfile.TemporaryDirectory(prefix="autograder-") as tmp:
        subs = Path(tmp) / "submissions"
        sid = meta.get("student_id", "")
        folder = sid if _SAFE_ID.fullmatch(sid) and not sid.lower().endswith((".py", ".zip")) else FOLDER
        shutil.copytree(root / "submission", subs / folder, symlinks=True)
        found, _skipped = discover(subs, a)
        found, _notes = with_times(found, {}, a)
        r = grade_submission(course, assignment, found[0])
    # The late policy ([late] in assignment.toml) from Gradescope's submission time; without a
    # policy the time is only recorded. The feedback is rendered again, with the penalty in it.
    r = apply_late(r, a.late, meta.get("submitted_at", ""))
    doc = to_gradescope(r)
    doc["execution_time"] = round(time.monotonic() - t0, 3)
    with i18n.language(r.lang, (secrets.locale, a.locale)):  # the language it was graded in
        doc["output"] = feedback_md(r, a.title)
    doc["output_format"] = "md"
    doc["visibility"] = conf["visibility"]
    doc["stdout_visibility"] = Visibility.HIDDEN
    for t in doc["tests"]:
        t["visibility"] = stricter(t.get("visibility", Visibility.VISIBLE), conf["test_visibility"])
    x = doc["extra_data"]
    x["student_id"] = meta.get("student_id") or x["student_id"]
    x["gradescope"] = {k: meta.get(k) for k in ("gradescope_submission_id", "submitted_at", "due_date",
                                                  "late_due_date")}
    x["gradescope"]["late"] = _late(meta.get("submitted_at", ""), meta.get("due_date", ""))
    return doc


def failure(why: str) -> dict:
    """results.json when the grader cannot run: 0 points, and a message for the TA and student."""
    return {"score": 0, "output": f"The autograder could not run ({why}); this is not your fault: "
                                  f"tell your TA.", "tests": [], "extra_data": {"error": why}}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="gradescope_run", description=__doc__.splitlines()[0])
    p.add_argument("--root", type=Path, default=Path(os.environ.get("AUTOGRADER_ROOT", "/autograder")))
    p.add_argument("--assignment", required=True)
    args = p.parse_args(argv)
    results = args.root / "results"
    results.mkdir(parents=True, exist_ok=True)
    code = 0
    try:
        doc = grade(args.root, args.assignment)
    except Exception as exc:  # noqa: BLE001 - Gradescope must get a results.json whatever happens
        doc, code = failure(f"{type(exc).__name__}: {exc}"), 1
        print(f"gradescope_run: {type(exc).__name__}: {exc}", file=sys.stderr)
    write_atomic(results / "results.json", json.dumps(doc, indent=2, ensure_ascii=False) + "\n")
    print(f"score {doc.get('score')} of {doc.get('extra_data', {}).get('max_score', '?')}")
    return code


if __name__ == "__main__":
    sys.exit(main())
