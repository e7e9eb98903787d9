"""The severity rule over every assignment's assignment.toml and hidden-test markers."""


import pytest
from tiny_course import REPO

from autograder.audit.severity import SHARE, check_severity
from autograder.course.assignment import find_assignment

ASSIGNMENTS = sorted(p.name for p in (REPO / "assignments").iterdir() if (p / "assignment.toml").is_file())


@pytest.mark.parametrize("name", ASSIGNMENTS)
def test_main_result_tests_carry_at_least_half_of_every_exercise(name):
    a, secrets = find_assignment(REPO, name)
    rows = check_severity(a, secrets.hidden_tests)
    assert [r.exercise for r in rows] == [e.id for e in a.exercises]
    bad = [r.describe() for r in rows if not r.ok]
    assert not bad, f"{name}: exercises whose main-result tests carry less than {SHARE:.0%}: {bad}"


def test_the_rule_can_fail(tmp_path):
    """An exercise whose main-result test is worth less than its side tests breaks the rule."""
    import shutil

    from autograder.audit.severity import severity
    from autograder.course.assignment import load_assignment
    from autograder.testkit.collect import collect_tests

    shutil.copy(REPO / "assignments/hw07/assignment.toml", tmp_path)
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "test_x.py").write_text(
        "import pytest\n\n"
        "@pytest.mark.exercise('sgd_step')\n@pytest.mark.points(4)\n@pytest.mark.main_result\n"
        "def test_values(student):\n    pass\n\n"
        "@pytest.mark.exercise('sgd_step')\n@pytest.mark.points(6)\ndef test_in_place(student):\n    pass\n")
    rows = {r.exercise: r for r in severity(load_assignment(tmp_path), collect_tests(tmp_path / "tests"))}
    assert (rows["sgd_step"].main_points, rows["sgd_step"].points, rows["sgd_step"].ok) == (4, 10, False)
    assert rows["sigmoid"].points == 0 and not rows["sigmoid"].ok
