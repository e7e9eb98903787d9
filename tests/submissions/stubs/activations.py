"""hw07 — activation functions and their derivatives (elementwise), and softmax."""

import numpy as np


def sigmoid(x):
    """σ(x) = 1 / (1 + e^-x), elementwise; x: any shape -> same shape."""
    raise NotImplementedError("sigmoid: write your code here")


def sigmoid_grad(x):
    """dσ/dx = σ(x)·(1 − σ(x)) at the pre-activation x, elementwise; x: any shape -> same shape."""
    raise NotImplementedError("sigmoid_grad: write your code here")


def relu(x):
    """relu(x) = max(0, x), elementwise; x: any shape -> same shape."""
    raise NotImplementedError("relu: write your code here")


def relu_grad(x):
    """relu'(x) = 1 where x > 0, else 0 (relu_grad(0) = 0), elementwise; x: any shape -> same."""
    raise NotImplementedError("relu_grad: write your code here")


def tanh_grad(x):
    """d tanh/dx = 1 − tanh²(x), elementwise; x: any shape -> same shape."""
    raise NotImplementedError("tanh_grad: write your code here")


def softmax(z, axis=-1):
    """softmax(z) = e^z / Σ e^z along `axis` (each slice sums to 1); z: ndim >= 1 -> same shape."""
    raise NotImplementedError("softmax: write your code here")
