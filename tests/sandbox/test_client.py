"""The call proxy against real workers: values, in-place effects, warnings, and every failure mode."""

from pathlib import Path

import numpy as np
import pytest

from autograder.course import errors
from autograder.sandbox.client import DirectStudent, WorkerStudent
from autograder.sandbox.launch import ZygoteLauncher

FILES = {"mod.py": ["good", "inplace", "rebinds", "warns", "loops", "exits", "raises", "prints", "weird",
                    "uses_helper", "helper"],
         "other.py": ["other"], "absent.py": ["ghost"]}
FILE_OF = {fn: f for f, fns in FILES.items() for fn in fns}

MOD = '''
import numpy as np

def good(x):
    return np.asarray(x) * 2.0

def inplace(params, lr):
    params["w"] -= lr
    return None

def rebinds(params, lr):
    params["w"] = params["w"] - lr

def warns(x):
    return np.exp(np.asarray(x))

def loops(x):
    while True:
        pass

def exits(x):
    import os
    os._exit(0)

def raises(x):
    return 1 / 0

def prints(x):
    print("debug", x)
    return x

def weird(x):
    return object()

def helper(x):
    return x + 1000.0

def uses_helper(x):
    return helper(x) * 2
'''


class Oracle:
    @staticmethod
    def helper(x):
        return x + 1.0


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    d = tmp_path_factory.mktemp("sub")
    (d / "mod.py").write_text(MOD)
    (d / "other.py").write_text("def other(:\n    pass\n")
    return d


@pytest.fixture
def student(launcher, folder):
    s = WorkerStudent(lambda: launcher.spawn(folder, FILES), timeout=1.0, file_of=FILE_OF,
                      uses=lambda n: ("helper",) if n == "uses_helper" else (), oracle_module=Oracle)
    yield s
    s.close()


def test_values_and_no_mutation_of_the_callers_arrays(student):
    x = np.arange(3.0)
    call = student.call("good", x)
    np.testing.assert_array_equal(call.value, [0.0, 2.0, 4.0])
    np.testing.assert_array_equal(x, [0.0, 1.0, 2.0])


def test_in_place_effects_come_back_in_args_after(student):
    call = student.call("inplace", {"w": np.ones(2)}, 0.5)
    assert call.value is None
    np.testing.assert_array_equal(call.args_after[0]["w"], [0.5, 0.5])


def test_a_replaced_dict_entry_is_seen_as_the_holders_of_the_old_array_see_it(student):
    call = student.call("rebinds", {"w": np.ones(2)}, 0.5)
    np.testing.assert_array_equal(call.args_after[0]["w"], [1.0, 1.0])


def test_floating_point_warnings_and_output_are_reported(student):
    assert any("overflow" in w for w in student.call("warns", np.array([1000.0])).warnings)
    assert student.call("warns", np.array([-1e4])).warnings == ()  # underflow is fine
    assert "debug" in student.call("prints", 1.0).output


def test_an_endless_loop_costs_one_deadline_then_fails_fast(student):
    with pytest.raises(errors.StudentTimeout):
        student.loops(1.0)
    with pytest.raises(errors.StudentTimeout):
        student.loops(1.0)  # remembered: not run again
    np.testing.assert_array_equal(student.good(1.0), 2.0)  # a fresh worker for the rest


def test_a_dying_worker_is_a_crash_of_that_function_only(student):
    with pytest.raises(errors.StudentCrashed):
        student.exits(1.0)
    assert student.good(2.0) == 4.0


def test_exceptions_name_type_and_line(student):
    with pytest.raises(errors.StudentRaised) as e:
        student.raises(1.0)
    line = MOD.splitlines().index("    return 1 / 0") + 1
    assert "ZeroDivisionError" in e.value.summary and f"mod.py, line {line}" in e.value.summary


def test_non_numeric_results_are_refused(student):
    with pytest.raises(errors.BadResult):
        student.weird(1.0)


def test_syntax_errors_and_missing_files_are_reported_per_file(student):
    with pytest.raises(errors.StudentImportError) as e:
        student.other()
    assert "other.py, line 1" in e.value.summary
    with pytest.raises(errors.MissingFile):
        student.ghost()
    with pytest.raises(errors.MissingFunction):
        student.call("nonexistent")


def test_used_functions_are_answered_by_the_oracle(student):
    assert student.uses_helper(1.0) == 4.0  # (1 + 1) * 2 with the trusted helper


def test_many_is_one_batch_with_the_same_answers(student):
    assert [float(v) for v in student.many("good", [(1.0,), (2.0,)])] == [2.0, 4.0]


def test_direct_student_gives_the_same_answers(folder):
    d = DirectStudent(folder, FILES, oracle_module=Oracle,
                      uses=lambda n: ("helper",) if n == "uses_helper" else ())
    try:
        assert d.uses_helper(1.0) == 4.0
        assert d.call("inplace", {"w": np.ones(2)}, 0.5).args_after[0]["w"][0] == 0.5
        with pytest.raises(errors.StudentRaised):
            d.raises(1.0)
    finally:
        d.close()


def test_a_dead_zygote_is_replaced(folder):
    lau = ZygoteLauncher()
    try:
        lau.proc.kill()
        lau.proc.wait()
        s = WorkerStudent(lambda: lau.spawn(folder, FILES), timeout=2.0, file_of=FILE_OF)
        assert s.good(1.0) == 2.0
        s.close()
    finally:
        lau.close()
