"""Calling a student's function: the code that runs beside student code (in the worker).

Imports the student's files by module name from their folder, runs one call with floating-point
warnings and printed output captured, and reports failures as plain data (kind, type, message,
file and line) — never as live exception objects.
"""

from __future__ import annotations

import copy
import importlib.machinery
import importlib.util
import io
import os
import sys
import traceback
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from autograder.course.i18n import N_, _
from autograder.course.kinds import Kind

OUTPUT_CAP = 4096


class CallFailed(Exception):
    """Carries a failure report (a dict of strings) out of ``run_call``."""

    def __init__(self, report: dict):
        super().__init__(report.get("message", ""))
        self.report = report


class CappedText(io.TextIOBase):
    """A write-only text stream that keeps the first ``cap`` characters."""

    def __init__(self, cap: int = OUTPUT_CAP):
        self.cap, self.parts, self.size, self.dropped = cap, [], 0, False

    def writable(self) -> bool:
        return True

    def write(self, s) -> int:
        s = str(s)
        room = self.cap - self.size
        if room > 0:
            self.parts.append(s[:room])
            self.size += min(len(s), room)
        if len(s) > room:
            self.dropped = True
        return len(s)

    def take(self) -> str:
        text = "".join(self.parts) + ("\n[... output cut ...]" if self.dropped else "")
        self.parts, self.size, self.dropped = [], 0, False
        return text


def _student_location(tb, folder: Path) -> str:
    """'file.py, line N' of the innermost traceback frame inside the student's folder."""
    where = ""
    for frame in traceback.extract_tb(tb):
        try:
            p = Path(frame.filename).resolve()
        except (OSError, ValueError):
            continue
        if p.parent == folder:
            where = f"{p.name}, line {frame.lineno}"
    return where


# The worker's own sentences. It sends them in English with their msgid and arguments (strings);
# the grading process shows them in its language (``worker_message``), never formatting any other text.
NOT_SUBMITTED = N_("{file} was not submitted")
NO_FUNCTION = N_("{file} has no function {function}")
NOT_IN_ASSIGNMENT = N_("{function} is not part of this assignment")
SYS_EXIT = N_("the function called sys.exit()")
MISSING_NOT_SUBMITTED = N_("{function} is missing: {file} was not submitted")
MISSING_NO_FUNCTION = N_("{function} is missing: {file} has no function {function}")
WORKER_MESSAGES = frozenset({NOT_SUBMITTED, NO_FUNCTION, NOT_IN_ASSIGNMENT, SYS_EXIT, MISSING_NOT_SUBMITTED,
                             MISSING_NO_FUNCTION})


def failure(kind: Kind, exc_type: str = "", message: str = "", location: str = "", msgid: str = "",
            **args: str) -> CallFailed:
    """A failure report; ``msgid``: one of WORKER_MESSAGES, which ``args`` fill to give ``message``."""
    if msgid:
        message = msgid.format(**args)
    # Within the caps of sandbox.schema, which the trusted process enforces whatever the worker does.
    report = {"kind": kind, "type": exc_type[:100], "message": message[:500], "location": location[:200]}
    if msgid:
        report.update(msgid=msgid, args=args)
    return CallFailed(report)


def worker_message(report: dict) -> str:
    """The message of a failure report in the active language (grading process side): a known msgid
    with string arguments is translated; any other message is shown as it came."""
    msgid, args = report.get("msgid"), report.get("args")
    if msgid in WORKER_MESSAGES and isinstance(args, dict) and all(
            isinstance(k, str) and isinstance(v, str) for k, v in args.items()):
        try:
            return _(msgid).format(**args)
        except (KeyError, IndexError, ValueError):
            pass
    return str(report.get("message", ""))


class MissingSibling(NameError):
    """Raised by the stand-in of a sibling's missing function (reported as a NameError)."""

    def __init__(self, msgid: str, **args: str):
        super().__init__(msgid.format(**args))
        self.msgid, self.fields = msgid, args


def _stand_in(name: str, filename: str, submitted: bool) -> Callable:
    """What a student file gets for a sibling's function that is missing."""

    def stand_in(*args, **kwargs):
        raise MissingSibling(MISSING_NO_FUNCTION if submitted else MISSING_NOT_SUBMITTED, function=name,
                             file=filename)

    stand_in.__name__ = name
    return stand_in


def _raised(exc: BaseException, message: str, location: str) -> CallFailed:
    """The report of an exception from student code (the stand-in's as the NameError it is)."""
    if isinstance(exc, MissingSibling):
        return failure(Kind.RAISED, "NameError", location=location, msgid=exc.msgid, **exc.fields)
    return failure(Kind.RAISED, type(exc).__name__, message, location)


class _SiblingLoader(importlib.machinery.SourceFileLoader):
    """Loads a student file and binds a stand-in for each of its functions that it lacks; for a
    file that was not submitted, a module of stand-ins. So ``from optim import sgd_step`` in
    logreg.py still imports, and ``substitute`` can replace the stand-in when sgd_step is in
    ``uses``: a missing function costs points in its own exercise only."""

    def __init__(self, fullname: str, path: str, modules: StudentModules):
        super().__init__(fullname, path)
        self.modules = modules

    def exec_module(self, module) -> None:
        filename = Path(self.path).name
        submitted = Path(self.path).is_file()
        if submitted:
            super().exec_module(module)
        for fn, f in self.modules.file_of.items():
            if f == filename and not callable(getattr(module, fn, None)):
                self.modules.stand_ins[fn] = _stand_in(fn, filename, submitted)
                setattr(module, fn, self.modules.stand_ins[fn])


class _SiblingFinder:
    """On sys.meta_path while a student file is imported: its imports of sibling files."""

    def __init__(self, modules: StudentModules):
        self.modules = modules

    def find_spec(self, fullname, path=None, target=None):
        if "." in fullname or fullname + ".py" not in self.modules.file_of.values():
            return None
        file = str(self.modules.folder / (fullname + ".py"))
        return importlib.util.spec_from_file_location(
            fullname, file, loader=_SiblingLoader(fullname, file, self.modules))


class StudentModules:
    """The student's files, imported lazily by module name from ``folder``."""

    def __init__(self, folder: Path, files: dict[str, list[str]]):
        self.folder = Path(folder).resolve()
        self.file_of = {fn: f for f, fns in files.items() for fn in fns}
        self.modules: dict[str, Any] = {}
        self.import_failures: dict[str, CallFailed] = {}
        self._originals: dict[str, Any] = {}
        self.stand_ins: dict[str, Callable] = {}  # function name -> what siblings got for it

    def module(self, filename: str):
        if filename in self.modules:
            return self.modules[filename]
        if filename in self.import_failures:
            raise self.import_failures[filename]
        path = self.folder / filename
        if not path.is_file():
            raise failure(Kind.MISSING_FILE, msgid=NOT_SUBMITTED, file=filename)
        name = Path(filename).stem
        if str(self.folder) not in sys.path:
            sys.path.insert(0, str(self.folder))
        finder = _SiblingFinder(self)
        sys.meta_path.insert(0, finder)
        try:
            mod = sys.modules.get(name)
            if mod is None or getattr(mod, "__file__", None) != str(path):
                spec = finder.find_spec(name)
                mod = importlib.util.module_from_spec(spec)
                sys.modules[name] = mod
                spec.loader.exec_module(mod)
        except SyntaxError as exc:
            sys.modules.pop(name, None)
            line = exc.lineno or 0
            err = failure(
                Kind.IMPORT, type(exc).__name__, exc.msg or "invalid syntax", f"{filename}, line {line}"
            )
            self.import_failures[filename] = err
            raise err from None
        except BaseException as exc:  # noqa: BLE001 - anything at import time is the student's
            sys.modules.pop(name, None)
            err = failure(
                Kind.IMPORT,
                "NameError" if isinstance(exc, MissingSibling) else type(exc).__name__,
                str(exc),
                _student_location(exc.__traceback__, self.folder) or filename,
            )
            self.import_failures[filename] = err
            raise err from None
        finally:
            sys.meta_path.remove(finder)
        self.modules[filename] = mod
        return mod

    def function(self, name: str) -> Callable:
        filename = self.file_of.get(name)
        if filename is None:
            raise failure(Kind.MISSING_FUNCTION, msgid=NOT_IN_ASSIGNMENT, function=name)
        mod = self.module(filename)
        fn = getattr(mod, name, None)
        if not callable(fn) or fn is self.stand_ins.get(name):
            raise failure(Kind.MISSING_FUNCTION, msgid=NO_FUNCTION, file=filename, function=name)
        return fn

    def substitute(self, names: list[str], make_stub: Callable[[str], Callable]) -> list[tuple]:
        """Replace the student's functions ``names`` (wherever their modules bound them) by stubs.

        Returns what to pass to ``restore``. Files that fail to import are skipped.
        """
        saved = []
        originals = {}
        for name in names:
            try:
                originals[name] = self.function(name)
            except CallFailed:
                if name in self.stand_ins:  # missing, but a sibling imported its stand-in
                    originals[name] = self.stand_ins[name]
        for mod in list(self.modules.values()):
            for attr, val in list(vars(mod).items()):
                for name, orig in originals.items():
                    if val is orig:
                        saved.append((mod, attr, val))
                        setattr(mod, attr, make_stub(name))
        return saved

    @staticmethod
    def restore(saved: list[tuple]) -> None:
        for mod, attr, val in reversed(saved):
            setattr(mod, attr, val)


def run_call(
    modules: StudentModules,
    name: str,
    args: tuple,
    kwargs: dict,
    oracles: list[str] = (),
    oracle: Callable[[str, tuple, dict], Any] | None = None,
) -> dict:
    """Call ``name(*args, **kwargs)``; returns value, arguments after the call, warnings, output.

    ``oracles`` names student functions to replace, during this call, by ``oracle(name, ...)``.
    """
    fn = modules.function(name)
    held = _held_arrays(args, kwargs)
    saved = modules.substitute(list(oracles), _stub_factory(oracle)) if oracles else []
    out = CappedText()
    old_out, old_err = sys.stdout, sys.stderr
    sys.stdout = sys.stderr = out
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            with np.errstate(all="warn", under="ignore"):
                value = fn(*args, **kwargs)
    except BaseException as exc:  # noqa: BLE001 - SystemExit and KeyboardInterrupt included
        location = _student_location(exc.__traceback__, modules.folder)
        if isinstance(exc, SystemExit):
            raise failure(Kind.RAISED, "SystemExit", location=location, msgid=SYS_EXIT) from None
        message = str(exc).replace(str(modules.folder) + os.sep, "")  # no per-run scratch paths
        raise _raised(exc, message, location) from None
    finally:
        sys.stdout, sys.stderr = old_out, old_err
        modules.restore(saved)
    seen = []
    for w in caught:
        text = f"{w.category.__name__}: {w.message}"[:200]
        if text not in seen:
            seen.append(text)
    return {
        "value": value,
        "args_after": tuple(_as_held(a, held) for a in args),
        "kwargs_after": {k: _as_held(v, held) for k, v in kwargs.items()},
        "warnings": seen[:20],
        "output": out.take(),
    }


def _held_arrays(args: tuple, kwargs: dict) -> dict[int, dict]:
    """For each dict argument (by id), the arrays it held before the call."""
    return {id(a): {k: v for k, v in a.items() if isinstance(v, np.ndarray)}
            for a in (*args, *kwargs.values()) if type(a) is dict}


def _as_held(arg: Any, held: dict[int, dict]) -> Any:
    """A dict argument as every other holder of its arrays sees it after the call.

    An optimizer's step must update the arrays in place: replacing ``params[k]`` with a new array
    leaves the caller's array (held by the model, too) unchanged — so that is what is reported.
    """
    before = held.get(id(arg)) if type(arg) is dict else None
    if before is None:
        return arg
    return {k: before.get(k, v) for k, v in arg.items()}


def _stub_factory(oracle):
    def make_stub(name: str) -> Callable:
        def stub(*args, **kwargs):
            answer = oracle(name, args, kwargs)
            _copy_back(args, answer["args_after"])
            _copy_back(tuple(kwargs.values()), tuple(answer["kwargs_after"].values()))
            return answer["value"]

        stub.__name__ = name
        return stub

    return make_stub


def _copy_back(originals, afters) -> None:
    """Write the oracle's in-place effects back into the caller's arrays and dicts."""
    for orig, after in zip(originals, afters, strict=False):
        if isinstance(orig, np.ndarray) and isinstance(after, np.ndarray):
            if orig.shape == after.shape and orig.flags.writeable:
                np.copyto(orig, after, casting="unsafe")
        elif isinstance(orig, dict) and isinstance(after, dict):
            for k in orig:
                if k in after:
                    if isinstance(orig[k], np.ndarray):
                        _copy_back((orig[k],), (after[k],))
                    else:
                        orig[k] = after[k]


def deep_copy_args(args: tuple, kwargs: dict) -> tuple[tuple, dict]:
    """Private copies of the arguments, so a call's in-place effects are observable."""
    return copy.deepcopy(args), copy.deepcopy(kwargs)
