"""Correct code gets full marks and passes the self-check: the variant corpus (tests/variants/).

Every variant is the solution with one graded function replaced by an independently written
correct version of it (numpy scalars or 0-d arrays, np.where or masks, tanh-based sigmoid,
logsumexp softmax, np.subtract(out=), p[...] -= ...). All of them are graded in one batch with
the hidden tests and run through the public tests as `autograder check` runs them.
"""

import re
from pathlib import Path

import pytest
from tiny_course import REPO

from autograder.audit.suite_run import Suite, run_suite
from autograder.author.splice import replace_function, solution_files, write_submission
from autograder.course.assignment import find_assignment
from autograder.grading.batch import grade_class

VARIANTS = REPO / "tests" / "variants"
A, SECRETS = find_assignment(REPO, "hw07")
GRADED = [e.function for e in A.exercises]
SECTION = re.compile(r"^# ---- (\w+)\n", re.M)


def variants(function: str) -> dict[str, str]:
    """name -> code of each section of tests/variants/<function>.py."""
    text = (VARIANTS / f"{function}.py").read_text(encoding="utf-8")
    parts = SECTION.split(text)[1:]
    return dict(zip(parts[::2], parts[1::2], strict=True))


def corpus(dest: Path) -> dict[str, Path]:
    """One submission folder per variant: ``<function>__<variant>``."""
    base = solution_files(REPO, "hw07", list(A.files))
    file_of = {fn: f for f, fns in A.files.items() for fn in fns}
    out = {}
    for function in GRADED:
        for name, code in variants(function).items():
            files = dict(base)
            files[file_of[function]] = replace_function(files[file_of[function]], function, code)
            sid = f"{function}__{name}"
            out[sid] = write_submission(dest / sid, files)
    return out


def test_at_least_ten_variants_of_every_graded_function():
    for function in GRADED:
        found = variants(function)
        assert len(found) >= 10, (function, sorted(found))
        for name, code in found.items():
            assert re.search(rf"^def {function}\(", code, re.M), (function, name)


@pytest.fixture(scope="module")
def subs(tmp_path_factory):
    dest = tmp_path_factory.mktemp("variants")
    return dest, corpus(dest)


def _failures(r) -> str:
    return " | ".join(f"{t.name}: {t.feedback}" for t in r.tests if not t.passed) or r.error


@pytest.mark.slow
def test_every_variant_gets_full_marks(subs, tmp_path):
    dest, folders = subs
    cr = grade_class(dest, REPO, "hw07", tmp_path / "out", jobs=2, progress=False)
    results = {r.student_id: r for r in cr.results}
    assert sorted(results) == sorted(folders)
    bad = {sid: _failures(r) for sid, r in results.items() if r.score != r.max_score or r.error}
    assert not bad, bad


@pytest.mark.slow
def test_every_variant_passes_every_public_test(subs):
    _dest, folders = subs
    results = run_suite(Suite(A.public_tests, A.folder, None, (A.locale,)), folders, jobs=2)
    assert sorted(results) == sorted(folders)
    bad = {sid: _failures(r) for sid, r in results.items() if not all(t.passed for t in r.tests) or r.error}
    assert not bad, bad
