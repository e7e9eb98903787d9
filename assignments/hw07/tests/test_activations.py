"""Public tests of activations.py: known values, shapes, stability, and each derivative against
finite differences of your own function. The hidden tests check many more inputs and edge cases.

Run them with `python -m autograder check` (or plain `pytest tests/`) in the assignment folder.
"""

import numpy as np
import pytest

from autograder.course.i18n import N_, _
from autograder.testkit.gradcheck import away_from_kinks, check_backward, random_upstream
from autograder.testkit.expect import expect_array, expect_close, expect_no_warnings, expect_unchanged, fail

X = np.array([-2.0, -0.5, 0.0, 0.5, 3.0])  # small known points (both signs); σ(0) = 0.5, σ'(0) = 0.25, tanh'(0) = 1
X_TEXT = N_("x = [-2, -0.5, 0, 0.5, 3]")
HUGE = np.array([-1e4, -1000.0, -30.0, 0.0, 30.0, 1000.0, 1e4])
HUGE_TEXT = N_("x = [-1e4, -1000, -30, 0, 30, 1000, 1e4]")
ELEMENTWISE = ["sigmoid", "sigmoid_grad", "relu", "relu_grad", "tanh_grad"]


def _sigmoid(x):
    """σ on moderate inputs only (|x| ≤ 30), to write down the expected values of the tests."""
    return 1.0 / (1.0 + np.exp(-x))


def _wrong(f, *args):
    """What a known mistake outputs (computed quietly: it may overflow on purpose)."""
    with np.errstate(all="ignore"):
        return f(*args)


def expect_derivative(student, name, x, rng, forward, forward_text=None):
    """name(x) · dout matches centred finite differences of Σ dout · forward(x), dout random.

    ``forward`` is the name of the student's function (all points evaluated in one round trip)
    or a trusted numpy function (``forward_text`` names it).
    """
    dout = random_upstream(rng, x.shape)
    g = expect_array(getattr(student, name)(x), what=_("{name}'s result").format(name=name), shape=x.shape)
    if callable(forward):
        f, batched, forward_text = forward, None, forward_text or f"np.{forward.__name__}"
    else:
        f, forward_text = None, _("your {forward}").format(forward=forward)

        def batched(points):  # every shifted input in one round trip to your code
            return student.many(forward, points)

    for c in check_backward(f, dout * g, [x], dout, names=["x"], evaluate_many=batched):
        if not c.ok:
            fail(_("{name} does not match centred finite differences of "
                    "{forward_text} on a random {shape} input (with a random "
                    "upstream gradient): {reason}.").format(name=name, forward_text=forward_text, shape=x.shape, reason=c.reason))


# ---------------------------------------------------------------- every elementwise function


@pytest.mark.points(1)
@pytest.mark.parametrize("name", [pytest.param(n, marks=pytest.mark.exercise(n)) for n in ELEMENTWISE])
def test_shape_and_dtype(student, rng, name):
    """Shape and dtype: a Python float, 0-d, 1-D and non-square 2-D inputs give float64 results of that shape.

    For a Python float or a 0-d input the result is 0-d: a 0-d float64 array or a numpy float64
    scalar (what numpy's own operations return); a Python float is not accepted.
    """
    for x, shape, on in [(0.5, (), _("the Python float 0.5")),
                         (np.asarray(rng.standard_normal(())), (), _("a 0-d array")),
                         (rng.standard_normal(4), (4,), _("a 1-D array of shape (4,)")),
                         (rng.standard_normal((3, 5)), (3, 5), _("a 2-D array of shape (3, 5)"))]:
        expect_array(getattr(student, name)(x), what=_("{name}'s result on {on}").format(name=name, on=_(on)), shape=shape)


# ---------------------------------------------------------------- sigmoid


@pytest.mark.exercise("sigmoid")
@pytest.mark.points(1)
def test_sigmoid_known_values(student):
    """σ(0) = 0.5, and σ at a few other points"""
    expect_close(student.sigmoid(X), _sigmoid(X), what="sigmoid", on=X_TEXT)


@pytest.mark.exercise("sigmoid")
@pytest.mark.points(1)
def test_sigmoid_stable(student):
    """No nan and no warning for |x| up to 1e4 (σ(-1000) = 0, σ(1000) = 1)"""
    call = student.call("sigmoid", HUGE)
    expected = np.where(HUGE > 0, 1.0, 0.0)
    expected[2:5] = _sigmoid(HUGE[2:5])
    expect_close(call.value, expected, what="sigmoid", on=HUGE_TEXT, mistakes={
        _("exp(x) / (1 + exp(x)) is inf / inf = nan for large x"): _wrong(lambda x: np.exp(x) / (1 + np.exp(x)),
                                                                          HUGE),
    })
    expect_no_warnings(call.warnings, what="sigmoid", on=HUGE_TEXT, mistake=(
        _("np.exp of a large number overflows (1 / (1 + np.exp(-x)) at x = -1000); compute σ from "
        "e^(-|x|), which is always in (0, 1] — and np.where evaluates both branches everywhere")))
    expect_unchanged(HUGE, call.args_after[0], what="sigmoid")


# ---------------------------------------------------------------- sigmoid_grad


@pytest.mark.exercise("sigmoid_grad")
@pytest.mark.points(1)
def test_sigmoid_grad_known_values(student):
    """σ'(0) = 0.25, and σ'(x) = σ(x)(1 − σ(x)) at a few other points"""
    s = _sigmoid(X)
    expect_close(student.sigmoid_grad(X), s * (1 - s), what="sigmoid_grad", on=X_TEXT, mistakes={
        _("x * (1 - x) is the formula for s = σ(x) as input; sigmoid_grad takes x, so use σ(x) * (1 - σ(x))"):
            X * (1 - X),
        _("wrong formula σ(x) * (1 + σ(x)); the derivative is σ(x) * (1 - σ(x))"): s * (1 + s),
        _("this is σ(x) itself, not its derivative"): s,
    })


@pytest.mark.exercise("sigmoid_grad")
@pytest.mark.points(1)
def test_sigmoid_grad_matches_finite_differences(student, rng):
    """sigmoid_grad matches finite differences of your sigmoid"""
    expect_derivative(student, "sigmoid_grad", rng.standard_normal((3, 4)) * 3, rng, "sigmoid")


@pytest.mark.exercise("sigmoid_grad")
@pytest.mark.points(1)
def test_sigmoid_grad_stable(student):
    """No nan and no warning for |x| up to 1e4 (σ' is about 0 there: the vanishing gradient)"""
    call = student.call("sigmoid_grad", HUGE)
    s = _sigmoid(np.clip(HUGE, -30, 30))
    expected = np.where(np.abs(HUGE) > 30, 0.0, s * (1 - s))
    expect_close(call.value, expected, what="sigmoid_grad", on=HUGE_TEXT)
    expect_no_warnings(call.warnings, what="sigmoid_grad", on=HUGE_TEXT, mistake=(
        _("an overflow in np.exp; compute σ'(x) as s * (1 - s) from a stable sigmoid s = σ(x)")))


# ---------------------------------------------------------------- relu, relu_grad


@pytest.mark.exercise("relu")
@pytest.mark.points(1)
def test_relu_known_values(student):
    """relu(x) = max(0, x): negatives become 0, positives stay"""
    x = np.array([-2.0, -0.5, 0.0, 0.5, 3.0])
    expect_close(student.relu(x), [0.0, 0.0, 0.0, 0.5, 3.0], what="relu", on=_("x = [-2, -0.5, 0, 0.5, 3]"),
                 mistakes={_("this is min(0, x); relu is np.maximum(x, 0)"): np.minimum(x, 0)})


@pytest.mark.exercise("relu")
@pytest.mark.points(1)
def test_relu_does_not_modify_input(student, rng):
    """relu on a (3, 5) array: right values, and the input array is left unchanged"""
    x = rng.standard_normal((3, 5))
    call = student.call("relu", x)
    expect_close(call.value, np.maximum(x, 0.0), what="relu", on=_("a random (3, 5) input"))
    expect_unchanged(x, call.args_after[0], what="relu")


@pytest.mark.exercise("relu_grad")
@pytest.mark.points(1)
def test_relu_grad_known_values(student):
    """relu_grad is 1 where x > 0 and 0 elsewhere, with relu_grad(0) = 0, as float64"""
    x = np.array([-2.0, -0.5, 0.0, 0.5, 3.0])
    g = expect_array(student.relu_grad(x), what=_("relu_grad's result"), shape=x.shape)
    expect_close(g, [0.0, 0.0, 0.0, 1.0, 1.0], what="relu_grad", on=_("x = [-2, -0.5, 0, 0.5, 3]"), mistakes={
        _("relu_grad(0) must be 0: use x > 0, not x >= 0"): [0.0, 0.0, 1.0, 1.0, 1.0],
        _("this is relu(x), not its derivative"): np.maximum(x, 0.0),
    })


@pytest.mark.exercise("relu_grad")
@pytest.mark.points(1)
def test_relu_grad_matches_finite_differences(student, rng):
    """relu_grad matches finite differences of max(0, x) (away from the kink at 0)

    Differentiated is max(0, x) itself, not your relu: relu_grad is graded on its own, so a wrong
    relu costs points in relu only.
    """
    expect_derivative(student, "relu_grad", away_from_kinks(rng, (3, 4)), rng,
                      lambda x: np.maximum(x, 0.0), "max(0, x)")


# ---------------------------------------------------------------- tanh_grad


@pytest.mark.exercise("tanh_grad")
@pytest.mark.points(1)
def test_tanh_grad_known_values(student):
    """tanh'(0) = 1, and 1 − tanh²(x) at a few other points"""
    t = np.tanh(X)
    expect_close(student.tanh_grad(X), 1 - t * t, what="tanh_grad", on=X_TEXT, mistakes={
        _("1 - tanh(x) is missing the square: the derivative is 1 - tanh(x)**2"): 1 - t,
        _("this is tanh(x) itself, not its derivative"): t,
    })


@pytest.mark.exercise("tanh_grad")
@pytest.mark.points(1)
def test_tanh_grad_matches_finite_differences(rng, student):
    """tanh_grad matches finite differences of np.tanh"""
    expect_derivative(student, "tanh_grad", rng.standard_normal((3, 4)) * 2, rng, np.tanh)


@pytest.mark.exercise("tanh_grad")
@pytest.mark.points(1)
def test_tanh_grad_stable(student):
    """No nan and no warning for |x| up to 1e4 (tanh' is about 0 there)"""
    call = student.call("tanh_grad", HUGE)
    t = np.tanh(HUGE)
    expect_close(call.value, 1 - t * t, what="tanh_grad", on=HUGE_TEXT)
    expect_no_warnings(call.warnings, what="tanh_grad", on=HUGE_TEXT, mistake=(
        _("cosh(x) or exp(x) overflows for large |x|; np.tanh never does: use 1 - np.tanh(x)**2")))


# ---------------------------------------------------------------- softmax

Z = np.array([1.0, 2.0, 3.0])


def _softmax(z, axis=-1):
    """Softmax on moderate inputs only, to write down the expected values of the tests."""
    e = np.exp(z)
    return e / e.sum(axis=axis, keepdims=True)


@pytest.mark.exercise("softmax")
@pytest.mark.points(1)
def test_softmax_known_values(student):
    """softmax of a 1-D input: e^z / Σ e^z, e.g. softmax([1, 2, 3]) ≈ [0.090, 0.245, 0.665]"""
    expect_close(student.softmax(Z), _softmax(Z), what="softmax", on=_("z = [1, 2, 3] (1-D, default axis)"))
    expect_close(student.softmax(np.zeros(4)), np.full(4, 0.25), what="softmax", on=_("z = [0, 0, 0, 0]"))


@pytest.mark.exercise("softmax")
@pytest.mark.points(1)
def test_softmax_rows_sum_to_one(student, rng):
    """softmax of 2-D and 3-D inputs (default axis=-1): same shape, and every row sums to 1"""
    for shape in [(3, 5), (4, 4), (2, 3, 4)]:
        z = rng.standard_normal(shape)
        on = _("a random {shape} input").format(shape=shape)
        call = student.call("softmax", z)
        p = expect_array(call.value, what=_("softmax's result on {on}").format(on=_(on)), shape=shape)
        mistakes = {_("softmax along axis {k}: use the axis argument (-1 by "
                       "default)").format(k=k): _softmax(z, k).sum(-1)
                    for k in range(len(shape) - 1)}
        if shape[0] == shape[-1]:  # where a missing keepdims gives wrong numbers instead of an error
            e = np.exp(z)
            mistakes[_("sum without keepdims=True: each row is divided by another row's sum")] = (
                e / e.sum(axis=-1)).sum(-1)
        expect_close(p.sum(axis=-1), np.ones(shape[:-1]), what=_("the sums of softmax's rows (axis=-1)"), on=on,
                     mistakes=mistakes)
        expect_close(p, _softmax(z), what="softmax", on=on)
        expect_unchanged(z, call.args_after[0], what="softmax")


@pytest.mark.exercise("softmax")
@pytest.mark.points(1)
def test_softmax_axis_0(student, rng):
    """softmax(z, axis=0) on a (3, 5) input: every column sums to 1"""
    z = rng.standard_normal((3, 5))
    expect_close(student.softmax(z, axis=0), _softmax(z, axis=0), what=_("softmax(z, axis=0)"),
                 on=_("a random (3, 5) input"), mistakes={
                     _("the axis argument is ignored (softmax along the last axis)"): _softmax(z, axis=-1)})


@pytest.mark.exercise("softmax")
@pytest.mark.points(1)
def test_softmax_stable(student):
    """No nan and no warning for large z: softmax([1000, 1001, 1002]) = softmax([0, 1, 2])"""
    for z in (np.array([1000.0, 1001.0, 1002.0]), np.array([-1002.0, -1001.0, -1000.0]),
              np.array([[1e4, 0.0, -1e4], [-1e4, -1e4, -1e4]])):
        on = _("z = {value}").format(value=z.tolist())
        call = student.call("softmax", z)
        expected = _softmax(z - z.max(axis=-1, keepdims=True))
        expect_close(call.value, expected, what="softmax", on=on, mistakes={
            _("np.exp(z) overflows (inf / inf = nan) or underflows to 0 / 0: subtract the max along axis first"):
                _wrong(_softmax, z)})
        expect_no_warnings(call.warnings, what="softmax", on=on, mistake=(
            _("np.exp of a large number overflows: subtract the maximum along axis (keepdims=True) "
            "before np.exp")))
