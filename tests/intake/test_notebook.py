"""Notebooks as modules: what is kept, what is left out with a note, and what students read when a
notebook cannot be read at all."""

from __future__ import annotations

import ast
import json

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from autograder.author.markers import SELF_CHECK_TAG
from autograder.course.errors import NotebookError
from autograder.intake.notebook import implemented, notebook_code, strip_magics

OWN = ["activations", "gates", "optim", "logreg"]


def nb_bytes(*cells, version: int = 4) -> bytes:
    nb = new_notebook(cells=[c if not isinstance(c, str) else new_code_cell(c) for c in cells])
    return nbformat.writes(nb, version=version).encode()


def code(*cells) -> tuple[str, tuple[str, ...]]:
    r = notebook_code(nb_bytes(*cells), "hw07.ipynb", OWN)
    ast.parse(r.source)  # always valid Python
    return r.source, r.notes


def test_definitions_are_kept_in_order_with_their_cell() -> None:
    source, notes = code(
        "import numpy as np\nfrom math import pi as PI",
        new_markdown_cell("# not code"),
        "EPS = 1e-12\nX = np.linspace(-1, 1, 5)\nW: float = 0.5\nshift = lambda z: z - z.max()",
        "@staticmethod\ndef sigmoid(x):\n    '''σ'''\n    return 1 / (1 + np.exp(-x))\n\n"
        "class Net:\n    pass",
    )
    assert notes == ()
    assert source.index("import numpy as np") < source.index("EPS = 1e-12") < source.index("@staticmethod")
    for kept in ("from math import pi as PI", "X = np.linspace(-1, 1, 5)", "W: float = 0.5",
                 "shift = lambda z: z - z.max()", "class Net:", "# --- code cell 3 ---"):
        assert kept in source


def test_top_level_code_is_left_out_with_one_note_naming_cell_and_line() -> None:
    source, notes = code(
        "import numpy as np",
        "def sigmoid(x):\n    return 1 / (1 + np.exp(-x))\nprint(sigmoid(0))\ny = sigmoid(np.zeros(3))",
        "for i in range(3):\n    print(i)\nassert sigmoid(0) == 0.5\n"
        "if __name__ == '__main__':\n    sigmoid(1)",
        "import numpy as np; W = train(); z = 1",
    )
    assert "print(" not in source and "sigmoid(np.zeros" not in source and "assert" not in source
    assert "train()" not in source and "z = 1" in source and "import numpy as np" in source
    (note,) = notes
    assert note.startswith("hw07.ipynb: top-level code other than definitions is not run when grading")
    for where in ("code cell 2 line 3 `print(sigmoid(0))`", "code cell 2 line 4 `y = sigmoid(np.zeros(3))`",
                  "code cell 3 line 1 `for i in range(3):`", "code cell 3 line 3 `assert sigmoid(0) == 0.5`",
                  "code cell 3 line 4 `if __name__ == '__main__':`", "code cell 4 line 1 `W = train()`"):
        assert where in note, where


def test_magics_and_shell_escapes_are_replaced_never_run() -> None:
    source, notes = code(
        "%matplotlib inline\n!pip install torch\nimport numpy as np\nfiles = !ls\nnp.exp?",
        "def f(x):\n    %time y = x\n    s = '''\n!not a magic inside a string\n%neither\n'''\n"
        "    return (x +\n            1)",
        "%%time\ndef g(x):\n    return x",
    )
    assert "!pip" not in source and "%matplotlib" not in source and "def g" not in source
    assert "!not a magic inside a string\n%neither" in source  # strings are left alone
    assert "    pass\n" in source  # the magic inside f became pass: f still parses
    magics = next(n for n in notes if "IPython magics" in n)
    for where in ("code cell 1 line 1 `%matplotlib inline`", "code cell 1 line 2 `!pip install torch`",
                  "code cell 1 line 4 `files = !ls`", "code cell 1 line 5 `np.exp?`",
                  "code cell 2 line 2 `%time y = x`"):
        assert where in magics, where
    assert any("cell magic" in n and "code cell 3 (%%time)" in n for n in notes)


def test_strip_magics_keeps_line_numbers_and_continuations() -> None:
    source = "x = [1,\n%not_magic_in_brackets]\ny = 1 + \\\n!2\n%real"
    out, dropped = strip_magics(source)
    assert out.count("\n") == source.count("\n")
    assert dropped == [(5, "%real")]


def test_a_cell_with_a_syntax_error_costs_only_its_own_functions() -> None:
    source, notes = code("def sigmoid(x):\n    return x", "def relu(x:\n    return x",
                         "def tanh_grad(x):\n    return x")
    assert "def sigmoid" in source and "def tanh_grad" in source and "relu" not in source
    assert any("code cell 2 (starting `def relu(x:`) has a syntax error on line 1" in n
               and "count as missing" in n for n in notes)


def test_imports_of_other_packages_and_own_files_are_left_out() -> None:
    source, notes = code("import numpy as np\nimport matplotlib.pyplot as plt\nimport os\n"
                         "from activations import sigmoid\nimport gates\n"
                         "from autograder.selfcheck.notebook_cells import check")
    assert "import os" in source and "plt" not in source and "activations" not in source
    assert "autograder" not in source and "import gates" not in source
    assert any("only numpy and the standard library" in n and "`import matplotlib.pyplot as plt`" in n
               for n in notes)
    assert any("own files" in n and "`from activations import sigmoid`" in n and "`import gates`" in n
               for n in notes)
    assert not any("autograder" in n for n in notes)  # a copied self-check cell: left out quietly


def test_platform_cells_are_left_out_quietly() -> None:
    check = new_code_cell("check('activations.py', globals())", metadata={"tags": [SELF_CHECK_TAG]})
    test = new_code_cell("assert sigmoid(0) == 0.5", metadata={"nbgrader": {
        "grade": True, "solution": False, "locked": True, "grade_id": "t", "points": 1, "schema_version": 3}})
    solution = new_code_cell("def sigmoid(x):\n    return x", metadata={"nbgrader": {
        "grade": False, "solution": True, "locked": False, "grade_id": "s", "schema_version": 3}})
    source, notes = code(check, test, solution)
    assert notes == () and "def sigmoid" in source and "assert" not in source and "check(" not in source
    assert "# --- code cell 3 ---" in source  # cells are counted as the student sees them


def test_an_old_notebook_format_is_read() -> None:
    data = nb_bytes("def sigmoid(x):\n    return x", version=3)
    assert json.loads(data)["nbformat"] == 3
    assert notebook_code(data, "old.ipynb", OWN).functions == ("sigmoid",)


@pytest.mark.parametrize(("data", "message"), [
    (b"", "hw07.ipynb is empty"),
    (b'{"cells": [', "hw07.ipynb is not a valid notebook: it is not JSON (line 1, column 12"),
    (b"\xff\xfe{}", "hw07.ipynb is not a valid notebook: it is not UTF-8 text"),
    (b"[1, 2]", 'hw07.ipynb is JSON but not a Jupyter notebook (it has no "nbformat" field).'),
    (b'{"nbformat": 4, "nbformat_minor": 5, "metadata": {}}', "is missing an expected key: cells"),
    (json.dumps({"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": [
        {"cell_type": "code", "source": "x", "metadata": {}, "outputs": [], "id": "a"}]}).encode(),
     "hw07.ipynb is not a valid Jupyter notebook (nbformat 4)"),
    (b'{"nbformat": 9, "cells": []}', "hw07.ipynb is not a valid Jupyter notebook (nbformat 9)"),
    (b"[" * 100_000 + b"]" * 100_000, "hw07.ipynb is not a valid notebook: its JSON is nested far too"),
], ids=["empty", "cut-off", "not-utf8", "a-list", "no-cells", "bad-cell", "future-version", "json-bomb"])
def test_malformed_notebooks_say_what_is_wrong(data: bytes, message: str) -> None:
    with pytest.raises(NotebookError) as e:
        notebook_code(data, "hw07.ipynb", OWN)
    assert message in str(e.value)
    assert len(str(e.value)) < 400 and "Traceback" not in str(e.value)


def test_implemented_ignores_stubs_and_missing_functions() -> None:
    source = ("def a(x):\n    '''doc'''\n    raise NotImplementedError('a: write your code here')\n"
              "def b(x):\n    return x\n"
              "def c(x):\n    pass\n"
              "def d(x):\n    raise NotImplementedError\n")
    assert implemented(source, ["a", "b", "c", "d", "e"]) == {"b"}
    assert implemented("def (:", ["a"]) == set()
