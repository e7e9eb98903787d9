"""One grading session: collect the tests once, run them for every submission handed in.

Runs in a trusted process (the TA's grading process, or the student's own for the self-check);
student code runs only in the workers that ``Job.make_student`` starts.
"""

from __future__ import annotations

import hashlib
import importlib.util
import sys
from collections.abc import Callable, Iterable
from pathlib import Path
from types import ModuleType

import pytest

from autograder import __version__
from autograder.course.assignment import Assignment, Secrets
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


def tree_hash(paths: Iterable[Path], root: Path) -> str:
    """sha256 over (relative path, bytes) of every file, in sorted order."""
    h = hashlib.sha256()
    for p in sorted(paths):
        if p.is_file() and "__pycache__" not in p.parts:
            h.update(str(p.relative_to(root)).encode() + b"\0")
            h.update(p.read_bytes() + b"\0")
    return h.hexdigest()


def assignment_hash(assignment: Assignment, secrets: Iterable[Path] = (), lang: str = "en") -> str:
    """Changes when assignment.toml, the hidden tests or reference, or the grader change; and with
    the language of the feedback (pass its catalogues in ``secrets``: a fixed translation regrades)."""
    h = hashlib.sha256(__version__.encode())
    if lang != "en":  # English results of earlier versions stay current
        h.update(f"lang={lang}".encode())
    h.update(tree_hash([assignment.folder / "assignment.toml"], assignment.folder).encode())
    for p in secrets:
        files = list(p.rglob("*")) if p.is_dir() else [p]
        h.update(tree_hash(files, p if p.is_dir() else p.parent).encode())
    return h.hexdigest()[:16]


def grading_hash(assignment: Assignment, secrets: Secrets, lang: str) -> str:
    """The assignment hash of results graded in ``lang``: reference, hidden tests, and the catalogues."""
    from autograder.course import i18n

    catalogues = i18n.catalogues(lang, (secrets.locale, assignment.locale))
    return assignment_hash(assignment, (secrets.reference, secrets.hidden_tests, *catalogues), lang)


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
    code = pytest.main(args, plugins=[plugin])
    if code not in (pytest.ExitCode.OK, pytest.ExitCode.TESTS_FAILED):
        raise GraderError(f"the tests in {tests} could not be run (pytest exit code {int(code)})")
