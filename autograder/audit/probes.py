"""Is a mutant likely equivalent to the solution? Compare them on many seeded inputs.

The inputs are the calls the hidden tests make when they grade the solution (recorded in this
process, on the trusted solution), a few per graded function, each also redrawn: fresh random
values, small integers (exact zeros and ties), values ×1000, and equal arrays (ties). Each probe is
a call in the submission's isolated worker under grading conditions (the functions an exercise
``uses`` answered by the reference). Two submissions agree on a probe when they return the same
structure with the same values (rtol 1e-10, atol 1e-13, nan where nan), shapes and array dtypes,
leave the arguments the same, raise the same warnings, and fail the same way.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from autograder.sandbox.client import Student
from autograder.sandbox.worker.calls import deep_copy_args

PER_FUNCTION = 8  # recorded calls kept per function
RTOL, ATOL = 1e-10, 1e-13
REDRAWS = ("recorded", "random", "integers", "large", "ties")


@dataclass(frozen=True)
class Probe:
    function: str
    args: tuple
    kwargs: dict
    how: str  # one of REDRAWS


class _Recorder(Student):
    """A student that logs every call the tests make, and forwards it."""

    def __init__(self, inner: Student):
        self.inner = inner
        self.calls: list[tuple[str, tuple, dict]] = []

    def call(self, name: str, *args: Any, **kwargs: Any):
        self.calls.append((name, *deep_copy_args(args, kwargs)))
        return self.inner.call(name, *args, **kwargs)

    def many(self, name: str, batch: Sequence[tuple]) -> list:
        for args in batch:
            self.calls.append((name, *deep_copy_args(tuple(args), {})))
        return self.inner.many(name, batch)

    def close(self) -> None:
        self.inner.close()


def record_calls(hidden_tests: Path, a, solution_folder: Path,
                 reference: Any) -> list[tuple[str, tuple, dict]]:
    """The calls the hidden tests make on the (trusted) solution, in order."""
    from autograder.sandbox.client import DirectStudent
    from autograder.testkit.plugin import Job
    from autograder.testkit.session import run_session

    recorder = _Recorder(DirectStudent(solution_folder, a.files_map(), oracle_module=reference,
                                       uses=a.uses_of))
    before = set(sys.modules)
    try:
        run_session(hidden_tests, a, [Job("solution", lambda: recorder)], lambda r: None, reference)
    finally:
        for name in set(sys.modules) - before:
            file = getattr(sys.modules[name], "__file__", None)
            if file and Path(file).resolve().is_relative_to(Path(hidden_tests).resolve()):
                del sys.modules[name]
    return recorder.calls


def _signature(args: tuple, kwargs: dict) -> tuple:
    def sig(v):
        if isinstance(v, np.ndarray):
            return ("a", v.shape, v.dtype.str)
        if isinstance(v, dict):
            return ("d", tuple((k, sig(x)) for k, x in sorted(v.items())))
        if isinstance(v, (tuple, list)):
            return ("t", tuple(sig(x) for x in v))
        return (type(v).__name__,)

    return sig(args), sig(kwargs)


def _redraw(value: Any, how: str, rng: np.random.Generator) -> Any:
    if isinstance(value, np.ndarray) and value.dtype.kind == "f":
        draw = rng.standard_normal(value.shape)
        new = {"random": 3.0 * draw, "integers": np.round(2.0 * draw), "large": 1000.0 * draw}[how]
        return np.asarray(new, dtype=value.dtype)
    if isinstance(value, float):
        return float(_redraw(np.asarray(value), how, rng))
    if isinstance(value, dict):
        return {k: _redraw(v, how, rng) for k, v in value.items()}
    if isinstance(value, (tuple, list)):
        return type(value)(_redraw(v, how, rng) for v in value)
    return value  # labels, sizes, seeds, None


def _tied(args: tuple) -> tuple | None:
    """Every float array of the shape of the first one set equal to it (ties); None if none."""
    arrays = []

    def walk(v):
        if isinstance(v, np.ndarray) and v.dtype.kind == "f":
            arrays.append(v)
        elif isinstance(v, (tuple, list)):
            for x in v:
                walk(x)

    walk(args)
    if len(arrays) < 2 or not any(x.shape == arrays[0].shape for x in arrays[1:]):
        return None
    first = arrays[0]

    def tie(v):
        if isinstance(v, np.ndarray) and v.dtype.kind == "f" and v.shape == first.shape:
            return first.copy()
        if isinstance(v, (tuple, list)):
            return type(v)(tie(x) for x in v)
        return v

    return tie(args)


def make_probes(calls: list[tuple[str, tuple, dict]], functions: Sequence[str], seed: int = 0) -> list[Probe]:
    """Up to PER_FUNCTION recorded calls per graded function (varied shapes first), each redrawn."""
    rng = np.random.default_rng(seed)
    probes: list[Probe] = []
    for fn in functions:
        mine = [(args, kwargs) for name, args, kwargs in calls if name == fn]
        by_sig: dict[tuple, list] = {}
        for args, kwargs in mine:
            by_sig.setdefault(_signature(args, kwargs), []).append((args, kwargs))
        chosen, groups = [], list(by_sig.values())
        while len(chosen) < PER_FUNCTION and any(groups):
            for g in groups:
                if g and len(chosen) < PER_FUNCTION:
                    chosen.append(g.pop(0))
        for args, kwargs in chosen:
            probes.append(Probe(fn, args, kwargs, "recorded"))
            for how in ("random", "integers", "large"):
                probes.append(Probe(fn, _redraw(args, how, rng), _redraw(kwargs, how, rng), how))
            tied = _tied(args)
            if tied is not None:
                probes.append(Probe(fn, tied, kwargs, "ties"))
    return probes


# ---------------------------------------------------------------- running and comparing


def observe(student: Student, probe: Probe) -> tuple:
    """What one probe call did: ("ok", value, args_after, kwargs_after, warnings) or ("error", kind, type)."""
    from autograder.course.errors import StudentCodeError

    try:
        c = student.call(probe.function, *probe.args, **probe.kwargs)
    except StudentCodeError as exc:
        return ("error", exc.kind, getattr(exc, "exc_type", ""))
    return ("ok", c.value, c.args_after, c.kwargs_after, tuple(sorted(set(c.warnings))))


def _differ(a: Any, b: Any, where: str) -> str | None:
    """None when ``a`` and ``b`` agree, else what differs."""
    num = (np.ndarray, np.generic, float, int)
    if isinstance(a, num) and not isinstance(a, bool) and isinstance(b, num) and not isinstance(b, bool):
        x, y = np.asarray(a), np.asarray(b)
        if x.shape != y.shape:
            return f"{where}: shape {y.shape} instead of {x.shape}"
        if isinstance(a, (np.ndarray, np.generic)) and isinstance(b, (np.ndarray, np.generic)) \
                and x.dtype != y.dtype:
            return f"{where}: dtype {y.dtype} instead of {x.dtype}"
        if x.dtype.kind in "fiub" and y.dtype.kind in "fiub":
            with np.errstate(all="ignore"):
                ok = np.isclose(y.astype(np.float64), x.astype(np.float64), rtol=RTOL, atol=ATOL,
                                equal_nan=True)
            if not ok.all():
                i = int(np.flatnonzero(~ok.ravel())[0])
                index = tuple(int(k) for k in np.unravel_index(i, x.shape))
                return (f"{where}: {y.ravel()[i]:.6g} instead of {x.ravel()[i]:.6g}"
                        + (f" (at index {index})" if x.ndim else ""))
            return None
    if type(a) is not type(b) and not (isinstance(a, (tuple, list)) and isinstance(b, (tuple, list))):
        return f"{where}: a {type(b).__name__} instead of a {type(a).__name__}"
    if isinstance(a, dict):
        if sorted(a) != sorted(b):
            return f"{where}: keys {sorted(b)} instead of {sorted(a)}"
        return next((d for k in a if (d := _differ(a[k], b[k], f"{where}[{k!r}]"))), None)
    if isinstance(a, (tuple, list)):
        if len(a) != len(b):
            return f"{where}: {len(b)} items instead of {len(a)}"
        return next((d for k, (x, y) in enumerate(zip(a, b, strict=True))
                     if (d := _differ(x, y, f"{where}[{k}]"))), None)
    return None if a == b else f"{where}: {b!r} instead of {a!r}"


def difference(expected: tuple, got: tuple) -> str | None:
    """None when two observations agree, else what differs (``expected`` is the solution's)."""
    if expected[0] != got[0] or expected[0] == "error":
        if expected == got:
            return None
        def say(o):
            return "returned" if o[0] == "ok" else f"failed ({o[1]} {o[2]})".rstrip()
        return f"it {say(got)} where the solution {say(expected)}"
    labels = ((1, "the result"), (2, "the arguments after the call"), (3, "keyword arguments after"))
    for part, label in labels:
        d = _differ(expected[part], got[part], label)
        if d:
            return d
    if expected[4] != got[4]:
        return f"warnings {list(got[4]) or 'none'} instead of {list(expected[4]) or 'none'}"
    return None


def describe(probe: Probe) -> str:
    """``softmax(z (3, 4), axis=1)`` with small inputs written out, and how the input was drawn."""
    def arg(v):
        if isinstance(v, np.ndarray):
            if v.size <= 4:
                return np.array2string(v, separator=", ", precision=4)
            return f"array{v.shape}"
        if isinstance(v, dict):
            return "{" + ", ".join(f"{k!r}: {arg(x)}" for k, x in v.items()) + "}"
        if isinstance(v, (tuple, list)):
            return "(" + ", ".join(arg(x) for x in v) + ")"
        return repr(v)

    parts = [arg(v) for v in probe.args] + [f"{k}={arg(v)}" for k, v in probe.kwargs.items()]
    how = {"recorded": "an input of the hidden tests", "random": "fresh random values",
           "integers": "small integers (zeros and ties)", "large": "values ×1000",
           "ties": "equal inputs (ties)"}[probe.how]
    return f"{probe.function}({', '.join(parts)}) on {how}"
