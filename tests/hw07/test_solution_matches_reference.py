"""hw07: the solution (solutions/hw07/) agrees with the independent reference (reference/hw07/).

Both are loaded by file path. Values are compared with assert_allclose(strict=True, rtol=1e-9,
atol=1e-12) on seeded random inputs and on the edge cases of hw07-spec.md; every call is also
checked for float64 ndarray outputs, unchanged inputs and no floating-point warnings. The
reference's backward functions are checked against centred differences of its own forwards, so
the two implementations cannot agree on a wrong derivative.
"""

import ast
import copy
import importlib.util
import sys
import warnings
from types import SimpleNamespace

import numpy as np
import pytest
from tiny_course import REPO

SOLUTION_DIR = REPO / "solutions" / "hw07"
REFERENCE_FILE = REPO / "reference" / "hw07" / "hw07_reference.py"
SOLUTION_MODULES = ("activations", "optim", "gates", "logreg")  # siblings imported first
REFERENCE_MODULE = "hw07_reference"

RTOL, ATOL = 1e-9, 1e-12
SHAPES = [(), (1,), (7,), (3, 5), (5, 3), (2, 3, 4)]
ELEMENTWISE = ["sigmoid", "sigmoid_grad", "relu", "relu_grad", "tanh_grad"]
# ±0, tiny, where naive exp(-x) overflows (710) or exp(x) underflows (745), and 1e4
SPECIAL = [
    s * v for v in (0.0, 1e-300, 1.0, 36.0, 709.0, 710.0, 745.0, 800.0, 1e4) for s in (1, -1)
]


def _load(name, path):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def impls():
    """(solution, reference): namespaces of functions; sys.modules and sys.path restored after."""
    names = (*SOLUTION_MODULES, REFERENCE_MODULE)
    saved = {name: sys.modules.pop(name, None) for name in names}
    sys.path.insert(0, str(SOLUTION_DIR))
    try:
        modules = {name: _load(name, SOLUTION_DIR / f"{name}.py") for name in SOLUTION_MODULES}
        # the sibling imports must have bound the files loaded here
        assert modules["gates"].sigmoid is modules["activations"].sigmoid
        assert modules["logreg"].sgd_step is modules["optim"].sgd_step
        functions = {}
        for module in modules.values():
            functions.update(
                {k: v for k, v in vars(module).items() if callable(v) and not k.startswith("_")}
            )
        reference = _load(REFERENCE_MODULE, REFERENCE_FILE)
        yield SimpleNamespace(**functions), reference
    finally:
        sys.path.remove(str(SOLUTION_DIR))
        for name, module in saved.items():
            if module is None:
                sys.modules.pop(name, None)
            else:
                sys.modules[name] = module


@pytest.fixture(autouse=True)
def strict_floating_point():
    """Any overflow, division by zero or invalid operation fails the test (underflow to 0 is
    numpy's default 'ignore': it is what e^-10000 correctly rounds to)."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with np.errstate(over="raise", divide="raise", invalid="raise"):
            yield


# ---------------------------------------------------------------- helpers


def call(fn, *args, **kwargs):
    """fn(*args, **kwargs), asserting that no argument was modified."""
    before = copy.deepcopy((args, kwargs))
    out = fn(*args, **kwargs)
    _assert_unchanged((args, kwargs), before)
    return out


def _assert_unchanged(after, before):
    if isinstance(before, np.ndarray):
        np.testing.assert_array_equal(after, before, strict=True)
    elif isinstance(before, tuple | list):
        for a, b in zip(after, before, strict=True):
            _assert_unchanged(a, b)
    elif isinstance(before, dict):
        assert after.keys() == before.keys()
        for k in before:
            _assert_unchanged(after[k], before[k])
    else:
        assert after == before or (after != after and before != before)


def same(actual, desired):
    """Both float64 ndarrays of one shape, and close."""
    assert type(actual) is np.ndarray and actual.dtype == np.float64, type(actual)
    assert type(desired) is np.ndarray and desired.dtype == np.float64, type(desired)
    np.testing.assert_allclose(actual, desired, rtol=RTOL, atol=ATOL, strict=True)


def random_array(rng, shape, scale):
    return np.asarray(rng.normal(0.0, scale, size=shape), dtype=np.float64)


def inputs(seed):
    """Random arrays of every shape at several scales, |x| up to 1e4, and the special values."""
    rng = np.random.default_rng(seed)
    out = [random_array(rng, shape, scale) for shape in SHAPES for scale in (1.0, 10.0, 300.0)]
    out += [rng.uniform(-1e4, 1e4, size=shape) for shape in SHAPES]
    out += [np.array(SPECIAL), np.array(SPECIAL).reshape(3, 6), np.zeros((2, 3))]
    out += [np.asarray(v) for v in SPECIAL]
    return out


def centred(f, x, h=1e-5):
    """Centred difference of an elementwise f at x."""
    return (f(x + h) - f(x - h)) / (2 * h)


# ---------------------------------------------------------------- activations


@pytest.mark.parametrize("name", ELEMENTWISE)
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_elementwise_matches_reference(impls, name, seed):
    sol, ref = impls
    for x in inputs(seed):
        same(call(getattr(sol, name), x), call(getattr(ref, name), x))


@pytest.mark.parametrize("name", ELEMENTWISE)
def test_elementwise_accepts_python_floats_and_returns_0d_arrays(impls, name):
    sol, ref = impls
    for v in (0.0, -2.5, 3.0, 1e4, -1e4):
        got = call(getattr(sol, name), v)
        assert got.shape == ()
        same(got, call(getattr(ref, name), v))


def test_activation_exact_values(impls):
    for impl in impls:
        assert impl.sigmoid(0.0) == 0.5
        assert impl.sigmoid(1e4) == 1.0 and impl.sigmoid(-1e4) == 0.0
        assert impl.sigmoid_grad(0.0) == 0.25  # x*(1-x) written for σ as input gives 0
        assert impl.relu_grad(0.0) == 0.0 and impl.relu_grad(-0.0) == 0.0
        assert impl.relu_grad(1e-300) == 1.0
        assert impl.relu(-3.0) == 0.0 and impl.relu(3.0) == 3.0
        assert impl.tanh_grad(0.0) == 1.0 and impl.tanh_grad(1e4) == 0.0
        s = impl.sigmoid(np.array([-30.0, -2.0, 0.5, 40.0]))
        np.testing.assert_allclose(
            s, 1 / (1 + np.exp(-np.array([-30.0, -2.0, 0.5, 40.0]))), rtol=1e-15
        )
        np.testing.assert_allclose(impl.sigmoid(-745.0), np.exp(-745.0), rtol=0, atol=1e-320)


def test_reference_activation_derivatives_match_centred_differences(impls):
    _, ref = impls
    rng = np.random.default_rng(10)
    x = rng.normal(0.0, 3.0, size=200)
    x = x[np.abs(x) > 1e-3]  # stay away from the ReLU kink
    np.testing.assert_allclose(ref.sigmoid_grad(x), centred(ref.sigmoid, x), rtol=1e-8, atol=1e-11)
    np.testing.assert_allclose(ref.tanh_grad(x), centred(np.tanh, x), rtol=1e-8, atol=1e-11)
    np.testing.assert_allclose(ref.relu_grad(x), centred(ref.relu, x), rtol=1e-8, atol=1e-11)


def softmax_cases(seed):
    rng = np.random.default_rng(seed)
    for shape in [(1,), (6,), (3, 5), (5, 3), (4, 4), (2, 3, 4), (1, 7)]:
        for scale in (1.0, 50.0, 1e4):
            z = random_array(rng, shape, scale)
            for axis in sorted({-1, *range(len(shape))}):
                yield z, axis
    yield np.array([1000.0, 1001.0, 1002.0]), -1
    yield np.array([-1e4, 0.0, 1e4]), 0
    yield np.full((3, 4), -1e4), 1
    yield np.array([[1e4, 1e4], [-1e4, -1e4], [0.0, 0.0]]), 1
    yield rng.uniform(-1e4, 1e4, size=(5, 3)), 0


@pytest.mark.parametrize("seed", [0, 1])
def test_softmax_matches_reference(impls, seed):
    sol, ref = impls
    for z, axis in softmax_cases(seed):
        got = call(sol.softmax, z, axis=axis)
        same(got, call(ref.softmax, z, axis=axis))
        np.testing.assert_allclose(got.sum(axis=axis), 1.0, rtol=1e-12)
        if axis == -1:
            same(call(sol.softmax, z), got)  # the default axis is -1


def test_softmax_known_values(impls):
    expected = np.exp([0.0, 1.0, 2.0]) / np.exp([0.0, 1.0, 2.0]).sum()
    for impl in impls:
        np.testing.assert_allclose(
            impl.softmax(np.array([1000.0, 1001.0, 1002.0])), expected, rtol=1e-13
        )
        # a square batch: missing keepdims would silently divide by the wrong sums
        z = np.array([[0.0, 1.0], [0.0, 3.0]])
        np.testing.assert_allclose(
            impl.softmax(z, axis=1)[1], np.exp([0, 3]) / np.exp([0, 3]).sum(), rtol=1e-14
        )


# ---------------------------------------------------------------- gates


def gate_inputs(seed):
    """(x, y, dout) triples of every shape, floats included; dout never all ones."""
    rng = np.random.default_rng(seed)
    for shape in SHAPES:
        for scale in (1.0, 100.0):
            yield (
                random_array(rng, shape, scale),
                random_array(rng, shape, scale),
                random_array(rng, shape, 1.0),
            )
    yield 2.5, -4.0, 0.7
    x = np.round(rng.normal(size=(4, 6)), 1)  # many exact ties, -0.0 == 0.0 included
    y = np.round(rng.normal(size=(4, 6)), 1)
    y[::2] = x[::2]
    x[0, 0], y[0, 0] = -0.0, 0.0
    yield x, y, rng.normal(size=(4, 6))
    yield np.zeros((2, 3)), np.zeros((2, 3)), rng.normal(size=(2, 3))
    yield np.array(1.5), np.array(1.5), np.array(-3.0)


def same_tree(actual, desired):
    if desired is None:
        assert actual is None
    elif isinstance(desired, tuple):
        assert type(actual) is tuple and len(actual) == len(desired)
        for a, d in zip(actual, desired, strict=True):
            same_tree(a, d)
    else:
        same(actual, desired)


@pytest.mark.parametrize("op", ["add", "mul", "max"])
@pytest.mark.parametrize("seed", [0, 1])
def test_binary_gates_match_reference(impls, op, seed):
    sol, ref = impls
    for x, y, dout in gate_inputs(seed):
        out_s, cache_s = call(getattr(sol, f"{op}_forward"), x, y)
        out_r, cache_r = call(getattr(ref, f"{op}_forward"), x, y)
        same(out_s, out_r)
        same_tree(cache_s, cache_r)  # one cache layout, so either backward takes either cache
        grads_r = call(getattr(ref, f"{op}_backward"), dout, cache_r)
        same_tree(call(getattr(sol, f"{op}_backward"), dout, cache_s), grads_r)
        same_tree(call(getattr(sol, f"{op}_backward"), dout, cache_r), grads_r)
        same_tree(call(getattr(ref, f"{op}_backward"), dout, cache_s), grads_r)


def test_copy_gate_matches_reference(impls):
    sol, ref = impls
    rng = np.random.default_rng(3)
    for x, d1, d2 in gate_inputs(3):
        (a_s, b_s), cache_s = call(sol.copy_forward, x)
        (a_r, b_r), cache_r = call(ref.copy_forward, x)
        same_tree((a_s, b_s), (a_r, b_r))
        assert a_s is not b_s
        assert cache_s is None and cache_r is None
        same(call(sol.copy_backward, d1, d2, cache_s), call(ref.copy_backward, d1, d2, cache_r))
    d = rng.normal(size=(3, 2))
    for impl in impls:
        np.testing.assert_array_equal(impl.copy_backward(d, d, None), 2 * d)  # adds, not overwrites


def test_max_backward_routes_and_splits_ties(impls):
    x = np.array([[3.0, 1.0, 2.0], [0.0, -5.0, 7.0]])
    y = np.array([[1.0, 4.0, 2.0], [-0.0, -5.0, 6.0]])
    dout = np.array([[0.3, -1.2, 0.8], [2.0, -0.6, 1.1]])
    dx_expected = np.array([[0.3, 0.0, 0.4], [1.0, -0.3, 1.1]])
    dy_expected = np.array([[0.0, -1.2, 0.4], [1.0, -0.3, 0.0]])
    for impl in impls:
        _, cache = impl.max_forward(x, y)
        dx, dy = impl.max_backward(dout, cache)
        np.testing.assert_array_equal(dx, dx_expected, strict=True)
        np.testing.assert_array_equal(dy, dy_expected, strict=True)


def test_reference_gate_backwards_match_centred_differences(impls):
    _, ref = impls
    rng = np.random.default_rng(11)
    x = rng.normal(size=(5, 3))
    y = x + rng.choice([-1.0, 1.0], size=x.shape) * rng.uniform(0.1, 1.0, size=x.shape)  # no ties
    dout = rng.normal(size=x.shape)
    for op in ("add", "mul", "max"):
        fwd = getattr(ref, f"{op}_forward")
        dx, dy = getattr(ref, f"{op}_backward")(dout, fwd(x, y)[1])
        numeric_dx = dout * centred(lambda t, fwd=fwd: fwd(t, y)[0], x)
        numeric_dy = dout * centred(lambda t, fwd=fwd: fwd(x, t)[0], y)
        np.testing.assert_allclose(dx, numeric_dx, rtol=1e-8, atol=1e-10)
        np.testing.assert_allclose(dy, numeric_dy, rtol=1e-8, atol=1e-10)


def circuit_inputs(seed):
    rng = np.random.default_rng(seed)
    for shape in SHAPES:
        yield tuple(random_array(rng, shape, 2.0) for _ in range(3))
    yield 1.0, -2.0, 3.0  # Python floats
    yield -1.0, 2.0, -3.0
    yield np.zeros(4), np.zeros(4), np.zeros(4)
    yield (
        rng.uniform(-5, 5, size=(3, 4)),
        rng.uniform(-1e3, 1e3, size=(3, 4)),
        rng.uniform(-5, 5, size=(3, 4)),
    )


@pytest.mark.parametrize("seed", [0, 1])
def test_sigmoid_circuit_matches_reference(impls, seed):
    sol, ref = impls
    for x, w0, w1 in circuit_inputs(seed):
        f_s, grads_s = call(sol.sigmoid_circuit, x, w0, w1)
        f_r, grads_r = call(ref.sigmoid_circuit, x, w0, w1)
        same(f_s, f_r)
        same_tree(grads_s, grads_r)
        assert f_s.shape == np.shape(x)


def test_reference_sigmoid_circuit_matches_centred_differences(impls):
    _, ref = impls
    rng = np.random.default_rng(12)
    x, w0, w1 = (rng.normal(0.0, 2.0, size=(4, 5)) for _ in range(3))
    f = ref.sigmoid_circuit
    dx, dw0, dw1 = f(x, w0, w1)[1]
    np.testing.assert_allclose(dx, centred(lambda t: f(t, w0, w1)[0], x), rtol=1e-7, atol=1e-10)
    np.testing.assert_allclose(dw0, centred(lambda t: f(x, t, w1)[0], w0), rtol=1e-7, atol=1e-10)
    np.testing.assert_allclose(dw1, centred(lambda t: f(x, w0, t)[0], w1), rtol=1e-7, atol=1e-10)
    f_val, (dx, dw0, dw1) = f(-1.0, 2.0, -3.0)  # x = -1, w0 = 2, w1 = -3: z = 5
    assert abs(float(f_val) - 1 / (1 + np.exp(-5.0))) < 1e-15
    g = float(f_val) * (1 - float(f_val))
    np.testing.assert_allclose([dx, dw0, dw1], [-3 * g, g, -g], rtol=1e-12)


# ---------------------------------------------------------------- optimizer


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_sgd_step_in_place_matches_reference(impls, seed):
    sol, ref = impls
    rng = np.random.default_rng(seed)
    params = {"W": rng.normal(size=(3, 4)), "b": rng.normal(size=4), "s": np.asarray(1.5)}
    grads = {k: rng.normal(size=v.shape) for k, v in params.items()}
    lr = float(rng.uniform(0.01, 1.0))
    expected = {k: np.asarray(params[k] - lr * grads[k]) for k in params}
    results = []
    for impl in impls:
        p = copy.deepcopy(params)
        g = copy.deepcopy(grads)
        holders = dict(p)  # the same array objects, held elsewhere
        assert impl.sgd_step(p, g, lr) is None
        for k in params:
            assert p[k] is holders[k], "the array must be updated in place, not replaced"
            np.testing.assert_array_equal(g[k], grads[k])
            same(p[k], expected[k])
        results.append(p)
    for k in params:
        same(results[0][k], results[1][k])


# ---------------------------------------------------------------- softmax regression


def ce_cases(seed):
    rng = np.random.default_rng(seed)
    for n, c in [(1, 3), (5, 3), (3, 5), (4, 4), (8, 10), (2, 2)]:
        for scale in (1.0, 30.0, 1e4):
            yield random_array(rng, (n, c), scale), rng.integers(0, c, size=n)
    yield np.array([[1e4, -1e4, 0.0], [-1e4, 1e4, 0.0]]), np.array([1, 1])  # log(0) trap
    yield np.array([[1000.0, 1001.0, 1002.0]]), np.array([0])


@pytest.mark.parametrize("seed", [0, 1])
def test_softmax_cross_entropy_matches_reference(impls, seed):
    sol, ref = impls
    for logits, y in ce_cases(seed):
        loss_s, d_s = call(sol.softmax_cross_entropy, logits, y)
        loss_r, d_r = call(ref.softmax_cross_entropy, logits, y)
        assert type(loss_s) is float and type(loss_r) is float
        np.testing.assert_allclose(loss_s, loss_r, rtol=RTOL, atol=ATOL)
        same(d_s, d_r)


def test_softmax_cross_entropy_known_values(impls):
    for impl in impls:
        loss, d = impl.softmax_cross_entropy(np.zeros((6, 4)), np.array([0, 1, 2, 3, 0, 1]))
        assert abs(loss - np.log(4.0)) < 1e-15  # a mean: a sum would be 6·log 4
        np.testing.assert_allclose(d.sum(axis=1), 0.0, atol=1e-16)
        assert abs(d[0, 0] - (0.25 - 1.0) / 6) < 1e-16  # divided by N
        loss, _ = impl.softmax_cross_entropy(np.array([[1e4, -1e4, 0.0]]), np.array([1]))
        assert loss == 2e4


def test_reference_cross_entropy_gradient_matches_centred_differences(impls):
    _, ref = impls
    rng = np.random.default_rng(13)
    logits = rng.normal(0.0, 2.0, size=(5, 3))
    y = rng.integers(0, 3, size=5)
    _, d = ref.softmax_cross_entropy(logits, y)
    numeric = np.zeros_like(logits)
    h = 1e-5
    for idx in np.ndindex(logits.shape):
        plus, minus = logits.copy(), logits.copy()
        plus[idx] += h
        minus[idx] -= h
        numeric[idx] = (
            ref.softmax_cross_entropy(plus, y)[0] - ref.softmax_cross_entropy(minus, y)[0]
        ) / (2 * h)
    np.testing.assert_allclose(d, numeric, rtol=1e-6, atol=1e-10)


def blobs(seed, n=50, d=3, c=4):
    rng = np.random.default_rng(seed)
    centres = rng.normal(0.0, 3.0, size=(c, d))
    y = rng.integers(0, c, size=n)
    return centres[y] + rng.normal(size=(n, d)), y


@pytest.mark.parametrize(
    "kwargs",
    [
        {},  # the defaults: 50 points, batches of 32 -> one full and one partial batch
        {"lr": 0.1, "epochs": 5, "batch_size": 16, "seed": 3},
        {"lr": 1.0, "epochs": 3, "batch_size": 50, "seed": 7},  # one batch per epoch
        {"lr": 0.3, "epochs": 2, "batch_size": 1, "seed": 1},  # pure SGD
    ],
)
def test_train_softmax_regression_matches_reference(impls, kwargs):
    sol, ref = impls
    X, y = blobs(5)
    W_s, b_s = call(sol.train_softmax_regression, X, y, 4, **kwargs)
    W_r, b_r = call(ref.train_softmax_regression, X, y, 4, **kwargs)
    assert W_s.shape == (3, 4) and b_s.shape == (4,)
    same(W_s, W_r)
    same(b_s, b_r)
    W_again, b_again = sol.train_softmax_regression(X, y, 4, **kwargs)
    np.testing.assert_array_equal(W_again, W_s)  # same inputs and seed, same result
    np.testing.assert_array_equal(b_again, b_s)


def test_train_softmax_regression_learns(impls):
    X, y = blobs(8, n=120)
    for impl in impls:
        W, b = impl.train_softmax_regression(X, y, 4)
        assert np.mean(np.argmax(X @ W + b, axis=1) == y) > 0.9


# ---------------------------------------------------------------- solution files as stub sources

GIVEN = {"add_forward", "add_backward", "copy_forward", "mul_forward", "max_forward"}
ALLOWED_IMPORTS = {
    "activations": set(),
    "gates": {"activations"},
    "optim": set(),
    "logreg": {"activations", "optim"},
}


@pytest.mark.parametrize("name", SOLUTION_MODULES)
def test_solution_file_follows_the_stub_conventions(name):
    """Docstring first, then exactly one marked region in graded functions, none in given ones;
    only numpy and the declared sibling files imported."""
    source = (SOLUTION_DIR / f"{name}.py").read_text(encoding="utf-8")
    lines = source.splitlines()
    tree = ast.parse(source)
    for node in tree.body:
        if isinstance(node, ast.Import):
            assert [(a.name, a.asname) for a in node.names] == [("numpy", "np")]
        elif isinstance(node, ast.ImportFrom):
            assert node.module in ALLOWED_IMPORTS[name] and node.level == 0
        elif isinstance(node, ast.FunctionDef):
            doc = ast.get_docstring(node)
            assert doc and "\n" not in doc, f"{node.name}: one-line docstring"
            # to the next top-level statement: a trailing marker is a comment, not in the AST
            following = [n.lineno for n in tree.body if n.lineno > node.lineno]
            body = lines[node.body[0].end_lineno : min(following, default=len(lines) + 1) - 1]
            begins = [i for i, s in enumerate(body) if s.strip() == "### BEGIN SOLUTION"]
            ends = [i for i, s in enumerate(body) if s.strip() == "### END SOLUTION"]
            if node.name in GIVEN:
                assert not begins and not ends, f"{node.name} is given: no markers"
            else:
                assert len(begins) == len(ends) == 1 and begins[0] < ends[0], node.name
                indent = body[begins[0]][: len(body[begins[0]]) - len(body[begins[0]].lstrip())]
                assert body[ends[0]].startswith(indent + "###")
                assert indent == " " * node.body[0].col_offset
        else:
            assert isinstance(node, ast.Expr), f"{name}.py: unexpected top-level statement"
