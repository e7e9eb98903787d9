"""The notebook variant of an assignment, generated like the stubs: ``assignments/<name>/<name>.ipynb``.

One notebook in both languages: the course is taught in Russian, so each text cell shows the Russian
text and keeps the English one a click away (a collapsed ``<details>`` block). One file means one
notebook to fill in, submit and grade, and one nbgrader notebook; two language copies would leave
students with a filled-in copy and an untouched one side by side, and the grader guessing.

Layout, from the solution files, ``assignment.toml`` and ``README.md`` (its English and Russian
halves, each split at its ``###`` sections):

- the title, the task's introduction, how to work in the notebook, and the general rules;
- the imports every file needs (imports of the assignment's own files are not needed: a notebook is
  one namespace), and a self-check set-up cell;
- per student file: its section of the task statement, one code cell per top-level function
  (the stub — docstring and ``raise NotImplementedError`` — or the given code, unchanged), and a
  self-check cell that runs that file's public tests on the notebook's functions;
- what is graded, and a self-check of everything.

Self-check cells carry the tag ``autograder-self-check``: the grader leaves them out, and they never
raise, so "Run All" reaches the end even while functions are still stubs. ``variant`` picks the code
in the function cells: "student" (stubs), "solution" (the solution, markers removed: for tests), or
"nbgrader" (the solution with its markers, for ``autograder export nbgrader``).
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from pathlib import Path

from autograder.author.markers import BEGIN_MARKER, SELF_CHECK_TAG, strip_solution, without_markers
from autograder.course.assignment import load_assignment

WORKFLOW_TITLES = {"workflow", "как работать"}  # README sections about files, replaced for the notebook
LOCKED = {"deletable": False, "editable": False}

WORKFLOW = {
    "ru": """\
### Как работать с этим блокнотом

1. Держите блокнот в папке задания, рядом с `autograder/`, `tests/` и `assignment.toml`: ячейки
   самопроверки берут оттуда публичные тесты.
2. Заполните ячейки с `raise NotImplementedError`. Не меняйте имена и сигнатуры функций; ячейки с
   готовым кодом просто запустите.
3. После каждого раздела запускайте его ячейку самопроверки (или Run All): она прогоняет публичные
   тесты на функциях из этого блокнота и никогда не прерывает выполнение.
4. Оцениваются только определения: `import` numpy и стандартной библиотеки, `def`, `class` и
   присваивания простых значений, в порядке ячеек сверху вниз. Код верхнего уровня вроде
   `print(sigmoid(0))`, графики и магии (`%...`, `!...`) при оценивании не выполняются — пробуйте
   функции сколько угодно. Оценивается сохранённый файл: сохраните блокнот и проверьте
   Kernel → Restart & Run All перед сдачей.
5. Сдайте файл `{notebook}` так, как принято в курсе. Из терминала тот же блокнот проверяет
   `python -m autograder check {notebook}` — так, как его прочтёт оценщик.
""",
    "en": """\
### Working in this notebook

1. Keep the notebook in the assignment folder, beside `autograder/`, `tests/` and
   `assignment.toml`: the self-check cells take the public tests from there.
2. Fill in the cells that `raise NotImplementedError`. Keep the function names and signatures; just
   run the cells with given code.
3. After each section run its self-check cell (or Run All): it runs the public tests on this
   notebook's functions and never stops the run.
4. Only definitions are graded: imports of numpy and the standard library, `def`, `class` and
   assignments of simple values, in cell order from the top. Top-level code such as
   `print(sigmoid(0))`, plots and magics (`%...`, `!...`) are not run when grading — try your
   functions as much as you like. The saved file is graded: save the notebook, and check
   Kernel → Restart & Run All before you submit.
5. Submit `{notebook}` as your course tells you to. In a terminal,
   `python -m autograder check {notebook}` checks the same notebook the way the grader reads it.
""",
}

CHECK_SETUP = """\
# Self-check (not graded): runs the public tests on the functions of this notebook.
try:
    from autograder.selfcheck.notebook_cells import check
except ImportError as exc:  # the notebook is not in the assignment folder
    def check(*args, _why=str(exc)):
        print(f"The self-check is not available here ({_why}): keep this notebook in the assignment "
              f"folder, beside autograder/ and tests/.")
"""


@dataclass(frozen=True)
class Piece:
    """A top-level definition of a solution file, as one code cell."""

    kind: str  # "todo" (has a solution region) | "given" | "code" (not a def or class)
    name: str  # the function or class, or "" for other code
    stub: str  # what students get
    solution: str  # with the solution and its markers


@dataclass(frozen=True)
class Section:
    file: str  # "activations.py"
    text: dict[str, str]  # language -> its README section (markdown)
    pieces: tuple[Piece, ...]


@dataclass(frozen=True)
class Plan:
    name: str  # hw07
    notebook: str  # hw07.ipynb
    title: str  # the README's first line
    intro: dict[str, str]  # language -> the README's introduction
    rules: dict[str, str]  # language -> its sections before the file sections (how to work: left out)
    imports: str  # the set-up code cell
    sections: tuple[Section, ...]
    outro: dict[str, str]  # language -> markdown after the file sections


# -- reading the sources

def _readme(text: str) -> tuple[str, dict[str, tuple[str, list[tuple[str, str]]]]]:
    """(title, language -> (introduction, [(### title, body)])) of a bilingual README."""
    title = next((ln[2:].strip() for ln in text.splitlines() if ln.startswith("# ")), "")
    halves = re.split(r"(?m)^## (.+)$", text)
    langs = {}
    for heading, body in zip(halves[1::2], halves[2::2], strict=True):
        lang = "ru" if re.search(r"[а-яА-Я]", heading) else "en"
        parts = re.split(r"(?m)^### (.+)$", body)
        sections = [(t.strip(), _clean(b)) for t, b in zip(parts[1::2], parts[2::2], strict=True)]
        langs[lang] = (_clean(parts[0]), sections)
    return title, langs


def _clean(markdown: str) -> str:
    return re.sub(r"\n-{3,}\s*$", "", markdown.strip()).strip()


def _start(node: ast.stmt, lines: list[str]) -> int:
    """First line of a statement, with its decorators and the comment lines right above it."""
    first = min([node.lineno] + [d.lineno for d in getattr(node, "decorator_list", [])])
    while first > 1 and lines[first - 2].lstrip().startswith("#"):
        first -= 1
    return first


def _chunks(source: str, filename: str) -> tuple[list[str], list[tuple[str, str]]]:
    """(import statements, [(name, text)] of the other top-level statements) of a module."""
    tree = ast.parse(source, filename=filename)
    lines = source.split("\n")
    imports, chunks = [], []
    for i, node in enumerate(tree.body):
        end = node.end_lineno or node.lineno
        while end < len(lines) and re.match(r"\s+#", lines[end]):
            end += 1  # indented comments after the body (an END SOLUTION marker) belong to it
        text = "\n".join(lines[_start(node, lines) - 1 : end])
        if i == 0 and isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant):
            continue  # the module docstring: the README section says it
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            imports.append(text)
        else:
            chunks.append((getattr(node, "name", ""), text))
    return imports, chunks


def _own(statement: str, modules: set[str]) -> bool:
    node = ast.parse(statement).body[0]
    names = [node.module or ""] if isinstance(node, ast.ImportFrom) else [a.name for a in node.names]
    return all(n.split(".")[0] in modules for n in names)


def plan(solution_dir: Path, assignment_dir: Path) -> Plan:
    """What the notebook holds, from the solution files, assignment.toml and README.md."""
    a = load_assignment(assignment_dir)
    title, langs = _readme((Path(assignment_dir) / "README.md").read_text(encoding="utf-8"))
    own = {Path(f).stem for f in a.files}
    imports: list[str] = []
    sections, intro, rules, outro = [], {}, {}, {}
    for lang, (text, secs) in langs.items():
        files = [i for i, (t, _) in enumerate(secs) if t.split()[0] in a.files]
        before = [s for i, s in enumerate(secs) if (not files or i < files[0])
                  and s[0].lower() not in WORKFLOW_TITLES]
        after = [s for i, s in enumerate(secs) if files and i > files[-1]]
        intro[lang] = text
        rules[lang] = "\n\n".join(f"### {t}\n\n{b}" for t, b in before)
        outro[lang] = "\n\n".join(f"### {t}\n\n{b}" for t, b in after)
    for file in a.files:
        path = Path(solution_dir) / file
        solution = path.read_text(encoding="utf-8")
        stub = strip_solution(solution, str(path))
        stub_imports, stub_chunks = _chunks(stub, file)
        _, solution_chunks = _chunks(solution, file)
        imports += [s for s in stub_imports if s not in imports and not _own(s, own)]
        pieces = []
        for (name, stub_text), (_, solution_text) in zip(stub_chunks, solution_chunks, strict=True):
            kind = "todo" if BEGIN_MARKER in solution_text else "given" if name else "code"
            pieces.append(Piece(kind, name, stub_text, solution_text))
        text = {lang: next((f"### {t}\n\n{b}" for t, b in secs if t.split()[0] == file), f"### {file}")
                for lang, (_, secs) in langs.items()}
        sections.append(Section(file, text, tuple(pieces)))
    return Plan(a.name, f"{a.name}.ipynb", title, intro, rules, "\n".join(imports), tuple(sections), outro)


# -- writing the notebook

def introduction(p: Plan, workflow: dict[str, str]) -> str:
    """The first cell: title, the task's introduction, ``workflow`` (how to work), the general rules."""
    text = {}
    for lang in ("ru", "en"):
        parts = (p.intro.get(lang, ""), workflow[lang].format(notebook=p.notebook), p.rules.get(lang, ""))
        text[lang] = "\n\n".join(x.strip() for x in parts if x.strip())
    return f"# {p.title}\n\n" + bilingual(text)


def bilingual(text: dict[str, str]) -> str:
    """Russian shown, English in a collapsed block (its headings made bold, so the table of contents
    lists each section once)."""
    en = re.sub(r"(?m)^#{1,6} (.+)$", r"**\1**", text.get("en", "")).strip()
    ru = text.get("ru", "").strip()
    if not en:
        return ru
    return f"{ru}\n\n<details><summary><b>English</b></summary>\n\n{en}\n\n</details>"


def cell(kind: str, source: str, cell_id: str, metadata: dict | None = None):
    from nbformat.v4 import new_code_cell, new_markdown_cell

    cell = (new_markdown_cell if kind == "markdown" else new_code_cell)(source.strip("\n"))
    cell.id = cell_id
    cell.metadata.update(metadata or {})
    return cell


def new_notebook(cells: list):
    from nbformat.v4 import new_notebook as _new

    return _new(cells=cells, metadata={
        "kernelspec": {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"},
        "language_info": {"name": "python"}})


def dumps(nb) -> str:
    import nbformat

    nbformat.validate(nb)
    return nbformat.writes(nb) + "\n"


def student_notebook(p: Plan, variant: str = "student") -> str:
    """The notebook's text: ``variant`` "student" (stubs) or "solution" (markers removed)."""
    check = {"tags": [SELF_CHECK_TAG], **LOCKED}
    cells = [cell("markdown", introduction(p, WORKFLOW), "intro", LOCKED),
             cell("code", p.imports, "imports"),
             cell("code", CHECK_SETUP, "self-check-setup", check)]
    for s in p.sections:
        stem = Path(s.file).stem
        cells.append(cell("markdown", bilingual(s.text), f"about-{stem}", LOCKED))
        for i, piece in enumerate(s.pieces):
            code = piece.stub if variant == "student" else without_markers(piece.solution)
            cells.append(cell("code", code, f"{piece.kind}-{piece.name or f'{stem}-{i}'}",
                               None if piece.kind == "todo" else LOCKED))
        cells.append(cell("code", f'check("{s.file}", globals())  # the public tests of {s.file}',
                           f"check-{stem}", check))
    if any(p.outro.values()):
        cells.append(cell("markdown", bilingual(p.outro), "grading", LOCKED))
    cells.append(cell("code", "check(None, globals())  # every public test", "check-all", check))
    return dumps(new_notebook(cells))


def assignment_notebook(solution_dir: Path, assignment_dir: Path) -> dict[str, str]:
    """``{"<name>.ipynb": text}`` for an assignment folder (a README.md, and an assignment.toml that
    lists the files); else {}: a folder of stubs only."""
    from autograder.course.errors import AssignmentError

    assignment_dir = Path(assignment_dir)
    if not (assignment_dir / "README.md").is_file():
        return {}
    try:
        load_assignment(assignment_dir)
    except AssignmentError:
        return {}
    p = plan(solution_dir, assignment_dir)
    return {p.notebook: student_notebook(p)}
