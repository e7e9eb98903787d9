"""Trusted stand-ins answer only calls of their contract's shapes, of bounded size."""

from __future__ import annotations

import numpy as np
import pytest
from tiny_course import REPO

from autograder.course.assignment import AssignmentError, load_assignment
from autograder.sandbox import standin
from autograder.testkit.session import load_reference

ROOT = REPO
A = load_assignment(ROOT / "assignments" / "hw07")
REF = load_reference(ROOT / "reference" / "hw07" / "hw07_reference.py")
BIG = 10**6


def check(name: str, *args, budget: int = BIG, **kwargs) -> None:
    standin.check_call(getattr(REF, name), A.stand_ins[name], args, kwargs, budget)


def test_every_used_function_of_hw07_has_a_contract():
    used = {u for e in A.exercises for u in e.uses if u != e.function}
    assert used <= set(A.stand_ins) and used


@pytest.mark.parametrize("call", [
    ("sigmoid", (np.zeros((3, 4)),), {}),
    ("sigmoid", (1.5,), {}),
    ("mul_forward", (np.ones(5), np.ones(5)), {}),
    ("mul_forward", (2.0, np.ones((2, 3))), {}),  # a scalar fits any shape
    ("mul_backward", (np.ones(4), (np.ones(4), np.ones(4))), {}),
    ("add_backward", (np.ones(4), None), {}),
    ("softmax", (np.ones((2, 3)),), {"axis": 0}),
    ("softmax_cross_entropy", (np.ones((6, 3)), np.arange(6) % 3), {}),
    ("sgd_step", ({"W": np.ones((2, 3)), "b": np.ones(3)}, {"W": np.ones((2, 3)), "b": np.ones(3)}, 0.1), {}),
])
def test_calls_within_the_contract_are_answered(call):
    name, args, kwargs = call
    check(name, *args, **kwargs)


@pytest.mark.parametrize("call", [
    ("mul_forward", (np.ones((1, 30000)), np.ones((30000, 1))), {}),  # 900 M elements once broadcast
    ("add_forward", (np.ones((1, 30000)), np.ones((30000, 1))), {}),
    ("mul_backward", (np.ones((1, 30000)), (np.ones((30000, 1)), np.ones((30000, 1)))), {}),
    ("mul_backward", (np.ones(3), np.ones(3)), {}),  # the cache is a pair
    ("sgd_step", ({"W": np.ones((1, 30000))}, {"W": np.ones((30000, 1))}, 0.1), {}),
    ("sgd_step", ({"W": np.ones(3)}, {"V": np.ones(3)}, 0.1), {}),
    ("softmax_cross_entropy", (np.ones((6, 3)), np.arange(5)), {}),
    ("softmax_cross_entropy", (np.ones(6), np.arange(6)), {}),
    ("softmax", (np.ones(3),), {"axis": 0.5}),
    ("softmax", (np.ones(3),), {"axes": 0}),  # not a parameter of softmax
    ("sigmoid", (np.ones(3), np.ones(3)), {}),  # too many arguments
    ("sigmoid", ("text",), {}),
])
def test_calls_outside_the_contract_are_refused(call):
    name, args, kwargs = call
    with pytest.raises(standin.WrongCall):
        check(name, *args, **kwargs)


def test_the_element_budget_is_relative_to_the_request():
    request = {"args": (np.ones(100), np.ones(100), np.ones(100)), "kwargs": {}}
    budget = standin.budget_for(request)
    assert budget == standin.FACTOR * 300 + standin.SLACK
    check("mul_forward", np.ones(1000), np.ones(1000), budget=budget)
    with pytest.raises(standin.WrongCall, match="more than this test allows"):
        check("mul_forward", np.ones(budget), np.ones(budget), budget=budget)


def test_without_contracts_only_the_element_budget_and_the_signature_apply():
    standin.check_call(REF.mul_forward, None, (np.ones((1, 3)), np.ones((3, 1))), {}, budget=100)
    with pytest.raises(standin.WrongCall):
        standin.check_call(REF.mul_forward, None, (np.ones(100), np.ones(100)), {}, budget=100)
    with pytest.raises(standin.WrongCall):
        standin.check_call(REF.sigmoid, None, (1.0, 2.0), {}, budget=100)


def test_an_assignment_whose_used_function_has_no_contract_is_refused(tmp_path):
    folder = tmp_path / "hw07"
    folder.mkdir()
    toml = (ROOT / "assignments" / "hw07" / "assignment.toml").read_text(encoding="utf-8")
    (folder / "assignment.toml").write_text(toml.replace('sigmoid = { x = "S" }\n', ""), encoding="utf-8")
    with pytest.raises(AssignmentError, match="uses sigmoid, which has no contract"):
        load_assignment(folder)
    (folder / "assignment.toml").write_text(toml.replace('{ x = "S" }', '{ x = "s[" }', 1), encoding="utf-8")
    with pytest.raises(AssignmentError, match="not a stand-in contract"):
        load_assignment(folder)
