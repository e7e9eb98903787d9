"""The student's self-check end to end: real assignment folders, the real public tests, real workers.

`autograder check` on the solution passes, on the stubs fails with "not implemented", on a syntax
error names the file and line; plain pytest gives the same verdicts; and the released bundle
carries everything the self-check needs.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import zipfile
from pathlib import Path

from tiny_course import REPO, copy_assignment, put_solution

from autograder.cli import main

ASSIGNMENT = REPO / "assignments" / "hw07"


def check(folder: Path, capsys) -> tuple[int, str]:
    code = main(["check", str(folder)])
    out, err = capsys.readouterr()
    return code, out + err


def plain_pytest(folder: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(folder / "tests")],
        cwd=folder, capture_output=True, text=True, timeout=300,
    )


def test_the_assignment_ships_its_public_tests_and_plain_pytest_support() -> None:
    tests = ASSIGNMENT / "tests"
    assert (tests / "conftest.py").is_file()
    assert sorted(p.name for p in tests.glob("test_*.py")) == [
        "test_activations.py", "test_gates.py", "test_logreg.py", "test_optim.py"]


def test_solution_passes_every_public_test(tmp_path: Path, capsys) -> None:
    folder = put_solution(copy_assignment(tmp_path / "hw07"))
    code, out = check(folder, capsys)
    assert code == 0, out
    assert re.search(r"All \d+ public tests passed\.", out), out
    assert "FAIL" not in out
    assert "hidden tests were not run" in out
    for exercise in ("sigmoid", "mul_backward", "max_backward", "sgd_step", "train_softmax_regression"):
        assert re.search(rf"(?m)^ok +{exercise} +\d+/\d+ public tests passed$", out), exercise


def test_every_exercise_has_a_public_test(tmp_path: Path, capsys) -> None:
    from autograder.course.assignment import load_assignment

    folder = copy_assignment(tmp_path / "hw07")
    _, out = check(folder, capsys)
    for e in load_assignment(folder).exercises:
        assert re.search(rf"(?m)^FAIL +{e.id} +0/[1-9]\d* public tests passed$", out), e.id


def test_stubs_fail_and_say_not_implemented(tmp_path: Path, capsys) -> None:
    folder = copy_assignment(tmp_path / "hw07")
    code, out = check(folder, capsys)
    assert code == 1, out
    assert "sigmoid is not implemented yet" in out
    assert "activations.py, line" in out
    assert "hidden tests were not run" in out
    assert re.search(r"(?m)^0/\d+ public tests passed\.$", out), out


def test_a_syntax_error_names_the_file_and_line(tmp_path: Path, capsys) -> None:
    folder = put_solution(copy_assignment(tmp_path / "hw07"))
    lines = (folder / "gates.py").read_text(encoding="utf-8").splitlines(keepends=True)
    n = next(i for i, line in enumerate(lines) if line.startswith("def mul_backward"))
    lines[n] = "def mul_backward(dout, cache)\n"  # the colon is missing
    (folder / "gates.py").write_text("".join(lines), encoding="utf-8")

    code, out = check(folder, capsys)
    assert code == 1, out
    assert f"gates.py, line {n + 1}" in out, out
    assert "SyntaxError" in out
    assert re.search(r"(?m)^ok +sigmoid +", out), "the other files are still checked"
    assert re.search(r"(?m)^FAIL +mul_backward +0/", out)


def test_a_folder_without_assignment_toml_is_one_clear_line(tmp_path: Path, capsys) -> None:
    empty = tmp_path / "not-an-assignment"
    empty.mkdir()
    code = main(["check", str(empty)])
    out, err = capsys.readouterr()
    assert code == 2
    assert out == ""
    assert len(err.strip().splitlines()) == 1, err
    assert "assignment.toml" in err and str(empty) in err


def test_plain_pytest_runs_the_same_public_tests(tmp_path: Path) -> None:
    solved = plain_pytest(put_solution(copy_assignment(tmp_path / "solved")))
    assert solved.returncode == 0, solved.stdout + solved.stderr
    assert re.search(r"\b\d+ passed\b", solved.stdout) and "failed" not in solved.stdout

    stubs = plain_pytest(copy_assignment(tmp_path / "stubs"))
    assert stubs.returncode == 1, stubs.stdout + stubs.stderr
    assert "not implemented" in stubs.stdout
    assert re.search(r"\b\d+ failed\b", stubs.stdout) and " passed" not in stubs.stdout


def test_the_released_bundle_runs_its_own_self_check(tmp_path: Path, capsys) -> None:
    assert main(["release", "hw07", "--out", str(tmp_path / "dist"), "--course", str(REPO)]) == 0
    capsys.readouterr()
    with zipfile.ZipFile(tmp_path / "dist" / "hw07.zip") as bundle:
        bundle.extractall(tmp_path / "unzipped")
    folder = put_solution(tmp_path / "unzipped" / "hw07")
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}

    probe = subprocess.run([sys.executable, "-c", "import autograder; print(autograder.__file__)"],
                           cwd=folder, env=env, capture_output=True, text=True, timeout=60)
    assert Path(probe.stdout.strip()).resolve() == (folder / "autograder" / "__init__.py").resolve(), (
        "the check below must run the bundle's own engine")

    run = subprocess.run([sys.executable, "-m", "autograder", "check"], cwd=folder, env=env,
                         capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stdout + run.stderr
    assert re.search(r"All \d+ public tests passed\.", run.stdout)
    assert "hidden tests were not run" in run.stdout
