"""One grading session: collect the tests once, run them for every submission handed in.

Runs in a trusted process (the TA's grading process, or the student's own for the self-check);
student code runs only in the workers that ``Job.make_student`` starts.
"""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Callable, Iterable
from pathlib import Path
from types import ModuleType

import pytest

from autograder.course.assignment import Assignment
from autograder.course.errors import GraderError
from autograder.course.results import SubmissionResult
from autograder.testkit.plugin import GradingPlugin, Job

_INI = Path(__file__).with_name("grading.ini")
# The session needs no plugin installed beside pytest (a Jupyter environment auto-loads anyio, ...:
# ~0.3 s at every start), nor pytest's own reporting and debugging plugins.
UNUSED_PLUGINS = ("doctest", "junitxml", "pastebin", "stepwise", "setuponly", "setupplan", "nose",
                  "debugging", "faulthandler", "legacypath", "cacheprovider", "terminal", "warnings",
                  "logging")


def load_reference(path: Path) -> ModuleType:
    """Import the trusted reference implementation by path (grading process only)."""
    name = f"_autograder_reference_{Path(path).stem}"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def run_session(tests: Path, assignment: Assignment, jobs: Iterable[Job],
                on_result: Callable[[SubmissionResult], None], reference: ModuleType | None = None,
                assignment_hash: str = "") -> None:
    """Collect ``tests`` (a folder, or one test file in it) once and run them for each job; results
    go to ``on_result``. Test ids are relative to the folder either way, so are the seeds."""
    plugin = GradingPlugin(assignment, jobs, on_result, reference, assignment_hash)
    root = tests if Path(tests).is_dir() else Path(tests).parent
    args = [
        str(tests), "-c", str(_INI), "--rootdir", str(root), "--noconftest",
        "-p", "autograder.testkit.plugin", "--capture=no", "--disable-plugin-autoload",
        *(a for name in UNUSED_PLUGINS for a in ("-p", f"no:{name}")),
    ]
    before = set(sys.modules)
    try:
        code = pytest.main(args, plugins=[plugin])
    finally:  # a later session in this process, on another folder, imports its own tests
        forget_modules_under(root, before)
    if code not in (pytest.ExitCode.OK, pytest.ExitCode.TESTS_FAILED):
        raise GraderError(f"the tests in {tests} could not be run (pytest exit code {int(code)})")


def forget_modules_under(folder: Path, before: set[str]) -> None:
    """Drop the test modules a session imported from ``folder`` (pytest imports them by basename),
    so that a later session in this process, on another folder, imports its own tests instead of
    failing with pytest's 'import file mismatch'."""
    folder = Path(folder).resolve()
    for name in set(sys.modules) - before:
        file = getattr(sys.modules.get(name), "__file__", None)
        if file and Path(file).resolve().is_relative_to(folder):
            sys.modules.pop(name, None)
