"""make goldens rewrites only the golden lists of an expected.toml; the same outcomes give the same file."""

from autograder.devtools.goldens import with_goldens

CASE = '# a case\nlose = ["sgd_step"]\nmistake = "sign error"\n'


def test_goldens_replace_only_their_lists_and_are_stable():
    once = with_goldens(CASE, ["test_optim.py::test_values[N=5]", "a::b"], [])
    assert once == CASE + ('fail = [\n    "a::b",\n    "test_optim.py::test_values[N=5]",\n]\n'
                           'public_fail = []\n')
    assert with_goldens(once, ["a::b", "test_optim.py::test_values[N=5]"], []) == once
    again = with_goldens(once, [], ["x::y"])
    assert again == CASE + 'fail = []\npublic_fail = [\n    "x::y",\n]\n'
