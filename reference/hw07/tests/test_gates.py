"""Hidden tests of gates.py: copy_backward, mul_backward, max_backward and sigmoid_circuit.

The cache always comes from the student's own (given) forward: ``out, cache = mul_forward(x, y)``.
Each backward is checked against the reference backward, against centred finite differences of
the reference forward with a random upstream gradient (never all ones: that hides a forgotten
dout), and against finite differences of the student's own forward, in one batched round trip.
"""

import numpy as np
import pytest
from _helpers import (
    elementwise_numeric,
    expect_float64_like,
    expect_matches_own_forward,
    expect_pair,
    expect_values,
    numeric_of_student,
    on_input,
    randn,
)

from autograder.course.i18n import _
from autograder.testkit.gradcheck import away_from_ties, numerical_gradient, random_upstream
from autograder.testkit.expect import expect_gradient, expect_tuple, expect_unchanged

GATE_SHAPES = [pytest.param((), id="0-d"), pytest.param((3, 5), id="2-D"),
               pytest.param((2, 3, 4), id="3-D")]


def forward_then_backward(student, op: str, inputs: tuple, douts: tuple):
    """cache from the student's own <op>_forward, then <op>_backward(*douts, cache): the Call."""
    _unused, cache = expect_tuple(student.call(f"{op}_forward", *inputs).value, 2,
                            what=_("your {op}_forward (given in the stub)").format(op=op))
    return student.call(f"{op}_backward", *douts, cache), cache


def check_types_and_no_mutation(student, op: str, rng, n_douts: int, names: tuple[str, ...],
                                make_inputs) -> None:
    """<op>_backward returns float64 arrays of the inputs' shape, douts and cache unchanged."""
    for shape in [(), (3, 5)]:
        inputs = make_inputs(rng, shape)
        douts = tuple(random_upstream(rng, shape) for _unused in range(n_douts))
        call, cache = forward_then_backward(student, op, inputs, douts)
        on = on_input(shape)
        grads = (call.value,) if len(names) == 1 else expect_tuple(
            call.value, len(names), what=_("the result of {op}_backward").format(op=op))
        for name, g in zip(names, grads, strict=True):
            expect_float64_like(g, shape, what=_("{name} from {op}_backward").format(name=name, op=op), on=on)
        for k, d in enumerate(douts):
            expect_unchanged(d, call.args_after[k], what=f"{op}_backward")
        expect_unchanged(cache, call.args_after[n_douts], what=f"{op}_backward")


# ---------------------------------------------------------------- copy gate: adder


def copy_mistakes(d1, d2):
    return {_("overwriting instead of adding: only dout2 reaches x (dx = dout1, then dx = dout2)"): d2,
            _("only dout1 reaches x (dout2 is dropped)"): d1,
            _("the average (dout1 + dout2)/2 instead of the sum"): (d1 + d2) / 2}


class TestCopyBackward:
    pytestmark = pytest.mark.exercise("copy_backward")

    @pytest.mark.main_result
    @pytest.mark.points(1.5)
    def test_values(self, student, ref, rng):
        """dx = dout1 + dout2 on random inputs"""
        x, d1, d2 = (random_upstream(rng, (2, 3, 4)) for _unused in range(3))
        call, _unused = forward_then_backward(student, "copy", (x,), (d1, d2))
        expect_values(call.value, ref.copy_backward(d1, d2, None), what=_("dx from copy_backward"),
                      on=on_input(x.shape), mistakes=copy_mistakes(d1, d2))

    @pytest.mark.main_result
    @pytest.mark.points(1)
    def test_finite_differences(self, student, ref, rng):
        """matches centred finite differences of the copy gate (random upstream gradients)"""
        x, d1, d2 = (random_upstream(rng, (3, 5)) for _unused in range(3))
        numeric = numerical_gradient(lambda x: ref.copy_forward(x)[0], (x,), (d1, d2))[0]
        call, _unused = forward_then_backward(student, "copy", (x,), (d1, d2))
        expect_gradient(call.value, numeric, what="x", on=on_input(x.shape),
                        mistakes=copy_mistakes(d1, d2))

    @pytest.mark.main_result
    @pytest.mark.points(1)
    def test_own_forward(self, student, ref, rng):
        """matches finite differences of your own copy_forward"""
        x, d1, d2 = (random_upstream(rng, (2, 3)) for _unused in range(3))
        own = numeric_of_student(student, "copy_forward", (x,), (d1, d2),
                                 pick=lambda v: tuple(v[0]))
        call, _unused = forward_then_backward(student, "copy", (x,), (d1, d2))
        correct = numerical_gradient(lambda x: ref.copy_forward(x)[0], (x,), (d1, d2))
        expect_matches_own_forward({"x": call.value}, own and {"x": own[0]}, {"x": correct[0]},
                                   backward="copy_backward", forward="copy_forward",
                                   on=on_input(x.shape), mistakes={"x": copy_mistakes(d1, d2)})

    @pytest.mark.points(0.5)
    def test_types(self, student, rng):
        """returns a float64 array of x's shape and leaves dout1, dout2 unchanged"""
        check_types_and_no_mutation(student, "copy", rng, 2, ("dx",),
                                    lambda rng, shape: (random_upstream(rng, shape),))


# ---------------------------------------------------------------- mul gate: swap multiplier


def mul_mistakes(x, y, dout):
    """(dx, dy) of the usual wrong mul backwards."""
    return {
        _("no swap: dx = dout·x and dy = dout·y; each input gets dout times the OTHER input"):
            (dout * x, dout * y),
        _("forgetting dout: dx = y and dy = x; multiply by the upstream gradient"): (y, x),
        _("no swap and no dout: dx = x, dy = y"): (x, y),
    }


def two_inputs(rng, shape):
    return random_upstream(rng, shape), random_upstream(rng, shape)


class TestMulBackward:
    pytestmark = pytest.mark.exercise("mul_backward")

    @pytest.mark.main_result
    @pytest.mark.points(1.5)
    @pytest.mark.parametrize("shape", GATE_SHAPES)
    def test_values(self, student, ref, rng, shape):
        """dx = dout·y, dy = dout·x on random inputs"""
        x, y = two_inputs(rng, shape)
        dout = random_upstream(rng, shape)
        call, _unused = forward_then_backward(student, "mul", (x, y), (dout,))
        expect_pair(call.value, ref.mul_backward(dout, (x, y)), names=("dx", "dy"),
                    what="mul_backward", on=on_input(shape), mistakes=mul_mistakes(x, y, dout))

    @pytest.mark.main_result
    @pytest.mark.points(2)
    def test_finite_differences(self, student, ref, rng):
        """matches centred finite differences of x·y (random upstream gradient)"""
        x, y = two_inputs(rng, (4, 3))
        dout = random_upstream(rng, x.shape)
        numeric = numerical_gradient(lambda x, y: ref.mul_forward(x, y)[0], (x, y), dout)
        call, _unused = forward_then_backward(student, "mul", (x, y), (dout,))
        dx, dy = expect_tuple(call.value, 2, what=_("the result of mul_backward"))
        wrong = mul_mistakes(x, y, dout)
        on = on_input(x.shape)
        expect_gradient(dx, numeric[0], what="x", on=on, mistakes={k: v[0] for k, v in wrong.items()})
        expect_gradient(dy, numeric[1], what="y", on=on, mistakes={k: v[1] for k, v in wrong.items()})

    @pytest.mark.main_result
    @pytest.mark.points(1.5)
    def test_own_forward(self, student, ref, rng):
        """matches finite differences of your own mul_forward"""
        x, y = two_inputs(rng, (3,))
        dout = random_upstream(rng, x.shape)
        own = numeric_of_student(student, "mul_forward", (x, y), dout, pick=lambda v: v[0])
        correct = numerical_gradient(lambda x, y: ref.mul_forward(x, y)[0], (x, y), dout)
        call, _unused = forward_then_backward(student, "mul", (x, y), (dout,))
        dx, dy = expect_tuple(call.value, 2, what=_("the result of mul_backward"))
        wrong = mul_mistakes(x, y, dout)
        expect_matches_own_forward(
            {"x": dx, "y": dy}, own and {"x": own[0], "y": own[1]},
            {"x": correct[0], "y": correct[1]}, backward="mul_backward", forward="mul_forward",
            on=on_input(x.shape), mistakes={"x": {k: v[0] for k, v in wrong.items()},
                                            "y": {k: v[1] for k, v in wrong.items()}})

    @pytest.mark.points(1)
    def test_types(self, student, rng):
        """returns float64 arrays of the inputs' shape and leaves dout and the cache unchanged"""
        check_types_and_no_mutation(student, "mul", rng, 1, ("dx", "dy"), two_inputs)


# ---------------------------------------------------------------- max gate: router


def max_mistakes(x, y, dout):
    """(dx, dy) of the usual wrong max backwards."""
    zero = np.zeros_like(dout)
    return {
        _("dout to both inputs; a max gate routes it to the larger input only"): (dout, dout),
        _("dout to the smaller input instead of the larger"): (np.where(x < y, dout, 0.0),
                                                            np.where(y < x, dout, 0.0)),
        _("dout to the smaller input instead of the larger (ties split)"):
            (np.where(x < y, dout, np.where(x == y, dout / 2, 0.0)),
             np.where(y < x, dout, np.where(x == y, dout / 2, 0.0))),
        _("dout to neither input"): (zero, zero),
        _("ties (x == y): all of dout to x instead of dout/2 to each"): (np.where(x >= y, dout, 0.0),
                                                                      np.where(y > x, dout, 0.0)),
        _("ties (x == y): all of dout to y instead of dout/2 to each"): (np.where(x > y, dout, 0.0),
                                                                      np.where(y >= x, dout, 0.0)),
        _("ties (x == y): all of dout to both instead of dout/2 to each"):
            (np.where(x >= y, dout, 0.0), np.where(y >= x, dout, 0.0)),
        _("ties (x == y): dout to neither instead of dout/2 to each"):
            (np.where(x > y, dout, 0.0), np.where(y > x, dout, 0.0)),
    }


def untied(rng, shape):
    """x, y at least 1e-4 apart everywhere: finite differences never cross a tie."""
    return away_from_ties(rng, shape)


class TestMaxBackward:
    pytestmark = pytest.mark.exercise("max_backward")

    @pytest.mark.main_result
    @pytest.mark.points(1)
    @pytest.mark.parametrize("shape", GATE_SHAPES)
    def test_values(self, student, ref, rng, shape):
        """dout goes to the larger input, on random inputs without ties"""
        x, y = untied(rng, shape)
        dout = random_upstream(rng, shape)
        call, _unused = forward_then_backward(student, "max", (x, y), (dout,))
        expect_pair(call.value, ref.max_backward(dout, (x, y)), names=("dx", "dy"),
                    what="max_backward", on=on_input(shape), mistakes=max_mistakes(x, y, dout))

    @pytest.mark.points(3.5)
    def test_ties(self, student, ref, rng):
        """where x == y exactly, dout/2 goes to each input"""
        x, y = untied(rng, (4, 5))
        tie = rng.random(x.shape) < 0.4
        tie[0, 0], tie[-1, -1] = True, False  # some entries do not tie
        y = np.where(tie, x, y)
        x[0, 0], y[0, 0] = 0.0, -0.0  # +0.0 == −0.0: a tie too
        dout = random_upstream(rng, x.shape)
        call, _unused = forward_then_backward(student, "max", (x, y), (dout,))
        expect_pair(call.value, ref.max_backward(dout, (x, y)), names=("dx", "dy"),
                    what="max_backward",
                    on=_("an input of shape {shape} where {n} entries tie (x "
                          "== y)").format(shape=x.shape, n=int(tie.sum())),
                    mistakes=max_mistakes(x, y, dout))

    @pytest.mark.main_result
    @pytest.mark.points(1.5)
    def test_finite_differences(self, student, ref, rng):
        """matches centred finite differences of max(x, y) (random upstream gradient)"""
        x, y = untied(rng, (4, 3))
        dout = random_upstream(rng, x.shape)
        numeric = numerical_gradient(lambda x, y: ref.max_forward(x, y)[0], (x, y), dout)
        call, _unused = forward_then_backward(student, "max", (x, y), (dout,))
        dx, dy = expect_tuple(call.value, 2, what=_("the result of max_backward"))
        wrong = max_mistakes(x, y, dout)
        on = on_input(x.shape) + _(" without ties")
        expect_gradient(dx, numeric[0], what="x", on=on, mistakes={k: v[0] for k, v in wrong.items()})
        expect_gradient(dy, numeric[1], what="y", on=on, mistakes={k: v[1] for k, v in wrong.items()})

    @pytest.mark.main_result
    @pytest.mark.points(1.5)
    def test_own_forward(self, student, ref, rng):
        """matches finite differences of your own max_forward"""
        x, y = untied(rng, (3,))
        dout = random_upstream(rng, x.shape)
        own = numeric_of_student(student, "max_forward", (x, y), dout, pick=lambda v: v[0])
        correct = numerical_gradient(lambda x, y: ref.max_forward(x, y)[0], (x, y), dout)
        call, _unused = forward_then_backward(student, "max", (x, y), (dout,))
        dx, dy = expect_tuple(call.value, 2, what=_("the result of max_backward"))
        wrong = max_mistakes(x, y, dout)
        expect_matches_own_forward(
            {"x": dx, "y": dy}, own and {"x": own[0], "y": own[1]},
            {"x": correct[0], "y": correct[1]}, backward="max_backward", forward="max_forward",
            on=on_input(x.shape) + _(" without ties"),
            mistakes={"x": {k: v[0] for k, v in wrong.items()},
                      "y": {k: v[1] for k, v in wrong.items()}})

    @pytest.mark.points(1)
    def test_types(self, student, rng):
        """returns float64 arrays of the inputs' shape and leaves dout and the cache unchanged"""
        check_types_and_no_mutation(student, "max", rng, 1, ("dx", "dy"), untied)


# ---------------------------------------------------------------- the lecture's circuit


def circuit_inputs(rng, shape):
    """x, w0, w1 with z = w0 + w1·x mostly in σ's non-flat range."""
    return randn(rng, shape, 1.5), randn(rng, shape, 1.0), randn(rng, shape, 1.0)


def circuit_mistakes(ref, x, w0, w1):
    """(df/dx, df/dw0, df/dw1) of the usual wrong circuits."""
    z = w0 + w1 * x
    g = ref.sigmoid_grad(z)
    s = ref.sigmoid(z)
    one = np.ones_like(z)
    return {
        _("df/dx and df/dw1 swapped (the mul gate's two gradients in the other order)"):
            (g * x, g, g * w1),
        _("the chain rule stops at the mul and add gates: the factor σ'(z) is missing"): (w1, one, x),
        _("σ(z) used where σ'(z) = σ(z)(1 − σ(z)) is due"): (s * w1, s, s * x),
        _("σ'(x) instead of σ'(z): the derivative at the wrong point"):
            (ref.sigmoid_grad(x) * w1, ref.sigmoid_grad(x), ref.sigmoid_grad(x) * x),
    }


def circuit_f(ref):
    return lambda x, w0, w1: ref.sigmoid_circuit(x, w0, w1)[0]


NAMES3 = ("df_dx", "df_dw0", "df_dw1")


class TestSigmoidCircuit:
    pytestmark = pytest.mark.exercise("sigmoid_circuit")

    @pytest.mark.main_result
    @pytest.mark.points(1)
    def test_forward(self, student, ref, rng):
        """f = σ(w0 + w1·x) on random inputs"""
        x, w0, w1 = circuit_inputs(rng, (2, 3, 4))
        f, _unused = expect_tuple(student.sigmoid_circuit(x, w0, w1), 2,
                            what=_("the result of sigmoid_circuit, (f, (df_dx, df_dw0, df_dw1)),"))
        expect_values(f, ref.sigmoid(w0 + w1 * x), what=_("f from sigmoid_circuit"),
                      on=on_input(x.shape),
                      mistakes={_("w0 and w1 swapped: σ(w1 + w0·x)"): ref.sigmoid(w1 + w0 * x),
                                _("σ(w0·x + w1)"): ref.sigmoid(w0 * x + w1),
                                _("z = w0 + w1·x without σ"): w0 + w1 * x})

    @pytest.mark.main_result
    @pytest.mark.points(2.5)
    def test_gradients(self, student, ref, rng):
        """df/dx, df/dw0, df/dw1 on random inputs"""
        x, w0, w1 = circuit_inputs(rng, (3, 5))
        _unused, grads = expect_tuple(student.sigmoid_circuit(x, w0, w1), 2,
                                what=_("the result of sigmoid_circuit, (f, (df_dx, df_dw0, df_dw1)),"))
        expect_pair(grads, ref.sigmoid_circuit(x, w0, w1)[1], names=NAMES3,
                    what="sigmoid_circuit", on=on_input(x.shape),
                    mistakes=circuit_mistakes(ref, x, w0, w1))

    @pytest.mark.main_result
    @pytest.mark.points(1.5)
    def test_finite_differences(self, student, ref, rng):
        """matches centred finite differences of σ(w0 + w1·x)"""
        # The circuit's output is the end of the graph: its upstream gradient is df/df = 1.
        x, w0, w1 = circuit_inputs(rng, (2, 4))
        numeric = numerical_gradient(circuit_f(ref), (x, w0, w1), np.ones(x.shape))
        _unused, grads = expect_tuple(student.sigmoid_circuit(x, w0, w1), 2,
                                what=_("the result of sigmoid_circuit, (f, (df_dx, df_dw0, df_dw1)),"))
        grads = expect_tuple(grads, 3, what=_("the gradients from sigmoid_circuit"))
        wrong = circuit_mistakes(ref, x, w0, w1)
        for k, name in enumerate(("x", "w0", "w1")):
            expect_gradient(grads[k], numeric[k], what=name, on=on_input(x.shape),
                            mistakes={m: v[k] for m, v in wrong.items()})

    @pytest.mark.main_result
    @pytest.mark.points(1.5)
    def test_own_forward(self, student, ref, rng):
        """your gradients match finite differences of your own f"""
        x, w0, w1 = circuit_inputs(rng, (2, 3))
        # f is elementwise: all perturbed copies go in one call (each call of sigmoid_circuit
        # costs a round trip per gate it uses, answered by the reference)
        own = elementwise_numeric(student, "sigmoid_circuit", (x, w0, w1), pick=lambda v: v[0])
        correct = numerical_gradient(circuit_f(ref), (x, w0, w1), np.ones(x.shape))
        _unused, grads = expect_tuple(student.sigmoid_circuit(x, w0, w1), 2,
                                what=_("the result of sigmoid_circuit, (f, (df_dx, df_dw0, df_dw1)),"))
        grads = expect_tuple(grads, 3, what=_("the gradients from sigmoid_circuit"))
        wrong = circuit_mistakes(ref, x, w0, w1)
        names = ("x", "w0", "w1")
        expect_matches_own_forward(
            dict(zip(names, grads, strict=True)), own and dict(zip(names, own, strict=True)),
            dict(zip(names, correct, strict=True)), backward="sigmoid_circuit",
            forward="f", on=on_input(x.shape),
            mistakes={n: {m: v[k] for m, v in wrong.items()} for k, n in enumerate(names)})

    @pytest.mark.points(0.5)
    def test_types(self, student, rng):
        """returns (f, (df_dx, df_dw0, df_dw1)) as float64 arrays; inputs unchanged"""
        shape = ()  # the 0-d case: numpy scalars are accepted, Python floats are not
        inputs = circuit_inputs(rng, shape)
        call = student.call("sigmoid_circuit", *inputs)
        on = on_input(shape)
        f, grads = expect_tuple(call.value, 2, what=_("the result of sigmoid_circuit"))
        expect_float64_like(f, shape, what="f", on=on)
        for name, g in zip(NAMES3, expect_tuple(grads, 3, what=_("the gradients")), strict=True):
            expect_float64_like(g, shape, what=name, on=on)
        expect_unchanged(inputs, call.args_after, what="sigmoid_circuit")
