"""results.json in Gradescope's autograder schema, and back (so a batch can resume from disk)."""

from __future__ import annotations

import json

from autograder.course.kinds import Kind, Status
from autograder.course.results import ExerciseScore, SubmissionResult, TestResult


def to_gradescope(r: SubmissionResult) -> dict:
    """The Gradescope results.json document; grader-specific data goes under ``extra_data``."""
    output = "\n".join(r.notes)
    return {
        "score": r.score,
        "execution_time": round(r.execution_time, 3),
        "output": output,
        "tests": [
            {
                "name": t.name,
                "score": t.score,
                "max_score": t.max_score,
                "status": t.status,
                "output": t.feedback,
                "visibility": t.visibility,
                "tags": [t.exercise],
            }
            for t in r.tests
        ],
        "extra_data": {
            "student_id": r.student_id,
            "assignment": r.assignment,
            "max_score": r.max_score,
            "exercises": [[e.id, e.score, e.max_score, e.core] for e in r.exercises],
            "test_ids": [t.nodeid for t in r.tests],
            "kinds": [t.kind for t in r.tests],
            "mistakes": [t.mistake for t in r.tests],
            "notes": list(r.notes),
            "isolation_layers": list(r.layers),
            "submission_hash": r.submission_hash,
            "assignment_hash": r.assignment_hash,
            "error": r.error,
            "raw_score": r.raw_score,  # ``score`` above is the final score: raw minus the late penalty
            "late_penalty": r.late_penalty,
            "late_days": r.late_days,
            "submitted_at": r.submitted_at,
            "due": r.due,
            "lang": r.lang,  # the language of every text above
        },
    }


def dumps(r: SubmissionResult) -> str:
    return json.dumps(to_gradescope(r), indent=2, ensure_ascii=False, sort_keys=False) + "\n"


_STATUS = {s.value: s for s in Status}  # a dict lookup instead of Enum(value): a class's results are many
_KIND = {k.value: k for k in Kind}


def from_gradescope(doc: dict) -> SubmissionResult:
    """Rebuild a result from a results.json this grader wrote (KeyError: an unknown status or kind)."""
    x = doc["extra_data"]
    tests = tuple(
        TestResult(nid, t["name"], t["tags"][0], t["score"], t["max_score"], _STATUS[t["status"]],
                   t["output"], _KIND[kind], mistake, t["visibility"])
        for t, nid, kind, mistake in zip(doc["tests"], x["test_ids"], x["kinds"], x["mistakes"],
                                         strict=True)
    )
    return SubmissionResult(
        student_id=x["student_id"], assignment=x["assignment"], tests=tests,
        exercises=tuple(ExerciseScore(*e) for e in x["exercises"]), notes=tuple(x["notes"]),
        layers=tuple(x["isolation_layers"]), submission_hash=x["submission_hash"],
        assignment_hash=x["assignment_hash"], execution_time=doc.get("execution_time", 0.0),
        error=x.get("error", ""), submitted_at=x.get("submitted_at", ""), due=x.get("due", ""),
        late_days=x.get("late_days", 0), late_penalty=x.get("late_penalty", 0.0),
        lang=x.get("lang", "en"),
    )
