"""Public tests of logreg.py: the loss and its gradient on small examples, and training on an
easy data set. The hidden tests compare with a trusted implementation on many more inputs.

Run them with `python -m autograder check` (or plain `pytest tests/`) in the assignment folder.
"""

import numpy as np
import pytest

from autograder.course.i18n import _
from autograder.testkit.gradcheck import check_backward, random_upstream
from autograder.testkit.expect import expect_array, expect_close, expect_float, expect_tuple, expect_unchanged, fail

N, C = 4, 3  # a batch of 4 examples, 3 classes: not square, so a transposed result cannot pass


def _loss_and_grad(result, n, c, on):
    loss, dlogits = expect_tuple(result, 2, what=_("softmax_cross_entropy's result (loss, dlogits)"))
    loss = np.asarray(expect_float(loss, what=_("the loss on {on}").format(on=_(on))))  # as a 0-d array, to compare it
    return loss, expect_array(dlogits, what=_("dlogits on {on}").format(on=_(on)), shape=(n, c))


# ---------------------------------------------------------------- softmax_cross_entropy


@pytest.mark.exercise("softmax_cross_entropy")
@pytest.mark.points(1)
def test_cross_entropy_known_values(student):
    """All logits 0 (every class has p = 1/3): loss = log 3, dlogits = (1/3 − onehot(y)) / N"""
    logits, y = np.zeros((N, C)), np.array([0, 2, 1, 2])
    on = _("logits = zeros((4, 3)), y = [0, 2, 1, 2]")
    call = student.call("softmax_cross_entropy", logits, y)
    loss, dlogits = _loss_and_grad(call.value, N, C, on)
    expect_close(loss, np.log(C), what=_("the loss"), on=on, mistakes={
        _("the sum over the batch instead of the mean (off by a factor N = 4)"): N * np.log(C),
        _("the sign: the loss is −mean log p[i, y_i], which is positive"): -np.log(C),
    })
    onehot = np.eye(C)[y]
    expect_close(dlogits, (1 / C - onehot) / N, what="dlogits", on=on, mistakes={
        _("dlogits is not divided by N (the loss is a mean)"): 1 / C - onehot,
        _("the sign: dlogits = (p − onehot(y)) / N"): (onehot - 1 / C) / N,
    })
    expect_unchanged(logits, call.args_after[0], what="softmax_cross_entropy")


@pytest.mark.exercise("softmax_cross_entropy")
@pytest.mark.points(1)
def test_cross_entropy_matches_finite_differences(student, rng):
    """dlogits matches finite differences of your loss, on random (4, 3) logits"""
    logits, y = rng.standard_normal((N, C)) * 2, rng.integers(0, C, size=N)
    dout = random_upstream(rng, ())  # the loss is a number: the upstream gradient is one random number
    _unused, dlogits = _loss_and_grad(student.softmax_cross_entropy(logits, y), N, C, _("random (4, 3) logits"))

    def losses(points):  # the loss at every shifted logits, in one round trip to your code
        return [loss for loss, _unused in student.many("softmax_cross_entropy", [(z, y) for (z,) in points])]

    for c in check_backward(None, dout * dlogits, [logits], dout, names=["logits"], evaluate_many=losses):
        if not c.ok:
            fail(_("dlogits does not match centred finite differences of your "
                    "loss on random (4, 3) logits: {reason}.").format(reason=c.reason))


@pytest.mark.exercise("softmax_cross_entropy")
@pytest.mark.points(1)
def test_cross_entropy_stable(student):
    """No nan, no inf and no warning for logits of ±1000 (log p by log-sum-exp, not log(0))"""
    logits = np.array([[1000.0, 0.0, -1000.0], [0.0, 1000.0, 1000.0], [-1000.0, -1000.0, -1000.0],
                       [1000.0, -1000.0, 0.0]])
    y = np.array([2, 1, 0, 0])
    on = _("logits with entries ±1000, e.g. [1000, 0, -1000] with label 2")
    call = student.call("softmax_cross_entropy", logits, y)
    loss, dlogits = _loss_and_grad(call.value, N, C, on)
    # -log p[i, y_i] per row: 2000, log 2, log 3, 0 (the exponentials that underflow count as 0)
    expect_close(loss, (2000.0 + np.log(2.0) + np.log(3.0)) / N, what=_("the loss"), on=on)
    p = np.array([[1.0, 0.0, 0.0], [0.0, 0.5, 0.5], [1 / 3, 1 / 3, 1 / 3], [1.0, 0.0, 0.0]])
    expect_close(dlogits, (p - np.eye(C)[y]) / N, what="dlogits", on=on)
    if call.warnings:
        fail(_("softmax_cross_entropy raised a warning on {on}: {warning}.").format(on=_(on), warning=call.warnings[0]),
             _("np.log of a probability that rounded to 0, or np.exp of a large logit; compute log p as "
             "(z − max) − log Σ e^(z − max)"))


# ---------------------------------------------------------------- train_softmax_regression


def _blobs(rng, counts=(20, 20, 20)):
    """Three well separated clusters in 2-D (labels 0, 1, 2, ``counts`` points each), shuffled."""
    centres = np.array([[3.0, 0.0], [-3.0, 3.0], [-3.0, -3.0]])
    X = np.concatenate([c + 0.5 * rng.standard_normal((k, 2)) for c, k in zip(centres, counts, strict=True)])
    y = np.repeat(np.arange(3), counts)
    order = rng.permutation(len(y))
    return X[order], y[order]


def _trained(result, d, c):
    W, b = expect_tuple(result, 2, what=_("train_softmax_regression's result (W, b)"))
    return (expect_array(W, what="W", shape=(d, c)), expect_array(b, what="b", shape=(c,)))


def _full_batch_step(X, y, W, b, lr, bias_sign=1.0):
    """One gradient step of softmax regression on the whole batch (moderate logits only)."""
    logits = X @ W + bias_sign * b
    e = np.exp(logits - logits.max(axis=1, keepdims=True))
    dlogits = (e / e.sum(axis=1, keepdims=True) - np.eye(W.shape[1])[y]) / len(y)
    return W - lr * X.T @ dlogits, b - lr * dlogits.sum(axis=0)


@pytest.mark.exercise("train_softmax_regression")
@pytest.mark.points(1)
def test_training_full_batch_steps(student, rng):
    """One and two epochs with one batch of all N examples are one and two gradient steps from W = 0, b = 0"""
    X, y = _blobs(rng, (3, 5, 7))  # unbalanced classes, so the step of b is not 0
    n, lr = len(y), 0.5
    W, b = _trained(student.train_softmax_regression(X, y, 3, lr=lr, epochs=1, batch_size=n, seed=0), 2, 3)
    dlogits = (1 / 3 - np.eye(3)[y]) / n  # at W = 0, b = 0 every class has p = 1/3
    on = _("15 points in 2-D, 3 classes, epochs=1, batch_size=15, lr=0.5")
    expect_close(W, -lr * X.T @ dlogits, what="W", on=on, rtol=1e-7, atol=1e-10, mistakes={
        _("the sign: the step goes against the gradient"): lr * X.T @ dlogits,
        _("the learning rate is ignored"): -X.T @ dlogits,
    })
    expect_close(b, -lr * dlogits.sum(axis=0), what="b", on=on, rtol=1e-7, atol=1e-10, mistakes={
        _("b is never updated: db = dlogits summed over the batch"): np.zeros(3),
    })
    # The second step starts where b is no longer 0, so how b enters the logits shows.
    W1, b1 = _full_batch_step(X, y, np.zeros((2, 3)), np.zeros(3), lr)
    W2, b2 = _full_batch_step(X, y, W1, b1, lr)
    W, b = _trained(student.train_softmax_regression(X, y, 3, lr=lr, epochs=2, batch_size=n, seed=0), 2, 3)
    on = _("15 points in 2-D, 3 classes, epochs=2, batch_size=15, lr=0.5")
    wrong_bias = _full_batch_step(X, y, W1, b1, lr, bias_sign=-1.0)
    bias_mistake = _("the bias enters the logits with the wrong sign: logits = X @ W + b")
    expect_close(W, W2, what="W", on=on, rtol=1e-7, atol=1e-10, mistakes={bias_mistake: wrong_bias[0]})
    expect_close(b, b2, what="b", on=on, rtol=1e-7, atol=1e-10, mistakes={bias_mistake: wrong_bias[1]})


@pytest.mark.exercise("train_softmax_regression")
@pytest.mark.points(1)
def test_training_learns_and_is_reproducible(student, rng):
    """Three well separated clusters (60 points): ≥ 95% training accuracy; same seed, same W and b"""
    X, y = _blobs(rng)
    on = _("60 points in 3 well separated clusters, default lr, epochs, batch_size, seed")
    W, b = _trained(student.train_softmax_regression(X, y, 3), 2, 3)
    if not (np.all(np.isfinite(W)) and np.all(np.isfinite(b))):
        fail(_("W or b contains nan or inf after training on {on}.").format(on=_(on)))
    accuracy = float(np.mean(np.argmax(X @ W + b, axis=1) == y))
    if accuracy < 0.95:
        fail(_("after training on {on}, the training accuracy is only "
                "{accuracy:.0%} (at least {minimum:.0%} expected). Check the update (minus "
                "lr · gradient, through sgd_step), dW = X_bᵀ @ dlogits and db = "
                "dlogits summed over the batch.").format(on=_(on), accuracy=accuracy, minimum=0.95))
    W2, b2 = _trained(student.train_softmax_regression(X, y, 3), 2, 3)
    if not (np.array_equal(W, W2) and np.array_equal(b, b2)):
        fail(_("two runs with the same seed gave different W, b on {on}.").format(on=_(on)),
             _("a random generator other than np.random.default_rng(seed), created once before the loop"))
