"""What the tests compute from the reference alone, done once per grading session: only for
arguments whose bytes say everything, handed out as copies, forgotten when the session ends."""

from __future__ import annotations

import numpy as np

from autograder.testkit import gradcheck, memo

CALLS: list[str] = []


@memo.pure
def doubled(x, scale=2.0):
    CALLS.append("doubled")
    return {"y": x * scale}


def test_a_pure_helper_runs_once_per_session_for_byte_identical_arguments():
    CALLS.clear()
    x = np.arange(3.0)
    with memo.session():
        first = doubled(x)
        again = doubled(x.copy())  # another array with the same bytes
        doubled(x, scale=3.0)
        doubled(np.array([-0.0, 1.0, 2.0]))  # -0.0 and 0.0 are different bytes
    assert len(CALLS) == 3
    assert np.array_equal(first["y"], again["y"]) and first["y"] is not again["y"]


def test_answers_are_copies_and_nothing_is_remembered_outside_a_session():
    CALLS.clear()
    x = np.arange(3.0)
    with memo.session():
        doubled(x)["y"][:] = 99.0  # a caller changing what it got
        assert doubled(x)["y"].tolist() == [0.0, 2.0, 4.0]
    doubled(x)
    doubled(x)
    assert len(CALLS) == 3


def test_arguments_without_a_complete_key_are_computed_every_time():
    CALLS.clear()
    with memo.session():
        for _ in range(2):
            doubled(np.arange(2.0), scale=np.float64(2.0))  # keyable: once
            doubled([1.0, 2.0], scale=2)  # a list can change: every time
            doubled(np.array([1.0], dtype=object))  # object arrays: every time
    assert len(CALLS) == 1 + 2 + 2


def test_function_keys_follow_code_closures_and_globals():
    ref = np  # a module stands for itself
    shift = np.ones(2)
    f = lambda x: ref.exp(x) + shift  # noqa: E731
    g = lambda x: ref.exp(x) + shift  # noqa: E731 - other code object
    assert memo.key_of(f) is not None and memo.key_of(f) == memo.key_of(f)
    assert memo.key_of(f) != memo.key_of(g)
    box = [1.0]
    h = lambda x: x * box[0]  # noqa: E731 - closes over a list: no key
    assert memo.key_of(h) is None
    state = {"n": 0}
    assert memo.key_of(lambda x: x + state["n"]) is None


def test_numerical_gradients_of_a_trusted_function_are_computed_once_per_session():
    evaluations = []

    def counted(x):  # closes over a list: never remembered
        evaluations.append(1)
        return x * x

    def student_many(batch):
        return [counted(*args) for args in batch]

    x, dout = np.array([1.0, -2.0]), np.ones(2)
    with memo.session():
        remembered = memo._MEMORY.get()
        square = lambda x: x * x  # noqa: E731
        a = gradcheck.numerical_gradient(square, (x,), dout)
        b = gradcheck.numerical_gradient(square, (x.copy(),), dout)  # the same bytes: remembered
        assert len(remembered) == 1
        c = gradcheck.numerical_gradient(lambda x: x * x, (x,), dout)  # other code: computed
        assert len(remembered) == 2
        assert np.array_equal(a[0], b[0]) and a[0] is not b[0] and np.array_equal(a[0], c[0])
        before = len(remembered)
        gradcheck.numerical_gradient(counted, (x,), dout)
        gradcheck.numerical_gradient(counted, (x,), dout)
        gradcheck.numerical_gradient(None, (x,), dout, evaluate_many=student_many)  # a student's outputs
        assert len(remembered) == before and len(evaluations) == 12
    np.testing.assert_allclose(a[0], 2 * x, rtol=1e-8)


def test_the_memory_is_bounded_in_entries_and_bytes(monkeypatch):
    monkeypatch.setattr(memo, "ENTRIES", 2)
    monkeypatch.setattr(memo, "BYTES", 1000)
    with memo.session():
        remembered = memo._MEMORY.get()
        doubled(np.zeros(100))  # 800 bytes of key and 800 of answer: over the bytes, not kept
        doubled(np.zeros(10))
        doubled(np.zeros(11))
        doubled(np.zeros(12))  # over the entries
        assert len(remembered) == 2 and remembered.held <= 1000
        CALLS.clear()
        doubled(np.zeros(100))
        assert CALLS == ["doubled"]
