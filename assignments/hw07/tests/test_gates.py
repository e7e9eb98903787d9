"""Public tests of gates.py: each backward on a tiny example you can check by hand, and against
finite differences of the gate's forward. The hidden tests check many more inputs and edge cases.

Run them with `python -m autograder check` (or plain `pytest tests/`) in the assignment folder.
"""

import numpy as np
import pytest

from autograder.course.i18n import N_, _
from autograder.testkit.gradcheck import away_from_ties, check_backward, random_upstream
from autograder.testkit.expect import expect_array, expect_close, expect_tuple, fail

SHAPE = (3, 4)  # not square, so a swapped or transposed gradient cannot pass by accident


def expect_gradients(student, forward, analytic, inputs, dout, *, what, names, output=N_("output")):
    """``analytic`` matches centred finite differences of Σ dout · out, (out, _) = forward(*inputs).

    Every shifted input goes to your ``forward`` in one round trip.
    """

    def batched(points):
        return [out for out, _unused in student.many(forward, points)]

    for c in check_backward(None, analytic, inputs, dout, names=names, evaluate_many=batched):
        if not c.ok:
            fail(_("{what} does not match centred finite differences of the "
                    "{output} of your {forward} on random {shape} inputs (with a "
                    "random upstream gradient): {reason}.").format(what=_(what), output=_(output), forward=forward, shape=SHAPE, reason=c.reason))


def gradients(result, names, shape):
    """The backward's result as a tuple of float64 arrays of the inputs' shape."""
    if len(names) > 1:
        result = expect_tuple(result, len(names), what=_("the backward's result "
                                                          "({names})").format(names=', '.join(names)))
    else:
        result = (result,)
    return tuple(expect_array(g, what=n, shape=shape) for g, n in zip(result, names, strict=True))


# ---------------------------------------------------------------- copy gate: the adder


@pytest.mark.exercise("copy_backward")
@pytest.mark.points(1)
def test_copy_backward_adds(student):
    """Copy gate (adder) on a tiny example: dx = dout1 + dout2"""
    (_unused, _unused), cache = student.copy_forward(np.array([1.0, 2.0]))
    dout1, dout2 = np.array([1.0, 2.0]), np.array([10.0, 20.0])
    on = _("dout1 = [1, 2], dout2 = [10, 20]")
    expect_close(student.copy_backward(dout1, dout2, cache), dout1 + dout2, what="dx", on=on, mistakes={
        _("dx = dout2 overwrites the gradient of the first path: add both, dx = dout1 + dout2"): dout2,
        _("dx = dout1 loses the gradient of the second path: add both, dx = dout1 + dout2"): dout1,
        _("the two upstream gradients are multiplied; a copied value collects their sum"): dout1 * dout2,
    })


@pytest.mark.exercise("copy_backward")
@pytest.mark.points(1)
def test_copy_backward_matches_finite_differences(student, rng):
    """copy_backward matches finite differences of copy_forward"""
    x = rng.standard_normal(SHAPE)
    dout = (random_upstream(rng, SHAPE), random_upstream(rng, SHAPE))
    _unused, cache = student.copy_forward(x)
    (dx,) = gradients(student.copy_backward(dout[0], dout[1], cache), ["dx"], SHAPE)
    expect_gradients(student, "copy_forward", dx, [x], dout, what="copy_backward", names=["x"],
                     output=_("outputs (out1, out2)"))


# ---------------------------------------------------------------- mul gate: the swap multiplier


@pytest.mark.exercise("mul_backward")
@pytest.mark.points(1)
def test_mul_backward_swaps(student):
    """Mul gate (swap multiplier) on a tiny example: x = [2, 3], y = [5, 7] -> dx = dout·y, dy = dout·x"""
    x, y, dout = np.array([2.0, 3.0]), np.array([5.0, 7.0]), np.array([1.0, 10.0])
    _unused, cache = student.mul_forward(x, y)
    dx, dy = gradients(student.mul_backward(dout, cache), ["dx", "dy"], x.shape)
    on = _("x = [2, 3], y = [5, 7], dout = [1, 10]")
    expect_close(dx, dout * y, what="dx", on=on, mistakes={
        _("no swap: dx is dout·y (the other input), not dout·x"): dout * x,
        _("dout is missing: dx = dout·y, not y"): y,
    })
    expect_close(dy, dout * x, what="dy", on=on, mistakes={
        _("no swap: dy is dout·x (the other input), not dout·y"): dout * y,
        _("dout is missing: dy = dout·x, not x"): x,
    })


@pytest.mark.exercise("mul_backward")
@pytest.mark.points(1)
def test_mul_backward_matches_finite_differences(student, rng):
    """mul_backward matches finite differences of mul_forward"""
    x, y, dout = rng.standard_normal(SHAPE), rng.standard_normal(SHAPE), random_upstream(rng, SHAPE)
    _unused, cache = student.mul_forward(x, y)
    dx, dy = gradients(student.mul_backward(dout, cache), ["dx", "dy"], SHAPE)
    expect_gradients(student, "mul_forward", (dx, dy), [x, y], dout, what="mul_backward", names=["x", "y"])


# ---------------------------------------------------------------- max gate: the router


@pytest.mark.exercise("max_backward")
@pytest.mark.points(1)
def test_max_backward_routes(student):
    """Max gate (router) on a tiny example: all of dout goes to the larger input, 0 to the other"""
    x, y, dout = np.array([1.0, 5.0, -2.0]), np.array([3.0, 2.0, -4.0]), np.array([10.0, 20.0, 30.0])
    _unused, cache = student.max_forward(x, y)
    dx, dy = gradients(student.max_backward(dout, cache), ["dx", "dy"], x.shape)
    on = _("x = [1, 5, -2], y = [3, 2, -4], dout = [10, 20, 30]")
    expect_close(dx, [0.0, 20.0, 30.0], what="dx", on=on, mistakes={
        _("dout went to both inputs; only the larger one gets it"): dout,
        _("dout went to the smaller input; the larger one gets it"): [10.0, 0.0, 0.0],
        _("dout went to neither input"): np.zeros(3),
        _("dout is missing: the larger input gets dout, not 1"): [0.0, 1.0, 1.0],
    })
    expect_close(dy, [10.0, 0.0, 0.0], what="dy", on=on)


@pytest.mark.exercise("max_backward")
@pytest.mark.points(1)
def test_max_backward_tie_split(student):
    """Max gate at a tie (x == y exactly): each input gets dout / 2"""
    x, dout = np.array([2.0, -1.0, 0.0]), np.array([4.0, 6.0, -8.0])
    _unused, cache = student.max_forward(x, x.copy())
    dx, dy = gradients(student.max_backward(dout, cache), ["dx", "dy"], x.shape)
    on = _("x = y = [2, -1, 0], dout = [4, 6, -8]")
    for g, name in ((dx, "dx"), (dy, "dy")):
        expect_close(g, dout / 2, what=name, on=on, mistakes={
            _("at a tie the whole dout went to one input; split it, dout / 2 to each"): dout,
            _("at a tie neither input got the gradient; split it, dout / 2 to each"): np.zeros(3),
        })


@pytest.mark.exercise("max_backward")
@pytest.mark.points(1)
def test_max_backward_matches_finite_differences(student, rng):
    """max_backward matches finite differences of max_forward (away from ties)"""
    x, y = away_from_ties(rng, SHAPE)
    dout = random_upstream(rng, SHAPE)
    _unused, cache = student.max_forward(x, y)
    dx, dy = gradients(student.max_backward(dout, cache), ["dx", "dy"], SHAPE)
    expect_gradients(student, "max_forward", (dx, dy), [x, y], dout, what="max_backward", names=["x", "y"])


# ---------------------------------------------------------------- the lecture's circuit


def _circuit_result(result, shape):
    f, grads = expect_tuple(result, 2, what=_("sigmoid_circuit's result (f, (df_dx, df_dw0, df_dw1))"))
    f = expect_array(f, what="f", shape=shape)
    return f, gradients(grads, ["df_dx", "df_dw0", "df_dw1"], shape)


@pytest.mark.exercise("sigmoid_circuit")
@pytest.mark.points(1)
def test_sigmoid_circuit_by_hand(student):
    """The circuit at x = −0.5, w0 = 1, w1 = 2 (z = 0): f = 0.5, df/dx = 0.5, df/dw0 = 0.25, df/dw1 = −0.125

    By hand: df/dz = σ(0)(1 − σ(0)) = 0.25; the add gate gives it to w0 and to a = w1·x; the mul
    gate swaps: df/dx = 0.25 · w1, df/dw1 = 0.25 · x.
    """
    x, w0, w1 = np.array(-0.5), np.array(1.0), np.array(2.0)
    f, (dx, dw0, dw1) = _circuit_result(student.sigmoid_circuit(x, w0, w1), ())
    on = _("x = -0.5, w0 = 1, w1 = 2")
    expect_close(f, 0.5, what="f", on=on)
    swapped = _("df/dx and df/dw1 are swapped: df/dx = σ'(z)·w1, df/dw1 = σ'(z)·x")
    expect_close(dx, 0.5, what="df/dx", on=on, mistakes={swapped: -0.125})
    expect_close(dw0, 0.25, what="df/dw0", on=on,
                 mistakes={_("df/dw0 is σ'(z) = σ(z)(1 − σ(z)), not σ(z)"): 0.5})
    expect_close(dw1, -0.125, what="df/dw1", on=on, mistakes={swapped: 0.5})


@pytest.mark.exercise("sigmoid_circuit")
@pytest.mark.points(1)
def test_sigmoid_circuit_values(student, rng):
    """The circuit's f = σ(w0 + w1·x) on random (3, 4) inputs"""
    x, w0, w1 = (rng.standard_normal(SHAPE) for _unused in range(3))
    f, _unused = _circuit_result(student.sigmoid_circuit(x, w0, w1), SHAPE)
    expect_close(f, 1.0 / (1.0 + np.exp(-(w0 + w1 * x))), what="f", on=_("random {shape} inputs x, w0, "
                                                                          "w1").format(shape=SHAPE))


@pytest.mark.exercise("sigmoid_circuit")
@pytest.mark.points(1)
def test_sigmoid_circuit_matches_finite_differences(student, rng):
    """The circuit's gradients match finite differences of its own f"""
    x, w0, w1 = (rng.standard_normal(SHAPE) for _unused in range(3))
    dout = random_upstream(rng, SHAPE)
    _unused, grads = _circuit_result(student.sigmoid_circuit(x, w0, w1), SHAPE)
    expect_gradients(student, "sigmoid_circuit", tuple(dout * g for g in grads), [x, w0, w1], dout,
                     what="sigmoid_circuit", names=["x", "w0", "w1"], output="f")
