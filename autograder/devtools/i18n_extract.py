"""Which texts the catalogues hold: Babel extraction methods (``babel.cfg``) and the same lists for tests.

- ``extract_python``: the first argument of ``_(...)`` and ``N_(...)`` (a literal string), both
  arguments of ``ngettext(...)``, and the first line of the docstring of every test in a test file
  (``test_*.py``: functions ``test*``, at the top level or in ``Test*`` classes), which is the test's
  title in the feedback (``autograder.testkit.plugin.test_title``).
- ``extract_toml``: an assignment's ``title``.

Only the standard library: ``autograder.course.i18n`` and the completeness test use it without Babel.
"""

from __future__ import annotations

import ast
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from autograder.course.i18n import docstring_title

KEYWORDS = ("_", "N_")
PLURAL = "ngettext"


def _literal(node: ast.AST) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def messages(source: str, filename: str = "") -> Iterator[tuple[int, str | tuple[str, str], str]]:
    """(line, message or (singular, plural), kind) for every text to translate in Python ``source``;
    kind is "call" or "docstring"."""
    tree = ast.parse(source, filename or "<source>")
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.args:
            if node.func.id in KEYWORDS and (text := _literal(node.args[0])) is not None:
                yield node.lineno, text, "call"
            elif node.func.id == PLURAL and len(node.args) >= 2:
                one, many = _literal(node.args[0]), _literal(node.args[1])
                if one is not None and many is not None:
                    yield node.lineno, (one, many), "call"
    if Path(filename).name.startswith("test_"):
        for node in _tests(tree):
            title = docstring_title(ast.get_docstring(node))
            if title:
                yield node.lineno, title, "docstring"


def _tests(tree: ast.Module) -> Iterator[ast.FunctionDef]:
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and node.name.startswith("test"):
            yield node
        elif isinstance(node, ast.ClassDef) and node.name.startswith("Test"):
            yield from (f for f in node.body if isinstance(f, ast.FunctionDef) and f.name.startswith("test"))


def extract_python(fileobj: IO[bytes], keywords: Any, comment_tags: Any, options: dict
                   ) -> Iterator[tuple[int, str, str | tuple[str, str], list[str]]]:
    """Babel extraction method (``[autograder.devtools.i18n_extract:extract_python: **.py]`` in babel.cfg)."""
    source = fileobj.read().decode("utf-8")
    for line, text, kind in messages(source, getattr(fileobj, "name", "")):
        funcname = PLURAL if isinstance(text, tuple) else "_"
        comments = ["test title (its docstring's first line)"] if kind == "docstring" else []
        yield line, funcname, text, comments


def extract_toml(fileobj: IO[bytes], keywords: Any, comment_tags: Any, options: dict
                 ) -> Iterator[tuple[int, str, str, list[str]]]:
    """Babel extraction method for assignment.toml: the assignment's title."""
    data = tomllib.loads(fileobj.read().decode("utf-8"))
    if isinstance(data.get("title"), str):
        yield 1, "_", data["title"], ["the assignment's title"]


def texts_in(paths: list[Path]) -> dict[str, list[str]]:
    """Every text (a plural as its singular) to translate in these .py / assignment.toml files ->
    where it occurs ("file:line")."""
    found: dict[str, list[str]] = {}
    for path in paths:
        if path.name == "assignment.toml":
            with open(path, "rb") as f:
                items = [(line, text) for line, _f, text, _c in extract_toml(f, None, None, {})]
        else:
            items = [(line, text) for line, text, _k in messages(path.read_text(encoding="utf-8"), str(path))]
        for line, text in items:
            found.setdefault(text[0] if isinstance(text, tuple) else text, []).append(f"{path}:{line}")
    return found
