"""hw07 — softmax (multinomial logistic) regression: cross-entropy loss and minibatch SGD."""

import numpy as np
from activations import softmax
from optim import sgd_step


def softmax_cross_entropy(logits, y):
    """p = softmax(logits): L = −mean log p[i, y_i], dlogits = (p − onehot(y))/N; (N, C), (N,)."""
    logits = np.asarray(logits, dtype=np.float64)
    y = np.asarray(y, dtype=np.intp)
    n = logits.shape[0]
    rows = np.arange(n)
    # log softmax by log-sum-exp: log p_ij = s_ij − log Σ_k e^s_ik with s = logits − max (no log(0))
    shifted = logits - logits.max(axis=1, keepdims=True)
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    loss = -log_probs[rows, y].mean()
    onehot = np.zeros_like(logits)
    onehot[rows, y] = 1.0
    dlogits = (softmax(logits, axis=1) - onehot) / n
    return float(loss), dlogits


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
