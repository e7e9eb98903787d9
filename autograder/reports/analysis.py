"""Class statistics and item analysis from the students' results: numbers only, no text.

The class report (``render/report.py``) and ``item_analysis.csv`` format what this computes.

Discrimination of a hidden test is the corrected point-biserial correlation: Pearson's r between
passing the test (1/0) and the student's *rest score*, the points of all the other tests; leaving the
test out keeps it from correlating with itself. It is undefined (None) when everyone or no one
passed, or when every rest score is the same. A test that strong students fail more often than weak
ones has a negative r: a broken test, or one that checks something the task statement does not ask.
"""

from __future__ import annotations

import math
import statistics
from array import array
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from autograder.course.kinds import ERROR_KINDS, Kind, Status
from autograder.course.results import SubmissionResult

# ERROR_KINDS: failed tests where the grading of the code hit an error rather than the code giving a
# wrong answer; the TA should look at these students.
NEGATIVE_DISCRIMINATION = -0.2  # flag a test whose discrimination is below this
EPS = 1e-9

# Flags of a hidden test (the report says what each means).
ALL_PASS, NONE_PASS, NEGATIVE, GRADER_FAULT = ("all-pass", "none-pass", "negative-discrimination",
                                               "grader-fault")


@dataclass(frozen=True)
class ScoreStats:
    n: int
    max_score: float
    mean: float
    median: float
    stdev: float  # population standard deviation
    low: float
    high: float


@dataclass(frozen=True)
class ExerciseStats:
    id: str
    core: bool
    max_score: float
    n: int
    mean: float
    median: float
    full_marks: int  # students with every point of the exercise

    @property
    def full_rate(self) -> float:
        return self.full_marks / self.n if self.n else 0.0


@dataclass(frozen=True)
class ItemStats:
    """One hidden test across the class."""

    nodeid: str
    name: str
    exercise: str
    max_score: float
    n: int  # students the test ran for
    passed: int
    discrimination: float | None  # corrected point-biserial r; None when undefined
    flags: tuple[str, ...]

    @property
    def pass_rate(self) -> float:
        return self.passed / self.n if self.n else 0.0


@dataclass(frozen=True)
class MistakeCount:
    mistake: str  # TestResult.mistake: "no swap: dx = dout·x ..." (its name, then the explanation)
    students: tuple[str, ...]  # each counted once, however many tests named the mistake
    exercises: tuple[str, ...]


@dataclass(frozen=True)
class Problem:
    """A student whose grading hit an error: the TA should look at the submission."""

    student_id: str
    error: str  # SubmissionResult.error: nothing could be graded
    kinds: tuple[str, ...]  # of the failed tests, among ERROR_KINDS
    reasons: tuple[str, ...]  # their feedback, each once, in test order
    tests: int  # tests that hit the error


@dataclass(frozen=True)
class StudentRow:
    student_id: str
    score: float
    max_score: float
    exercises: tuple[float, ...]  # in ClassStats.exercises order
    failed: int  # failed tests
    problem: bool  # listed in ClassStats.problems


@dataclass(frozen=True)
class ClassStats:
    assignment: str
    scores: tuple[float, ...]  # final scores (as in grades.csv), in student order
    score: ScoreStats
    exercises: tuple[ExerciseStats, ...]
    items: tuple[ItemStats, ...]  # in the order the tests ran
    mistakes: tuple[MistakeCount, ...]  # most frequent first
    problems: tuple[Problem, ...]
    students: tuple[StudentRow, ...]  # by student id


def point_biserial(passed: Sequence[bool], rest: Sequence[float]) -> float | None:
    """Pearson's r of a 0/1 variable with a score; None when either does not vary."""
    n = len(passed)
    if n != len(rest) or n < 2:
        return None
    x = [1.0 if p else 0.0 for p in passed]
    mx, my = sum(x) / n, sum(rest) / n
    sxx = sum((a - mx) ** 2 for a in x)
    syy = sum((b - my) ** 2 for b in rest)
    if sxx < EPS or syy < EPS:
        return None
    sxy = sum((a - mx) * (b - my) for a, b in zip(x, rest, strict=True))
    return max(-1.0, min(1.0, sxy / math.sqrt(sxx * syy)))


def score_stats(scores: Sequence[float], max_score: float) -> ScoreStats:
    if not scores:
        return ScoreStats(0, max_score, 0.0, 0.0, 0.0, 0.0, 0.0)
    return ScoreStats(len(scores), max_score, statistics.fmean(scores), statistics.median(scores),
                      statistics.pstdev(scores), min(scores), max(scores))


def exercise_stats(results: Sequence[SubmissionResult]) -> tuple[ExerciseStats, ...]:
    """An exercise is worth what it is worth to most students: one whose grading failed has 0 of 0."""
    core: dict[str, bool] = {}
    got: dict[str, list[float]] = defaultdict(list)
    worth: dict[str, float] = defaultdict(float)
    for r in results:
        for e in r.exercises:
            core.setdefault(e.id, e.core)
            got[e.id].append(e.score)
            worth[e.id] = max(worth[e.id], e.max_score)
    out = []
    for ex_id, is_core in core.items():
        scores = got[ex_id]
        full = sum(1 for s in scores if s >= worth[ex_id] - EPS) if worth[ex_id] > 0 else 0
        out.append(ExerciseStats(ex_id, is_core, worth[ex_id], len(scores), statistics.fmean(scores),
                                 statistics.median(scores), full))
    return tuple(out)


def item_analysis(results: Sequence[SubmissionResult]) -> tuple[ItemStats, ...]:
    """Per hidden test: pass rate, discrimination and flags, over the students it ran for."""
    totals = {r.student_id: sum(t.score for t in r.tests) for r in results}
    by_test: dict[str, list[tuple[str, object]]] = defaultdict(list)
    for r in results:
        for t in r.tests:
            by_test[t.nodeid].append((r.student_id, t))
    items = []
    for nodeid, rows in by_test.items():
        first = rows[0][1]
        passed = [t.passed for _, t in rows]
        rest = [totals[sid] - t.score for sid, t in rows]
        r_pb = point_biserial(passed, rest)
        flags = []
        if all(passed):
            flags.append(ALL_PASS)
        if not any(passed):
            flags.append(NONE_PASS)
        if r_pb is not None and r_pb < NEGATIVE_DISCRIMINATION:
            flags.append(NEGATIVE)
        if any(t.kind == Kind.GRADER for _, t in rows):
            flags.append(GRADER_FAULT)
        items.append(ItemStats(nodeid, first.name, first.exercise, first.max_score, len(rows),
                               sum(passed), r_pb, tuple(flags)))
    return tuple(items)


def frequent_mistakes(results: Sequence[SubmissionResult]) -> tuple[MistakeCount, ...]:
    students: dict[str, list[str]] = defaultdict(list)
    exercises: dict[str, dict[str, None]] = defaultdict(dict)
    for r in results:
        mine = {}
        for t in r.tests:
            if t.mistake and not t.passed:
                mine[t.mistake] = None
                exercises[t.mistake][t.exercise] = None
        for m in mine:
            students[m].append(r.student_id)
    ranked = sorted(students, key=lambda m: (-len(students[m]), m))
    return tuple(MistakeCount(m, tuple(students[m]), tuple(exercises[m])) for m in ranked)


def problems(results: Sequence[SubmissionResult]) -> tuple[Problem, ...]:
    out = []
    for r in results:
        hit = [t for t in r.tests if not t.passed and t.kind in ERROR_KINDS]
        if not (r.error or hit):
            continue
        kinds = tuple(k for k in ERROR_KINDS if any(t.kind == k for t in hit))
        reasons = tuple(dict.fromkeys(t.feedback for t in hit if t.feedback))
        out.append(Problem(r.student_id, r.error, kinds, reasons, len(hit)))
    return tuple(out)


def class_stats(results: Sequence[SubmissionResult]) -> ClassStats:
    """Everything the class report shows, from all students' results."""
    builder = ClassStatsBuilder()
    for r in results:
        builder.add(r)
    return builder.finish()


@dataclass(frozen=True, slots=True)
class _Record:
    """One student's part of the class statistics, without the texts of the result."""

    student_id: str
    assignment: str
    score: float
    max_score: float
    exercises: tuple[tuple[str, float, float, bool], ...]  # (id, score, max_score, core)
    total: float  # points of all tests
    tests: tuple[int, ...]  # each test's (nodeid, name, exercise, max_score), by ClassStatsBuilder.meta index
    scores: array  # each test's points ('d')
    flags: bytes  # each test: PASSED | GRADER bits
    mistakes: tuple[tuple[str, str], ...]  # (mistake, exercise) of each failed test that names one
    failed: int
    problem: Problem | None


_PASSED, _GRADER = 1, 2


class ClassStatsBuilder:
    """``class_stats`` one result at a time, in any order: each result is reduced to numbers (a
    ``_Record``, about a kilobyte) when it is added, so a class's results are never all held."""

    def __init__(self) -> None:
        self.records: list[_Record] = []
        self.meta: dict[tuple, int] = {}  # (nodeid, name, exercise, max_score) -> index
        self._shared: dict = {}  # one object for equal texts and test sequences

    def _one(self, x):
        return self._shared.setdefault(x, x)

    def add(self, r: SubmissionResult) -> None:
        one, meta = self._one, self.meta
        idx, scores, flags, mistakes, hit = [], array("d"), bytearray(), [], []
        total = 0
        for t in r.tests:
            passed = t.status == Status.PASSED
            idx.append(meta.setdefault((t.nodeid, t.name, t.exercise, t.max_score), len(meta)))
            scores.append(t.score)
            total += t.score
            flags.append((_PASSED if passed else 0) | (_GRADER if t.kind == Kind.GRADER else 0))
            if not passed:
                if t.mistake:
                    mistakes.append((one(t.mistake), one(t.exercise)))
                if t.kind in ERROR_KINDS:
                    hit.append(t)
        problem = None
        if r.error or hit:
            kinds = tuple(k for k in ERROR_KINDS if any(t.kind == k for t in hit))
            problem = Problem(r.student_id, r.error, kinds,
                              tuple(dict.fromkeys(t.feedback for t in hit if t.feedback)), len(hit))
        self.records.append(_Record(
            r.student_id, one(r.assignment), r.score, r.max_score,
            tuple(one((e.id, e.score, e.max_score, e.core)) for e in r.exercises), total, one(tuple(idx)),
            scores, bytes(flags), tuple(mistakes), len(r.tests) - sum(f & _PASSED for f in flags), problem))

    def finish(self) -> ClassStats:
        """The statistics of every result added, exactly as ``class_stats`` of them all (by student id)."""
        recs = sorted(self.records, key=lambda r: r.student_id)
        exercises = self._exercises(recs)
        probs = tuple(r.problem for r in recs if r.problem is not None)
        with_problem = {p.student_id for p in probs}
        rows = []
        for r in recs:
            by_id = {e[0]: e[1] for e in r.exercises}
            rows.append(StudentRow(r.student_id, r.score, r.max_score,
                                   tuple(by_id.get(e.id, 0.0) for e in exercises), r.failed,
                                   r.student_id in with_problem))
        scores = tuple(r.score for r in recs)
        max_score = max((r.max_score for r in recs), default=0.0)
        return ClassStats(
            assignment=recs[0].assignment if recs else "",
            scores=scores, score=score_stats(scores, max_score), exercises=exercises,
            items=self._items(recs), mistakes=self._mistakes(recs), problems=probs, students=tuple(rows))

    @staticmethod
    def _exercises(recs: list[_Record]) -> tuple[ExerciseStats, ...]:
        """As ``exercise_stats``."""
        core: dict[str, bool] = {}
        got: dict[str, list[float]] = defaultdict(list)
        worth: dict[str, float] = defaultdict(float)
        for r in recs:
            for ex_id, score, max_score, is_core in r.exercises:
                core.setdefault(ex_id, is_core)
                got[ex_id].append(score)
                worth[ex_id] = max(worth[ex_id], max_score)
        out = []
        for ex_id, is_core in core.items():
            scores = got[ex_id]
            full = sum(1 for s in scores if s >= worth[ex_id] - EPS) if worth[ex_id] > 0 else 0
            out.append(ExerciseStats(ex_id, is_core, worth[ex_id], len(scores), statistics.fmean(scores),
                                     statistics.median(scores), full))
        return tuple(out)

    def _items(self, recs: list[_Record]) -> tuple[ItemStats, ...]:
        """As ``item_analysis``: per test, its passes and the rest scores, as arrays."""
        metas = list(self.meta)
        totals = {r.student_id: r.total for r in recs}
        by_test: dict[str, tuple[tuple, bytearray, array, list[bool]]] = {}
        for r in recs:
            total = totals[r.student_id]
            for m, score, flag in zip(r.tests, r.scores, r.flags, strict=True):
                nodeid = metas[m][0]
                row = by_test.get(nodeid)
                if row is None:
                    row = by_test[nodeid] = (metas[m], bytearray(), array("d"), [False])
                row[1].append(flag & _PASSED)
                row[2].append(total - score)
                row[3][0] = row[3][0] or bool(flag & _GRADER)
        items = []
        for nodeid, ((_nid, name, exercise, max_score), passed, rest, grader) in by_test.items():
            r_pb = point_biserial(passed, rest)
            flags = []
            if all(passed):
                flags.append(ALL_PASS)
            if not any(passed):
                flags.append(NONE_PASS)
            if r_pb is not None and r_pb < NEGATIVE_DISCRIMINATION:
                flags.append(NEGATIVE)
            if grader[0]:
                flags.append(GRADER_FAULT)
            items.append(ItemStats(nodeid, name, exercise, max_score, len(passed), sum(passed), r_pb,
                                   tuple(flags)))
        return tuple(items)

    @staticmethod
    def _mistakes(recs: list[_Record]) -> tuple[MistakeCount, ...]:
        """As ``frequent_mistakes``."""
        students: dict[str, list[str]] = defaultdict(list)
        exercises: dict[str, dict[str, None]] = defaultdict(dict)
        for r in recs:
            mine = {}
            for m, ex in r.mistakes:
                mine[m] = None
                exercises[m][ex] = None
            for m in mine:
                students[m].append(r.student_id)
        ranked = sorted(students, key=lambda m: (-len(students[m]), m))
        return tuple(MistakeCount(m, tuple(students[m]), tuple(exercises[m])) for m in ranked)
