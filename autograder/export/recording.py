"""The calls a test suite makes into a submission, answered by the reference and written down.

Tools that run tests inside the student's notebook (otter-grader) cannot use our ``student`` and
``ref`` fixtures. Instead, the test suite is run once against a ``RecordingStudent``: every call
``student.f(*args)`` is answered by the trusted reference in this process and kept as (arguments,
result, arguments after the call). An exporter turns those records into literal checks, so
expected values are computed at export time and the reference itself never ships.
"""

from __future__ import annotations

import copy
import os
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np

from autograder.course import errors
from autograder.course.assignment import Assignment
from autograder.course.results import TestResult
from autograder.sandbox.client import Call, Student


@dataclass(frozen=True)
class Recorded:
    """One call: ``function(*args, **kwargs)`` returned ``value`` and left ``args_after``."""

    function: str
    args: tuple
    kwargs: dict
    value: Any
    args_after: tuple
    kwargs_after: dict
    quiet: bool  # the test looked at the call itself (warnings, output): no warning allowed

    @property
    def mutates(self) -> bool:
        return not (same(self.args, self.args_after) and same(self.kwargs, self.kwargs_after))


@dataclass(frozen=True)
class RecordedTest:
    """A test of the suite, with what it asked of the submission."""

    result: TestResult  # its name, exercise, points and visibility (as run on the reference)
    calls: tuple[Recorded, ...] = field(default=())


def same(a: Any, b: Any) -> bool:
    """Exactly equal values (arrays: same dtype, shape and bits; nan equals nan)."""
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return (isinstance(a, np.ndarray) and isinstance(b, np.ndarray) and a.dtype == b.dtype
                and a.shape == b.shape and bool(np.array_equal(a, b, equal_nan=a.dtype.kind in "fc")))
    if isinstance(a, (tuple, list)):
        return type(a) is type(b) and len(a) == len(b) and all(map(same, a, b))
    if isinstance(a, dict):
        return isinstance(b, dict) and a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if isinstance(a, float) and isinstance(b, float) and a != a and b != b:
        return True
    return type(a) is type(b) and a == b


def _current_test() -> str:
    """The node id of the running test (pytest sets PYTEST_CURRENT_TEST: '<nodeid> (call)')."""
    return os.environ.get("PYTEST_CURRENT_TEST", "").rsplit(" (", 1)[0]


class RecordingStudent(Student):
    """A submission that is the reference: calls are answered in this process and recorded."""

    layers: tuple[str, ...] = ()  # no worker, so no isolation layers

    def __init__(self, reference: ModuleType, functions: Sequence[str]):
        self.reference = reference
        self.functions = frozenset(functions)
        self.calls: dict[str, list[Recorded]] = {}

    def _run(self, name: str, args: tuple, kwargs: dict, quiet: bool) -> Call:
        if name not in self.functions or not hasattr(self.reference, name):
            raise errors.MissingFunction(name, f"{name} is not a function of the assignment.")
        before = copy.deepcopy((args, kwargs))
        a, k = copy.deepcopy((args, kwargs))
        with warnings.catch_warnings(record=True) as caught, np.errstate(all="warn", under="ignore"):
            warnings.simplefilter("always")
            try:
                value = getattr(self.reference, name)(*a, **k)
            except Exception as exc:  # noqa: BLE001 - a test may probe bad input on purpose
                raise errors.StudentRaised(name, type(exc).__name__, str(exc), "") from None
        self.calls.setdefault(_current_test(), []).append(
            Recorded(name, before[0], before[1], copy.deepcopy(value), a, k, quiet))
        found = tuple(f"{w.category.__name__}: {w.message}" for w in caught)
        return Call(value, a, k, found, "")

    def call(self, name: str, *args: Any, **kwargs: Any) -> Call:
        return self._run(name, args, kwargs, quiet=True)

    def many(self, name: str, batch: Sequence[tuple]) -> list:
        return [self._run(name, tuple(args), {}, quiet=False).value for args in batch]

    def __getattr__(self, name: str):
        if name.startswith("_"):
            raise AttributeError(name)

        def forward(*args, **kwargs):
            return self._run(name, args, kwargs, quiet=False).value

        forward.__name__ = name
        return forward


def record(tests: Path, assignment: Assignment, reference: ModuleType) -> list[RecordedTest]:
    """Run the tests in ``tests`` against the reference; each test with the calls it made."""
    from autograder.testkit.plugin import Job
    from autograder.testkit.session import run_session

    functions = [fn for fns in assignment.files.values() for fn in fns]
    student = RecordingStudent(reference, functions)
    results = []
    run_session(Path(tests), assignment, [Job("reference", lambda: student)], results.append, reference)
    return [RecordedTest(t, tuple(student.calls.get(t.nodeid, ()))) for t in results[0].tests]
