"""The self-check cells of the assignment notebook: public tests on the functions of the running kernel.

``check("activations.py", globals())`` runs the public tests of activations.py with the engine of
``autograder check``, on the functions the notebook has defined so far, and prints the same report.
It never raises: a stub that still raises NotImplementedError is a failed test in the report, not an
error that stops "Run All". Unlike ``autograder check hw07.ipynb`` (the saved file, read the way the
grader reads it, in a separate process with a time limit), this runs the code in the kernel as it is
now, without a time limit: interrupt the kernel if a cell hangs.
"""

from __future__ import annotations

import sys
import traceback
from dataclasses import replace
from pathlib import Path
from typing import Any

from autograder.course import i18n
from autograder.course.i18n import N_, _
from autograder.course.kinds import Kind
from autograder.sandbox.client import DirectStudent
from autograder.sandbox.worker.calls import failure

IN_KERNEL = N_("Your functions ran in this notebook's kernel, without a time limit. The grader reads the "
               "saved notebook: `python -m autograder check <notebook>.ipynb` checks it that way.")


class _KernelFunctions:
    """The functions of a namespace (the notebook's globals), looked up at each call, in the shape
    ``run_call`` expects of a submission's modules."""

    folder = Path("/nonexistent-notebook-folder")  # no traceback frame is "in the student's folder"

    def __init__(self, namespace: dict[str, Any]):
        self.namespace = namespace

    def function(self, name: str):
        fn = self.namespace.get(name)
        if not callable(fn):
            raise failure(Kind.MISSING_FUNCTION, message=_(
                "this notebook has no function {name} yet (run its cell first)").format(name=name))
        return fn

    def substitute(self, names, make_stub) -> list:
        return []  # the self-check uses no trusted stand-ins

    @staticmethod
    def restore(saved: list) -> None:
        pass


class KernelStudent(DirectStudent):
    """The notebook's own functions, called in this process (the self-check only; never for grading)."""

    layers: tuple[str, ...] = ()  # no worker: no isolation layers

    def __init__(self, namespace: dict[str, Any]):
        self.modules = _KernelFunctions(namespace)
        self.oracle_module = None
        self.uses = lambda name: ()

    def close(self) -> None:
        pass


def check(file: str | None, namespace: dict[str, Any], folder: Path | None = None,
          lang: str | None = None) -> None:
    """Print the public tests' report for ``file`` ("activations.py"; None: every file) on the
    functions in ``namespace``. ``folder``: the assignment folder (default: found from the current
    folder, which is the notebook's in Jupyter); ``lang``: default the assignment's ``lang``."""
    try:
        print(report(file, namespace, folder, lang))
    except Exception:  # noqa: BLE001 - a self-check cell must never stop the notebook
        print(_("The self-check itself failed (not your code):") + "\n" + traceback.format_exc(limit=3),
              file=sys.stderr)


def report(file: str | None, namespace: dict[str, Any], folder: Path | None = None,
           lang: str | None = None) -> str:
    from autograder.course.assignment import load_assignment
    from autograder.selfcheck.check import find_assignment_folder

    a = load_assignment(find_assignment_folder(Path(folder) if folder else Path.cwd()))
    with i18n.language(i18n.check_lang(lang or a.lang), (a.locale,)):
        return _report(a, file, namespace)


def _report(a, file: str | None, namespace: dict[str, Any]) -> str:
    from autograder.selfcheck.check import render_check
    from autograder.testkit.plugin import Job
    from autograder.testkit.session import run_session

    if file is not None and file not in a.files:
        return _("{file} is not a file of {assignment} ({files}).").format(file=file, assignment=a.name,
                                                                           files=", ".join(a.files))
    tests = a.public_tests
    if file is not None and (tests / f"test_{Path(file).stem}.py").is_file():
        tests = tests / f"test_{Path(file).stem}.py"
    results = []
    run_session(tests, a, [Job("you", lambda: KernelStudent(namespace))], results.append)
    from autograder.testkit.attribution import attribute

    r = attribute(results[0], a)  # a failing helper is named where another exercise uses it
    if file is not None:
        mine = {e.id for e in a.exercises if e.function in a.files[file]}
        r = replace(r, exercises=tuple(e for e in r.exercises if e.id in mine),
                    tests=tuple(t for t in r.tests if t.exercise in mine))
    return render_check(r, _(IN_KERNEL))
