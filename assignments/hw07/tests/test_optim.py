"""Public tests of optim.py: one SGD step on a small example. The hidden tests check more.

Run them with `python -m autograder check` (or plain `pytest tests/`) in the assignment folder.
"""

import numpy as np
import pytest

from autograder.course.i18n import _
from autograder.testkit.expect import expect_array, expect_close, expect_unchanged, fail

pytestmark = [pytest.mark.exercise("sgd_step"), pytest.mark.points(1)]

LR = 0.1


def _example(rng):
    """params and grads: W of shape (2, 3) (not square) and b of shape (3,)."""
    params = {"W": rng.standard_normal((2, 3)), "b": rng.standard_normal(3)}
    grads = {"W": rng.standard_normal((2, 3)), "b": rng.standard_normal(3)}
    return params, grads


def test_sgd_step_updates_params(student, rng):
    """params[k] becomes params[k] − lr · grads[k], in the caller's arrays (W (2, 3) and b (3,), lr = 0.1)"""
    params, grads = _example(rng)
    call = student.call("sgd_step", params, grads, LR)
    after = call.args_after[0]
    if not isinstance(after, dict) or sorted(after) != ["W", "b"]:
        fail(_("sgd_step changed which names params holds; it must only update the arrays in it."))
    on = _("W (2, 3) and b (3,) with lr = 0.1")
    for name in ("W", "b"):
        p, g = params[name], grads[name]
        new = expect_array(after[name], what=_("params[{name!r}] after sgd_step").format(name=name), shape=p.shape)
        expect_close(new, p - LR * g, what=_("params[{name!r}] after sgd_step").format(name=name), on=on, mistakes={
            _("the caller's array is unchanged: p = p - lr*g only rebinds a name; update in place "
            "(params[name] -= lr * grads[name])"): p,
            _("sign error: += climbs the loss; gradient descent subtracts lr · grad"): p + LR * g,
            _("the learning rate is ignored: subtract lr · grad, not grad"): p - g,
        })


def test_sgd_step_leaves_grads_alone(student, rng):
    """sgd_step returns None and does not modify grads"""
    params, grads = _example(rng)
    call = student.call("sgd_step", params, grads, LR)
    if call.value is not None:
        fail(_("sgd_step should return None (it updates params in place), but it "
                "returned {type}.").format(type=type(call.value).__name__))
    expect_unchanged(grads, call.args_after[1], what="sgd_step")
    if np.array_equal(call.args_after[0]["W"], params["W"]):
        fail(_("sgd_step did not change params['W'] (W (2, 3), lr = 0.1); it must update params in place."),
             _("p = p - lr*g only rebinds a name; use params[name] -= lr * grads[name]"))
