"""The student bundle: what it holds, what it never holds, and that it is reproducible."""

from __future__ import annotations

import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from tiny_course import REPO

from autograder.author.release import release
from autograder.author.stubs import build_assignment
from autograder.course.errors import StaleStubsError

SECRET = "SECRET-7f3a91c2-reference-only"
B = "### BEGIN " + "SOLUTION"  # in pieces, so a grep for markers finds only solutions/
E = "### END " + "SOLUTION"
SECRET_NAMES = re.compile(r"(^|/)(solutions?|reference|hidden)(/|$)", re.IGNORECASE)


def write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


@pytest.fixture
def course(tmp_path: Path) -> Path:
    """A tiny course: one assignment with its solution, reference, hidden tests and an engine."""
    root = tmp_path / "course"
    write(
        root / "solutions" / "hwX" / "act.py",
        f'def relu(x):\n    """max(0, x)."""\n    {B}\n    return max(0, x)  # {SECRET}\n    {E}\n',
    )
    write(root / "reference" / "hwX" / "act_reference.py", f"# {SECRET}\n")
    write(root / "reference" / "hwX" / "test_hidden.py", f"# {SECRET}\n")
    stubs = root / "assignments" / "hwX"
    build_assignment(root / "solutions" / "hwX", stubs)
    write(stubs / "README.md", "# hwX\n")
    write(stubs / "assignment.toml", 'name = "hwX"\n')
    write(stubs / "tests" / "conftest.py", "import pytest\n")
    write(stubs / "tests" / "test_public.py", "def test_nothing():\n    pass\n")
    write(stubs / "tests" / "__pycache__" / "test_public.cpython-311.pyc", "junk")
    write(stubs / ".pytest_cache" / "README.md", "junk")
    write(root / "autograder" / "__init__.py", "")
    write(root / "autograder" / "stray.pyc", "junk")
    write(root / "autograder" / "__pycache__" / "__init__.cpython-311.pyc", "junk")
    return root


def test_bundle_holds_stubs_statement_tests_and_engine(course: Path, tmp_path: Path) -> None:
    path = release(course, "hwX", tmp_path / "out")
    assert path == tmp_path / "out" / "hwX.zip"
    with zipfile.ZipFile(path) as bundle:
        assert bundle.testzip() is None
        assert bundle.namelist() == [
            "hwX/README.md",
            "hwX/act.py",
            "hwX/assignment.toml",
            "hwX/autograder/__init__.py",
            "hwX/tests/conftest.py",
            "hwX/tests/test_public.py",
        ]
        for info in bundle.infolist():
            assert info.date_time == (1980, 1, 1, 0, 0, 0)
            assert (info.external_attr >> 16) & 0o777 == 0o644
        stub = bundle.read("hwX/act.py").decode()
    assert '"""max(0, x)."""' in stub
    assert 'raise NotImplementedError("relu: write your code here")' in stub


def test_bundle_holds_nothing_secret(course: Path, tmp_path: Path) -> None:
    with zipfile.ZipFile(release(course, "hwX", tmp_path / "out")) as bundle:
        for info in bundle.infolist():
            assert not SECRET_NAMES.search(info.filename), info.filename
            data = bundle.read(info)
            assert SECRET.encode() not in data, info.filename
            assert b"BEGIN SOLUTION" not in data and b"END SOLUTION" not in data, info.filename


def test_two_releases_are_byte_identical(course: Path, tmp_path: Path) -> None:
    first = release(course, "hwX", tmp_path / "one").read_bytes()
    for path in course.rglob("*"):
        path.touch()  # new mtimes must not change the bundle
    assert release(course, "hwX", tmp_path / "two").read_bytes() == first


def test_stale_stub_is_refused(course: Path, tmp_path: Path) -> None:
    write(course / "assignments" / "hwX" / "act.py", "def relu(x):\n    return x\n")
    with pytest.raises(StaleStubsError, match=r"act\.py.*make assignments"):
        release(course, "hwX", tmp_path / "out")
    assert not (tmp_path / "out" / "hwX.zip").exists()


def test_missing_stub_is_refused(course: Path, tmp_path: Path) -> None:
    (course / "assignments" / "hwX" / "act.py").unlink()
    with pytest.raises(StaleStubsError, match="make assignments"):
        release(course, "hwX", tmp_path / "out")


@pytest.mark.parametrize(
    ("relative", "named"),
    [
        ("tests/hidden/test_x.py", "'hidden'"),
        ("Solutions/act.py", "'Solutions'"),
        ("reference.py", "'reference.py'"),
        ("tests/test_hidden_cases.py", "'test_hidden_cases.py'"),
    ],
)
def test_secret_looking_names_are_refused(
    course: Path, tmp_path: Path, relative: str, named: str
) -> None:
    write(course / "assignments" / "hwX" / relative, "x = 1\n")
    with pytest.raises(ValueError, match=f"refusing to release .*{re.escape(named)}"):
        release(course, "hwX", tmp_path / "out")


def test_secret_names_in_the_engine_are_refused(course: Path, tmp_path: Path) -> None:
    write(course / "autograder" / "solution.py", "x = 1\n")
    with pytest.raises(ValueError, match=r"solution\.py"):
        release(course, "hwX", tmp_path / "out")


def test_marker_in_a_shipped_file_is_refused(course: Path, tmp_path: Path) -> None:
    write(course / "assignments" / "hwX" / "tests" / "test_public.py", f"{B}\nx = 1\n{E}\n")
    with pytest.raises(ValueError, match=r"test_public\.py.*marker"):
        release(course, "hwX", tmp_path / "out")


def test_symlink_into_the_secrets_is_refused(course: Path, tmp_path: Path) -> None:
    link = course / "assignments" / "hwX" / "extra.txt"
    link.symlink_to(course / "reference" / "hwX" / "act_reference.py")
    with pytest.raises(ValueError, match=r"symbolic link.*extra\.txt"):
        release(course, "hwX", tmp_path / "out")


@pytest.mark.parametrize("name", ["../solutions/hwX", "", "hidden"])
def test_bad_assignment_names_are_refused(course: Path, tmp_path: Path, name: str) -> None:
    with pytest.raises(ValueError, match="assignment name"):
        release(course, name, tmp_path / "out")


def test_real_hw07_bundle_has_no_solutions(tmp_path: Path) -> None:
    if not list((REPO / "solutions" / "hw07").glob("*.py")) or not list(
        (REPO / "assignments" / "hw07").glob("*.py")
    ):
        pytest.fail(f"no hw07 solution files or stubs in {REPO}: run make assignments")
    path = release(REPO, "hw07", tmp_path / "out")
    with zipfile.ZipFile(path) as bundle:
        bundle.extractall(tmp_path / "unzipped")
        for info in bundle.infolist():
            assert not SECRET_NAMES.search(info.filename), info.filename
            assert B.encode() not in bundle.read(info), info.filename
    folder = tmp_path / "unzipped" / "hw07"
    assert sorted(p.name for p in folder.glob("*.py"))
    assert (folder / "autograder" / "__init__.py").is_file()
    # The engine must be importable from inside the unzipped folder, without the repo on the path.
    probe = subprocess.run(
        [sys.executable, "-E", "-s", "-c", "import autograder; print(autograder.__file__)"],
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert probe.returncode == 0, probe.stderr
    assert Path(probe.stdout.strip()).resolve() == (folder / "autograder" / "__init__.py").resolve()
