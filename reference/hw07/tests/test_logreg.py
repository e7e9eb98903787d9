"""Hidden tests of logreg.py: softmax_cross_entropy and train_softmax_regression.

Batches are never square (N ≠ C), so a gradient over the wrong axis or a missing keepdims cannot
pass by accident. While train_softmax_regression runs, its calls to sgd_step,
softmax_cross_entropy and softmax are answered by the reference (assignment.toml ``uses``): it is
graded on the training loop alone.
"""

import numpy as np
import pytest
from _helpers import (
    expect_float64_like,
    expect_matches_own_forward,
    expect_values,
    numeric_of_student,
    randn,
)

from autograder.course.i18n import N_, _
from autograder.testkit.gradcheck import numerical_gradient
from autograder.testkit.memo import pure
from autograder.testkit.expect import (
    expect_float,
    expect_gradient,
    expect_no_warnings,
    expect_tuple,
    expect_unchanged,
    fail,
)

RESULT = N_("the result of softmax_cross_entropy, (loss, dlogits),")


def problem(rng, n: int, c: int, scale: float = 2.0):
    """Random logits (n, c) and labels that use at least two classes."""
    logits = randn(rng, (n, c), scale)
    y = rng.permutation(np.arange(n) % c)
    return logits, y


def on_logits(logits) -> str:
    n, c = logits.shape
    return _("random logits of shape ({n}, {c}) (N = {n} examples, C = {c} "
              "classes)").format(n=n, c=c)


def loss_mistakes(ref, logits, y):
    loss = ref.softmax_cross_entropy(logits, y)[0]
    n, c = logits.shape
    with np.errstate(all="ignore"):
        log_p = np.log(ref.softmax(logits, axis=1))
        by_batch = -np.log(ref.softmax(logits, axis=0))[np.arange(n), y].mean()
    return {_("the sum over the batch instead of the mean (N times too large)"): loss * n,
            _("a missing minus sign: the mean of log p, not of −log p"): -loss,
            _("averaged over all N·C entries instead of over the N examples"): loss / c,
            _("−log p summed over every class, not only the true class y_i"): -log_p.sum(axis=1).mean(),
            _("softmax over the batch axis (axis=0) instead of the classes"): by_batch}


def grad_mistakes(ref, logits, y):
    d = ref.softmax_cross_entropy(logits, y)[1]
    n = logits.shape[0]
    p = ref.softmax(logits, axis=1)
    return {_("the gradient not divided by N (N times too large)"): d * n,
            _("softmax(logits) without subtracting the one-hot labels"): p / n,
            _("a sign error: (onehot(y) − p)/N"): -d,
            _("divided by N twice"): d / n}


def call_ce(student, logits, y):
    call = student.call("softmax_cross_entropy", logits, y)
    loss, dlogits = expect_tuple(call.value, 2, what=RESULT)
    return call, loss, dlogits


class TestSoftmaxCrossEntropy:
    pytestmark = pytest.mark.exercise("softmax_cross_entropy")

    @pytest.mark.main_result
    @pytest.mark.points(2.5)
    def test_loss(self, student, ref, rng):
        """the loss on random logits"""
        logits, y = problem(rng, 6, 4)
        _unused, loss, _unused = call_ce(student, logits, y)
        expect_values(loss, ref.softmax_cross_entropy(logits, y)[0], what=_("the loss"),
                      on=on_logits(logits), mistakes=loss_mistakes(ref, logits, y))

    @pytest.mark.main_result
    @pytest.mark.points(2.5)
    def test_dlogits(self, student, ref, rng):
        """dlogits on random logits"""
        logits, y = problem(rng, 5, 3)
        _unused, _unused, dlogits = call_ce(student, logits, y)
        expect_values(dlogits, ref.softmax_cross_entropy(logits, y)[1], what="dlogits",
                      on=on_logits(logits), mistakes=grad_mistakes(ref, logits, y))

    @pytest.mark.points(2)
    def test_large_logits(self, student, ref):
        """stable for |logits| up to 1e4: finite loss and gradient, no warnings"""
        logits = np.array([[1e4, -1e4, 0.0], [-1000.0, 0.0, 1000.0],
                           [5000.0, 5000.0, -5000.0], [0.0, 1e-3, -1e-3]])
        y = np.array([1, 0, 2, 1])
        on = _("logits of shape (4, 3) with |logits| up to 1e4")
        call, loss, dlogits = call_ce(student, logits, y)
        with np.errstate(all="ignore"):
            p = ref.softmax(logits, axis=1)
            log0 = float(-np.log(p[np.arange(4), y]).mean())
        log_mistake = (_("log(0): the log of a probability that underflowed to 0 is −inf; compute "
                       "log p as (z − max z) − log Σ e^(z − max z) (log-sum-exp)"))
        want_loss, want_d = ref.softmax_cross_entropy(logits, y)
        expect_values(loss, want_loss, what=_("the loss"), on=on,
                      mistakes={log_mistake: log0, **loss_mistakes(ref, logits, y)})
        expect_values(dlogits, want_d, what="dlogits", on=on, mistakes=grad_mistakes(ref, logits, y))
        divide = any("divide by zero" in w for w in call.warnings)
        expect_no_warnings(call.warnings, what="softmax_cross_entropy", on=on,
                           mistake=log_mistake if divide else None)

    @pytest.mark.main_result
    @pytest.mark.points(1)
    def test_finite_differences(self, student, ref, rng):
        """dlogits matches centred finite differences of the loss"""
        # The loss is the end of the graph: its upstream gradient is dL/dL = 1.
        logits, y = problem(rng, 5, 4)
        numeric = numerical_gradient(lambda z: ref.softmax_cross_entropy(z, y)[0], (logits,), 1.0)
        _unused, _unused, dlogits = call_ce(student, logits, y)
        expect_gradient(dlogits, numeric[0], what="logits", on=on_logits(logits),
                        mistakes=grad_mistakes(ref, logits, y))

    @pytest.mark.main_result
    @pytest.mark.points(1)
    def test_own_forward(self, student, ref, rng):
        """dlogits matches finite differences of your own loss"""
        logits, y = problem(rng, 3, 2)  # small: every evaluation calls softmax (the reference)
        own = numeric_of_student(student, "softmax_cross_entropy", (logits,), 1.0,
                                 pick=lambda v: v[0], extra=(y,))
        correct = numerical_gradient(lambda z: ref.softmax_cross_entropy(z, y)[0], (logits,), 1.0)
        _unused, _unused, dlogits = call_ce(student, logits, y)
        expect_matches_own_forward({"logits": dlogits}, own and {"logits": own[0]},
                                   {"logits": correct[0]}, backward="softmax_cross_entropy",
                                   forward="loss",
                                   on=on_logits(logits),
                                   mistakes={"logits": grad_mistakes(ref, logits, y)})

    @pytest.mark.points(1)
    def test_types(self, student, rng):
        """the loss is a Python float, dlogits a float64 (N, C) array; inputs unchanged"""
        logits, y = problem(rng, 6, 3)
        call, loss, dlogits = call_ce(student, logits, y)
        expect_float(loss, what=_("the loss"))
        expect_float64_like(dlogits, logits.shape, what="dlogits", on=on_logits(logits))
        expect_unchanged(logits, call.args_after[0], what="softmax_cross_entropy")
        expect_unchanged(y, call.args_after[1], what="softmax_cross_entropy")


# ---------------------------------------------------------------- training


def blobs(rng, n: int, d: int, c: int, spread: float = 0.6, centres=None):
    """n points around c centres in d dimensions (random unless given), labels 0..c-1 (all used)."""
    centres = 3.0 * rng.standard_normal((c, d)) if centres is None else np.asarray(centres)
    y = rng.permutation(np.arange(n) % c)
    return centres[y] + spread * rng.standard_normal((n, d)), y


@pure  # the same for every student: trained once per grading session
def train_variant(ref, X, y, c, lr=0.5, epochs=20, batch_size=32, seed=0, *, order="each-epoch",
                  drop_last=False, step=None):
    """Minibatch SGD as the reference does it, or with one known mistake (what it would return)."""
    n, d = X.shape
    params = {"W": np.zeros((d, c)), "b": np.zeros(c)}
    rng = np.random.default_rng(seed)
    for _unused in range(epochs):
        if order == "each-epoch":
            perm = rng.permutation(n)
        elif order == "same-every-epoch":
            perm = np.random.default_rng(seed).permutation(n)
        else:
            perm = np.arange(n)
        stops = range(0, n - n % batch_size if drop_last else n, batch_size)
        for start in stops:
            idx = perm[start:start + batch_size]
            _unused, dz = ref.softmax_cross_entropy(X[idx] @ params["W"] + params["b"], y[idx])
            ref.sgd_step(params, {"W": X[idx].T @ dz, "b": dz.sum(axis=0)},
                         lr if step is None else step)
    return params["W"], params["b"]


TRAIN_MISTAKES = {
    N_("the same order in every epoch (a new default_rng(seed) inside the epoch loop, or one "
    "permutation reused); draw rng.permutation(N) every epoch from one generator"):
        {"order": "same-every-epoch"},
    N_("no shuffling: the batches are taken in the data's order"): {"order": "none"},
    N_("the last, smaller batch is skipped"): {"drop_last": True},
    N_("the learning rate is ignored (steps of size 1)"): {"step": 1.0},
}

# (label, N, D, C, keyword arguments): N is never a multiple of the batch size.
TRAIN_CASES = [
    ("N=50, D=3, C=4, all arguments given", 50, 3, 4,
     {"lr": 0.3, "epochs": 2, "batch_size": 20, "seed": 7}),
    ("N=40, D=5, C=3, default lr, batch_size and seed", 40, 5, 3, {"epochs": 2}),
]


class TestTrainSoftmaxRegression:
    pytestmark = pytest.mark.exercise("train_softmax_regression")

    @pytest.mark.points(2)
    @pytest.mark.parametrize("n, d, c, kwargs", [pytest.param(*case[1:], id=case[0].split(",")[0])
                                                 for case in TRAIN_CASES])
    @pytest.mark.main_result
    def test_matches_reference(self, student, ref, rng, n, d, c, kwargs):
        """the same W and b as the reference, for the same data and seed"""
        X, y = blobs(rng, n, d, c)
        on = _("data with N = {n}, D = {d}, C = {c} and {arguments}").format(
            n=n, d=d, c=c, arguments=", ".join(f"{k}={v}" for k, v in kwargs.items()))
        W, b = expect_tuple(student.train_softmax_regression(X, y, c, **kwargs), 2,
                            what=_("the result of train_softmax_regression, (W, b),"))
        want = ref.train_softmax_regression(X, y, c, **kwargs)
        variants = {name: train_variant(ref, X, y, c, **kwargs, **how)
                    for name, how in TRAIN_MISTAKES.items()}
        for k, (name, got) in enumerate((("W", W), ("b", b))):
            expect_values(got, want[k], what=name, on=on, rtol=1e-8, atol=1e-10,
                          mistakes={m: v[k] for m, v in variants.items()})

    @pytest.mark.points(2)
    def test_fits(self, student, rng):
        """learns a separable 3-class problem: training accuracy at least 90%"""
        n, d, c = 30, 2, 3
        angles = 2 * np.pi * np.arange(c) / c
        X, y = blobs(rng, n, d, c, spread=0.4,
                     centres=3.0 * np.stack([np.cos(angles), np.sin(angles)], axis=1))
        W, b = expect_tuple(student.train_softmax_regression(X, y, c, lr=1.0, epochs=4,
                                                             batch_size=30, seed=3), 2,
                            what=_("the result of train_softmax_regression, (W, b),"))
        on = _("data with N = {n}, D = {d}, C = {c}").format(n=n, d=d, c=c)
        W = expect_float64_like(W, (d, c), what="W", on=on)
        b = expect_float64_like(b, (c,), what="b", on=on)
        with np.errstate(all="ignore"):
            accuracy = float(np.mean(np.argmax(X @ W + b, axis=1) == y))
        if not accuracy >= 0.9:
            fail(_("After training on {on} (three well-separated clusters), the "
                    "training accuracy of argmax(X @ W + b) is {accuracy:.0%}; it "
                    "should be at least 90%.").format(on=_(on), accuracy=accuracy))

