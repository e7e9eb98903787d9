"""What a trusted stand-in agrees to compute: arguments of the contract's shapes, of bounded size.

While a function is graded, the functions it ``uses`` are answered by the reference, in the grading
process, on arguments the worker chose. So before the reference runs, the call is checked against
the function's contract (``[stand_ins]`` in assignment.toml) and against a budget of elements
relative to the request that led to it; anything else is the student's wrong call (``WrongCall``),
which costs that test, and never a 900-million-element broadcast in the trusted process.

The contracts' grammar is ``autograder.course.contracts``.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from autograder.course.contracts import DICT, SHAPE, dims
from autograder.course.i18n import _

FACTOR = 8  # a stand-in call may hold this many times the elements of the request that led to it
SLACK = 4096  # plus this many (small requests: a scalar test still gets its helpers answered)


class WrongCall(Exception):
    """The student called a stand-in with arguments outside its contract (a student-facing reason)."""


def elements(value: Any) -> int:
    """How many numbers ``value`` holds (arrays, scalars, nested tuples, lists and dicts)."""
    if isinstance(value, np.ndarray):
        return int(value.size)
    if isinstance(value, (tuple, list)):
        return sum(elements(v) for v in value)
    if isinstance(value, dict):
        return sum(elements(v) for v in value.values())
    return 1


def _is_scalar(v: Any) -> bool:
    return (type(v) in (int, float, bool) or isinstance(v, np.generic)
            or (isinstance(v, np.ndarray) and v.ndim == 0))


class _Binding:
    def __init__(self) -> None:
        self.shapes: dict[str, tuple[int, ...]] = {}
        self.dims: dict[str, int] = {}
        self.dicts: dict[str, dict[str, tuple[int, ...]]] = {}

    def same(self, table: dict, key: str, value: Any, what: str) -> None:
        if table.setdefault(key, value) != value:
            raise WrongCall(what)


def _match(spec: Any, v: Any, name: str, b: _Binding) -> None:
    if isinstance(spec, list):
        if not isinstance(v, (tuple, list)) or len(v) != len(spec):
            raise WrongCall(_("{name} should be a tuple of {n} values").format(name=name, n=len(spec)))
        for i, (s, x) in enumerate(zip(spec, v, strict=True)):
            _match(s, x, f"{name}[{i}]", b)
        return
    if spec == "any":
        return
    if spec == "int":
        if not (type(v) is int or isinstance(v, np.integer)):
            raise WrongCall(_("{name} should be an integer").format(name=name))
        return
    if spec == "scalar":
        if not _is_scalar(v):
            raise WrongCall(_("{name} should be a number").format(name=name))
        return
    if m := DICT.fullmatch(spec):
        if not isinstance(v, dict) or not all(isinstance(x, np.ndarray) for x in v.values()):
            raise WrongCall(_("{name} should be a dict of arrays").format(name=name))
        b.same(b.dicts, m[1], {k: x.shape for k, x in v.items()}, _(
            "{name} should have the same names and shapes as the other dict of arrays").format(name=name))
        return
    if not (isinstance(v, np.ndarray) or _is_scalar(v)):
        raise WrongCall(_("{name} should be an array").format(name=name))
    shape = np.shape(v)
    if SHAPE.fullmatch(spec):
        if shape != ():  # a scalar fits any shape: broadcasting it cannot amplify
            b.same(b.shapes, spec, shape, _(
                "its array arguments should all have one shape (no broadcasting here), but {name} has shape "
                "{shape} and another one {other}").format(name=name, shape=shape, other=b.shapes.get(spec)))
        return
    want = dims(spec)
    wrong = _("{name} should have shape {spec}, but it has shape {shape}").format(name=name, spec=spec,
                                                                                 shape=shape)
    if len(shape) != len(want):
        raise WrongCall(wrong)
    for d, n in zip(want, shape, strict=True):
        if d.isdigit():
            if int(d) != n:
                raise WrongCall(wrong)
        else:
            b.same(b.dims, d, n, wrong)


def check_call(function: Callable, contract: Mapping[str, Any] | None, args: tuple, kwargs: dict,
               budget: int) -> None:
    """Raise WrongCall unless ``function(*args, **kwargs)`` fits ``contract`` (parameter name ->
    contract) and holds at most ``budget`` elements. Parameters the contract does not name must be
    scalars or None. ``contract`` None: the element budget and the signature only."""
    check_budget(args, kwargs, budget)
    check_contract(function, contract, args, kwargs)


def check_budget(args: tuple, kwargs: dict, budget: int) -> None:
    """Raise WrongCall when the arguments hold more than ``budget`` elements (``check_call``'s first step)."""
    n = elements(args) + elements(kwargs)
    if n > budget:
        raise WrongCall(_("its arguments hold {n} numbers, more than this test allows ({budget})").format(
            n=n, budget=budget))


@functools.lru_cache(maxsize=256)
def _signature(function: Callable) -> inspect.Signature:
    return inspect.signature(function)


def check_contract(function: Callable, contract: Mapping[str, Any] | None, args: tuple,
                   kwargs: dict) -> None:
    """Raise WrongCall unless the arguments bind to ``function`` and fit ``contract`` (``check_call``
    after the element budget; depends on the arguments alone)."""
    try:
        bound = _signature(function).bind(*args, **kwargs)
    except TypeError as exc:
        raise WrongCall(str(exc)) from None
    if contract is None:
        return
    b = _Binding()
    for name, value in bound.arguments.items():
        if name in contract:
            _match(contract[name], value, name, b)
        elif not (value is None or _is_scalar(value)):
            raise WrongCall(_("{name} should be a number").format(name=name))


def budget_for(request: Any) -> int:
    """The element budget of each stand-in call made while answering ``request`` (its arguments)."""
    return FACTOR * elements(request) + SLACK

