"""What the feedback page shows, from a results.json document: per exercise, the points, each failed
test with what went wrong, and the likely mistake said once for the exercise.

In results.json (and feedback.md) every failed test's text ends with "Likely mistake: X." — one mistake
usually fails several tests of an exercise, so the page takes that sentence off each test (using the
same catalogue text the engine composed it with, in the result's language) and names the mistakes once,
above the exercise's tests. Nothing here is HTML: the template escapes every string.
"""

from __future__ import annotations

from dataclasses import dataclass

from autograder.course import i18n

LIKELY = "{message} Likely mistake: {mistake}."  # the engine's text (autograder.testkit.expect)


@dataclass(frozen=True)
class FailedTest:
    name: str
    lost: float  # points this test did not give
    message: str  # what is wrong, without the likely-mistake sentence


@dataclass(frozen=True)
class ExerciseView:
    id: str
    score: float
    max_score: float
    core: bool
    mistakes: tuple[str, ...]  # distinct, in the order the tests found them
    failed: tuple[FailedTest, ...]

    @property
    def full(self) -> bool:
        return self.score >= self.max_score


@dataclass(frozen=True)
class FeedbackView:
    score: float
    max_score: float
    raw_score: float
    late_penalty: float
    late_days: int
    error: str
    notes: tuple[str, ...]
    exercises: tuple[ExerciseView, ...]
    lang: str
    hidden_tests: int  # tests not shown yet (visibility), counted so the page can say so

    @property
    def all_passed(self) -> bool:
        return not self.error and all(e.full for e in self.exercises) and bool(self.exercises)


def strip_mistake(text: str, mistake: str, template: str) -> str:
    """``text`` without the "Likely mistake: ``mistake``." sentence that ``template`` appended."""
    if not mistake or "{message}" not in template:
        return text
    head, _, tail = template.partition("{message}")
    head, tail = head.replace("{mistake}", mistake), tail.replace("{mistake}", mistake)
    if text.startswith(head) and text.endswith(tail) and len(text) >= len(head) + len(tail):
        return text[len(head) : len(text) - len(tail)]
    return text


def _num(x, default: float = 0.0) -> float:
    return float(x) if isinstance(x, int | float) and not isinstance(x, bool) else default


def feedback_view(doc: dict) -> FeedbackView:
    """The page's content from a results.json document (what the grader wrote, filtered for the
    student by the service). Tolerates missing grader fields: a document is never trusted to be whole."""
    extra = doc.get("extra_data") if isinstance(doc.get("extra_data"), dict) else {}
    lang = extra.get("lang") if extra.get("lang") in i18n.LANGS else i18n.DEFAULT
    template = i18n.translations(lang).gettext(LIKELY)
    tests = [t for t in doc.get("tests", []) if isinstance(t, dict)]
    mistakes = extra.get("mistakes")
    if not isinstance(mistakes, list) or len(mistakes) != len(tests):
        mistakes = [""] * len(tests)
    hidden = int(_num(extra.get("hidden_tests")))
    by_ex: dict[str, list[tuple[dict, str]]] = {}
    for t, m in zip(tests, mistakes, strict=True):
        tags = t.get("tags") or [""]
        by_ex.setdefault(str(tags[0]), []).append((t, str(m or "")))
    exercises = []
    listed = extra.get("exercises") if isinstance(extra.get("exercises"), list) else []
    for row in listed:
        if not (isinstance(row, list) and len(row) == 4):
            continue
        ex_id, score, max_score, core = row
        found: list[str] = []
        failed = []
        for t, m in by_ex.get(str(ex_id), []):
            if t.get("status") == "passed":
                continue
            if m and m not in found:
                found.append(m)
            failed.append(
                FailedTest(
                    str(t.get("name", "")),
                    round(_num(t.get("max_score")) - _num(t.get("score")), 6),
                    strip_mistake(str(t.get("output", "")), m, template),
                )
            )
        exercises.append(
            ExerciseView(str(ex_id), _num(score), _num(max_score), bool(core), tuple(found), tuple(failed))
        )
    notes = extra.get("notes") if isinstance(extra.get("notes"), list) else []
    return FeedbackView(
        score=_num(doc.get("score")),
        max_score=_num(extra.get("max_score")),
        raw_score=_num(extra.get("raw_score"), _num(doc.get("score"))),
        late_penalty=_num(extra.get("late_penalty")),
        late_days=int(_num(extra.get("late_days"))),
        error=str(extra.get("error") or ""),
        notes=tuple(str(n) for n in notes),
        exercises=tuple(exercises),
        lang=lang,
        hidden_tests=hidden,
    )
