"""autograder export otter: the master notebook, run through the real otter-grader.

One ``otter assign`` and two ``otter run`` (solution: full marks; a mutant: less), with otter's own
command-line tools from this venv, no Docker. Each otter run starts a kernel and runs the notebook:
about 25 s in all on an idle 2-core machine.
"""

import ast
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import numpy as np
import pytest
from tiny_course import REPO

from autograder.cli import main
from autograder.course.assignment import find_assignment
from autograder.course.errors import ExportError
from autograder.export.otter import export_otter, literal, split_module
from autograder.export.recording import record
from autograder.testkit.session import load_reference

BIN = Path(sys.executable).parent


def otter(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"}
    r = subprocess.run([str(BIN / "otter"), *args], cwd=cwd, env=env, capture_output=True, text=True,
                       timeout=300)
    assert r.returncode == 0, f"otter {' '.join(args)}:\n{r.stdout[-3000:]}\n{r.stderr[-3000:]}"
    return r


@pytest.fixture(scope="module")
def assigned(tmp_path_factory) -> Path:
    """export otter, then otter assign: DIR/dist/{student,autograder}/."""
    out = tmp_path_factory.mktemp("otter")
    master = export_otter(REPO, "hw07", out)
    # --no-run-tests: otter assign would run the solution against the tests; otter run does below
    otter("assign", "--no-run-tests", master.name, "dist", cwd=out)
    return out


def hidden_points() -> float:
    """The hidden tests' points: the max_score of autograder grade."""
    a, secrets = find_assignment(REPO, "hw07")
    return sum(t.result.max_score for t in record(secrets.hidden_tests, a, load_reference(secrets.reference)))


def otter_score(assigned: Path, notebook: Path, name: str) -> tuple[float, float, dict]:
    """otter run on ``notebook``: (score, max score, {question: (score, max score)})."""
    [zip_path] = (assigned / "dist" / "autograder").glob("hw07-autograder_*.zip")
    out = assigned / f"run-{name}"
    out.mkdir()
    otter("run", "-a", str(zip_path), "-o", str(out), "--no-logo", str(notebook), cwd=assigned)
    doc = json.loads((out / "results.json").read_text(encoding="utf-8"))
    per = {t["name"]: (t.get("score"), t["max_score"]) for t in doc["tests"] if t.get("max_score")}
    score = sum(t.get("score") or 0 for t in doc["tests"])
    return score, sum(t.get("max_score") or 0 for t in doc["tests"]), per


def test_solution_gets_full_marks(assigned):
    score, max_score, _ = otter_score(assigned, assigned / "dist" / "autograder" / "hw07.ipynb", "solution")
    assert score == max_score == hidden_points()


def test_a_mutant_gets_less(assigned):
    """The solution notebook with softmax's max shift removed loses softmax's points (and, as otter
    has no trusted stand-ins, those of what calls softmax)."""
    nb = nbformat.read(assigned / "dist" / "autograder" / "hw07.ipynb", as_version=4)
    [cell] = [c for c in nb.cells if c.cell_type == "code" and c.source.startswith("def softmax(")]
    shifted = "np.exp(z - z.max(axis=axis, keepdims=True))"
    assert shifted in cell.source
    cell.source = cell.source.replace(shifted, "np.exp(z)")
    mutant = assigned / "mutant" / "hw07.ipynb"
    mutant.parent.mkdir()
    nbformat.write(nb, mutant)
    score, max_score, per = otter_score(assigned, mutant, "mutant")
    assert 0 < score < max_score
    got = {q: s == m for q, (s, m) in per.items()}
    assert not got["softmax"] and got["sigmoid"] and got["mul_backward"] and got["sgd_step"]


def test_the_student_notebook_has_no_solution_and_no_hidden_test(assigned):
    student = (assigned / "dist" / "student" / "hw07.ipynb").read_text(encoding="utf-8")
    assert "z.max(axis=axis" not in student  # softmax's solution line
    assert "HIDDEN" not in student and "no floating-point warning for |x| up to 1e4" not in student
    assert "check_call(" in student  # the public tests are there
    master = (assigned / "hw07.ipynb").read_text(encoding="utf-8")
    assert "hw07_reference" not in master and "ref." not in master


def test_the_master_notebook_is_deterministic(assigned, tmp_path):
    again = export_otter(REPO, "hw07", tmp_path)
    assert again.read_bytes() == (assigned / "hw07.ipynb").read_bytes()


@pytest.mark.parametrize("value", [
    np.array([[1.5, -0.0], [np.nan, -np.inf]]), np.array(0.25), np.array([1, 2], dtype=np.int64),
    np.zeros((0, 3)), np.array([True, False]), (1.0, None, {"W": np.ones(2)}), [3, "x"], float("inf"),
    np.float64(2.5),
])
def test_literal_round_trips(value):
    back = eval(literal(value), {"np": np})  # noqa: S307 - our own output, in a test
    assert type(back) is type(value)
    if isinstance(value, np.ndarray):
        assert back.dtype == value.dtype and back.shape == value.shape
        assert np.array_equal(back, value, equal_nan=value.dtype.kind == "f")
    elif isinstance(value, float):
        assert back == value
    else:
        assert repr(back) == repr(value)


def test_split_module_keeps_end_marker_and_drops_imports_between_student_files():
    begin, end = "### BEGIN " + "SOLUTION", "### END " + "SOLUTION"  # in pieces: grep finds solutions/ only
    doc, other, functions = split_module(
        '"""Doc."""\n\nimport numpy as np\nfrom activations import softmax\n\n\n'
        f'def f(x):\n    """f."""\n    {begin}\n    return x\n    {end}\n\n\n'
        'def g(x):\n    return x\n', ["activations", "optim"])
    assert doc == "Doc." and other == ["import numpy as np"]
    assert functions["f"].splitlines()[-1] == f"    {end}"
    assert list(functions) == ["f", "g"]
    ast.parse(functions["f"])


def test_a_hidden_test_that_calls_nothing_is_refused(tmp_path):
    """Its points could not be earned in otter, so otter's max score would differ from ours."""
    for part in ("assignments", "reference", "solutions"):
        shutil.copytree(REPO / part / "hw07", tmp_path / part / "hw07")
    (tmp_path / "reference" / "hw07" / "tests" / "test_silent.py").write_text(
        "import pytest\n\n\n@pytest.mark.exercise('sigmoid')\n@pytest.mark.points(1)\n"
        "def test_nothing(student):\n    assert True\n", encoding="utf-8")
    with pytest.raises(ExportError, match="never call the submission.*test_silent.py::test_nothing"):
        export_otter(tmp_path, "hw07", tmp_path / "out")


def test_cli(tmp_path, capsys):
    assert main(["export", "otter", "hw07", "--out", str(tmp_path), "--course", str(REPO)]) == 0
    assert (tmp_path / "hw07.ipynb").is_file() and "otter assign" in capsys.readouterr().out
