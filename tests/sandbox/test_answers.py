"""Stand-in answers remembered per grading process: the reference runs once per distinct request,
every student still gets exactly the answer (or refusal) it would get, and each call's element
budget is still checked."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from autograder.sandbox.answers import Answers, Encoded, Refused, request_key
from autograder.sandbox.client import WorkerStudent
from autograder.sandbox.launch import default_launcher

MOD = '''
import numpy as np


def helper(x):
    return x


def twice(x):
    return helper(x) * 2.0


def wrong_twice(x):
    return helper(np.ones((200, 200))) * 2.0


def bump(params):
    helper_inplace(params)
    return params["w"].copy()


def helper_inplace(params):
    pass
'''
FILES = {"mod.py": ["helper", "twice", "wrong_twice", "bump", "helper_inplace"]}
FILE_OF = {fn: f for f, fns in FILES.items() for fn in fns}
USES = {"twice": ("helper",), "wrong_twice": ("helper",), "bump": ("helper_inplace",)}


class Reference:
    calls = 0

    @classmethod
    def helper(cls, x):
        cls.calls += 1
        return np.asarray(x) + 1.0

    @classmethod
    def helper_inplace(cls, params):
        cls.calls += 1
        params["w"] += 10.0


@pytest.fixture(scope="module")
def launcher():
    lau = default_launcher()
    yield lau
    lau.close()


@pytest.fixture
def folder(tmp_path) -> Path:
    (tmp_path / "mod.py").write_text(MOD)
    return tmp_path


def student(launcher, folder, answers):
    return WorkerStudent(lambda: launcher.spawn(folder, FILES), timeout=5.0, file_of=FILE_OF,
                         uses=lambda n: USES.get(n, ()), oracle_module=Reference, answers=answers)


def test_each_distinct_request_runs_the_reference_once_per_process(launcher, folder):
    answers = Answers()
    Reference.calls = 0
    got = []
    for _ in range(3):  # three students asking the same questions
        s = student(launcher, folder, answers)
        try:
            got.append((float(s.twice(np.array(1.0))), float(s.twice(np.array(2.0))),
                        s.bump({"w": np.zeros(2)}).tolist()))
        finally:
            s.close()
    assert got == [(4.0, 6.0, [10.0, 10.0])] * 3  # in-place effects of the stand-in included
    assert Reference.calls == 3 and answers.hits == 6


def test_without_remembered_answers_the_reference_runs_every_time(launcher, folder):
    Reference.calls = 0
    for _ in range(2):
        s = student(launcher, folder, None)
        try:
            assert float(s.twice(np.array(1.0))) == 4.0
        finally:
            s.close()
    assert Reference.calls == 2


def test_the_element_budget_is_checked_for_every_call_even_when_remembered(launcher, folder):
    answers = Answers()
    big = student(launcher, folder, answers)
    try:
        assert float(big.twice(np.ones((200, 200)))[0, 0]) == 4.0  # a large request: a large budget
    finally:
        big.close()
    small = student(launcher, folder, answers)
    try:  # the same stand-in question, asked while answering a small request: refused
        with pytest.raises(Exception, match="more than this test allows"):
            small.wrong_twice(np.array(1.0))
    finally:
        small.close()


def test_keys_differ_with_any_byte_and_the_memory_is_bounded():
    assert request_key("f", b"{}", [b"\x00"]) != request_key("f", b"{}", [b"\x01"])
    assert request_key("f", b"{}", [b"ab"]) != request_key("f", b"{}", [b"a", b"b"])
    assert request_key("f", b"{}", []) != request_key("g", b"{}", [])
    answers = Answers(entries=2, size=10)
    answers.put(b"1", Encoded({}, (b"12345678",)))
    answers.put(b"2", Encoded({}, (b"123",)))  # over the bytes: not kept
    answers.put(b"3", Refused("no"))
    answers.put(b"4", Refused("no"))  # over the entries: not kept
    assert [answers.get(k) is not None for k in (b"1", b"2", b"3", b"4")] == [True, False, True, False]
