"""Gradient checking: centred finite differences, compared by norm-relative error."""

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from autograder.course.i18n import _
from autograder.testkit import memo

__all__ = [
    "DEFAULT_H",
    "KINK_MARGIN",
    "GradComparison",
    "away_from_kinks",
    "away_from_ties",
    "check_backward",
    "compare_gradients",
    "numerical_gradient",
    "random_upstream",
]

Array = NDArray[np.float64]
Inputs = tuple[Array, ...]
EvaluateMany = Callable[[list[Inputs]], Sequence[object]]

DEFAULT_H = 1e-5
KINK_MARGIN = 10 * DEFAULT_H
_MAX_REDRAWS = 1000


@dataclass(frozen=True)
class GradComparison:
    """Analytic a vs numerical n for one input: ‖a − n‖ / (‖a‖ + ‖n‖), max |a − n| and where."""

    name: str
    ok: bool
    norm_relative: float
    max_abs_error: float
    worst_index: tuple[int, ...]
    analytic_shape: tuple[int, ...] | None
    numeric_shape: tuple[int, ...]
    reason: str


def _as_float64(x: object, what: str) -> Array:
    """Copy of x as a float64 array; integers and bools are widened, other dtypes refused."""
    arr = np.asarray(x)
    if arr.dtype.kind not in "biuf" or (arr.dtype.kind == "f" and arr.dtype != np.float64):
        raise TypeError(f"{what} must be float64, got dtype {arr.dtype}")
    return np.array(arr, dtype=np.float64)


def _as_outputs(out: object, structure: int | None, what: str) -> Inputs:
    """out as a tuple of float64 arrays; structure is the tuple length, or None for one array."""
    if structure is None:
        if isinstance(out, tuple):
            raise ValueError(f"{what} is a tuple, expected a single array")
        return (_as_float64(out, what),)
    if not isinstance(out, tuple) or len(out) != structure:
        raise ValueError(f"{what} must be a tuple of {structure} arrays")
    return tuple(_as_float64(o, f"{what}[{k}]") for k, o in enumerate(out))


def _wrt_indices(wrt: Sequence[int] | None, n_inputs: int) -> tuple[int, ...]:
    """wrt as a tuple of distinct input indices in range(n_inputs); all inputs when None."""
    if wrt is None:
        return tuple(range(n_inputs))
    indices = tuple(int(i) for i in wrt)
    if len(set(indices)) != len(indices) or any(not 0 <= i < n_inputs for i in indices):
        raise ValueError(f"wrt must be distinct indices in range({n_inputs}), got {wrt!r}")
    return indices


def numerical_gradient(
    f: Callable[..., object] | None,
    inputs: Sequence[ArrayLike],
    dout: ArrayLike | tuple[ArrayLike, ...],
    h: float = DEFAULT_H,
    evaluate_many: EvaluateMany | None = None,
    *,
    wrt: Sequence[int] | None = None,
) -> tuple[Array, ...]:
    """∂L/∂x_i ≈ (L(x_i + h) − L(x_i − h)) / 2h per element, L = Σ dout·f(inputs); x_i's shape.

    Of a trusted ``f`` (no ``evaluate_many``), computed once per grading session for the same
    inputs (``testkit.memo``: ``f`` a reference function or a plain function of the reference and
    arrays; never one that draws from numpy's global random state)."""
    if evaluate_many is None and f is not None:
        return memo.remember(_numerical_gradient, f, tuple(inputs), dout, h, None,
                             None if wrt is None else tuple(wrt))
    return _numerical_gradient(f, inputs, dout, h, evaluate_many, wrt)


def _numerical_gradient(f: Callable[..., object] | None, inputs: Sequence[ArrayLike],
                        dout: ArrayLike | tuple[ArrayLike, ...], h: float,
                        evaluate_many: EvaluateMany | None, wrt: Sequence[int] | None) -> tuple[Array, ...]:
    if not h > 0:
        raise ValueError(f"h must be positive, got {h!r}")
    base = tuple(_as_float64(x, f"input {i}") for i, x in enumerate(inputs))
    indices = _wrt_indices(wrt, len(base))
    structure = len(dout) if isinstance(dout, tuple) else None
    douts = _as_outputs(dout, structure, "dout")

    batch: list[Inputs] = []
    steps: list[Array] = []
    for i in indices:
        flat = base[i].reshape(-1)
        for j in range(flat.size):
            for sign in (1.0, -1.0):
                args = tuple(a.copy() for a in base)  # fresh copies: f may even mutate them
                args[i].reshape(-1)[j] += sign * h
                batch.append(args)
        steps.append((flat + h) - (flat - h))  # the step actually taken, after rounding

    if evaluate_many is None:
        if f is None:
            raise ValueError("give f or evaluate_many")
        outputs = [f(*args) for args in batch]
    else:
        outputs = list(evaluate_many(batch))
    if len(outputs) != len(batch):
        raise ValueError(f"evaluate_many returned {len(outputs)} outputs for {len(batch)} inputs")

    grads = []
    k = 0
    for i, step in zip(indices, steps, strict=True):
        grad = np.empty(base[i].size, dtype=np.float64)
        for j in range(grad.size):
            plus = _as_outputs(outputs[k], structure, "f's output")
            minus = _as_outputs(outputs[k + 1], structure, "f's output")
            total = 0.0
            for d, p, m in zip(douts, plus, minus, strict=True):
                if p.shape != d.shape or m.shape != d.shape:
                    raise ValueError(f"f returned shape {p.shape}, dout has shape {d.shape}")
                total += float(np.sum(d * (p - m)))
            grad[j] = total / step[j]
            k += 2
        grads.append(grad.reshape(base[i].shape))
    return tuple(grads)


def _norm(x: Array) -> float:
    """‖x‖₂ scaled by max |x|, so that it does not overflow for finite x."""
    if x.size == 0:
        return 0.0
    m = float(np.max(np.abs(x)))
    if m == 0.0 or not np.isfinite(m):
        return m
    return m * float(np.sqrt(np.sum(np.square(x / m))))


def _index_text(index: tuple[int, ...]) -> str:
    return _(" at index {index}").format(index=index) if index else ""


def _failed(
    name: str, reason: str, numeric_shape: tuple[int, ...], analytic_shape: tuple[int, ...] | None
) -> GradComparison:
    return GradComparison(
        name=name,
        ok=False,
        norm_relative=float("inf"),
        max_abs_error=float("inf"),
        worst_index=(),
        analytic_shape=analytic_shape,
        numeric_shape=numeric_shape,
        reason=reason,
    )


def compare_gradients(
    analytic: ArrayLike,
    numeric: ArrayLike,
    *,
    rel_tol: float = 1e-6,
    abs_tol: float = 1e-7,
    elem_rtol: float = 1e-5,
    name: str = "input",
) -> GradComparison:
    """ok iff shapes equal, ‖a − n‖/(‖a‖ + ‖n‖) ≤ rel_tol, |a − n| ≤ abs_tol + elem_rtol·|n|."""
    if not (rel_tol >= 0 and abs_tol > 0 and elem_rtol >= 0):
        raise ValueError("need rel_tol >= 0, abs_tol > 0 and elem_rtol >= 0")
    n = _as_float64(numeric, "numeric gradient")
    what = _("gradient w.r.t. {name}").format(name=name)
    try:
        raw = np.asarray(analytic)
    except (TypeError, ValueError):
        return _failed(name, _("{what} is not an array of numbers").format(what=what), n.shape, None)
    if raw.dtype.kind not in "biuf":
        reason = _("{what} is not real numbers (dtype {dtype})").format(what=what, dtype=raw.dtype)
        return _failed(name, reason, n.shape, raw.shape)
    a = raw.astype(np.float64)
    if a.shape != n.shape:
        reason = _("{what} has shape {shape}, expected {expected}").format(what=what, shape=a.shape,
                                                                         expected=n.shape)
        return _failed(name, reason, n.shape, a.shape)
    if not np.all(np.isfinite(a)):
        index = tuple(int(i) for i in np.argwhere(~np.isfinite(a))[0])
        reason = _("{what} is {value}{at_index}").format(what=what, value=a[index],
                                                         at_index=_index_text(index))
        return _failed(name, reason, n.shape, a.shape)
    if not np.all(np.isfinite(n)):
        index = tuple(int(i) for i in np.argwhere(~np.isfinite(n))[0])
        reason = _("finite differences w.r.t. {name} are not finite{at_index}: the forward gives nan or inf "
                   "near this point").format(name=name, at_index=_index_text(index))
        return _failed(name, reason, n.shape, a.shape)

    with np.errstate(over="ignore", invalid="ignore"):
        diff = np.abs(a - n)
        allowed = abs_tol + elem_rtol * np.abs(n)
        denom = _norm(a) + _norm(n)
        norm_relative = 0.0 if denom <= abs_tol else _norm(a - n) / denom
    if not np.isfinite(norm_relative):
        norm_relative = 1.0  # its largest possible value; reached only through overflow
    if a.size == 0:
        worst: tuple[int, ...] = ()
        max_abs_error = 0.0
    else:
        worst_flat = int(np.argmax(diff / allowed))
        worst = tuple(int(i) for i in np.unravel_index(worst_flat, a.shape))
        max_abs_error = float(np.max(diff))
    norm_ok = norm_relative <= rel_tol
    elem_ok = bool(np.all(diff <= allowed))
    ok = norm_ok and elem_ok

    values = _("got {got}, finite differences give {numeric}").format(
        got=f"{a[worst]:.6g}", numeric=f"{n[worst]:.6g}") if a.size else ""
    if ok:
        reason = _("{what} matches: norm-relative error {error}").format(what=what,
                                                                        error=f"{norm_relative:.1e}")
    elif not norm_ok:
        reason = _("{what} differs: norm-relative error {error} (allowed {allowed}), worst{at_index}: "
                   "{values}").format(what=what, error=f"{norm_relative:.1e}", allowed=f"{rel_tol:.0e}",
                                      at_index=_index_text(worst), values=values)
    else:
        reason = _("{what} differs{at_index}: {values} (allowed difference {allowed})").format(
            what=what, at_index=_index_text(worst), values=values, allowed=f"{float(allowed[worst]):.1e}")
    return GradComparison(
        name=name,
        ok=ok,
        norm_relative=float(norm_relative),
        max_abs_error=max_abs_error,
        worst_index=worst,
        analytic_shape=a.shape,
        numeric_shape=n.shape,
        reason=reason,
    )


def check_backward(
    forward: Callable[..., object] | None,
    backward: Callable[..., object] | tuple[ArrayLike, ...] | ArrayLike,
    inputs: Sequence[ArrayLike],
    dout: ArrayLike | tuple[ArrayLike, ...],
    *,
    wrt: Sequence[int] | None = None,
    names: Sequence[str] | None = None,
    h: float = DEFAULT_H,
    evaluate_many: EvaluateMany | None = None,
    rel_tol: float = 1e-6,
    abs_tol: float = 1e-7,
    elem_rtol: float = 1e-5,
) -> tuple[GradComparison, ...]:
    """Gradients (or backward(dout, *inputs)) vs numerical_gradient(forward); one per wrt input."""
    indices = _wrt_indices(wrt, len(inputs))
    labels = tuple(names) if names is not None else tuple(f"input {i}" for i in range(len(inputs)))
    if len(labels) != len(inputs):
        raise ValueError(f"names has {len(labels)} entries for {len(inputs)} inputs")
    numeric = numerical_gradient(forward, inputs, dout, h, evaluate_many, wrt=indices)

    if callable(backward):
        dout_copy = tuple(np.copy(d) for d in dout) if isinstance(dout, tuple) else np.copy(dout)
        result = backward(dout_copy, *(np.copy(x) for x in inputs))
    else:
        result = backward
    if len(indices) == 1 and not isinstance(result, tuple):
        analytic: Sequence[object] = (result,)
    elif isinstance(result, tuple | list):
        analytic = result
    else:
        analytic = (result,)
    if len(analytic) != len(indices):
        reason = _("backward returned {n} gradients, expected {expected}").format(n=len(analytic),
                                                                                 expected=len(indices))
        return tuple(
            _failed(labels[i], reason, numeric[k].shape, None) for k, i in enumerate(indices)
        )
    return tuple(
        compare_gradients(
            a, n, rel_tol=rel_tol, abs_tol=abs_tol, elem_rtol=elem_rtol, name=labels[i]
        )
        for a, n, i in zip(analytic, numeric, indices, strict=True)
    )


def random_upstream(rng: np.random.Generator, shape: int | tuple[int, ...]) -> Array:
    """dout ~ N(0, 1) of the given shape: never all ones, which would hide a forgotten dout."""
    return np.asarray(rng.standard_normal(shape), dtype=np.float64)


def away_from_kinks(
    rng: np.random.Generator,
    shape: int | tuple[int, ...],
    kinks: Sequence[float] = (0.0,),
    margin: float = KINK_MARGIN,
) -> Array:
    """x ~ N(0, 1) of the given shape, redrawn until |x − k| ≥ margin for every kink k."""
    if margin < 0:
        raise ValueError(f"margin must be >= 0, got {margin!r}")
    x = random_upstream(rng, shape)
    for _attempt in range(_MAX_REDRAWS):
        near = np.zeros(x.shape, dtype=bool)
        for k in kinks:
            near |= np.abs(x - k) < margin
        if not near.any():
            return x
        x = np.where(near, rng.standard_normal(x.shape), x)
    raise ValueError(f"could not draw points {margin} away from kinks {tuple(kinks)}")


def away_from_ties(
    rng: np.random.Generator, shape: int | tuple[int, ...], margin: float = KINK_MARGIN
) -> tuple[Array, Array]:
    """x, y ~ N(0, 1) of the given shape with |x − y| ≥ margin everywhere (no max ties)."""
    if margin < 0:
        raise ValueError(f"margin must be >= 0, got {margin!r}")
    x = random_upstream(rng, shape)
    y = random_upstream(rng, shape)
    for _attempt in range(_MAX_REDRAWS):
        near = np.abs(x - y) < margin
        if not near.any():
            return x, y
        y = np.where(near, rng.standard_normal(y.shape), y)
    raise ValueError(f"could not draw x, y at least {margin} apart")
