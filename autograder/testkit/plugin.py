"""The pytest side of grading: fixtures for test authors, markers, and a loop over submissions.

Tests are collected once per grading process; then every collected test runs once per
submission, with the ``student`` fixture bound to that submission's worker. This is how
pytest-xdist's workers drive pytest (a custom ``pytest_runtestloop``), and it means there is no
pytest start-up per submission.

Fixtures: ``student`` (the submission: calls are requests to its worker), ``ref`` (the trusted
reference module; hidden tests only), ``rng`` (a generator seeded from the test's id).
Markers: ``exercise(id)``, ``points(p)``, ``visibility("visible"|"hidden"|...)``, ``main_result``
(the severity rule: autograder.author.severity).
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest

from autograder.course import i18n
from autograder.course.assignment import Assignment
from autograder.course.errors import StudentCodeError
from autograder.course.i18n import N_, _, docstring_title
from autograder.course.kinds import Kind, Status, Visibility
from autograder.course.results import SubmissionResult, TestResult, exercise_scores
from autograder.sandbox.client import ReferenceStudent, Student
from autograder.testkit import memo
from autograder.testkit.expect import GradingFailure

STATE = pytest.StashKey["GradingPlugin"]()
MARKERS = {
    "exercise": "exercise(id): the grade column this test counts towards",
    "points": "points(p): points for passing this test",
    "visibility": "visibility(v): Gradescope visibility of this test (default visible)",
    "main_result": "main_result: this test checks its exercise's main result (values on random inputs; "
                   "gradients, for backward functions); these carry at least half of the exercise's points",
}


@dataclass(frozen=True)
class Job:
    """One submission to grade: who, and how to reach their code."""

    student_id: str
    make_student: Callable[[], Student]
    notes: tuple[str, ...] = ()
    submission_hash: str = ""


def seed_for(nodeid: str) -> int:
    """A seed that depends only on the test's id (stable across runs, processes, machines)."""
    return int.from_bytes(hashlib.sha256(nodeid.encode()).digest()[:8], "little")


@pytest.fixture
def student(request) -> Student:
    return request.config.stash[STATE].current


@pytest.fixture
def rng(request) -> np.random.Generator:
    return np.random.default_rng(seed_for(request.node.nodeid))


@pytest.fixture(scope="session")
def ref(request) -> Any:
    module = request.config.stash[STATE].reference
    if module is None:
        pytest.fail("the reference implementation is not available here (public tests "
                    "must not use the ref fixture)")
    return module


class GradingPlugin:
    def __init__(self, assignment: Assignment, jobs: Iterable[Job],
                 on_result: Callable[[SubmissionResult], None], reference: Any = None,
                 assignment_hash: str = ""):
        self.assignment = assignment
        self.jobs = jobs
        self.on_result = on_result
        self.reference = reference
        self.assignment_hash = assignment_hash
        self.current: Student | None = None
        self.items: list[pytest.Item] = []
        self.outcomes: dict[str, TestResult] = {}
        self.collect_errors: list[str] = []
        self.broken_tests: dict[str, bool] = {}  # nodeid -> raises even with the reference as the student
        self._info: dict[tuple, tuple[str, float, str, str]] = {}

    # -- configuration and collection
    def pytest_configure(self, config: pytest.Config) -> None:
        config.stash[STATE] = self
        for line in MARKERS.values():
            config.addinivalue_line("markers", line)

    def pytest_collectreport(self, report) -> None:
        if report.failed:
            self.collect_errors.append(f"{report.nodeid}: {report.longreprtext}")

    def pytest_collection_modifyitems(self, items: list[pytest.Item]) -> None:
        ids = {e.id for e in self.assignment.exercises}
        for item in items:
            ex, pts = item.get_closest_marker("exercise"), item.get_closest_marker("points")
            if ex is None or pts is None or ex.args[0] not in ids:
                raise pytest.UsageError(
                    f"{item.nodeid}: every test needs @pytest.mark.exercise(<one of "
                    f"{sorted(ids)}>) and @pytest.mark.points(p)")
            if not float(pts.args[0]) > 0:
                raise pytest.UsageError(f"{item.nodeid}: points must be positive")

    # -- running: every collected test, once per submission
    @pytest.hookimpl(tryfirst=True)
    def pytest_runtestloop(self, session: pytest.Session) -> bool:
        if self.collect_errors:
            raise pytest.UsageError("the tests could not be collected:\n"
                                    + "\n".join(self.collect_errors))
        self.items = list(session.items)
        if not self.items:
            raise pytest.UsageError("no tests were collected")
        direct = [self._direct_args(item) for item in self.items]
        with memo.session():  # what the tests compute from the reference alone: once per session
            for job in self.jobs:
                self._grade(job, direct)
        return True

    def _grade(self, job: Job, direct: list[dict | None]) -> None:
        n = len(self.items)
        self.current = job.make_student()
        self.outcomes = {}
        try:
            for i, item in enumerate(self.items):
                if direct[i] is not None:
                    self._run_direct(item, direct[i])
                    continue
                nextitem = self.items[i + 1] if i + 1 < n else self.items[0]
                item.ihook.pytest_runtest_protocol(item=item, nextitem=nextitem)
        finally:
            self.current.close()
        self.on_result(self._result(job))

    def _direct_args(self, item: pytest.Item) -> dict | None:
        """The arguments of a test that needs only student/ref/rng and its parameters, else None.

        Such a test is called directly, without pytest's per-test fixture set-up and hooks
        (~1 ms a test, most of the grading time); it receives exactly what the fixtures would
        give, so its outcome is the same. Anything else runs through pytest's own protocol.
        """
        if not isinstance(item, pytest.Function) or item.get_closest_marker("usefixtures"):
            return None
        params = dict(getattr(getattr(item, "callspec", None), "params", {}))
        names = set(item.fixturenames)
        if not names <= {"student", "ref", "rng", "request"} | set(params):
            return None
        argnames = item._fixtureinfo.argnames
        if not set(argnames) <= names or "request" in argnames:
            return None
        return {"argnames": argnames, "params": params}

    def _run_direct(self, item: pytest.Function, spec: dict) -> None:
        values = dict(spec["params"])
        values["student"] = self.current
        values["ref"] = self.reference
        if "rng" in spec["argnames"]:
            values["rng"] = np.random.default_rng(seed_for(item.nodeid))
        if "ref" in spec["argnames"] and self.reference is None:
            self._record(item, "call", False, pytest.fail.Exception("no reference here"))
            return
        os.environ["PYTEST_CURRENT_TEST"] = f"{item.nodeid} (call)"  # as pytest sets it
        try:
            item.obj(**{name: values[name] for name in spec["argnames"]})
        except (KeyboardInterrupt, SystemExit):
            raise
        except BaseException as exc:  # noqa: BLE001 - pytest.fail/skip are BaseExceptions
            self._record(item, "call", False, exc, self._fails_on_the_reference(item, spec, exc))
            return
        finally:
            os.environ.pop("PYTEST_CURRENT_TEST", None)
        self._record(item, "call", True, None)

    def _fails_on_the_reference(self, item: pytest.Function, spec: dict, exc: BaseException) -> bool:
        """Whether an exception that is no verdict (not an assertion, not the student's error) comes from
        the test's own code: the test, run again with the reference as the student, raises too.

        Once per test and grading process (the answer depends only on the test and the reference)."""
        if (isinstance(exc, (AssertionError, StudentCodeError, pytest.skip.Exception, pytest.fail.Exception))
                or self.reference is None):
            return False
        if item.nodeid not in self.broken_tests:
            values = dict(spec["params"], student=ReferenceStudent(self.reference), ref=self.reference,
                          rng=np.random.default_rng(seed_for(item.nodeid)))
            try:
                item.obj(**{name: values[name] for name in spec["argnames"]})
                broken = False
            except (KeyboardInterrupt, SystemExit):
                raise
            except BaseException as again:  # noqa: BLE001
                broken = not isinstance(again, AssertionError)
            self.broken_tests[item.nodeid] = broken
        return self.broken_tests[item.nodeid]

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_makereport(self, item: pytest.Item, call: pytest.CallInfo) -> pytest.TestReport:
        """A lean report: the grade comes from the exception object, so pytest's long traceback
        text (tens of ms per failed test, never shown to anyone) is not built."""
        exc = call.excinfo
        if exc is None:
            outcome, longrepr = "passed", None
        elif exc.errisinstance(pytest.skip.Exception) and call.when != "call":
            outcome, longrepr = "skipped", (str(item.path), 0, str(exc.value))
        else:
            outcome, longrepr = "failed", f"{exc.typename}: {str(exc.value)[:500]}"
        report = pytest.TestReport(item.nodeid, item.location, {}, outcome, longrepr, call.when,
                                   duration=call.duration, start=call.start, stop=call.stop)
        if report.when == "call" or report.failed:
            self._record(item, report.when, report.passed and report.when == "call",
                         exc.value if exc is not None else None)
        return report

    def _record(self, item: pytest.Item, when: str, passed: bool, exc: BaseException | None,
                test_fault: bool = False) -> None:
        prev = self.outcomes.get(item.nodeid)
        if prev is not None and not prev.passed:
            return  # keep the first failure (setup before teardown)
        exercise, points, visibility, title = self._item_info(item)
        if passed:
            feedback, kind, mistake = "", Kind.NONE, ""
        elif when != "call" or test_fault or in_test_code(exc):
            feedback, kind, mistake = _(GRADER_FAULT), Kind.GRADER, ""
        else:
            feedback, kind, mistake = explain(exc)
        # A grader fault costs the student nothing: the test keeps its points, and is flagged.
        self.outcomes[item.nodeid] = TestResult(
            nodeid=item.nodeid, name=title, exercise=exercise,
            score=points if passed or kind == Kind.GRADER else 0.0, max_score=points,
            status=Status.PASSED if passed else Status.FAILED, feedback=feedback, kind=kind,
            mistake=mistake, visibility=visibility,
        )

    def _item_info(self, item: pytest.Item) -> tuple[str, float, str, str]:
        """(exercise, points, visibility, title in the active language) of a test: its markers, read
        once per grading process instead of once per submission."""
        key = (item.nodeid, i18n.active())
        info = self._info.get(key)
        if info is None:
            exercise = item.get_closest_marker("exercise").args[0]
            vis = item.get_closest_marker("visibility")
            info = (exercise, float(item.get_closest_marker("points").args[0]),
                    vis.args[0] if vis else Visibility.VISIBLE, test_title(item, exercise))
            self._info[key] = info
        return info

    def _result(self, job: Job) -> SubmissionResult:
        tests = tuple(self.outcomes[item.nodeid] for item in self.items
                      if item.nodeid in self.outcomes)
        exercises = [(e.id, e.core) for e in self.assignment.exercises]
        return SubmissionResult(
            student_id=job.student_id, assignment=self.assignment.name, tests=tests,
            exercises=exercise_scores(tests, exercises), notes=job.notes,
            layers=tuple(getattr(self.current, "layers", ())),
            submission_hash=job.submission_hash, assignment_hash=self.assignment_hash,
            lang=i18n.current(),
        )


def test_title(item: pytest.Item, exercise: str) -> str:
    """'sigmoid: values on random inputs [2-D]' from the docstring's first line and the params, in the
    active language (the catalogues hold docstring titles; a parameter id is looked up as it is)."""
    title = docstring_title(getattr(item.function, "__doc__", None))
    title = _(title) if title else item.originalname.removeprefix("test_").replace("_", " ")
    callspec = getattr(item, "callspec", None)
    suffix = f" [{_(callspec.id)}]" if callspec is not None else ""
    return f"{exercise}: {title}{suffix}"


GRADER_FAULT = N_("This test could not be run (a fault in the grader, not in your code): it costs you no "
                  "points, and your TA sees it.")
# Exceptions that say the test's code is wrong, whatever the student returned.
_PROGRAMMING_ERRORS = (NameError, ImportError, SyntaxError, pytest.FixtureLookupError)


def in_test_code(exc: BaseException | None) -> bool:
    """``exc`` is a programming error (an undefined name, a failed import, a missing fixture) in the
    tests' own code: never the student's doing (their errors arrive as StudentCodeError)."""
    return isinstance(exc, _PROGRAMMING_ERRORS) and not isinstance(exc, StudentCodeError)


def explain(exc: BaseException | None) -> tuple[str, Kind, str]:
    """(student-facing feedback, kind, mistake) for a failed test."""
    if isinstance(exc, GradingFailure):
        return str(exc), Kind.WRONG, exc.mistake or ""
    if isinstance(exc, StudentCodeError):
        return exc.summary, exc.kind, ""
    if isinstance(exc, AssertionError):
        return _("Your result did not pass this check."), Kind.WRONG, ""
    if isinstance(exc, (pytest.skip.Exception, pytest.fail.Exception)):
        return _(GRADER_FAULT), Kind.GRADER, ""
    if exc is not None:
        text = str(exc).splitlines()[0][:200] if str(exc) else ""
        if text:
            why = _("The test could not use your result ({error}: {text}).")
        else:
            why = _("The test could not use your result ({error}).")
        return why.format(error=type(exc).__name__, text=text), Kind.UNUSABLE, ""
    return _("This test failed."), Kind.WRONG, ""
