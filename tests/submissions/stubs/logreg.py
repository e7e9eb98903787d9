"""hw07 — softmax (multinomial logistic) regression: cross-entropy loss and minibatch SGD."""

import numpy as np
from activations import softmax
from optim import sgd_step


def softmax_cross_entropy(logits, y):
    """p = softmax(logits): L = −mean log p[i, y_i], dlogits = (p − onehot(y))/N; (N, C), (N,)."""
    raise NotImplementedError("softmax_cross_entropy: write your code here")


def train_softmax_regression(X, y, n_classes, lr=0.5, epochs=20, batch_size=32, seed=0):
    """Minibatch SGD on softmax cross-entropy of X @ W + b; X (N, D), y (N,) -> W (D, C), b (C,)."""
    raise NotImplementedError("train_softmax_regression: write your code here")
