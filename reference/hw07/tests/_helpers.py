"""Shared helpers of the hw07 hidden tests.

A plain module, not a conftest.py: the engine collects with --noconftest, and pytest's rootdir
insertion puts this folder on sys.path, so tests import it as ``from _helpers import ...``.
Nothing here is shown to students except the messages of the failures it raises. Those texts are
translated from this assignment's hidden catalogue (reference/hw07/locale, autograder.course.i18n): literal
texts are written ``_("...")``, texts with values ``_("... {x} ...").format(x=...)``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
import pytest

from autograder.course.errors import StudentCodeError, StudentRaised
from autograder.course.i18n import N_, _
from autograder.testkit.gradcheck import compare_gradients, numerical_gradient
from autograder.testkit.expect import (
    GradingFailure,
    diagnose,
    expect_array,
    expect_close,
    expect_unchanged,
    fail,
)

# The shapes every elementwise function is graded on: (label shown to students, shape).
SHAPES = [("0-d", ()), ("1-D", (7,)), ("2-D", (3, 5)), ("3-D", (2, 3, 4))]
by_shape = pytest.mark.parametrize("shape", [pytest.param(s, id=label) for label, s in SHAPES])

# Comparing values with the reference (hw07-spec.md, "Numerics that hold up").
RTOL, ATOL = 1e-9, 1e-12


def on_input(shape: tuple[int, ...]) -> str:
    """'a non-square 2-D input of shape (3, 5)': what kind of input, never its values."""
    shape = tuple(shape)
    if shape == ():
        return _("a 0-d input")
    if len(shape) == 2:
        square = _("a square 2-D input of shape {shape}") if shape[0] == shape[1] else _(
            "a non-square 2-D input of shape {shape}")
        return square.format(shape=shape)
    return _("a {n}-D input of shape {shape}").format(n=len(shape), shape=shape)


def randn(rng: np.random.Generator, shape: tuple[int, ...], scale: float = 1.0) -> np.ndarray:
    """float64 ndarray of N(0, scale²) values (a 0-d ndarray for shape ())."""
    return np.asarray(scale * rng.standard_normal(shape), dtype=np.float64)


def wrong(f: Callable[[], Any]) -> Any:
    """What a known mistake outputs (computed here, with its floating-point warnings silenced)."""
    with np.errstate(all="ignore"):
        return f()


def as_values(value: Any, *, what: str) -> np.ndarray:
    """The numbers of a result as a float64 array, forgiving the container: a list or a Python
    float costs points only in the type test, not in every value test. The shape stays as is."""
    if value is None:
        fail(_("{what} returned None.").format(what=_(what)), _("a missing return statement"))
    if isinstance(value, (np.ndarray, list, tuple, float, int, np.generic)):
        try:
            arr = np.asarray(value)
        except (TypeError, ValueError):
            fail(_("{what} is not an array of numbers (it is a {type}).").format(what=_(what), type=type(value).__name__))
        if arr.dtype.kind in "biuf":
            return arr.astype(np.float64)
    if isinstance(value, np.ndarray):
        fail(_("{what} should be an array of real numbers, but it is a {type} of dtype {dtype}.").format(
            what=_(what), type=type(value).__name__, dtype=value.dtype))
    fail(_("{what} should be an array of real numbers, but it is a {type}.").format(
        what=_(what), type=type(value).__name__))


def expect_values(value: Any, expected: Any, *, what: str, on: str,
                  mistakes: Mapping[str, Any] | None = None, rtol: float = RTOL,
                  atol: float = ATOL) -> None:
    """The numbers of ``value`` match ``expected`` (same shape; the container is forgiven)."""
    expect_close(as_values(value, what=what), expected, what=what, on=on, rtol=rtol, atol=atol,
                 mistakes=mistakes)


def expect_float64_like(value: Any, shape: tuple[int, ...], *, what: str, on: str) -> np.ndarray:
    """A float64 ndarray of ``shape`` (a numpy float64 scalar when 0-d), said on which input."""
    try:
        return expect_array(value, what=what, shape=shape)
    except GradingFailure as exc:
        fail(_("On {on}: {message}").format(on=_(on), message=exc.message), exc.mistake)


def check_elementwise_types(student, name: str, rng: np.random.Generator) -> None:
    """``name`` returns float64 arrays of the input's shape (0-d: array or numpy scalar), also
    for a Python float, and leaves its input unchanged (one batch, then one call)."""
    inputs = [randn(rng, shape, 3.0) for _label, shape in SHAPES] + [float(rng.normal())]
    for x, value in zip(inputs, student.many(name, [(x,) for x in inputs]), strict=True):
        shape = np.shape(x)
        on = on_input(shape) if isinstance(x, np.ndarray) else _("a Python float input")
        expect_float64_like(value, shape, what=_("the result of {name}").format(name=name), on=on)
    x = randn(rng, (4, 3), 3.0)
    expect_unchanged(x, student.call(name, x).args_after[0], what=name)


def raised_mistake(exc: StudentRaised, known: Mapping[tuple[str, str], str]) -> str | None:
    """The name of a known mistake for an exception: ``known`` maps (exception type, a piece of
    its message) to the mistake."""
    for (exc_type, piece), mistake in known.items():
        if exc.exc_type == exc_type and piece in exc.message:
            return mistake
    return None


# ---------------------------------------------------------------- gradients


def numeric_of_student(student, forward: str, inputs: tuple, dout: Any, *,
                       pick: Callable[[Any], Any] = lambda v: v,
                       extra: tuple = (), wrt: tuple[int, ...] | None = None
                       ) -> tuple[np.ndarray, ...] | None:
    """Centred differences of the student's own ``forward`` (all evaluations in one batch);
    ``pick`` selects the differentiated output from its result, ``extra`` are arguments that
    follow ``inputs`` and are not differentiated. None when the forward cannot be used."""

    def evaluate_many(batch):
        return [pick(v) for v in student.many(forward, [(*args, *extra) for args in batch])]

    try:
        return numerical_gradient(None, inputs, dout, evaluate_many=evaluate_many, wrt=wrt)
    except (StudentCodeError, TypeError, ValueError, IndexError, KeyError):
        return None


def expect_matches_own_forward(analytic: Mapping[str, Any], own: Mapping[str, np.ndarray] | None,
                               correct: Mapping[str, np.ndarray], *, backward: str, forward: str,
                               on: str, mistakes: Mapping[str, Mapping[str, Any]] | None = None
                               ) -> None:
    """The student's gradients (``analytic``, by input name) against finite differences of the
    student's own forward (``own``), telling "backward wrong" from "forward wrong".

    Passes when the gradients match the student's forward; or when the forward is itself wrong
    (it is graded in its own tests) and the gradients match the correct ones (``correct``).
    """
    mistakes = mistakes or {}
    own_cmp = None
    if own is not None:
        own_cmp = [compare_gradients(analytic[k], own[k], name=k) for k in analytic]
        if all(c.ok for c in own_cmp):
            return
        forward_right = all(compare_gradients(own[k], correct[k], name=k).ok for k in analytic)
        if forward_right:
            bad = next(c for c in own_cmp if not c.ok)
            fail(_("The gradients from your {backward} do not match centred "
                    "finite differences of your own {forward} (which is right "
                    "here) on {on}: the {reason}. The derivative is wrong, not "
                    "the forward pass.").format(backward=backward, forward=forward, on=_(on), reason=bad.reason),
                 diagnose(analytic[bad.name], mistakes.get(bad.name)))
    ref_cmp = [compare_gradients(analytic[k], correct[k], name=k) for k in analytic]
    if all(c.ok for c in ref_cmp):
        return  # a wrong forward with a right backward: the forward loses points elsewhere
    bad = next(c for c in ref_cmp if not c.ok)
    why = (_("could not be differentiated numerically (it failed or returned something unusable)")
           if own is None else _("is not right here either, so fix it first (see its own tests)"))
    fail(_("The gradients from your {backward} match neither finite differences "
            "of your own {forward} nor the correct derivative on {on}; your "
            "{forward} {why}. Against the correct derivative: the {reason}.").format(backward=backward, forward=forward, on=_(on), why=_(why), reason=bad.reason),
         diagnose(analytic[bad.name], mistakes.get(bad.name)))


def expect_values_at(value: Any, expected: Any, xs: np.ndarray, *, what: str,
                     mistakes: Mapping[str, Any] | None = None) -> None:
    """Values at special, public points (x = 0, ±1000 ...): the first wrong one is named."""
    a = as_values(value, what=what)
    expected = np.asarray(expected, dtype=np.float64)
    if a.shape != expected.shape:
        fail(_("{what} should have shape {expected} (the input's), but it has shape "
                "{shape}.").format(what=_(what), expected=expected.shape, shape=a.shape),
             _("wrong shape (a flattened or reshaped result)"))
    with np.errstate(all="ignore"):
        bad = ~(np.abs(a - expected) <= ATOL + RTOL * np.abs(expected)) & ~(a == expected)
    if not bad.any():
        return
    i = int(np.flatnonzero(bad)[0])
    fail(_("{what} is wrong at x = {x:g}: got {got:.6g}, expected "
            "{expected:.6g} ({wrong} of {size} special inputs are wrong).").format(
                what=_(what), x=float(xs.flat[i]), got=float(a.flat[i]), expected=float(expected.flat[i]),
                wrong=int(bad.sum()), size=bad.size),
         diagnose(a, mistakes))


def expect_pair(value: Any, expected: tuple, *, names: tuple[str, ...], what: str, on: str,
                mistakes: Mapping[str, tuple] | None = None) -> None:
    """A tuple of gradients (dx, dy, ...) against the expected ones; a mistake is named only when
    all its outputs match (so "no swap" and "dout to both" cannot be confused)."""
    n = len(expected)
    if not isinstance(value, (tuple, list)) or len(value) != n:
        got = (_("a tuple of length {n_value}").format(n_value=len(value)) if isinstance(value, (tuple, list))
               else _("a {type}").format(type=type(value).__name__))
        fail(_("{what} should return a tuple of {n} arrays ({names}), but it "
                "returned {got}.").format(what=_(what), n=n, names=', '.join(names), got=got))
    arrays = [as_values(v, what=_("{names} from {what}").format(names=names[k], what=_(what))) for k, v in enumerate(value)]
    mistake = None
    for name, outputs in (mistakes or {}).items():
        if all(diagnose(a, {name: w}) for a, w in zip(arrays, outputs, strict=True)):
            mistake = name
            break
    for k in range(n):
        expect_close(arrays[k], expected[k], what=_("{names} from {what}").format(names=names[k], what=_(what)), on=on,
                     mistakes={mistake: mistakes[mistake][k]} if mistake else None)


def elementwise_numeric(student, forward: str, inputs: tuple[np.ndarray, ...], *,
                        pick: Callable[[Any], Any] = lambda v: v, h: float = 1e-5
                        ) -> tuple[np.ndarray, ...] | None:
    """Centred differences of an elementwise forward of the student's, in ONE call: every
    perturbed copy of the inputs is stacked along a new leading axis (row 2i: input i + h,
    row 2i + 1: input i − h). For forwards whose every call costs round trips to the reference
    (``uses``); returns d out/d input_i elementwise, or None when the forward cannot be used."""
    k = len(inputs)
    stacked = [np.repeat(np.asarray(x, dtype=np.float64)[None], 2 * k, axis=0) for x in inputs]
    for i, x in enumerate(inputs):
        stacked[i][2 * i] = x + h
        stacked[i][2 * i + 1] = x - h
    try:
        out = np.asarray(pick(student.call(forward, *stacked).value), dtype=np.float64)
        if out.shape != stacked[0].shape:
            return None
    except (StudentCodeError, TypeError, ValueError, IndexError, KeyError):
        return None
    return tuple((out[2 * i] - out[2 * i + 1]) / ((x + h) - (x - h)) for i, x in enumerate(inputs))
