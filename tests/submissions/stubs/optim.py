"""hw07 — the optimizer step of (stochastic) gradient descent."""

import numpy as np


def sgd_step(params, grads, lr):
    """params[k] ← params[k] − lr · grads[k] in place, for every k; dicts of arrays -> None."""
    raise NotImplementedError("sgd_step: write your code here")
