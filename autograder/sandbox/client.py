"""The submission as tests see it: ``student.softmax(z)`` looks like a call and is a request.

``WorkerStudent`` forwards every call to an isolated worker process (the grading path).
``DirectStudent`` calls the code in this process: for students running plain ``pytest`` on their own
code, and for the benchmark's in-process floor. It is never used to decide a grade.
Both give the same answers: values, the arguments as they are after the call (to see in-place
updates and mutation), floating-point warnings, and printed output.
"""

from __future__ import annotations

import math
import re
import sys
import time
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from autograder.course import errors
from autograder.course.i18n import _
from autograder.course.kinds import Kind
from autograder.sandbox import answers, protocol, schema, standin
from autograder.sandbox.worker.calls import (
    CallFailed,
    StudentModules,
    deep_copy_args,
    run_call,
    worker_message,
)


@dataclass(frozen=True)
class Call:
    """What one call into the submission produced."""

    value: Any
    args_after: tuple  # the positional arguments as they are after the call
    kwargs_after: dict = field(default_factory=dict)
    warnings: tuple[str, ...] = ()  # "RuntimeWarning: overflow encountered in exp", ...
    output: str = ""  # what the function printed (capped)


class Student:
    """Base: attribute access gives a callable that returns the value of the call."""

    layers: tuple[str, ...] = ()  # isolation layers around the code (none in-process)

    def call(self, name: str, *args: Any, **kwargs: Any) -> Call:
        raise NotImplementedError

    def many(self, name: str, batch: Sequence[tuple]) -> list:
        """``[name(*args) for args in batch]`` in one round trip."""
        raise NotImplementedError

    def close(self) -> None:
        pass

    def __getattr__(self, name: str) -> Callable:
        if name.startswith("_"):
            raise AttributeError(name)

        def forward(*args, **kwargs):
            return self.call(name, *args, **kwargs).value

        forward.__name__ = name
        return forward


_LOCATION = re.compile(r"(.+), line (\d+)")


def _location(text: str) -> str:
    """'gates.py, line 12' from the worker, in the active language."""
    m = _LOCATION.fullmatch(text)
    return _("{file}, line {line}").format(file=m[1], line=m[2]) if m else text


def to_error(function: str, report: dict) -> errors.StudentCodeError:
    """Turn a worker's failure report (plain strings) into the matching exception, in the active language
    (the worker's own sentences are translated from their ``msgid`` and ``args``: sandbox.calls)."""
    kind = report.get("kind")
    msg, where = worker_message(report), _location(report.get("location", ""))
    if kind == Kind.RAISED:
        return errors.StudentRaised(function, report.get("type", "Exception"), msg, where)
    if kind == Kind.IMPORT:
        error = report.get("type", "Error")
        text = (_("{function} could not be loaded: importing {file} failed with {error}: {message}.") if msg
                else _("{function} could not be loaded: importing {file} failed with {error}."))
        return errors.StudentImportError(function, text.format(function=function, file=where, error=error,
                                                               message=msg))
    if kind == Kind.MISSING_FILE:
        return errors.MissingFile(function, _("{function} could not be graded: {why}.").format(
            function=function, why=msg))
    if kind == Kind.MISSING_FUNCTION:
        return errors.MissingFunction(function, _("{function} could not be graded: {why}.").format(
            function=function, why=msg))
    if kind == Kind.BAD_RESULT:
        text = _("{function} returned something that is not numbers: {why}.")
        return errors.BadResult(function, text.format(function=function, why=msg))
    return errors.StudentCodeError(function, _("{function} failed: {why}.").format(function=function,
                                                                                   why=msg or kind))


def _report(msg: schema.Message) -> dict:
    """The failure report of a validated answer that is not ok (an empty one when it has none)."""
    error = getattr(msg, "error", None)
    return error.as_dict() if error is not None else {}


class DirectStudent(Student):
    """Calls the student's code in this process (no isolation: never for grading)."""

    def __init__(self, folder: Path, files: dict[str, list[str]],
                 oracle_module: Any = None, uses: Callable[[str], Sequence[str]] = lambda n: ()):
        for f in files:
            sys.modules.pop(Path(f).stem, None)
        self.modules = StudentModules(Path(folder), files)
        self.oracle_module = oracle_module
        self.uses = uses

    def _oracle(self, name, args, kwargs):
        args, kwargs = deep_copy_args(args, kwargs)
        value = getattr(self.oracle_module, name)(*args, **kwargs)
        return {"value": value, "args_after": args, "kwargs_after": kwargs}

    def call(self, name: str, *args: Any, **kwargs: Any) -> Call:
        args, kwargs = deep_copy_args(args, kwargs)
        oracles = list(self.uses(name)) if self.oracle_module is not None else []
        try:
            r = run_call(self.modules, name, args, kwargs, oracles, self._oracle)
        except CallFailed as exc:
            raise to_error(name, exc.report) from None
        return Call(r["value"], r["args_after"], r["kwargs_after"], tuple(r["warnings"]), r["output"])

    def many(self, name: str, batch: Sequence[tuple]) -> list:
        return [self.call(name, *args).value for args in batch]

    def close(self) -> None:
        folder = str(self.modules.folder)
        if folder in sys.path:
            sys.path.remove(folder)
        for f in self.modules.file_of.values():
            sys.modules.pop(Path(f).stem, None)


class ReferenceStudent(Student):
    """The trusted reference as the submission (in this process): what a correct submission answers.

    Used to tell a hidden test's own fault from a student's: a test that raises even on these answers
    is broken (``testkit.plugin``). Calls see private copies of their arguments, as workers do."""

    def __init__(self, reference: Any):
        self.reference = reference

    def call(self, name: str, *args: Any, **kwargs: Any) -> Call:
        args, kwargs = deep_copy_args(args, kwargs)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            with np.errstate(all="warn", under="ignore"):
                value = getattr(self.reference, name)(*args, **kwargs)
        seen = tuple(dict.fromkeys(f"{w.category.__name__}: {w.message}"[:200] for w in caught))[:20]
        return Call(value, args, kwargs, seen, "")

    def many(self, name: str, batch: Sequence[tuple]) -> list:
        return [self.call(name, *args).value for args in batch]


class WorkerStudent(Student):
    """Forwards calls to a worker process; the grading process never runs student code.

    A worker that misses its deadline or dies is killed; the function that did it is remembered
    and fails at once in later tests (so one endless loop costs one timeout, not one per test),
    and the next call to another function gets a fresh worker.

    ``budget``: wall-clock seconds for all calls of this submission together, from its first
    request; once spent, every later call is a timeout at once. ``contracts``: what the trusted
    stand-in of each used function accepts (``sandbox.standin``; None: only the element budget).
    ``answers``: the grading process's remembered stand-in answers (``sandbox.answers``), if any.
    """

    def __init__(self, launch: Callable[[], Any], timeout: float,
                 uses: Callable[[str], Sequence[str]] = lambda n: (),
                 oracle_module: Any = None, file_of: dict[str, str] | None = None,
                 budget: float | None = None, contracts: Mapping[str, Mapping[str, Any]] | None = None,
                 answers: answers.Answers | None = None):
        self._launch = launch
        self.answers = answers
        self.timeout = timeout
        self.budget = budget
        self.contracts = contracts
        self._budget_end: float | None = None
        self._standin_budget = standin.SLACK
        self.uses = uses
        self.oracle_module = oracle_module
        self.file_of = file_of or {}
        self.worker = None
        # what failed for good: a function name or "file:<name>" -> the error for a given function
        self.broken: dict[str, Callable[[str], errors.StudentCodeError]] = {}
        self.events: list[str] = []  # what happened to workers, for the TA's log
        self.layers: tuple[str, ...] = ()

    def _oracle(self, name: str, args: tuple, kwargs: dict, key: bytes | None = None) -> answers.Encoded:
        """The trusted answer for a used function, encoded; ``standin.WrongCall`` (the worker's call
        raises it, which costs that test) for a call outside the function's contract or element
        budget. With ``answers``, a request whose bytes (``key``) were answered before in this
        grading process gets the same answer without running the reference again."""
        if self.oracle_module is None or name not in self._allowed_oracles:
            raise errors.ProtocolError(_("it called {name}, which it may not use here").format(name=name))
        try:
            standin.check_budget(args, kwargs, self._standin_budget)
        except standin.WrongCall as exc:
            raise self._refusal(name, exc) from None
        known = self.answers.get(key) if self.answers is not None and key is not None else None
        if known is None:
            known = self._answer(name, args, kwargs)
            if self.answers is not None and key is not None:
                self.answers.put(key, known)
        if isinstance(known, answers.Refused):
            raise standin.WrongCall(known.reason)
        return known

    @staticmethod
    def _refusal(name: str, exc: standin.WrongCall) -> standin.WrongCall:
        return standin.WrongCall(_("{name} (answered by the grader) refused the call: {why}").format(
            name=name, why=exc))

    def _answer(self, name: str, args: tuple, kwargs: dict) -> answers.Encoded | answers.Refused:
        """The reference's answer to a call within the element budget (it depends on the arguments only)."""
        fn = getattr(self.oracle_module, name)
        contract = None if self.contracts is None else self.contracts.get(name, {})
        try:
            standin.check_contract(fn, contract, args, kwargs)
        except standin.WrongCall as exc:
            return answers.Refused(str(self._refusal(name, exc)))
        try:
            value = fn(*args, **kwargs)
        except Exception as exc:  # the student passed arguments the correct function rejects
            return answers.Refused(
                _("it called {name} with arguments that {name} does not accept ({error}: {message})").format(
                    name=name, error=type(exc).__name__, message=str(exc)[:150]))
        tree, payloads = protocol.encode_values({"value": value, "args_after": args, "kwargs_after": kwargs})
        return answers.Encoded(tree, tuple(payloads))

    def _request(self, name: str, op: str, values: dict) -> tuple[dict, dict]:
        filename = self.file_of.get(name, "")
        for key in (name, "file:" + filename):
            if key in self.broken:
                raise self.broken[key](name)  # a fresh exception: no traceback that grows per raise
        self._budget_left(name)
        if self.worker is None or not self.worker.alive:
            self.worker = self._launch()
            self.layers = self.worker.layers
        if filename and filename not in self.worker.loaded:
            # Import the file on its own deadline, so a file that hangs or fails at import
            # is blamed (once) for every function in it.
            msg, _values = self._exchange("file:" + filename, name, {"op": "load", "file": filename}, {},
                                          (schema.Loaded, schema.Result))
            if not msg.ok:
                report = _report(msg)
                if report.get("kind") in (Kind.IMPORT, Kind.MISSING_FILE):
                    self.broken["file:" + filename] = lambda fn, report=report: to_error(fn, report)
                raise to_error(name, report)
            self.worker.loaded.add(filename)
        oracles = [u for u in self.uses(name) if u != name] if self.oracle_module else []
        self._allowed_oracles = set(oracles)
        self._standin_budget = standin.budget_for(values)
        return self._exchange(name, name, {"op": op, "func": name, "oracles": oracles}, values)

    def _budget_left(self, name: str) -> float:
        """Seconds left of the submission's budget (inf without one); StudentTimeout when none are."""
        if self.budget is None:
            return math.inf
        now = time.monotonic()
        if self._budget_end is None:
            self._budget_end = now + self.budget
        left = self._budget_end - now
        if left <= 0:
            raise errors.StudentTimeout(name, _(
                "{function} was not run: this submission used up its time budget of {seconds} s (all its "
                "tests together), so its remaining tests count as timeouts.").format(
                    function=name, seconds=f"{self.budget:g}"))
        return left

    def _exchange(self, key: str, name: str, header: dict, values: dict,
                  expect: tuple[type, ...] = (schema.Result,)) -> tuple[schema.Message, dict]:
        left = self._budget_left(name)
        deadline = time.monotonic() + min(self.timeout, left)
        try:
            msg, vals = self.worker.request(header, values, deadline, self._oracle, expect)
            if header["op"] == "call" and msg.ok and (type(vals.get("args_after", ())) is not tuple
                                                      or type(vals.get("kwargs_after", {})) is not dict):
                raise errors.ProtocolError(_("the worker answered a call with malformed arguments"))
            return msg, vals
        except TimeoutError:
            self.worker.kill()
            what = _("importing {file}").format(file=key[5:]) if key.startswith("file:") else name
            if left < self.timeout:  # the submission's budget ended first: not this function's fault alone
                raise errors.StudentTimeout(name, _(
                    "{what} was stopped: this submission used up its time budget of {seconds} s (all its "
                    "tests together), so its remaining tests count as timeouts.").format(
                        what=what, seconds=f"{self.budget:g}")) from None
            err = errors.StudentTimeout(
                name, _("{what} did not finish within {seconds} s (an endless loop, or far too slow); it was "
                        "stopped and not run again.").format(what=what, seconds=f"{self.timeout:g}")
            )
        except (EOFError, OSError, errors.ProtocolError) as exc:
            self.worker.kill()
            why = str(exc) if isinstance(exc, errors.ProtocolError) else _(
                "the process running it ended abruptly (os._exit, a crash, or over the memory limit)")
            err = errors.StudentCrashed(name, _("{function} could not be graded: {why}; it was not run "
                                                "again.").format(function=name, why=why))
        self.events.append(f"{key}: {err.kind}")
        self.broken[key] = lambda fn, err=err: type(err)(fn, err.summary)
        raise err

    def call(self, name: str, *args: Any, **kwargs: Any) -> Call:
        msg, values = self._request(name, "call", {"args": tuple(args), "kwargs": dict(kwargs)})
        if not msg.ok:
            raise to_error(name, _report(msg))
        return Call(values.get("value"), values.get("args_after", ()), values.get("kwargs_after", {}),
                    tuple(msg.warnings), msg.output)

    def many(self, name: str, batch: Sequence[tuple]) -> list:
        msg, values = self._request(name, "many", {"batch": [tuple(a) for a in batch]})
        if not msg.ok:
            raise to_error(name, _report(msg))
        value = values.get("value")
        if type(value) is not list or len(value) != len(batch):
            text = _("{function}: the worker answered a batch of the wrong size.")
            raise errors.BadResult(name, text.format(function=name))
        return value

    def close(self) -> None:
        if self.worker is not None:
            self.worker.kill()
            self.worker = None
