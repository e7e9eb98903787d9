"""Lets plain `pytest tests/` run the public tests in your assignment folder, without the engine.

`python -m autograder check` runs the same tests through the grading engine (your code in a
separate process, with a time limit per call) and ignores this file. Here, the fixtures call your
functions in the pytest process itself: ``student`` (your four files) and ``rng`` (seeded exactly
as in `autograder check`, so a failing input is the same in both).
"""

import sys
from pathlib import Path

TESTS = Path(__file__).resolve().parent
FOLDER = TESTS.parent  # the assignment folder: assignment.toml and your files
if str(FOLDER) not in sys.path:
    sys.path.insert(0, str(FOLDER))  # in the student bundle, autograder/ sits beside your files

import numpy as np  # noqa: E402
import pytest  # noqa: E402

from autograder.course.assignment import load_assignment  # noqa: E402
from autograder.testkit.plugin import MARKERS, seed_for  # noqa: E402
from autograder.sandbox.client import DirectStudent  # noqa: E402


def pytest_configure(config):
    for line in MARKERS.values():
        config.addinivalue_line("markers", line)


@pytest.fixture(scope="session")
def _your_code():
    student = DirectStudent(FOLDER, load_assignment(FOLDER).files_map())
    yield student
    student.close()


@pytest.fixture
def student(_your_code):
    return _your_code


def engine_nodeid(item) -> str:
    """The test's id as `autograder check` sees it (relative to tests/), whatever pytest's rootdir."""
    where = Path(item.path).resolve().relative_to(TESTS).as_posix()
    return f"{where}::{item.nodeid.split('::', 1)[1]}"


@pytest.fixture
def rng(request):
    return np.random.default_rng(seed_for(engine_nodeid(request.node)))
