"""Hidden tests of optim.py: sgd_step(params, grads, lr) updates params in place, returns None.

Arguments cross to the student's worker as copies, so ``call.args_after[0]`` is the params dict as
the student's code left it. What cannot be seen from here: whether an n-d array in the dict was
updated in place or replaced by a new array (both arrive as the same numbers). A 0-d parameter
tells them apart: ``params[k] = params[k] - lr * g`` turns a 0-d array into a numpy scalar,
while ``params[k] -= lr * g`` (or ``p[...] = ...``) keeps the array.
"""

import numpy as np
import pytest
from _helpers import as_values, expect_values, randn

from autograder.course.i18n import N_, _
from autograder.testkit.expect import expect_unchanged, fail

pytestmark = pytest.mark.exercise("sgd_step")

UNCHANGED = (N_("the caller's arrays are unchanged: `p = p - lr * g` only rebinds a local name, and "
             "`params[k] = params[k] - lr * g` (rebinding the dict entry) puts a new array in the dict "
             "while the model keeps the old one; write into the array instead (p -= lr * g)"))


def sgd_mistakes(p, g, lr):
    return {_("a sign error: p + lr·g (+= instead of −=)"): p + lr * g,
            _("the learning rate is ignored: p − g"): p - g,
            UNCHANGED: p}


def updated(call, name: str):
    after = call.args_after[0]
    if name not in after:
        fail(_("sgd_step removed params['{name}']; it must update every "
                "parameter and keep it.").format(name=name))
    return after[name]


@pytest.mark.main_result
@pytest.mark.points(5)
def test_values(student, rng):
    """subtracts lr·grad from every parameter"""
    params = {"W": randn(rng, (3, 5)), "b": randn(rng, (5,)), "gamma": randn(rng, (2, 3, 4))}
    grads = {k: randn(rng, v.shape) for k, v in params.items()}
    lr = 0.1
    call = student.call("sgd_step", params, grads, lr)
    for k, p in params.items():
        expect_values(updated(call, k), p - lr * grads[k], what=_("params['{k}'] after sgd_step").format(k=k),
                      on=_("a parameter of shape {shape} with lr = {lr}").format(shape=p.shape, lr=lr),
                      mistakes=sgd_mistakes(p, grads[k], lr))


def step_of(call, name: str, p: np.ndarray, on: str) -> np.ndarray:
    """What sgd_step added to params[name]; failing when the parameter was left unchanged."""
    after = as_values(updated(call, name), what=_("params['{name}'] after "
                                                   "sgd_step").format(name=name))
    if after.shape != p.shape:
        fail(_("params['{name}'] has shape {shape} after sgd_step, but {shape2} "
                "before.").format(name=name, shape=after.shape, shape2=p.shape))
    delta = after - p
    if not np.any(delta):
        fail(_("params['{name}'] is unchanged after sgd_step on {on}.").format(name=name, on=_(on)), UNCHANGED)
    return delta


@pytest.mark.points(2.5)
def test_in_place(student, rng):
    """updates the parameter arrays in place, so every holder of an array sees the step"""
    params = {"W": randn(rng, (2, 3)), "scale": np.array(1.5)}
    grads = {"W": randn(rng, (2, 3)), "scale": np.array(-0.75)}
    call = student.call("sgd_step", params, grads, 0.2)
    on = _("a 2-D and a 0-d parameter")
    for k, p in params.items():
        step_of(call, k, p, on)  # the values themselves are graded in test_values
    after = updated(call, "scale")
    if not isinstance(after, np.ndarray):
        fail(_("params['scale'], a 0-d float64 array, is a {type} scalar after "
                "sgd_step: the dict entry was replaced by a new value instead of "
                "the array being updated in place, so whoever else holds the "
                "array (a model, a training loop) keeps the old value.").format(type=type(after).__name__),
             _("rebinding the dict entry, params[name] = params[name] - lr * grads[name]; write "
             "into the array: params[name] -= lr * grads[name]"))


@pytest.mark.points(1.25)
def test_pairs_by_name(student, rng):
    """pairs every parameter with the gradient of the same name"""
    params = {"w1": randn(rng, (4,)), "w2": randn(rng, (4,))}
    grads = {"w2": randn(rng, (4,)), "w1": randn(rng, (4,))}  # another order than params
    call = student.call("sgd_step", params, grads, 0.5)
    on = _("params and grads with the same names in another order")
    for k, other in (("w1", "w2"), ("w2", "w1")):
        # The step must be a multiple of grads[k] (its size is graded in test_values).
        delta, g = step_of(call, k, params[k], on), grads[k]
        if not np.allclose(delta, (delta @ g) / (g @ g) * g, rtol=1e-9, atol=1e-12):
            by_position = np.allclose(delta, (delta @ grads[other]) / (grads[other] @ grads[other])
                                      * grads[other], rtol=1e-9, atol=1e-12)
            fail(_("params['{k}'] did not move along grads['{k}'] on {on}.").format(k=k, on=_(on)),
                 _("pairing by position (zip of params.values() and grads.values()) instead of by "
                 "name: use grads[name]") if by_position else None)


@pytest.mark.points(1.25)
def test_grads_unchanged_returns_none(student, rng):
    """leaves grads unchanged and returns None"""
    params = {"W": randn(rng, (3, 2)), "b": randn(rng, (2,))}
    grads = {k: randn(rng, v.shape) for k, v in params.items()}
    call = student.call("sgd_step", params, grads, 0.3)
    expect_unchanged(grads, call.args_after[1], what=_("sgd_step (on grads)"))
    if call.value is not None:
        fail(_("sgd_step should return None (it updates params in place), but it "
                "returned a {type}.").format(type=type(call.value).__name__), _("returning a value from an in-place update"))
