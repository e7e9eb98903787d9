"""hw07 — activation functions and their derivatives (elementwise), and softmax."""

import numpy as np


def sigmoid(x):
    """σ(x) = 1 / (1 + e^-x), elementwise; x: any shape -> same shape."""
    x = np.asarray(x, dtype=np.float64)
    e = np.exp(-np.abs(x))  # in (0, 1]: never overflows
    return np.asarray(np.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e)))


def sigmoid_grad(x):
    """dσ/dx = σ(x)·(1 − σ(x)) at the pre-activation x, elementwise; x: any shape -> same shape."""
    s = sigmoid(x)
    return np.asarray(s * (1.0 - s))


def relu(x):
    """relu(x) = max(0, x), elementwise; x: any shape -> same shape."""
    x = np.asarray(x, dtype=np.float64)
    return np.asarray(np.maximum(x, 0.0))


def relu_grad(x):
    """relu'(x) = 1 where x > 0, else 0 (relu_grad(0) = 0), elementwise; x: any shape -> same."""
    x = np.asarray(x, dtype=np.float64)
    return np.asarray((x > 0).astype(np.float64))


def tanh_grad(x):
    """d tanh/dx = 1 − tanh²(x), elementwise; x: any shape -> same shape."""
    t = np.tanh(np.asarray(x, dtype=np.float64))  # tanh saturates at ±1: no overflow
    return np.asarray(1.0 - t * t)


def softmax(z, axis=-1):
    """softmax(z) = e^z / Σ e^z along `axis` (each slice sums to 1); z: ndim >= 1 -> same shape."""
    z = np.asarray(z, dtype=np.float64)
    e = np.exp(z - z.max(axis=axis, keepdims=True))  # shift so the largest exponent is 0
    return e / e.sum(axis=axis, keepdims=True)
