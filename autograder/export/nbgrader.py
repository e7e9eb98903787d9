"""An nbgrader course folder of an assignment: ``source/<name>/<name>.ipynb`` and ``nbgrader_config.py``.

The source notebook is the assignment notebook (``notebook_build``) with nbgrader's cell metadata
(schema 3): text, imports and given code are read-only cells; each function to write is a solution
cell holding the solution between nbgrader's solution markers (``nbgrader generate_assignment``
replaces the region by ``raise NotImplementedError``); after it, one autograded test cell per
exercise, worth that exercise's points in ``autograder grade`` (the sum of its hidden tests).

A test cell is literal, computed at export time: the public and hidden test suites are run once
against the reference (``recording``), and each call a test makes becomes a ``check_call`` line with
the arguments and the reference's answer written out as numbers. Public tests' checks are visible;
hidden tests' checks sit between nbgrader's hidden-test markers, which ``generate_assignment``
removes from the student version and ``autograde`` puts back. The reference itself never ships.

What nbgrader cannot do, and ``autograder grade`` on the same ``submitted/`` folder does: run
student code apart from the grading, give partial credit inside an exercise, and replace an
exercise's helpers (``uses``) by trusted ones — in nbgrader a wrong ``sigmoid`` also fails
``sigmoid_circuit``'s cell.
"""

from __future__ import annotations

from pathlib import Path

from autograder.author.notebook import bilingual, cell, dumps, introduction, new_notebook, plan
from autograder.course.assignment import find_assignment
from autograder.course.errors import ExportError
from autograder.course.files import write_atomic
from autograder.export.otter import CHECK_CALL, case_cell
from autograder.export.recording import record

_HASHES = "###"  # spelled in pieces: this module ships in the student bundle
BEGIN_HIDDEN, END_HIDDEN = f"{_HASHES} BEGIN HIDDEN TESTS", f"{_HASHES} END HIDDEN TESTS"

WORKFLOW = {
    "ru": """\
### Как работать с этим блокнотом

Заполните ячейки с функциями, не меняя их имён и сигнатур; остальные ячейки только для чтения.
Под каждой функцией — ячейка тестов: она проверяет функцию на нескольких входах, а при оценивании
в неё добавляются скрытые тесты. Перед сдачей: Kernel → Restart & Run All (или кнопка Validate).
""",
    "en": """\
### Working in this notebook

Fill in the cells with the functions, keeping their names and signatures; the other cells are
read-only. Below each function a test cell checks it on a few inputs; when graded, hidden tests
are added to it. Before you submit: Kernel → Restart & Run All (or the Validate button).
""",
}

CONFIG = '''\
# nbgrader configuration, written by `autograder export nbgrader {name}`.
# Run nbgrader in this folder (nbgrader generate_assignment {name}, nbgrader autograde {name}), or grade
# the collected submitted/ with autograder, from its course repository:
#   autograder grade <this folder> --assignment {name} --out OUT
c = get_config()
c.ClearSolutions.code_stub = {{"python": 'raise NotImplementedError("write your code here")'}}
c.Execute.timeout = 120  # seconds per cell: a test cell trains a small model
'''


def _points(x: float) -> int | float:
    return int(x) if float(x).is_integer() else float(x)


def _meta(grade_id: str, *, solution: bool = False, points: float | None = None) -> dict:
    meta = {"grade": points is not None, "grade_id": grade_id, "locked": not solution,
            "schema_version": 3, "solution": solution, "task": False}
    if points is not None:
        meta["points"] = _points(points)
    return {"nbgrader": meta}


def source_notebook(course_root: Path, name: str) -> str:
    """The text of nbgrader's source notebook of assignment ``name``."""
    from autograder.testkit.session import load_reference
    a, secrets = find_assignment(course_root, name)
    p = plan(Path(course_root) / "solutions" / name, a.folder)
    ref = load_reference(secrets.reference)
    hidden = [t for t in record(secrets.hidden_tests, a, ref) if t.calls]
    public = [t for t in record(a.public_tests, a, ref) if t.calls]
    by_function = {ex.function: ex for ex in a.exercises}

    cells = [cell("markdown", introduction(p, WORKFLOW), "intro", _meta("intro")),
             cell("code", p.imports, "imports", _meta("imports")),
             cell("code", CHECK_CALL, "check-call", _meta("check_call"))]
    for s in p.sections:
        stem = Path(s.file).stem
        cells.append(cell("markdown", bilingual(s.text), f"about-{stem}", _meta(f"about_{stem}")))
        for i, piece in enumerate(s.pieces):
            cid = piece.name or f"{stem}-{i}"
            if piece.kind != "todo":
                cells.append(cell("code", piece.stub, f"given-{cid}", _meta(f"given_{cid}")))
                continue
            cells.append(cell("code", piece.solution, f"todo-{cid}", _meta(cid, solution=True)))
            ex = by_function.get(piece.name)
            if ex is None:
                continue
            mine = [t for t in hidden if t.result.exercise == ex.id]
            if not mine:
                raise ExportError(f"exercise {ex.id} has no hidden test that calls the submission")
            points = sum(t.result.max_score for t in mine)
            lines = [f"# {ex.id}: {_points(points)} points. The checks between the markers are hidden from "
                     f"students; nbgrader adds them back when it grades."]
            lines += [case_cell(t, ex, hidden=False) for t in public if t.result.exercise == ex.id]
            lines += [BEGIN_HIDDEN, *(case_cell(t, ex, hidden=False) for t in mine), END_HIDDEN]
            cells.append(cell("code", "\n".join(lines), f"test-{ex.id}",
                              _meta(f"test_{ex.id}", points=points)))
    if any(p.outro.values()):
        cells.append(cell("markdown", bilingual(p.outro), "grading", _meta("grading")))
    return dumps(new_notebook(cells))


def export_nbgrader(course_root: Path, name: str, out: Path) -> Path:
    """Write the nbgrader course folder ``out`` (``source/<name>/<name>.ipynb``, ``nbgrader_config.py``);
    returns the notebook's path. An existing ``nbgrader_config.py`` is kept."""
    text = source_notebook(course_root, name)
    out = Path(out)
    target = out / "source" / name / f"{name}.ipynb"
    target.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(target, text)
    config = out / "nbgrader_config.py"
    if not config.exists():
        config.write_text(CONFIG.format(name=name), encoding="utf-8")
    return target
