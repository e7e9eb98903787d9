"""Sessions one after another in one process: each imports its own tests, even when another
folder's test files have the same names (hw07's hidden and public tests both have test_gates.py)."""

import sys

from tiny_course import REPO

from autograder.course.assignment import find_assignment
from autograder.sandbox.client import DirectStudent
from autograder.testkit.plugin import Job
from autograder.testkit.session import load_reference, run_session


def test_a_hidden_then_a_public_session_in_one_process_each_run_their_own_tests():
    a, secrets = find_assignment(REPO, "hw07")
    ref = load_reference(secrets.reference)
    folder = REPO / "tests" / "submissions" / "solution"
    scores = {}
    order = (("hidden", secrets.hidden_tests), ("public", a.public_tests), ("again", secrets.hidden_tests))
    for name, tests in order:
        out = []
        run_session(tests, a, [Job(name, lambda: DirectStudent(folder, a.files_map(), oracle_module=ref,
                                                               uses=a.uses_of))], out.append, ref)
        (r,) = out
        assert r.score == r.max_score and r.tests, name  # the solution passes every test of that folder
        assert {t.nodeid.split("::")[0] for t in r.tests} <= {p.name for p in tests.glob("test_*.py")}
        scores[name] = (len(r.tests), r.max_score)
        assert not [m for m, mod in list(sys.modules.items())
                    if str(getattr(mod, "__file__", "") or "").startswith(str(tests))], name  # forgotten
    assert scores["hidden"] == scores["again"] and scores["public"] != scores["hidden"]
