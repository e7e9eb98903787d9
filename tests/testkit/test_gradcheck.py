"""Tests of autograder.testkit.gradcheck: it accepts correct gradients and rejects each common mistake."""

import numpy as np
import pytest

from autograder.testkit.gradcheck import (
    DEFAULT_H,
    KINK_MARGIN,
    GradComparison,
    away_from_kinks,
    away_from_ties,
    check_backward,
    compare_gradients,
    numerical_gradient,
    random_upstream,
)

# ---------------------------------------------------------------- correct implementations


def sigmoid_piecewise(x):
    x = np.asarray(x, dtype=np.float64)
    z = np.exp(-np.abs(x))
    return np.where(x >= 0, 1.0 / (1.0 + z), z / (1.0 + z))


def sigmoid_tanh(x):
    return 0.5 * (1.0 + np.tanh(np.asarray(x, dtype=np.float64) / 2.0))


def sigmoid_expit(x):
    return np.exp(-np.logaddexp(0.0, -np.asarray(x, dtype=np.float64)))


SIGMOIDS = {"piecewise": sigmoid_piecewise, "tanh": sigmoid_tanh, "expit": sigmoid_expit}


def sigmoid_grad_from(sigmoid):
    def grad(x):
        s = sigmoid(x)
        return s * (1.0 - s)

    return grad


def sigmoid_grad_exp(x):
    z = np.exp(-np.abs(x))
    return z / (1.0 + z) ** 2


SIGMOID_GRADS = {
    **{f"s*(1-s), s by {k}": sigmoid_grad_from(f) for k, f in SIGMOIDS.items()},
    "exp(-|x|)/(1+exp(-|x|))^2": sigmoid_grad_exp,
}


def softmax_max(z, axis=-1):
    e = np.exp(z - np.max(z, axis=axis, keepdims=True))
    return e / np.sum(e, axis=axis, keepdims=True)


def softmax_logsumexp(z, axis=-1):
    m = np.max(z, axis=axis, keepdims=True)
    return np.exp(z - m - np.log(np.sum(np.exp(z - m), axis=axis, keepdims=True)))


def softmax_backward(dout, s, axis=-1):
    return s * (dout - np.sum(dout * s, axis=axis, keepdims=True))


def cross_entropy(logits, y):
    n = logits.shape[0]
    m = np.max(logits, axis=1, keepdims=True)
    log_p = logits - m - np.log(np.sum(np.exp(logits - m), axis=1, keepdims=True))
    return -np.mean(log_p[np.arange(n), y])


def onehot(y, c):
    return np.eye(c)[y]


def assert_accepts(results):
    for r in results:
        assert isinstance(r, GradComparison)
        assert r.ok, r.reason
        assert r.norm_relative <= 1e-8, r.reason


def assert_rejects(results, name):
    by_name = {r.name: r for r in results}
    r = by_name[name]
    assert not r.ok, r.reason
    assert r.reason.startswith(f"gradient w.r.t. {name} "), r.reason
    assert r.norm_relative > 1e-3, r.reason  # rejected by a wide margin, not by noise


# ---------------------------------------------------------------- accepts: sigmoid, tanh, relu


@pytest.mark.parametrize("grad_name", sorted(SIGMOID_GRADS))
@pytest.mark.parametrize("forward_name", sorted(SIGMOIDS))
@pytest.mark.parametrize("shape", [(), (7,), (3, 5), (2, 3, 4)])
def test_accepts_sigmoid_variants(forward_name, grad_name, shape):
    rng = np.random.default_rng(10)
    x = 4.0 * rng.standard_normal(shape)
    dout = random_upstream(rng, shape)
    grad = SIGMOID_GRADS[grad_name]
    results = check_backward(SIGMOIDS[forward_name], dout * grad(x), (x,), dout, names=("x",))
    assert_accepts(results)


def test_accepts_sigmoid_grad_at_large_inputs():
    rng = np.random.default_rng(11)
    x = np.array([-40.0, -20.0, -5.0, 0.3, 5.0, 20.0, 40.0])
    dout = random_upstream(rng, x.shape)
    for forward in SIGMOIDS.values():
        assert_accepts(check_backward(forward, dout * sigmoid_grad_exp(x), (x,), dout))


@pytest.mark.parametrize(
    "tanh_grad",
    [
        lambda x: 1.0 - np.tanh(x) ** 2,
        lambda x: (1.0 - np.tanh(x)) * (1.0 + np.tanh(x)),
        lambda x: 1.0 / np.cosh(x) ** 2,
    ],
    ids=["1-t^2", "(1-t)(1+t)", "1/cosh^2"],
)
def test_accepts_tanh_grad_variants(tanh_grad):
    rng = np.random.default_rng(12)
    x = 2.0 * rng.standard_normal((4, 3))
    dout = random_upstream(rng, x.shape)
    assert_accepts(check_backward(np.tanh, dout * tanh_grad(x), (x,), dout))


@pytest.mark.parametrize(
    "relu_backward",
    [
        lambda dout, x: dout * (x > 0),
        lambda dout, x: np.where(x > 0, dout, 0.0),
        lambda dout, x: dout * np.heaviside(x, 0.0),
    ],
    ids=["mask", "where", "heaviside"],
)
def test_accepts_relu_away_from_zero(relu_backward):
    rng = np.random.default_rng(13)
    x = away_from_kinks(rng, (5, 4))
    dout = random_upstream(rng, x.shape)
    results = check_backward(lambda x: np.maximum(0.0, x), relu_backward, (x,), dout)
    assert_accepts(results)


# ---------------------------------------------------------------- accepts: softmax


@pytest.mark.parametrize("forward", [softmax_max, softmax_logsumexp], ids=["max", "logsumexp"])
@pytest.mark.parametrize("axis", [-1, 0])
@pytest.mark.parametrize("shape", [(6,), (3, 5), (2, 3, 4)])
def test_accepts_softmax_variants(forward, axis, shape):
    rng = np.random.default_rng(20)
    z = 3.0 * rng.standard_normal(shape)
    dout = random_upstream(rng, shape)
    analytic = softmax_backward(dout, softmax_max(z, axis), axis)
    assert_accepts(check_backward(lambda z: forward(z, axis), analytic, (z,), dout))


def test_accepts_softmax_backward_as_jacobian_matrix():
    rng = np.random.default_rng(21)
    z = rng.standard_normal(6)
    dout = random_upstream(rng, 6)
    s = softmax_max(z)
    jacobian = np.diag(s) - np.outer(s, s)
    assert_accepts(check_backward(softmax_max, jacobian.T @ dout, (z,), dout))


def test_accepts_softmax_with_tiny_entries_that_cs231n_error_rejects():
    rng = np.random.default_rng(22)
    z = rng.standard_normal((4, 6))
    z[:, :2] += 23.0  # two comparable logits per row, the others e^-23 ≈ 1e-10 after softmax
    dout = random_upstream(rng, z.shape)
    s = softmax_max(z)
    assert s.min() < 1e-9
    analytic = softmax_backward(dout, s)
    (numeric,) = numerical_gradient(softmax_max, (z,), dout)

    cs231n_rel_error = np.max(
        np.abs(analytic - numeric) / np.maximum(np.abs(analytic), np.abs(numeric))
    )
    assert cs231n_rel_error > 1e-3  # the element-wise max relative error fails a correct gradient

    result = compare_gradients(analytic, numeric, name="z")
    assert result.ok, result.reason
    assert result.norm_relative < 1e-9


def test_accepts_softmax_cross_entropy_gradient_non_square():
    rng = np.random.default_rng(23)
    n, c = 5, 3
    logits = 2.0 * rng.standard_normal((n, c))
    y = rng.integers(0, c, size=n)
    dout = random_upstream(rng, ())
    analytic = dout * (softmax_max(logits) - onehot(y, c)) / n
    results = check_backward(lambda z: cross_entropy(z, y), analytic, (logits,), dout)
    assert_accepts(results)


# ---------------------------------------------------------------- accepts: gates


def test_accepts_add_gate():
    rng = np.random.default_rng(30)
    x, y = rng.standard_normal((2, 3, 4))
    dout = random_upstream(rng, (3, 4))
    results = check_backward(np.add, (dout, dout), (x, y), dout, names=("x", "y"))
    assert_accepts(results)


@pytest.mark.parametrize("shape", [(), (4,), (3, 4)])
def test_accepts_mul_gate(shape):
    rng = np.random.default_rng(31)
    x, y = random_upstream(rng, shape), random_upstream(rng, shape)
    dout = random_upstream(rng, shape)
    results = check_backward(
        np.multiply, lambda d, x, y: (d * y, d * x), (x, y), dout, names=("x", "y")
    )
    assert_accepts(results)


def max_backward_correct(dout, x, y):
    return dout * (x > y), dout * (y > x)


def test_accepts_max_gate_away_from_ties():
    rng = np.random.default_rng(32)
    x, y = away_from_ties(rng, (4, 5))
    dout = random_upstream(rng, x.shape)
    results = check_backward(np.maximum, max_backward_correct, (x, y), dout, names=("x", "y"))
    assert_accepts(results)


def test_accepts_copy_gate_with_tuple_output():
    rng = np.random.default_rng(33)
    x = rng.standard_normal((3, 2))
    dout = (random_upstream(rng, x.shape), random_upstream(rng, x.shape))
    results = check_backward(lambda x: (x, x), lambda d, x: d[0] + d[1], (x,), dout)
    assert_accepts(results)


def test_accepts_sigmoid_circuit():
    rng = np.random.default_rng(34)
    x, w0, w1 = rng.standard_normal((3, 2, 3))
    dout = random_upstream(rng, x.shape)

    def backward(dout, x, w0, w1):
        ds = dout * sigmoid_grad_exp(w0 + w1 * x)
        return ds * w1, ds, ds * x

    results = check_backward(
        lambda x, w0, w1: sigmoid_piecewise(w0 + w1 * x), backward, (x, w0, w1), dout
    )
    assert_accepts(results)


# ---------------------------------------------------------------- rejects each mistake


@pytest.mark.parametrize(
    "wrong_grad",
    [
        lambda x: x * (1.0 - x),
        lambda x: sigmoid_piecewise(x) * (1.0 + sigmoid_piecewise(x)),
    ],
    ids=["x*(1-x)", "s*(1+s)"],
)
def test_rejects_wrong_sigmoid_grad(wrong_grad):
    rng = np.random.default_rng(40)
    x = 2.0 * rng.standard_normal((3, 4))
    dout = random_upstream(rng, x.shape)
    results = check_backward(sigmoid_piecewise, dout * wrong_grad(x), (x,), dout, names=("x",))
    assert_rejects(results, "x")


def test_rejects_one_minus_tanh():
    rng = np.random.default_rng(41)
    x = 2.0 * rng.standard_normal((3, 4))
    dout = random_upstream(rng, x.shape)
    results = check_backward(np.tanh, dout * (1.0 - np.tanh(x)), (x,), dout, names=("x",))
    assert_rejects(results, "x")


@pytest.mark.parametrize("shape", [(3, 5), (2, 3, 4)])
def test_rejects_softmax_backward_over_the_wrong_axis(shape):
    rng = np.random.default_rng(42)
    z = rng.standard_normal(shape)
    dout = random_upstream(rng, shape)
    s = softmax_max(z, axis=-1)
    wrong = softmax_backward(dout, s, axis=0)
    assert_rejects(check_backward(softmax_max, wrong, (z,), dout, names=("z",)), "z")


def test_rejects_softmax_backward_missing_keepdims_on_square_batch():
    rng = np.random.default_rng(43)
    z = rng.standard_normal((4, 4))  # square: the missing keepdims broadcasts silently
    dout = random_upstream(rng, z.shape)
    s = softmax_max(z)
    wrong = s * (dout - np.sum(dout * s, axis=-1))
    assert_rejects(check_backward(softmax_max, wrong, (z,), dout, names=("z",)), "z")


def test_rejects_mul_backward_without_swap():
    rng = np.random.default_rng(44)
    x, y = rng.standard_normal((2, 3, 4))
    dout = random_upstream(rng, x.shape)
    results = check_backward(
        np.multiply, lambda d, x, y: (d * x, d * y), (x, y), dout, names=("x", "y")
    )
    assert_rejects(results, "x")
    assert_rejects(results, "y")


def test_forgotten_dout_hides_behind_all_ones_and_random_upstream_rejects_it():
    rng = np.random.default_rng(45)
    x, y = rng.standard_normal((2, 3, 4))

    def forgot_dout(dout, x, y):
        return y, x

    ones = np.ones(x.shape)
    assert_accepts(check_backward(np.multiply, forgot_dout, (x, y), ones, names=("x", "y")))

    dout = random_upstream(rng, x.shape)
    results = check_backward(np.multiply, forgot_dout, (x, y), dout, names=("x", "y"))
    assert_rejects(results, "x")
    assert_rejects(results, "y")


@pytest.mark.parametrize(
    ("wrong_backward", "wrong_inputs"),
    [
        (lambda d, x, y: (d, d), ("x", "y")),
        (lambda d, x, y: (0.0 * d, 0.0 * d), ("x", "y")),
        (lambda d, x, y: (d * (x < y), d * (y < x)), ("x", "y")),
    ],
    ids=["both", "neither", "smaller"],
)
def test_rejects_wrong_max_backward(wrong_backward, wrong_inputs):
    rng = np.random.default_rng(46)
    x, y = away_from_ties(rng, (4, 5))
    dout = random_upstream(rng, x.shape)
    results = check_backward(np.maximum, wrong_backward, (x, y), dout, names=("x", "y"))
    for name in wrong_inputs:
        assert_rejects(results, name)


def test_rejects_copy_backward_that_overwrites():
    rng = np.random.default_rng(47)
    x = rng.standard_normal((3, 2))
    dout = (random_upstream(rng, x.shape), random_upstream(rng, x.shape))
    results = check_backward(lambda x: (x, x), lambda d, x: d[1], (x,), dout, names=("x",))
    assert_rejects(results, "x")


def test_rejects_cross_entropy_gradient_not_divided_by_n():
    rng = np.random.default_rng(48)
    n, c = 5, 3
    logits = rng.standard_normal((n, c))
    y = rng.integers(0, c, size=n)
    dout = random_upstream(rng, ())
    wrong = dout * (softmax_max(logits) - onehot(y, c))
    results = check_backward(
        lambda z: cross_entropy(z, y), wrong, (logits,), dout, names=("logits",)
    )
    assert_rejects(results, "logits")


@pytest.mark.parametrize(("analytic_shape", "numeric_shape"), [((3, 1), (3,)), ((3,), (3, 1))])
def test_rejects_shape_mismatch_without_broadcasting(analytic_shape, numeric_shape):
    values = np.array([0.5, -1.0, 2.0])
    result = compare_gradients(
        values.reshape(analytic_shape), values.reshape(numeric_shape), name="x"
    )
    assert not result.ok
    assert result.analytic_shape == analytic_shape
    assert result.numeric_shape == numeric_shape
    assert (
        result.reason == f"gradient w.r.t. x has shape {analytic_shape}, expected {numeric_shape}"
    )


# ---------------------------------------------------------------- compare_gradients details


def test_reason_names_input_error_and_worst_index():
    numeric = np.arange(12.0).reshape(3, 4)
    analytic = numeric.copy()
    analytic[2, 1] += 3.0
    result = compare_gradients(analytic, numeric, name="x")
    assert not result.ok
    assert result.worst_index == (2, 1)
    assert result.max_abs_error == pytest.approx(3.0)
    assert result.reason.startswith("gradient w.r.t. x differs: norm-relative error ")
    assert "(allowed 1e-06), worst at index (2, 1): got 12, finite differences give 9" in (
        result.reason
    )


def test_single_bad_element_fails_even_when_norm_relative_passes():
    numeric = np.ones(10**4)
    analytic = numeric.copy()
    analytic[7] += 1e-4  # norm-relative ≈ 5e-7, within 1e-6; the element is off by 1e-4
    result = compare_gradients(analytic, numeric, name="w")
    assert result.norm_relative <= 1e-6
    assert not result.ok
    assert result.worst_index == (7,)
    assert result.reason.startswith("gradient w.r.t. w differs at index (7,): got 1.0001")


def test_both_near_zero_count_as_equal():
    result = compare_gradients(np.full(4, 1e-12), np.full(4, -1e-12))
    assert result.ok, result.reason
    assert result.norm_relative == 0.0


@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_rejects_non_finite_analytic(bad):
    analytic = np.zeros((2, 2))
    analytic[1, 0] = bad
    result = compare_gradients(analytic, np.zeros((2, 2)), name="x")
    assert not result.ok
    assert result.reason == f"gradient w.r.t. x is {bad} at index (1, 0)"


def test_rejects_non_numeric_analytic_without_crashing():
    result = compare_gradients([np.zeros(2), np.zeros(3)], np.zeros(2), name="x")
    assert not result.ok
    assert "not an array of numbers" in result.reason


def test_result_is_frozen():
    result = compare_gradients(np.zeros(2), np.zeros(2))
    with pytest.raises(AttributeError):
        result.ok = False  # type: ignore[misc]


def test_backward_returning_the_wrong_number_of_gradients_is_a_failed_check():
    rng = np.random.default_rng(50)
    x, y = rng.standard_normal((2, 3))
    dout = random_upstream(rng, 3)
    results = check_backward(np.multiply, lambda d, x, y: d * y, (x, y), dout, names=("x", "y"))
    assert [r.ok for r in results] == [False, False]
    assert results[0].reason == "backward returned 1 gradients, expected 2"


# ---------------------------------------------------------------- numerical_gradient


def test_evaluate_many_is_called_exactly_once_with_every_perturbation():
    rng = np.random.default_rng(60)
    x, y = rng.standard_normal((2, 3)), rng.standard_normal((2, 3))
    dout = random_upstream(rng, (2, 3))
    batches = []

    def evaluate_many(batch):
        batches.append(batch)
        return [np.multiply(*args) for args in batch]

    grads = numerical_gradient(None, (x, y), dout, evaluate_many=evaluate_many)
    assert len(batches) == 1
    assert len(batches[0]) == 2 * (x.size + y.size)
    np.testing.assert_allclose(grads[0], dout * y, rtol=1e-9, atol=1e-12, strict=True)
    np.testing.assert_allclose(grads[1], dout * x, rtol=1e-9, atol=1e-12, strict=True)


def test_wrt_differentiates_only_the_chosen_inputs():
    rng = np.random.default_rng(61)
    x, y = rng.standard_normal((2, 4))
    dout = random_upstream(rng, 4)
    batches = []

    def evaluate_many(batch):
        batches.append(batch)
        return [np.multiply(*args) for args in batch]

    (dy,) = numerical_gradient(np.multiply, (x, y), dout, evaluate_many=evaluate_many, wrt=(1,))
    assert len(batches) == 1 and len(batches[0]) == 2 * y.size
    np.testing.assert_allclose(dy, dout * x, rtol=1e-9, atol=1e-12, strict=True)
    results = check_backward(np.multiply, (dout * x,), (x, y), dout, wrt=(1,), names=("x", "y"))
    assert [r.name for r in results] == ["y"]
    assert_accepts(results)


def test_does_not_mutate_the_callers_inputs_even_if_f_mutates_its_arguments():
    rng = np.random.default_rng(62)
    x = rng.standard_normal((3, 4))
    dout = random_upstream(rng, x.shape)
    x_before, dout_before = x.copy(), dout.copy()

    def mutating_sigmoid(x):
        out = sigmoid_piecewise(x)
        x += 100.0  # hostile: scribbles on its argument after use
        return out

    (grad,) = numerical_gradient(mutating_sigmoid, (x,), dout)
    np.testing.assert_array_equal(x, x_before)
    np.testing.assert_array_equal(dout, dout_before)
    assert compare_gradients(dout * sigmoid_grad_exp(x), grad).ok


def test_check_backward_passes_copies_to_a_callable_backward():
    rng = np.random.default_rng(63)
    x, y = rng.standard_normal((2, 3))
    dout = random_upstream(rng, 3)
    before = (x.copy(), y.copy(), dout.copy())

    def mutating_backward(d, x, y):
        dx, dy = d * y, d * x
        d *= 0.0
        x *= 0.0
        return dx, dy

    assert_accepts(check_backward(np.multiply, mutating_backward, (x, y), dout))
    for after, original in zip((x, y, dout), before, strict=True):
        np.testing.assert_array_equal(after, original)


def test_zero_dimensional_inputs_and_python_floats():
    rng = np.random.default_rng(64)
    x = np.array(0.7)
    dout = random_upstream(rng, ())
    (grad,) = numerical_gradient(sigmoid_piecewise, (x,), dout)
    assert grad.shape == () and grad.dtype == np.float64
    assert compare_gradients(dout * sigmoid_grad_exp(x), grad).ok

    dx, dy = numerical_gradient(lambda a, b: a * b, (2.0, -3.0), 1.5)
    assert dx.shape == () and dy.shape == ()
    assert dx == pytest.approx(-4.5, rel=1e-9) and dy == pytest.approx(3.0, rel=1e-9)


def test_centred_differences_are_accurate_to_about_1e_10_on_sigmoid():
    rng = np.random.default_rng(65)
    x = 3.0 * rng.standard_normal(50)
    dout = random_upstream(rng, x.shape)
    (numeric,) = numerical_gradient(sigmoid_piecewise, (x,), dout, h=DEFAULT_H)
    analytic = dout * sigmoid_grad_exp(x)
    result = compare_gradients(analytic, numeric)
    assert result.norm_relative < 1e-10
    assert result.max_abs_error < 1e-10


def test_rejects_float32_and_mismatched_dout():
    x = np.ones(3, dtype=np.float32)
    with pytest.raises(TypeError, match="float64"):
        numerical_gradient(np.tanh, (x,), np.ones(3))
    with pytest.raises(TypeError, match="float64"):
        numerical_gradient(lambda x: x.astype(np.float32), (np.ones(3),), np.ones(3))
    with pytest.raises(ValueError, match="shape"):
        numerical_gradient(np.tanh, (np.ones((3, 1)),), np.ones(3))
    with pytest.raises(ValueError, match="outputs"):
        numerical_gradient(None, (np.ones(3),), np.ones(3), evaluate_many=lambda b: b[:1])


# ---------------------------------------------------------------- sampling helpers


def test_random_upstream_is_standard_normal_not_ones():
    rng = np.random.default_rng(70)
    dout = random_upstream(rng, (3, 4))
    assert dout.shape == (3, 4) and dout.dtype == np.float64
    assert not np.allclose(dout, 1.0)
    assert random_upstream(np.random.default_rng(70), (3, 4)).tolist() == dout.tolist()
    assert random_upstream(rng, ()).shape == ()


def test_away_from_kinks_keeps_the_margin():
    rng = np.random.default_rng(71)
    kinks = (0.0, 1.0, -0.5)
    x = away_from_kinks(rng, (200, 50), kinks=kinks, margin=0.05)
    assert x.shape == (200, 50)
    for k in kinks:
        assert np.min(np.abs(x - k)) >= 0.05
    assert np.min(np.abs(away_from_kinks(rng, 10_000))) >= KINK_MARGIN == 10 * DEFAULT_H
    assert away_from_kinks(rng, ()).shape == ()


def test_away_from_ties_keeps_the_margin():
    rng = np.random.default_rng(72)
    x, y = away_from_ties(rng, (100, 100), margin=0.05)
    assert x.shape == y.shape == (100, 100)
    assert np.min(np.abs(x - y)) >= 0.05
