"""A notebook submission as a module: the code cells, read with nbformat, become the student's source.

The grader never executes a notebook. It reads it (nbformat: JSON, then the notebook schema) and
turns the code cells, in document order (what "Restart & Run All" runs), into one Python module
that is graded exactly like a one-file ``.py`` submission. What is kept, and why:

- IPython syntax is not Python: a cell starting with a cell magic (``%%time``) is left out whole;
  line magics (``%matplotlib inline``), shell escapes (``!pip install ...``), ``x = !ls`` and help
  (``np.exp?``) are each replaced by ``pass``. None of them runs. A note names each one.
- A cell that is not valid Python is left out (a note names the cell, line and error); the other
  cells are still graded, so one broken cell costs only the functions it holds.
- At the top level of a cell only definitions are kept: imports of numpy and the standard library,
  ``def``, ``class``, and assignments whose right side calls nothing but imported modules and
  builtins (``EPS = 1e-12``, ``X = np.linspace(-3, 3, 7)``). Everything else at the top level —
  ``print(sigmoid(0))``, a plot, ``assert``, a training run, ``y = sigmoid(x)`` — is left out with a
  note: it is how students try their code in a notebook, and at import time in the grader it could
  only fail (a stub still raising NotImplementedError), be slow (a training loop against the
  import time limit) or need what grading does not have (matplotlib). Function bodies are kept as
  written.
- Imports of other packages (``matplotlib``, ``IPython``, ``scipy``) are left out with a note:
  only numpy and the standard library are available when grading, as for ``.py`` files, but here
  a plotting import does not sink the whole notebook; a function that uses one fails on its own.
- Imports of the assignment's own files (``from activations import sigmoid``) are left out: in a
  notebook every function lives in the same module. Cells the platform itself added and the
  student does not write — the self-check cells (tag ``autograder-self-check``) and nbgrader's
  autograded test cells — are left out without a note.
"""

from __future__ import annotations

import ast
import json
import re
import sys
import warnings
from collections.abc import Iterable
from dataclasses import dataclass

from autograder.author.markers import SELF_CHECK_TAG
from autograder.course.errors import NotebookError
from autograder.course.i18n import N_, _

ALLOWED_PACKAGES = frozenset({"numpy", "__future__"}) | frozenset(sys.stdlib_module_names)
GRADER_PACKAGE = "autograder"
SAFE_BUILTINS = frozenset({
    "abs", "bool", "complex", "dict", "divmod", "enumerate", "float", "frozenset", "int", "len", "list",
    "max", "min", "pow", "range", "reversed", "round", "set", "slice", "sorted", "str", "sum", "tuple",
    "zip",
})
MAX_SHOWN = 6  # examples per note


@dataclass(frozen=True)
class NotebookCode:
    """What the grader takes from a notebook."""

    source: str  # the module built from the kept code
    notes: tuple[str, ...]  # student-facing: what was left out and why
    functions: tuple[str, ...]  # names of the top-level functions it defines, in order
    code_cells: int  # code cells in the notebook


def read_notebook(data: bytes, label: str):
    """The notebook in ``data`` as an nbformat v4 node; NotebookError (a sentence) if it is not one."""
    try:
        import nbformat
    except ImportError:  # the grader depends on it; a student's laptop may lack it
        raise NotebookError(_("{label} could not be read: the nbformat package is "
                               "not installed (pip install nbformat).").format(label=label)) from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise NotebookError(_("{label} is not a valid notebook: it is not UTF-8 text "
                               "(byte 0x{byte:02x} at offset {start}).").format(
                                   label=label, byte=data[exc.start], start=exc.start)) from None
    if not text.strip():
        raise NotebookError(_("{label} is empty (0 cells): save the notebook in "
                               "Jupyter and submit it again.").format(label=label))
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise NotebookError(
            _("{label} is not a valid notebook: it is not JSON (line {lineno}, "
               "column {colno}: {msg}). It may be cut off, or saved by a program that "
               "does not write notebooks; open it in Jupyter, save it, and submit it "
               "again.").format(label=label, lineno=exc.lineno, colno=exc.colno, msg=exc.msg)) from None
    except RecursionError:
        raise NotebookError(_("{label} is not a valid notebook: its JSON is nested "
                               "far too deeply.").format(label=label)) from None
    if not isinstance(doc, dict) or "nbformat" not in doc:
        raise NotebookError(_("{label} is JSON but not a Jupyter notebook (it has no "
                               "\"nbformat\" field).").format(label=label))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # nbformat warns about missing cell ids and the like
        try:
            nb = nbformat.reads(text, as_version=4)
            nbformat.validate(nb)
        except nbformat.ValidationError as exc:
            where = "".join(f"[{p}]" if isinstance(p, int) else f".{p}"
                            for p in getattr(exc, "absolute_path", ())).lstrip(".")
            what = str(getattr(exc, "message", exc)).splitlines()[0][:200]
            text = (_("{label} is not a valid Jupyter notebook (nbformat {version}): {where}: {what}.")
                    if where else _("{label} is not a valid Jupyter notebook (nbformat {version}): {what}."))
            raise NotebookError(text.format(
                label=label, version=doc.get("nbformat"), where=where, what=what)) from None
        except Exception as exc:  # noqa: BLE001 - nbformat raises many kinds on odd input
            what = str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__
            text = _("{label} is not a valid Jupyter notebook (nbformat {version}): {what}.")
            raise NotebookError(text.format(

                label=label, version=doc.get("nbformat"), what=what)) from None
    return nb


# -- IPython syntax

_MAGIC_ASSIGN = re.compile(r"[\w.,\s()\[\]*]+=\s*[%!]")  # files = !ls, t = %timeit -o f()
_HELP = re.compile(r"\?{1,2}[\w.*]+|[\w.*]+\?{1,2}")  # ?np.exp, np.exp??


def _is_magic(stripped: str) -> bool:
    return (stripped.startswith(("%", "!")) or bool(_MAGIC_ASSIGN.match(stripped))
            or bool(_HELP.fullmatch(stripped)))


def _scan(line: str, quote: str | None, depth: int) -> tuple[str | None, int, bool]:
    """(open string delimiter, bracket depth, ends with a backslash continuation) after ``line``."""
    i = 0
    while i < len(line):
        if quote:
            if line.startswith(quote, i):
                i, quote = i + len(quote), None
            else:
                i += 2 if line[i] == "\\" else 1
            continue
        c = line[i]
        if c == "#":
            break
        if c in "\"'":
            quote = c * 3 if line.startswith(c * 3, i) else c
            i += len(quote)
            continue
        depth += c in "([{"
        depth = max(0, depth - (c in ")]}"))
        i += 1
    continued = line.rstrip().endswith("\\")
    if quote in ("'", '"') and not continued:
        quote = None  # an unterminated one-line string: a syntax error, reported by the parser
    return quote, depth, continued


def strip_magics(source: str) -> tuple[str, list[tuple[int, str]]]:
    """``source`` with each IPython line magic, shell escape and help line replaced by ``pass``
    (same indentation, so line numbers stay); returns it with the (line, text) of each one."""
    out, dropped = [], []
    quote, depth, continued = None, 0, False
    for lineno, line in enumerate(source.split("\n"), start=1):
        stripped = line.strip()
        if quote is None and depth == 0 and not continued and stripped and _is_magic(stripped):
            out.append(line[: len(line) - len(line.lstrip())] + "pass")
            dropped.append((lineno, stripped))
            continue
        out.append(line)
        quote, depth, continued = _scan(line, quote, depth)
    return "\n".join(out), dropped


def cell_magic(source: str) -> str:
    """The cell magic a cell starts with (``%%time``), or ''."""
    for line in source.split("\n"):
        if line.strip():
            return line.strip().split()[0] if line.strip().startswith("%%") else ""
    return ""


# -- which top-level statements are kept

def _root(name: str) -> str:
    return name.split(".")[0]


def _import_kind(node: ast.Import | ast.ImportFrom, own: set[str]) -> tuple[list[str], str]:
    """(names it binds, why it is left out: '' kept | 'own' | 'grader' | 'package')."""
    if isinstance(node, ast.ImportFrom):
        roots = {_root(node.module or "")}
        names = [a.asname or a.name for a in node.names]
        if node.level:
            return names, "own"  # a relative import: there is no package around a notebook
    else:
        roots = {_root(a.name) for a in node.names}
        names = [a.asname or _root(a.name) for a in node.names]
    if GRADER_PACKAGE in roots:
        return names, "grader"
    if roots & own:
        return names, "own"
    return names, "" if roots <= ALLOWED_PACKAGES else "package"


def _calls_only(value: ast.AST, modules: set[str]) -> bool:
    """Evaluating ``value`` calls only imported modules (np.zeros) and harmless builtins (a lambda's
    body is not evaluated)."""
    todo = [value]
    while todo:
        node = todo.pop()
        if isinstance(node, ast.Lambda):
            continue
        if isinstance(node, (ast.Await, ast.Yield, ast.YieldFrom)):
            return False
        if isinstance(node, ast.Call):
            f = node.func
            while isinstance(f, (ast.Attribute, ast.Subscript)):
                f = f.value
            if not isinstance(f, (ast.Name, ast.Call)):
                return False  # a call on a literal or an expression
            if isinstance(f, ast.Name) and not (
                    f.id in modules or (f.id in SAFE_BUILTINS and node.func is f)):
                return False
        todo.extend(ast.iter_child_nodes(node))
    return True


@dataclass
class _Dropped:
    magics: list[str]
    cell_magics: list[str]
    syntax: list[str]
    top_level: list[str]
    packages: list[str]
    own: list[str]


def _shown(items: list[str]) -> str:
    more = _(" and {n} more").format(n=len(items) - MAX_SHOWN) if len(items) > MAX_SHOWN else ""
    return "; ".join(items[:MAX_SHOWN]) + more


def _snippet(text: str, width: int = 60) -> str:
    line = " ".join(text.strip().split("\n")[0].split())
    return "`" + (line if len(line) <= width else line[: width - 3] + "...") + "`"


def _platform_cell(cell) -> bool:
    meta = cell.get("metadata", {})
    nbg = meta.get("nbgrader", {}) if isinstance(meta.get("nbgrader"), dict) else {}
    return SELF_CHECK_TAG in (meta.get("tags") or ()) or (bool(nbg.get("grade")) and not nbg.get("solution"))


def notebook_code(data: bytes, label: str, own_modules: Iterable[str] = ()) -> NotebookCode:
    """The module built from the notebook in ``data`` (see the module docstring for what is kept).

    ``own_modules``: module names of the assignment's files, whose imports are left out.
    Raises NotebookError when ``data`` is not a readable notebook.
    """
    nb = read_notebook(data, label)
    own = set(own_modules)
    d = _Dropped([], [], [], [], [], [])
    parts = ["# Built by the grader from a notebook: its code cells' definitions, in notebook order.\n"]
    functions: list[str] = []
    modules: set[str] = set()
    number = 0
    for cell in nb.cells:
        if cell.get("cell_type") != "code":
            continue
        number += 1  # counted as the student sees them: every code cell from the top
        where = _("code cell {number}").format(number=number)
        source = cell.get("source", "")
        if _platform_cell(cell) or not source.strip():
            continue
        magic = cell_magic(source)
        if magic:
            d.cell_magics.append(_("{where} ({magic})").format(where=where, magic=magic))
            continue
        source, magics = strip_magics(source)
        d.magics += [_("{where} line {line} {code}").format(
            where=where, line=n, code=_snippet(t)) for n, t in magics]
        try:
            tree = ast.parse(source)
        except SyntaxError as exc:
            d.syntax.append(_("{where} (starting {start}) has a syntax error on line {line} ({msg})").format(
                where=where, start=_snippet(source.lstrip()), line=exc.lineno or "?", msg=exc.msg))
            continue
        lines = source.split("\n")
        shared = _shared_lines(tree.body)
        kept = []
        for node in tree.body:
            text = _text(source, lines, node, shared)
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                names, why = _import_kind(node, own)
                if not why:
                    modules.update(names)
                    kept.append(node)
                elif why in ("package", "own"):
                    (d.packages if why == "package" else d.own).append(_("{text} ({where})").format(
                        text=_snippet(text), where=where))
                continue  # 'grader': a self-check the student copied into a cell, left out quietly
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                kept.append(node)
                if not isinstance(node, ast.ClassDef):
                    functions.append(node.name)
                continue
            if isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign)) and (
                    node.value is None or _calls_only(node.value, modules)):
                kept.append(node)
                continue
            if isinstance(node, ast.Pass) or _is_string(node):
                continue  # a replaced magic, or a bare string: nothing to run
            d.top_level.append(_("{where} line {line} {code}").format(where=where, line=node.lineno,
                                                                       code=_snippet(text)))
        if kept:
            parts.append(f"\n# --- code cell {number} ---\n"
                         + "\n".join(_text(source, lines, n, shared) for n in kept)
                         + "\n")
    return NotebookCode("".join(parts), _notes(label, d), tuple(functions), number)


def _start(node: ast.stmt) -> int:
    """The first line of a statement, decorators included."""
    return min([node.lineno] + [d.lineno for d in getattr(node, "decorator_list", [])])


def _is_string(node: ast.stmt) -> bool:
    return isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)


def _text(source: str, lines: list[str], node: ast.stmt, shared: set[int]) -> str:
    """A kept statement's source: its whole lines, or its exact text when it shares a line (``;``)."""
    first = _start(node)
    if shared.isdisjoint(range(first, (node.end_lineno or first) + 1)):
        return "\n".join(lines[first - 1 : node.end_lineno])
    return ast.get_source_segment(source, node) or ""


def _shared_lines(body: list[ast.stmt]) -> set[int]:
    seen: set[int] = set()
    shared: set[int] = set()
    for node in body:
        span = set(range(_start(node), (node.end_lineno or node.lineno) + 1))
        shared |= seen & span
        seen |= span
    return shared


# A note per kind of dropped code, in this order: the _Dropped field it lists, and the note's text.
_DROPPED_NOTES = (
    ("syntax", N_("{label}: {syntax}. Those cells were not graded, so the "
                  "functions in them count as missing; the other cells were "
                  "graded.")),
    ("cell_magics", N_("{label}: cells that start with a cell magic are not Python "
                       "and were not graded (move your functions out of them): "
                       "{cell_magics}.")),
    ("magics", N_("{label}: IPython magics, shell commands (!...) and help (?) "
                  "are not run when grading; left out: {magics}.")),
    ("top_level", N_("{label}: top-level code other than definitions is not run "
                     "when grading (only imports, functions, classes and "
                     "assignments of simple values are kept, so your test calls "
                     "and plots cannot break the grading); left out: {top_level}.")),
    ("packages", N_("{label}: only numpy and the standard library can be imported "
                    "when grading; left out: {packages}. Functions that use them "
                    "will fail.")),
    ("own", N_("{label}: imports of the assignment's own files were left out "
               "(in a notebook all functions are in one module): {own}.")),
)


def _notes(label: str, d: _Dropped) -> tuple[str, ...]:
    return tuple(_(text).format(label=label, **{field: _shown(getattr(d, field))})
                 for field, text in _DROPPED_NOTES if getattr(d, field))


def implemented(source: str | bytes, functions: Iterable[str]) -> set[str]:
    """The ``functions`` that ``source`` defines at the top level with a body that is more than a
    docstring and ``raise NotImplementedError``; none if it does not parse."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return set()
    wanted, found = set(functions), set()
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name in wanted:
            body = [s for s in node.body if not _is_string(s)]
            if not all(_raises_not_implemented(s) or isinstance(s, ast.Pass) for s in body):
                found.add(node.name)
    return found


def _raises_not_implemented(node: ast.stmt) -> bool:
    if not isinstance(node, ast.Raise) or node.exc is None:
        return False
    exc = node.exc.func if isinstance(node.exc, ast.Call) else node.exc
    return isinstance(exc, ast.Name) and exc.id == "NotImplementedError"
