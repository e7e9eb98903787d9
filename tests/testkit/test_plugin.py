"""The engine's direct path (tests called without pytest's per-test protocol) changes nothing."""

import json

import pytest
from tiny_course import REPO

from autograder.course.assignment import find_assignment
from autograder.render.gradescope import to_gradescope
from autograder.sandbox.client import WorkerStudent
from autograder.sandbox.launch import ZygoteLauncher
from autograder.testkit import plugin
from autograder.testkit.session import load_reference, run_session

CASES = ["solution", "stubs", "sigmoid_naive", "mul_no_swap", "syntax_error", "sgd_replace_entry"]


def grade(direct: bool, monkeypatch) -> str:
    if not direct:
        monkeypatch.setattr(plugin.GradingPlugin, "_direct_args", lambda self, item: None)
    a, secrets = find_assignment(REPO, "hw07")
    ref = load_reference(secrets.reference)
    launcher = ZygoteLauncher()
    files = a.files_map()
    file_of = {fn: f for f, fns in files.items() for fn in fns}
    jobs = [plugin.Job(case, lambda case=case: WorkerStudent(
        lambda: launcher.spawn(REPO / "tests" / "submissions" / case, files), a.call_timeout,
        uses=a.uses_of, oracle_module=ref, file_of=file_of)) for case in CASES]
    out: list[dict] = []
    try:
        run_session(secrets.hidden_tests, a, jobs, lambda r: out.append(to_gradescope(r)), ref)
    finally:
        launcher.close()
    for doc in out:
        doc.pop("execution_time")
    return json.dumps(out, sort_keys=True)


def test_direct_calls_give_byte_identical_results_to_pytest_protocol(monkeypatch):
    fast = grade(True, monkeypatch)
    with pytest.MonkeyPatch.context() as mp:
        slow = grade(False, mp)
    assert json.loads(fast)[0]["score"] == 100  # the solution: a run that really graded
    assert fast == slow

