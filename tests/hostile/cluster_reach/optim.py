"""hw07 — the optimizer step of (stochastic) gradient descent."""

import numpy as np


def sgd_step(params, grads, lr):
    """params[k] ← params[k] − lr · grads[k] in place, for every k; dicts of arrays -> None."""
    for name in params:
        # `-=` writes into the existing array, so every holder of it sees the update;
        # `params[name] = params[name] - ...` would only rebind the dict entry.
        params[name] -= lr * np.asarray(grads[name], dtype=np.float64)
