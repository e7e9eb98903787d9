"""The trusted side's work that is the same for every student, done once per grading session.

The hidden tests' inputs are seeded, so what a test computes from the reference alone (finite
differences of the reference's forward, what a known mistake would output) is the same for every
submission. ``remember(f, *args)`` gives ``f(*args)`` computed once per session for arguments that
are byte-identical: a key is made only of values whose bytes say everything about them (numpy
arrays, numbers, strings, tuples of them), of modules (the reference) and builtins, and of plain
functions whose closures, defaults and globals are such values in turn; anything else (a student,
a list, an object) is not remembered and is computed every time. ``@pure`` marks a test helper that
depends on its arguments alone (the helper itself is trusted to be, so it is keyed by identity).
Answers are handed out as deep copies, so a caller may change them. The memory is per session
(``session()``, which the grading plugin opens around its loop), bounded in entries and bytes;
outside a session nothing is remembered.
"""

from __future__ import annotations

import contextlib
import copy
import functools
import types
from collections.abc import Callable, Hashable, Iterator
from contextvars import ContextVar
from typing import Any, TypeVar

import numpy as np

ENTRIES = 4096
BYTES = 64 * 1024 * 1024  # of the arrays held in keys and answers together
_DEPTH = 4  # functions within functions that a key follows

_SCALARS = (int, float, complex, bool, str, bytes, type(None))
_MEMORY: ContextVar[_Memory | None] = ContextVar("autograder_testkit_memo", default=None)
F = TypeVar("F", bound=Callable[..., Any])


@contextlib.contextmanager
def session() -> Iterator[None]:
    """Remember what ``remember`` computes until the block ends (a grading session's loop)."""
    token = _MEMORY.set(_Memory())
    try:
        yield
    finally:
        _MEMORY.reset(token)


def key_of(value: Any, depth: int = 0) -> Hashable | None:
    """A hashable key that determines ``value`` entirely, or None when there is none."""
    t = type(value)
    if t in _SCALARS:
        return (t.__name__, value)
    if t is np.ndarray:
        if value.dtype.hasobject:
            return None
        return ("nd", value.dtype.str, value.shape, value.tobytes())
    if isinstance(value, np.generic) and not isinstance(value, np.object_):
        return ("np", value.dtype.str, value.tobytes())
    if t is tuple:
        items = tuple(key_of(v, depth) for v in value)
        return None if any(i is None for i in items) else ("tuple", items)
    if t is types.ModuleType or t is types.BuiltinFunctionType or t is np.ufunc:
        return (t.__name__, value)  # held, so never confused with a later object at the same address
    if t is types.FunctionType and depth < _DEPTH:
        return _function_key(value, depth + 1)
    if t is functools.partial and depth < _DEPTH:
        parts = (key_of(value.func, depth + 1), key_of(value.args, depth),
                 key_of(tuple(sorted(value.keywords.items())), depth))
        return None if None in parts else ("partial", parts)
    return None


def _names(code: types.CodeType) -> Iterator[str]:
    yield from code.co_names
    for c in code.co_consts:
        if isinstance(c, types.CodeType):
            yield from _names(c)


def _function_key(f: types.FunctionType, depth: int) -> Hashable | None:
    """A plain function by its code, its closure's values, its defaults and the globals it names."""
    cells = []
    for cell in f.__closure__ or ():
        try:
            cells.append(key_of(cell.cell_contents, depth))
        except ValueError:  # an empty cell
            return None
    named = []
    for name in sorted(set(_names(f.__code__))):
        if name in f.__globals__:
            named.append((name, key_of(f.__globals__[name], depth)))
    parts = (tuple(cells), key_of(f.__defaults__ or (), depth),
             key_of(tuple(sorted((f.__kwdefaults__ or {}).items())), depth), tuple(named))
    if None in cells or parts[1] is None or parts[2] is None or any(k is None for _n, k in named):
        return None
    return ("function", f.__code__, parts)


def remember(f: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """``f(*args, **kwargs)`` for a pure ``f`` (itself, not its code, is the key), computed once per
    session for byte-identical arguments; a copy of what it returned."""
    memory = _MEMORY.get()
    key = None if memory is None else key_of((args, tuple(sorted(kwargs.items()))))
    if key is None:
        return f(*args, **kwargs)
    key = (f, key)  # f is held: never confused with a later function at the same address
    try:
        found = memory[key]
    except KeyError:
        found = f(*args, **kwargs)
        memory.keep(key, _copy(found))
        return found
    return _copy(found)


class _Memory(dict):
    """The answers of one session, bounded in entries and in the bytes of the arrays they hold."""

    held = 0

    def keep(self, key: Hashable, answer: Any) -> None:
        cost = _nbytes(key) + _nbytes(answer)
        if len(self) < ENTRIES and self.held + cost <= BYTES:
            self[key] = answer
            self.held += cost


def _nbytes(value: Any) -> int:
    """The bytes of the arrays (and byte strings) in a key or an answer."""
    if isinstance(value, np.ndarray):
        return value.nbytes
    if isinstance(value, bytes):
        return len(value)
    if isinstance(value, (tuple, list)):
        return sum(_nbytes(v) for v in value)
    if isinstance(value, dict):
        return sum(_nbytes(v) for v in value.values())
    return 0


def _copy(value: Any) -> Any:
    """A deep copy (arrays, tuples, lists and dicts of them directly; anything else by ``copy``)."""
    t = type(value)
    if t is np.ndarray:
        return value.copy()
    if t in _SCALARS:
        return value
    if t is tuple or t is list:
        return t(_copy(v) for v in value)
    if t is dict:
        return {k: _copy(v) for k, v in value.items()}
    return copy.deepcopy(value)


def pure(f: F) -> F:
    """Mark a helper of the tests whose result depends on its arguments alone: ``remember``ed."""

    @functools.wraps(f)
    def remembered(*args: Any, **kwargs: Any) -> Any:
        return remember(f, *args, **kwargs)

    return remembered  # type: ignore[return-value]
