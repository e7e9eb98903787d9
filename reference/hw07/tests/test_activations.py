"""Hidden tests of activations.py: sigmoid, sigmoid_grad, relu, relu_grad, tanh_grad, softmax.

Every elementwise function is graded by property: values on random inputs of each shape
(0-d, 1-D, non-square 2-D, 3-D), special inputs (exact zeros, |x| up to 1e4), floating-point
warnings where hw07-spec.md forbids them, type and shape of the result with no mutation of the
input, and for the derivatives, agreement with finite differences.
"""

import numpy as np
import pytest
from _helpers import (
    by_shape,
    check_elementwise_types,
    expect_float64_like,
    expect_matches_own_forward,
    expect_values,
    expect_values_at,
    numeric_of_student,
    on_input,
    raised_mistake,
    randn,
    wrong,
)

from autograder.course.i18n import N_, _
from autograder.course.errors import StudentRaised
from autograder.testkit.gradcheck import away_from_kinks, numerical_gradient
from autograder.testkit.expect import expect_gradient, expect_no_warnings, expect_unchanged, fail

# Where naive formulas break: exp(−x) overflows for x < −709.78, exp(x) for x > 709.78.
# The most telling first: the first wrong one is named in the feedback.
LARGE = np.array([0.0, -0.0, 1e-300, 1.0, -1.0, 36.0, -40.0, 710.0, -710.0, -745.0, 1000.0,
                  -1000.0, 1e4, -1e4])
ON_LARGE = N_("inputs with |x| up to 1e4")


def warnings_at(student, name: str, points: tuple[float, ...]) -> tuple[float, str] | None:
    """Where ``name`` warns: None when it does not on LARGE, else the first of ``points`` (as
    0-d inputs) where it does, and the warning (one call when there is no warning)."""
    found = student.call(name, LARGE).warnings
    if not found:
        return None
    for x in points:
        call = student.call(name, np.array(x))
        if call.warnings:
            return x, call.warnings[0]
    return float("nan"), found[0]


class TestSigmoid:
    pytestmark = pytest.mark.exercise("sigmoid")

    @pytest.mark.main_result
    @pytest.mark.points(1.5)
    @by_shape
    def test_values(self, student, ref, rng, shape):
        """values on random inputs"""
        x = randn(rng, shape, 4.0)
        expect_values(student.sigmoid(x), ref.sigmoid(x), what="sigmoid(x)", on=on_input(shape),
                      mistakes={_("σ(−x) instead of σ(x): a sign error in the exponent"): ref.sigmoid(-x),
                                _("tanh(x) instead of σ(x)"): np.tanh(x)})

    @pytest.mark.points(2)
    def test_large_inputs(self, student, ref):
        """exact values at x = 0 and no nan or inf for |x| up to 1e4"""
        expect_values_at(student.sigmoid(LARGE), ref.sigmoid(LARGE), LARGE, what="sigmoid(x)",
                         mistakes={_("exp(x)/(1 + exp(x)): for large x this is inf/inf = nan; use "
                                   "e^−|x| (or np.where on the sign of x)"):
                                   wrong(lambda: np.exp(LARGE) / (1 + np.exp(LARGE)))})

    @pytest.mark.points(2)
    def test_no_warnings(self, student):
        """no floating-point warning for |x| up to 1e4"""
        found = warnings_at(student, "sigmoid", (-1000.0, 1000.0))
        if found is None:
            return
        x, warning = found
        if np.isnan(x):
            fail(_("sigmoid raised a warning on {on}: {warning}.").format(on=_(ON_LARGE), warning=warning))
        mistake = (_("the naive formula 1/(1 + exp(−x)): exp(−x) overflows for large negative x; "
                   "compute with e^−|x|, which never overflows") if x < 0 else
                   _("exp(x)/(1 + exp(x)): exp(x) overflows for large positive x"))
        fail(_("sigmoid raised a warning at x = {x:g}: {warning}.").format(x=x, warning=warning), mistake)

    @pytest.mark.points(1)
    def test_types(self, student, rng):
        """returns a float64 array of the input's shape and leaves the input unchanged"""
        check_elementwise_types(student, "sigmoid", rng)


SIGMOID_GRAD_MISTAKES = {
    N_("sigmoid_grad written for σ(x) as its input, x·(1 − x); it takes the pre-activation x, "
    "so compute s = σ(x) first"): lambda x, s: x * (1 - x),
    N_("s·(1 + s) instead of s·(1 − s)"): lambda x, s: s * (1 + s),
    N_("returns σ(x) itself, not its derivative"): lambda x, s: s,
    N_("a sign error: −σ(x)·(1 − σ(x))"): lambda x, s: -s * (1 - s),
}


def sigmoid_grad_mistakes(ref, x):
    s = ref.sigmoid(x)
    return {name: wrong(lambda f=f: f(x, s)) for name, f in SIGMOID_GRAD_MISTAKES.items()}


class TestSigmoidGrad:
    pytestmark = pytest.mark.exercise("sigmoid_grad")

    @pytest.mark.main_result
    @pytest.mark.points(1)
    @by_shape
    def test_values(self, student, ref, rng, shape):
        """values on random inputs"""
        x = randn(rng, shape, 3.0)
        expect_values(student.sigmoid_grad(x), ref.sigmoid_grad(x), what="sigmoid_grad(x)",
                      on=on_input(shape), mistakes=sigmoid_grad_mistakes(ref, x))

    @pytest.mark.points(2)
    def test_special_inputs(self, student, ref):
        """0.25 at x = 0, and no nan or inf for |x| up to 1e4"""
        expect_values_at(student.sigmoid_grad(LARGE), ref.sigmoid_grad(LARGE), LARGE,
                         what="sigmoid_grad(x)", mistakes=sigmoid_grad_mistakes(ref, LARGE))

    @pytest.mark.main_result
    @pytest.mark.points(1.5)
    def test_finite_differences(self, student, ref, rng):
        """matches centred finite differences of σ"""
        x = randn(rng, (3, 4), 2.0)
        numeric = numerical_gradient(ref.sigmoid, (x,), np.ones(x.shape))[0]
        expect_gradient(student.sigmoid_grad(x), numeric, what="x", on=on_input(x.shape),
                        mistakes=sigmoid_grad_mistakes(ref, x))

    @pytest.mark.main_result
    @pytest.mark.points(1.5)
    def test_own_forward(self, student, ref, rng):
        """matches finite differences of your own sigmoid"""
        x = randn(rng, (2, 5), 2.0)
        ones = np.ones(x.shape)
        own = numeric_of_student(student, "sigmoid", (x,), ones)
        expect_matches_own_forward(
            {"x": student.sigmoid_grad(x)}, own and {"x": own[0]},
            {"x": numerical_gradient(ref.sigmoid, (x,), ones)[0]},
            backward="sigmoid_grad", forward="sigmoid", on=on_input(x.shape),
            mistakes={"x": sigmoid_grad_mistakes(ref, x)})

    @pytest.mark.points(1)
    def test_types(self, student, rng):
        """returns a float64 array of the input's shape and leaves the input unchanged"""
        check_elementwise_types(student, "sigmoid_grad", rng)


class TestRelu:
    pytestmark = pytest.mark.exercise("relu")

    @pytest.mark.main_result
    @pytest.mark.points(0.5)
    @by_shape
    def test_values(self, student, ref, rng, shape):
        """values on random inputs"""
        x = randn(rng, shape, 3.0)
        expect_values(student.relu(x), ref.relu(x), what="relu(x)", on=on_input(shape),
                      mistakes={_("min(0, x) instead of max(0, x)"): np.minimum(x, 0.0),
                                _("returns x unchanged"): x,
                                _("returns the derivative (1 where x > 0), not relu(x)"): (x > 0) * 1.0})

    @pytest.mark.points(0.5)
    def test_special_inputs(self, student, ref):
        """exact zeros and |x| up to 1e4"""
        expect_values_at(student.relu(LARGE), ref.relu(LARGE), LARGE, what="relu(x)")

    @pytest.mark.points(0.5)
    def test_types(self, student, rng):
        """returns a float64 array of the input's shape and leaves the input unchanged"""
        check_elementwise_types(student, "relu", rng)


class TestReluGrad:
    pytestmark = pytest.mark.exercise("relu_grad")

    @pytest.mark.main_result
    @pytest.mark.points(0.5)
    @by_shape
    def test_values(self, student, ref, rng, shape):
        """values on random inputs"""
        x = away_from_kinks(rng, shape) * 3.0
        expect_values(student.relu_grad(x), ref.relu_grad(x), what="relu_grad(x)",
                      on=on_input(shape),
                      mistakes={_("returns relu(x), not its derivative"): ref.relu(x),
                                _("the step the wrong way round (1 where x < 0)"): (x < 0) * 1.0})

    @pytest.mark.points(1)
    def test_kink(self, student, ref):
        """relu_grad(0) = 0 exactly (also at −0.0), as the spec says"""
        x = np.array([0.0, -0.0, 1e-300, -1e-300, 2.0, -3.0])
        expect_values_at(student.relu_grad(x), ref.relu_grad(x), x, what="relu_grad(x)",
                         mistakes={_("x >= 0 instead of x > 0: relu_grad(0) must be 0"): (x >= 0) * 1.0,
                                   _("0.5 at x = 0 (the spec's convention is 0)"):
                                   np.where(x == 0, 0.5, (x > 0) * 1.0)})
        x0 = np.array(0.0)
        expect_values_at(student.relu_grad(x0), 0.0, x0, what=_("relu_grad(x) on a 0-d input"),
                         mistakes={_("x >= 0 instead of x > 0: relu_grad(0) must be 0"): 1.0})

    @pytest.mark.main_result
    @pytest.mark.points(0.5)
    def test_own_forward(self, student, ref, rng):
        """matches finite differences of your own relu (away from 0)"""
        x = away_from_kinks(rng, (3, 4)) * 2.0
        ones = np.ones(x.shape)
        own = numeric_of_student(student, "relu", (x,), ones)
        expect_matches_own_forward(
            {"x": student.relu_grad(x)}, own and {"x": own[0]},
            {"x": numerical_gradient(ref.relu, (x,), ones)[0]},
            backward="relu_grad", forward="relu", on=on_input(x.shape),
            mistakes={"x": {_("returns relu(x), not its derivative"): ref.relu(x)}})

    @pytest.mark.points(0.5)
    def test_types(self, student, rng):
        """returns a float64 array of the input's shape and leaves the input unchanged"""
        check_elementwise_types(student, "relu_grad", rng)


def tanh_grad_mistakes(x):
    t = np.tanh(x)
    return {
        _("1 − tanh(x) instead of 1 − tanh²(x)"): 1 - t,
        _("tanh_grad written for tanh(x) as its input, 1 − x²; it takes x, so compute "
        "t = tanh(x) first"): wrong(lambda: 1 - x * x),
        _("tanh²(x) instead of 1 − tanh²(x)"): t * t,
        _("tanh computed as (e^x − e^−x)/(e^x + e^−x): inf/inf = nan for large |x|; use np.tanh"):
            wrong(lambda: 1 - ((np.exp(x) - np.exp(-x)) / (np.exp(x) + np.exp(-x))) ** 2),
    }


class TestTanhGrad:
    pytestmark = pytest.mark.exercise("tanh_grad")

    @pytest.mark.main_result
    @pytest.mark.points(0.5)
    @by_shape
    def test_values(self, student, ref, rng, shape):
        """values on random inputs"""
        x = randn(rng, shape, 2.0)
        expect_values(student.tanh_grad(x), ref.tanh_grad(x), what="tanh_grad(x)",
                      on=on_input(shape), mistakes=tanh_grad_mistakes(x))

    @pytest.mark.points(0.5)
    def test_large_inputs(self, student, ref):
        """1 at x = 0, and no nan or inf for |x| up to 1e4"""
        expect_values_at(student.tanh_grad(LARGE), ref.tanh_grad(LARGE), LARGE,
                         what="tanh_grad(x)", mistakes=tanh_grad_mistakes(LARGE))

    @pytest.mark.points(1)
    def test_no_warnings(self, student):
        """no floating-point warning for |x| up to 1e4"""
        found = warnings_at(student, "tanh_grad", (1000.0, -1000.0))
        if found is not None:
            x, warning = found
            where = _("on {on}").format(on=_(ON_LARGE)) if np.isnan(x) else _("at x = {x:g}").format(x=x)
            fail(_("tanh_grad raised a warning {where}: {warning}.").format(where=where, warning=warning),
                 _("cosh or exp of a large number overflows; np.tanh saturates at ±1 and never does"))

    @pytest.mark.main_result
    @pytest.mark.points(0.5)
    def test_finite_differences(self, student, rng):
        """matches centred finite differences of tanh"""
        x = randn(rng, (4, 3), 1.5)
        numeric = numerical_gradient(np.tanh, (x,), np.ones(x.shape))[0]
        expect_gradient(student.tanh_grad(x), numeric, what="x", on=on_input(x.shape),
                        mistakes=tanh_grad_mistakes(x))

    @pytest.mark.points(0.5)
    def test_types(self, student, rng):
        """returns a float64 array of the input's shape and leaves the input unchanged"""
        check_elementwise_types(student, "tanh_grad", rng)


# ---------------------------------------------------------------- softmax

SOFTMAX_CASES = [  # (label, shape, axis or None for the default): never only square batches
    ("1-D", (7,), None),
    ("2-D", (4, 6), None),
    (N_("2-D square"), (5, 5), None),
    (N_("3-D, axis=1"), (2, 4, 3), 1),
]
SOFTMAX_RAISED = {
    ("ValueError", "broadcast"): N_("a missing keepdims=True in the max or the sum, so it does not "
                                 "broadcast back along the rows"),
    ("AxisError", "out of bounds"): N_("a hard-coded axis (such as axis=1); use the axis argument"),
    ("IndexError", "out of range"): N_("a hard-coded axis (such as axis=1); use the axis argument"),
}


def softmax_mistakes(ref, z, axis):
    """What the usual wrong softmaxes output on z."""
    axis = z.ndim - 1 if axis is None else axis % z.ndim
    out = {}
    if axis != z.ndim - 1:
        out[_("the axis argument is ignored: normalised over the last axis, not "
               "axis {axis}").format(axis=axis)] = (
            ref.softmax(z, axis=-1))
    for other in range(z.ndim):
        if other != axis:
            out[_("normalised over axis {other} instead of axis {axis}").format(other=other, axis=axis)] = ref.softmax(z, axis=other)
    e = np.exp(z - z.max(axis=axis, keepdims=True))
    try:
        out[_("a missing keepdims=True: the sums broadcast along the wrong axis (silent when the "
            "batch is square)")] = e / e.sum(axis=axis)
    except ValueError:
        pass
    out[_("normalised over the whole array instead of along the axis")] = e / e.sum()
    return out


def call_softmax(student, z, axis, on):
    """student.softmax(z[, axis=axis]); a known broadcasting / axis error is named."""
    try:
        if axis is None:
            return student.call("softmax", z)
        return student.call("softmax", z, axis=axis)
    except StudentRaised as exc:
        mistake = raised_mistake(exc, SOFTMAX_RAISED)
        if mistake is None:
            raise
        fail(_("softmax raised {exc_type} on {on}: {message}.").format(exc_type=exc.exc_type, on=_(on), message=exc.message), mistake)


# Rows where e^z overflows without the max subtraction (N = 3 ≠ C = 4).
STABILITY = np.array([[1000.0, 1001.0, 1002.0, 999.0],
                      [-1e4, 0.0, 1e4, 5e3],
                      [-1000.0, -1000.0, -1000.0, -1000.0]])
ON_STABILITY = N_("a 2-D input with |z| up to 1e4 (such as the row 1000, 1001, 1002)")
NO_SHIFT = (N_("no max subtraction: e^z overflows to inf and inf/inf = nan; subtract the max "
            "along the axis first (softmax(z) = softmax(z − max z))"))


class TestSoftmax:
    pytestmark = pytest.mark.exercise("softmax")

    @pytest.mark.points(1.5)
    @pytest.mark.parametrize("shape, axis", [pytest.param(s, a, id=label)
                                             for label, s, a in SOFTMAX_CASES])
    @pytest.mark.main_result
    def test_values(self, student, ref, rng, shape, axis):
        """values on random inputs"""
        z = randn(rng, shape, 3.0)
        on = on_input(shape) + ("" if axis is None else _(" with axis={axis}").format(axis=axis))
        call = call_softmax(student, z, axis, on)
        expect_values(call.value, ref.softmax(z, axis=-1 if axis is None else axis),
                      what="softmax(z)", on=on, mistakes=softmax_mistakes(ref, z, axis))

    @pytest.mark.points(2.5)
    def test_large_inputs(self, student, ref):
        """stable for |z| up to 1e4: no nan or inf"""
        with np.errstate(all="ignore"):
            naive = np.exp(STABILITY) / np.exp(STABILITY).sum(axis=-1, keepdims=True)
        call = call_softmax(student, STABILITY, None, ON_STABILITY)
        expect_values(call.value, ref.softmax(STABILITY), what="softmax(z)", on=ON_STABILITY,
                      mistakes={NO_SHIFT: naive})

    @pytest.mark.points(1.5)
    def test_no_warnings(self, student):
        """no floating-point warning for |z| up to 1e4"""
        call = call_softmax(student, STABILITY, None, ON_STABILITY)
        expect_no_warnings(call.warnings, what="softmax", on=ON_STABILITY,
                           mistake=NO_SHIFT if any("overflow" in w for w in call.warnings) else None)

    @pytest.mark.points(1)
    def test_types(self, student, rng):
        """returns a float64 array of the input's shape and leaves the input unchanged"""
        for _label, shape, axis in SOFTMAX_CASES:
            z = randn(rng, shape, 3.0)
            on = on_input(shape)
            call = call_softmax(student, z, axis, on)
            expect_float64_like(call.value, shape, what=_("the result of softmax"), on=on)
            expect_unchanged(z, call.args_after[0], what="softmax")

