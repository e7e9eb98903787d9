"""What hidden and public tests use to judge a result and explain it to the student.

Every check raises ``GradingFailure``: a student-facing message (what is wrong, on what kind of
input, the measured error) and, when a known mistake explains the result, its name. Messages are
composed in the active language (autograder.course.i18n): ``what``, ``on``, messages and mistake names come
from the test as ``_("...")`` (translated there) or as constants marked ``N_("...")``, which are
looked up here. Tests mark
their exercise and points with ``@pytest.mark.exercise("sigmoid")`` and ``@pytest.mark.points(2)``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NoReturn

import numpy as np

from autograder.course.i18n import _
from autograder.testkit.gradcheck import compare_gradients

RTOL = 1e-9
ATOL = 1e-12


class GradingFailure(AssertionError):
    """A test's verdict: ``message`` for the student, ``mistake`` names the likely error."""

    def __init__(self, message: str, mistake: str | None = None):
        message, mistake = _(message), (_(mistake) if mistake else mistake)  # constants marked N_("...")
        super().__init__(message if mistake is None else
                         _("{message} Likely mistake: {mistake}.").format(message=message, mistake=mistake))
        self.message = message
        self.mistake = mistake


def fail(message: str, mistake: str | None = None) -> NoReturn:
    raise GradingFailure(message, mistake)


def _kind(value: Any) -> str:
    if isinstance(value, np.ndarray):
        return _("an array of dtype {dtype} and shape {shape}").format(dtype=value.dtype, shape=value.shape)
    return _("a {type}").format(type=type(value).__name__)


def expect_array(value: Any, *, what: str, shape: tuple[int, ...] | None = None,
                 dtype: Any = np.float64) -> np.ndarray:
    """``value`` is a numpy array of ``dtype`` (and ``shape``, when given); returned as an ndarray.

    The one rule for results (hw07-spec.md), for public and hidden tests alike: a numpy array, or,
    where the result is 0-d (``shape`` is ``()`` or not given), a numpy scalar of ``dtype`` as well,
    since numpy's own operations return one (``np.exp(np.asarray(1.0))`` is an ``np.float64``).
    A Python float, a list or another dtype is not accepted.
    """
    what = _(what)
    if isinstance(value, np.generic) and (shape is None or tuple(shape) == ()):
        value = np.asarray(value)  # a numpy scalar is a 0-d result (its dtype is checked below)
    if type(value) is not np.ndarray:
        fail(_("{what} should be a numpy array of float64, but it is {kind}.").format(
            what=what, kind=_kind(value)),
             _("returning a list, a Python float or a numpy scalar where an array is due")
             if isinstance(value, (list, tuple, float, int, np.generic)) else None)
    if dtype is not None and value.dtype != np.dtype(dtype):
        fail(_("{what} should have dtype {expected}, but it has dtype {dtype}.").format(
            what=what, expected=np.dtype(dtype), dtype=value.dtype))
    if shape is not None and value.shape != tuple(shape):
        fail(_("{what} should have shape {expected}, but it has shape {shape}.").format(
            what=what, expected=tuple(shape), shape=value.shape),
             _("wrong shape (a missing keepdims, a wrong axis, or a flattened result)"))
    return value


def expect_tuple(value: Any, n: int, *, what: str) -> tuple:
    """``value`` is a tuple (or list) of length ``n``."""
    what = _(what)
    if not isinstance(value, (tuple, list)) or len(value) != n:
        if isinstance(value, (tuple, list)):
            fail(_("{what} should be a tuple of {n} values, but it is {kind} of length {length}.").format(
                what=what, n=n, kind=_kind(value), length=len(value)))
        fail(_("{what} should be a tuple of {n} values, but it is {kind}.").format(
            what=what, n=n, kind=_kind(value)))
    return tuple(value)


def expect_float(value: Any, *, what: str) -> float:
    """``value`` is a Python float (a numpy float64 is accepted: it is a float subclass)."""
    what = _(what)
    if not isinstance(value, float):
        fail(_("{what} should be a Python float, but it is {kind}.").format(what=what, kind=_kind(value)),
             _("returning an array where a float is due (use float(...))")
             if isinstance(value, np.ndarray) else None)
    return float(value)


def diagnose(actual: np.ndarray, mistakes: Mapping[str, Any] | None,
             rtol: float = 1e-6, atol: float = 1e-9) -> str | None:
    """The name of the first known mistake whose output matches ``actual``."""
    for name, wrong in (mistakes or {}).items():
        try:
            with np.errstate(all="ignore"):
                wrong = np.asarray(wrong, dtype=np.float64)
                if wrong.shape == np.shape(actual) and np.allclose(
                    actual, wrong, rtol=rtol, atol=atol, equal_nan=True
                ):
                    return name
        except (TypeError, ValueError):
            continue
    return None


def expect_close(actual: Any, expected: np.ndarray | float, *, what: str, on: str,
                 rtol: float = RTOL, atol: float = ATOL,
                 mistakes: Mapping[str, Any] | None = None) -> None:
    """``actual`` matches ``expected`` elementwise: |a − e| ≤ atol + rtol·|e|, same shape, finite.

    ``mistakes`` maps a mistake's name to what that mistake would output on the same input;
    the first that matches is named in the feedback.
    """
    what, on = _(what), _(on)
    expected = np.asarray(expected, dtype=np.float64)
    a = expect_array(actual, what=what, shape=expected.shape, dtype=None)
    if a.dtype.kind not in "fiub":
        fail(_("{what} should hold real numbers, but its dtype is {dtype}.").format(what=what, dtype=a.dtype))
    a = a.astype(np.float64)
    bad_nan = ~np.isfinite(a) & np.isfinite(expected)
    with np.errstate(all="ignore"):
        err = np.abs(a - expected)
        allowed = atol + rtol * np.abs(expected)
        wrong = bad_nan | ~(err <= allowed) & ~(a == expected)
    if not wrong.any():
        return
    mistake = diagnose(a, mistakes)
    if bad_nan.any():
        idx = tuple(int(i) for i in np.argwhere(bad_nan)[0])
        if idx:
            text = _("{what} contains nan or inf on {on} (first at index {index}), where the expected value "
                     "is finite.")
        else:
            text = _("{what} contains nan or inf on {on}, where the expected value is finite.")
        fail(text.format(what=what, on=on, index=idx), mistake)
    idx = tuple(int(i) for i in np.unravel_index(np.argmax(np.where(wrong, err, -1)), err.shape))
    allowed = _("(allowed {atol} + {rtol}·|expected|)").format(atol=f"{atol:g}", rtol=f"{rtol:g}")
    if not idx:  # a single number
        fail(_("{what} is wrong on {on}: the error is {error} {allowed}.").format(
            what=what, on=on, error=f"{float(err[idx]):.3g}", allowed=allowed), mistake)
    fail(_("{what} is wrong on {on}: {wrong} of {size} values differ, the largest error is {error} at index "
           "{index} {allowed}.").format(what=what, on=on, wrong=int(wrong.sum()), size=wrong.size,
                                        error=f"{float(err[idx]):.3g}", index=idx, allowed=allowed), mistake)


def expect_gradient(analytic: Any, numeric: np.ndarray, *, what: str, on: str,
                    mistakes: Mapping[str, Any] | None = None, **tolerances: float) -> None:
    """``analytic`` matches the finite-difference gradient ``numeric`` (gradcheck's rule:
    norm-relative error and an elementwise bound; ``tolerances`` go to compare_gradients).
    ``what`` names the input, as in "x" or "logits"."""
    cmp = compare_gradients(analytic, numeric, name=what, **tolerances)
    if not cmp.ok:
        fail(_("On {on}, the {reason}.").format(on=_(on), reason=cmp.reason), diagnose(analytic, mistakes))


def expect_no_warnings(warnings: tuple[str, ...], *, what: str, on: str,
                       mistake: str | None = None) -> None:
    """The call raised no floating-point (or other) warning."""
    if warnings:
        fail(_("{what} raised a warning on {on}: {warning}.").format(what=_(what), on=_(on),
                                                                      warning=warnings[0]), mistake)


def expect_unchanged(before: Any, after: Any, *, what: str) -> None:
    """An argument was not modified by the call (arrays compared exactly, nan-aware)."""
    if isinstance(before, np.ndarray):
        same = (isinstance(after, np.ndarray) and after.shape == before.shape
                and np.array_equal(after, before, equal_nan=True))
        if not same:
            fail(_("{what} modified its input; it must leave its arguments unchanged (work on a copy, e.g. "
                   "x = x.copy() or out = x * 1).").format(what=_(what)),
                 _("changing the input array in place"))
    elif isinstance(before, dict):
        for k in before:
            expect_unchanged(before[k], after.get(k) if isinstance(after, dict) else None,
                             what=what)
    elif isinstance(before, (tuple, list)):
        for b, a in zip(before, after, strict=False):
            expect_unchanged(b, a, what=what)
