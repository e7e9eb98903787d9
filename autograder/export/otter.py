"""An otter-grader master notebook of an assignment (``otter assign``'s input format).

Layout of the notebook: a raw ``# ASSIGNMENT CONFIG`` cell; the imports and a ``check_call`` helper;
per student file, its docstring and the code students are given; per exercise, one question
(``# BEGIN QUESTION`` with its points) holding the solution cell (otter's solution markers inside
the function, where ours were) and its test cells.

Test cells are literal: the public and hidden test suites are run once against the reference
(``recording``), and every call a test made becomes ``check_call(test, f, args, expected)`` with
the arguments and the reference's answer written out as numbers. The reference never ships; the
hidden tests' cells carry ``# HIDDEN``, so otter keeps them out of the student notebook.

Points match ``autograder grade``: each hidden test is one otter test case worth its points; public
tests are worth 0 (feedback only). What otter cannot do, and our grader does: run student code
apart from the grading, and replace an exercise's helpers (``uses``) by trusted ones while it is
graded — in otter a wrong ``sigmoid`` also costs points in ``sigmoid_circuit``.
"""

from __future__ import annotations

import ast
import math
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np

from autograder.course.assignment import Assignment, Exercise, find_assignment
from autograder.course.errors import ExportError
from autograder.course.files import write_atomic
from autograder.export.recording import Recorded, RecordedTest, record, same

MAX_CALLS = 6  # checks kept per test (a finite-difference test makes dozens of calls)
RTOL, ATOL = 1e-7, 1e-10  # looser than our grader's: otter compares one fixed answer per call
_MARKER = re.compile(r"^(\s*)#+\s*(BEGIN|END) SOLUTION\s*$")
# Marker text in pieces, so that a grep for solution markers finds only solutions/.
BEGIN, END = "# BEGIN " + "SOLUTION", "# END " + "SOLUTION"

CHECK_CALL = f'''\
import copy as _copy
import warnings as _warnings


def _differs(got, want, what):
    """None when got matches want (numbers within rtol={RTOL:g}, atol={ATOL:g}), else what differs."""
    if isinstance(want, np.ndarray):
        if want.ndim == 0 and isinstance(got, np.generic):
            got = np.asarray(got)
        if not isinstance(got, np.ndarray):
            return f"{{what}} should be a numpy array, but it is a {{type(got).__name__}}"
        if got.dtype != want.dtype:
            return f"{{what}} should have dtype {{want.dtype}}, but it has dtype {{got.dtype}}"
        if got.shape != want.shape:
            return f"{{what}} should have shape {{want.shape}}, but it has shape {{got.shape}}"
        if want.dtype.kind in "fc":
            ok = np.allclose(got, want, rtol={RTOL!r}, atol={ATOL!r}, equal_nan=True)
        else:
            ok = np.array_equal(got, want)
        return None if ok else f"{{what}} differs from the expected values"
    if isinstance(want, float):
        if not isinstance(got, (float, np.floating)):
            return f"{{what}} should be a float, but it is a {{type(got).__name__}}"
        ok = (np.isnan(got) and np.isnan(want)) or np.isclose(got, want, rtol={RTOL!r}, atol={ATOL!r})
        return None if ok else f"{{what}} is {{got!r}}, expected {{want!r}}"
    if isinstance(want, (tuple, list)):
        if not isinstance(got, (tuple, list)) or len(got) != len(want):
            return f"{{what}} should be a tuple of {{len(want)}} values"
        for i, (g, w) in enumerate(zip(got, want)):
            problem = _differs(g, w, f"{{what}}[{{i}}]")
            if problem:
                return problem
        return None
    if isinstance(want, dict):
        if not isinstance(got, dict) or set(got) != set(want):
            return f"{{what}} should be a dict with keys {{sorted(want)}}"
        for k in want:
            problem = _differs(got[k], want[k], f"{{what}}[{{k!r}}]")
            if problem:
                return problem
        return None
    return None if got == want and type(got) is type(want) else f"{{what}} is {{got!r}}, expected {{want!r}}"


def check_call(test, function, args, expected, kwargs=None, after=None, quiet=False):
    """function(*args, **kwargs), on copies, returns `expected`; its arguments end up as `after`
    (unchanged when None); with quiet=True it raises no floating-point warning."""
    given, kw = _copy.deepcopy(args), _copy.deepcopy(kwargs or {{}})
    with _warnings.catch_warnings(record=True) as caught, np.errstate(all="warn", under="ignore"):
        _warnings.simplefilter("always")
        got = function(*given, **kw)
    name = function.__name__
    problem = _differs(got, expected, f"the result of {{name}}")
    if problem is None:
        problem = _differs(given, args if after is None else after, f"the arguments after {{name}}")
    if problem is None and quiet and caught:
        problem = f"{{name}} raised a warning: {{caught[0].category.__name__}}: {{caught[0].message}}"
    assert problem is None, f"{{test}}: {{problem}}"
'''


# ------------------------------------------------------------------ numbers as Python source


def _number(x: float) -> str:
    if math.isnan(x):
        return "np.nan"
    if math.isinf(x):
        return "np.inf" if x > 0 else "-np.inf"
    return repr(float(x))


def _nested(x: Any) -> str:
    if isinstance(x, list):
        return "[" + ", ".join(_nested(v) for v in x) + "]"
    return _number(x) if isinstance(x, float) else repr(x)


def literal(value: Any) -> str:
    """Python source that evaluates (with ``np`` imported) to a value equal to ``value``."""
    if isinstance(value, np.ndarray):
        kind = value.dtype.kind
        if kind not in "fiub":
            raise ExportError(f"cannot write an array of dtype {value.dtype} as a literal")
        if value.size == 0:
            return f"np.zeros({value.shape!r}, dtype=np.{value.dtype.name})"
        dtype = "" if value.dtype == np.float64 else f", dtype=np.{value.dtype.name}"
        return f"np.array({_nested(value.tolist())}{dtype})"
    if isinstance(value, np.generic):
        return f"np.{value.dtype.name}({literal(value.item())})"
    if isinstance(value, bool) or value is None or isinstance(value, (int, str)):
        return repr(value)
    if isinstance(value, float):
        return _number(value)
    if isinstance(value, tuple):
        items = [literal(v) for v in value]
        return "(" + ", ".join(items) + ("," if len(items) == 1 else "") + ")"
    if isinstance(value, list):
        return "[" + ", ".join(literal(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{literal(k)}: {literal(v)}" for k, v in value.items()) + "}"
    raise ExportError(f"cannot write a {type(value).__name__} as a literal")


# ------------------------------------------------------------------ the solution, split up


def split_module(source: str, student_modules: Iterable[str]) -> tuple[str, list[str], dict[str, str]]:
    """(docstring, other top-level statements, {function: source}) of a solution file.

    Imports from the other student files are dropped: in a notebook all functions share one
    namespace.
    """
    tree = ast.parse(source)
    lines = source.splitlines()
    modules = set(student_modules)
    doc = ast.get_docstring(tree) or ""
    other, functions = [], {}
    for i, node in enumerate(tree.body):
        if i == 0 and doc and isinstance(node, ast.Expr):
            continue
        if isinstance(node, ast.ImportFrom) and node.module in modules:
            continue
        start = min([node.lineno] + [d.lineno for d in getattr(node, "decorator_list", [])])
        end = node.end_lineno
        while end < len(lines) and re.match(r"\s+#", lines[end]):  # trailing indented comments
            end += 1  # (such as our end-of-solution marker) belong to the function
        text = "\n".join(lines[start - 1:end])
        if isinstance(node, ast.FunctionDef):
            functions[node.name] = text
        else:
            other.append(text)
    return doc, other, functions


def otter_markers(function_source: str) -> str:
    """Our solution marker lines (three #) in otter's spelling (one #)."""
    return "\n".join(_MARKER.sub(r"\1# \2 SOLUTION", line) for line in function_source.splitlines())


# ------------------------------------------------------------------ tests as cells


def _calls_for(test: RecordedTest, ex: Exercise) -> list[Recorded]:
    """The calls a test case checks: those of the exercise's own function (all calls if it made
    none), without repeats, at most MAX_CALLS."""
    mine = [c for c in test.calls if c.function == ex.function] or list(test.calls)
    kept: list[Recorded] = []
    for c in mine:
        if not any(c.function == k.function and same(c.args, k.args) and same(c.kwargs, k.kwargs)
                   for k in kept):
            kept.append(c)
        if len(kept) == MAX_CALLS:
            break
    return kept


def case_cell(test: RecordedTest, ex: Exercise, hidden: bool) -> str:
    """The code cell of one otter test case: a check_call per recorded call."""
    # otter reads a first comment line naming "hidden" as the mark: a public test starts with code
    lines = ["# HIDDEN", f"# {test.result.name}"] if hidden else []
    for c in _calls_for(test, ex):
        parts = [repr(test.result.name), c.function, literal(tuple(c.args)), literal(c.value)]
        if c.kwargs:
            parts.append(f"kwargs={literal(c.kwargs)}")
        if c.mutates:
            parts.append(f"after={literal(tuple(c.args_after))}")
        if c.quiet:
            parts.append("quiet=True")
        lines.append(f"check_call({', '.join(parts)})")
    return "\n".join(lines)


def _config(a: Assignment) -> str:
    return "\n".join([
        "# ASSIGNMENT CONFIG",
        f"name: {a.name}",
        "requirements:",
        "  - numpy",
        "solutions_pdf: false",
        "export_cell:",
        "  pdf: false",
        "generate:",
        "  pdf: false",
        "  show_stdout: true",
        "tests:",
        "  ok_format: true",
    ])


def master_notebook(course_root: Path, name: str):
    """The otter-assign master notebook of assignment ``name`` (an ``nbformat`` notebook)."""
    import nbformat
    from nbformat import v4

    from autograder.testkit.session import load_reference

    a, secrets = find_assignment(course_root, name)
    ref = load_reference(secrets.reference)
    hidden = record(secrets.hidden_tests, a, ref)
    public = [t for t in record(a.public_tests, a, ref) if t.calls]  # feedback only: may be left out
    # A hidden test becomes otter test cases worth its points; one that cannot would change the
    # max score, and one the reference fails would be wrong for everybody: refuse both.
    silent = [t.result.nodeid for t in hidden if not t.calls]
    failing = [t.result.nodeid for t in hidden if not t.result.passed]
    if silent:
        raise ExportError(f"hidden tests that never call the submission cannot become otter tests: "
                          f"{', '.join(silent)}")
    if failing:
        raise ExportError(f"hidden tests fail on the reference itself: {', '.join(failing)}")
    solutions = Path(course_root) / "solutions" / name
    modules = [Path(f).stem for f in a.files]
    by_function = {ex.function: ex for ex in a.exercises}

    cells = [v4.new_raw_cell(_config(a)),
             v4.new_markdown_cell(f"# {a.title} ({a.name})\n\nWrite the functions marked `...` below; "
                                  f"run each question's check cell to see the public tests.")]
    parts = []  # per file: (file, docstring, statements, functions)
    imports: list[str] = []
    for file in a.files:
        path = solutions / file
        if not path.is_file():
            raise ExportError(f"{path} is missing: the notebook is built from the solution")
        doc, other, functions = split_module(path.read_text(encoding="utf-8"), modules)
        missing = [fn for fn in a.files[file] if fn not in functions]
        if missing:
            raise ExportError(f"{path} does not define {', '.join(missing)}")
        imports += [s for s in other if s not in imports]
        parts.append((file, doc, functions))
    cells.append(v4.new_code_cell("\n".join(imports)))
    cells.append(v4.new_markdown_cell("The tests below call your functions through `check_call`: "
                                      "run this cell first, and leave it as it is."))
    cells.append(v4.new_code_cell(CHECK_CALL))
    for file, doc, functions in parts:
        cells.append(v4.new_markdown_cell(f"## {file}\n\n{doc}".rstrip()))
        for fn, src in functions.items():
            ex = by_function.get(fn)
            if ex is None:
                cells.append(v4.new_code_cell(src))  # given code
                continue
            mine_pub = [t for t in public if t.result.exercise == ex.id]
            mine_hid = [t for t in hidden if t.result.exercise == ex.id]
            if not mine_hid:
                raise ExportError(f"exercise {ex.id} has no hidden test that calls the submission")
            points = [0] * len(mine_pub) + [_points(t.result.max_score) for t in mine_hid]
            cells += [
                v4.new_raw_cell(f"# BEGIN QUESTION\nname: {ex.id}\npoints: {points!r}"),
                v4.new_markdown_cell(f"**{ex.id}** ({sum(points):g} points): write `{fn}`."),
                v4.new_raw_cell(BEGIN),
                v4.new_code_cell(otter_markers(src)),
                v4.new_raw_cell(END),
                v4.new_raw_cell("# BEGIN TESTS"),
                *[v4.new_code_cell(case_cell(t, ex, hidden=False)) for t in mine_pub],
                *[v4.new_code_cell(case_cell(t, ex, hidden=True)) for t in mine_hid],
                v4.new_raw_cell("# END TESTS"),
                v4.new_raw_cell("# END QUESTION"),
            ]
    nb = v4.new_notebook(cells=cells, metadata={
        "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
        "language_info": {"name": "python"},
    })
    for i, cell in enumerate(nb.cells):
        cell.id = f"cell-{i:03d}"  # fixed ids: the same assignment gives the same file
    nbformat.validate(nb)
    return nb


def _points(x: float) -> int | float:
    return int(x) if float(x).is_integer() else float(x)


def export_otter(course_root: Path, name: str, out_dir: Path) -> Path:
    """Write ``out_dir/<name>.ipynb``, the otter-assign master notebook; returns its path."""
    import nbformat

    nb = master_notebook(course_root, name)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    target = out_dir / f"{name}.ipynb"
    text = nbformat.writes(nb)
    return write_atomic(target, text if text.endswith("\n") else text + "\n")  # as nbformat.write
