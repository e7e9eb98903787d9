"""hw07 — the trusted reference implementation of every function of the student API.

Secret: never shipped. The hidden tests compare submissions with these functions and take
numerical gradients of these forwards. Written independently of the solution files: same names,
signatures, cache layouts and conventions (hw07-spec.md), different formulas where that is
sensible, so the two cross-check each other. Every function: float64 ndarray outputs of the
input's shape (0-d included), inputs never modified (except `sgd_step`'s params), and no
overflow / divide / invalid floating-point warning for |x| up to 1e4.
"""

import numpy as np


def _f64(x):
    """x as a float64 ndarray (Python floats and 0-d included); no copy when already one."""
    return np.asarray(x, dtype=np.float64)


# ---------------------------------------------------------------- activations


def sigmoid(x):
    """σ(x) = 1 / (1 + e^-x), elementwise; x: any shape -> same shape."""
    x = _f64(x)
    out = np.empty_like(x)
    pos = x >= 0
    neg = ~pos  # also takes nan, which stays nan
    out[pos] = 1.0 / (1.0 + np.exp(-x[pos]))  # exponent ≤ 0
    ex = np.exp(x[neg])  # exponent < 0
    out[neg] = ex / (1.0 + ex)
    return out


def sigmoid_grad(x):
    """σ'(x) = e^-|x| / (1 + e^-|x|)² (= σ(x)(1 − σ(x)), symmetric), elementwise; any shape."""
    e = np.exp(-np.abs(_f64(x)))
    return np.asarray(e / ((1.0 + e) * (1.0 + e)))


def relu(x):
    """max(0, x), elementwise; x: any shape -> same shape."""
    x = _f64(x)
    return np.asarray(np.where(x > 0, x, 0.0))


def relu_grad(x):
    """1 where x > 0, else 0 (relu_grad(0) = 0), elementwise; x: any shape -> same shape."""
    return np.asarray(np.where(_f64(x) > 0, 1.0, 0.0))


def tanh_grad(x):
    """1 − tanh²(x) = sech²(x) = 4q / (1 + q)², q = e^-2|x|, elementwise; any shape."""
    q = np.exp(-2.0 * np.abs(_f64(x)))
    return np.asarray(4.0 * q / ((1.0 + q) * (1.0 + q)))


def _log_softmax(z, axis):
    """z − logsumexp(z) along axis, as (z − m) − log Σ e^(z − m) with m the max: the large
    parts cancel exactly first, so the result keeps full relative precision for |z| ~ 1e4."""
    shifted = z - np.max(z, axis=axis, keepdims=True)
    return shifted - np.log(np.sum(np.exp(shifted), axis=axis, keepdims=True))


def softmax(z, axis=-1):
    """exp(log_softmax(z)) along axis; z: ndim >= 1 -> same shape, slices sum to 1."""
    z = _f64(z)
    if z.ndim == 0:
        raise ValueError("softmax needs an array of 1 or more dimensions")
    return np.exp(_log_softmax(z, axis))


# ---------------------------------------------------------------- gates
# Cache layouts (shared with the solution's given forwards, so backwards can take either's):
# add: None; copy: None; mul: (x, y); max: (x, y) — x, y as float64 arrays.


def add_forward(x, y):
    """out = x + y; cache = None."""
    return np.asarray(np.add(_f64(x), _f64(y))), None


def add_backward(dout, cache):
    """(dx, dy) = (dout, dout), as two new arrays."""
    return np.array(dout, dtype=np.float64), np.array(dout, dtype=np.float64)


def copy_forward(x):
    """((x, x), None), as two new arrays."""
    return (np.array(x, dtype=np.float64), np.array(x, dtype=np.float64)), None


def copy_backward(dout1, dout2, cache):
    """dx = dout1 + dout2."""
    return np.asarray(np.add(_f64(dout1), _f64(dout2)))


def mul_forward(x, y):
    """out = x·y; cache = (x, y)."""
    x, y = _f64(x), _f64(y)
    return np.asarray(np.multiply(x, y)), (x, y)


def mul_backward(dout, cache):
    """(dx, dy) = (y·dout, x·dout)."""
    x, y = (_f64(c) for c in cache)
    dout = _f64(dout)
    return np.asarray(np.multiply(y, dout)), np.asarray(np.multiply(x, dout))


def max_forward(x, y):
    """out = max(x, y); cache = (x, y)."""
    x, y = _f64(x), _f64(y)
    return np.asarray(np.maximum(x, y)), (x, y)


def max_backward(dout, cache):
    """dout to the strictly larger input, dout/2 to each where x == y (torch/jax convention)."""
    x, y = (_f64(c) for c in cache)
    dout = _f64(dout)
    x_wins, y_wins, tie = x > y, y > x, x == y
    half = 0.5 * dout
    dx = np.zeros_like(dout)
    dy = np.zeros_like(dout)
    np.copyto(dx, dout, where=x_wins)
    np.copyto(dy, dout, where=y_wins)
    np.copyto(dx, half, where=tie)
    np.copyto(dy, half, where=tie)
    return dx, dy


def sigmoid_circuit(x, w0, w1):
    """f = σ(w0 + w1·x); (df/dx, df/dw0, df/dw1) = σ'(z)·(w1, 1, x), elementwise."""
    x, w0, w1 = _f64(x), _f64(w0), _f64(w1)
    z = w0 + w1 * x
    g = sigmoid_grad(z)
    return sigmoid(z), (np.asarray(g * w1), g.copy(), np.asarray(g * x))


# ---------------------------------------------------------------- optimizer


def sgd_step(params, grads, lr):
    """params[k][...] = params[k] − lr·grads[k] for every k, writing into the arrays; None."""
    for name, p in params.items():
        p[...] = p - lr * _f64(grads[name])


# ---------------------------------------------------------------- softmax regression


def softmax_cross_entropy(logits, y):
    """loss = −mean log_softmax(logits)[i, y_i] as a float; dlogits = (p − onehot(y))/N."""
    logits = _f64(logits)
    y = np.asarray(y).astype(np.intp)
    if logits.ndim != 2 or y.shape != logits.shape[:1]:
        raise ValueError("softmax_cross_entropy needs logits (N, C) and labels y (N,)")
    n, c = logits.shape
    log_p = _log_softmax(logits, axis=1)
    loss = float(-np.sum(np.take_along_axis(log_p, y[:, None], axis=1)) / n)
    dlogits = (np.exp(log_p) - np.eye(c)[y]) / n
    return loss, dlogits


def train_softmax_regression(X, y, n_classes, lr=0.5, epochs=20, batch_size=32, seed=0):
    """Minibatch SGD: W, b from zero; per epoch one rng.permutation(N), batches in that order."""
    X = _f64(X)
    y = np.asarray(y).astype(np.intp)
    n, d = X.shape
    W = np.zeros((d, n_classes))
    b = np.zeros(n_classes)
    params = {"W": W, "b": b}
    rng = np.random.default_rng(seed)
    cuts = np.arange(batch_size, n, batch_size)
    for _ in range(epochs):
        for idx in np.split(rng.permutation(n), cuts):
            Xb = X[idx]
            _, dz = softmax_cross_entropy(Xb @ W + b, y[idx])
            sgd_step(params, {"W": Xb.T @ dz, "b": np.sum(dz, axis=0)}, lr)
    return W, b
