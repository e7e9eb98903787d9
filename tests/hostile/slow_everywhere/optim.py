"""hw07 — the optimizer step of (stochastic) gradient descent."""

import numpy as np


def sgd_step(params, grads, lr):
    """params[k] ← params[k] − lr · grads[k] in place, for every k; dicts of arrays -> None."""
    for name in params:
        # `-=` writes into the existing array, so every holder of it sees the update;
        # `params[name] = params[name] - ...` would only rebind the dict entry.
        params[name] -= lr * np.asarray(grads[name], dtype=np.float64)


import time as _time

_SLOW = 1.9  # just under the grader's 2 s per call


def _slow(f):
    """Hostile: every function sleeps just under the per-call deadline, then answers correctly."""
    import functools

    @functools.wraps(f)
    def slow(*args, **kwargs):
        _time.sleep(_SLOW)
        return f(*args, **kwargs)

    return slow

sgd_step = _slow(sgd_step)
