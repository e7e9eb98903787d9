"""hw07 — gates of a computational graph as forward/backward pairs (elementwise).

Every gate is a pair `<op>_forward(...) -> (out, cache)` and `<op>_backward(dout..., cache)`:
the forward keeps in `cache` what the backward needs; the backward turns the upstream gradient
dout = dL/dout into the gradients of the loss with respect to the gate's inputs (chain rule).
"""

import numpy as np
from activations import sigmoid, sigmoid_grad


def add_forward(x, y):
    """out = x + y; x, y: same shape -> out: that shape; cache = None (add needs nothing)."""
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    return np.asarray(x + y), None


def add_backward(dout, cache):
    """Distributor: dx = dout, dy = dout; dout: shape of out -> (dx, dy), each of that shape."""
    dout = np.asarray(dout, dtype=np.float64)
    return dout.copy(), dout.copy()


def copy_forward(x):
    """(out1, out2) = (x, x) as two copies; x: any shape -> both that shape; cache = None."""
    x = np.asarray(x, dtype=np.float64)
    return (x.copy(), x.copy()), None


def copy_backward(dout1, dout2, cache):
    """Adder: dx = dout1 + dout2; dout1, dout2: shape of x -> dx: shape of x."""
    dout1 = np.asarray(dout1, dtype=np.float64)
    dout2 = np.asarray(dout2, dtype=np.float64)
    return np.asarray(dout1 + dout2)


def mul_forward(x, y):
    """out = x · y, elementwise; x, y: same shape -> out: that shape; cache = (x, y)."""
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    return np.asarray(x * y), (x, y)


def mul_backward(dout, cache):
    """Swap multiplier: dx = dout · y, dy = dout · x; dout: shape of out -> (dx, dy), that shape."""
    x, y = cache
    dout = np.asarray(dout, dtype=np.float64)
    return np.asarray(dout * y), np.asarray(dout * x)


def max_forward(x, y):
    """out = max(x, y), elementwise; x, y: same shape -> out: that shape; cache = (x, y)."""
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    return np.asarray(np.maximum(x, y)), (x, y)


def max_backward(dout, cache):
    """Router: dout to the larger input, dout/2 each where x == y; dout: out's shape -> (dx, dy)."""
    x, y = cache
    dout = np.asarray(dout, dtype=np.float64)
    share_x = np.where(x > y, 1.0, np.where(x == y, 0.5, 0.0))  # x's share of dout
    return np.asarray(dout * share_x), np.asarray(dout * (1.0 - share_x))


def sigmoid_circuit(x, w0, w1):
    """f = σ(w0 + w1·x) and (df/dx, df/dw0, df/dw1), elementwise; x, w0, w1: same shape -> same."""
    # forward: a = w1·x, z = w0 + a, f = σ(z)
    a, mul_cache = mul_forward(w1, x)
    z, add_cache = add_forward(w0, a)
    f = sigmoid(z)
    # backward, starting from df/df = 1
    dz = sigmoid_grad(z)
    dw0, da = add_backward(dz, add_cache)
    dw1, dx = mul_backward(da, mul_cache)
    return f, (dx, dw0, dw1)
