"""`autograder mutants`: mutants of the solution's graded regions, graded; and hw07's bar.

The slow tests run the command once on hw07 (every mutant graded in one batch with the hidden
tests, through the public tests, and probed) and hold hw07 to its bar: the hidden tests kill at
least 95% of the non-equivalent mutants in every exercise, each in its own exercise (no leaks),
and a public failure always costs hidden points in the same exercise.
"""

from __future__ import annotations

import ast
import json
from importlib.metadata import version

import pytest
from tiny_course import REPO

from autograder.author.mutants import LIBRARY, generate
from autograder.author.splice import graded_regions, solution_files
from autograder.cli import main
from autograder.course.assignment import find_assignment

A, _SECRETS = find_assignment(REPO, "hw07")
BAR = 0.95


def test_mutants_change_one_graded_region_each():
    mutants = generate(REPO, A)
    solution = solution_files(REPO, "hw07", list(A.files))
    assert len(mutants) >= 200
    assert len({m.id for m in mutants}) == len(mutants)
    assert {m.exercise for m in mutants} == {e.id for e in A.exercises}
    for m in mutants:
        ast.parse(m.source)  # a mutant is valid Python
        assert m.source != solution[m.file], m.id
        regions = graded_regions((REPO / "solutions/hw07" / m.file).read_text(encoding="utf-8"), m.file)
        assert any(r.first <= m.line <= r.last and r.function == m.function for r in regions), m.diff
        for other, text in solution.items():  # the other files are the solution's
            assert other == m.file or text == solution[other]


def test_operators_are_mutmuts():
    """mutmut is pinned (its operators are used through internal module paths)."""
    assert LIBRARY == "mutmut" and version("mutmut") == "3.8.1"
    kinds = {(m.before, m.after) for m in generate(REPO, A) if m.exercise == "sgd_step"}
    line = "params[name] -= lr * np.asarray(grads[name], dtype=np.float64)"
    assert (line, line.replace("-=", "+=")) in kinds  # gradient ascent
    assert (line, line.replace("-=", "=")) in kinds  # the update replaced


@pytest.fixture(scope="module")
def analysed(tmp_path_factory):
    out = tmp_path_factory.mktemp("mutants")
    import contextlib
    import io

    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        code = main(["mutants", "hw07", "--course", str(REPO), "--out", str(out), "--jobs", "2",
                     "--fail-under", str(100 * BAR)])
    return code, printed.getvalue(), out, json.loads((out / "mutants.json").read_text(encoding="utf-8"))


@pytest.mark.slow
def test_the_command_prints_the_kill_rate_and_writes_the_reports(analysed):
    code, printed, out, doc = analysed
    assert code == 0, printed
    assert "hidden tests kill" in printed and "public tests kill" in printed
    md = (out / "mutants.md").read_text(encoding="utf-8")
    html = (out / "mutants.html").read_text(encoding="utf-8")
    assert md.startswith("# Mutation analysis of hw07's tests")
    assert "<h2>Per exercise</h2>" in html and html.rstrip().endswith("</html>")
    assert (out / "hidden" / "report.html").is_file()  # the mutants' grading, as a class report
    assert doc["library"] == "mutmut 3.8.1" and len(doc["mutants"]) == doc["totals"]["mutants"] >= 200
    for e in doc["exercises"]:
        assert f"`{e['exercise']}`" in md and e["exercise"] in html


@pytest.mark.slow
def test_hidden_tests_kill_the_bar_in_every_exercise_without_leaks(analysed):
    _code, _printed, _out, doc = analysed
    for e in [*doc["exercises"], doc["totals"]]:
        rate = e["hidden_kill_rate"]
        assert rate is not None and rate >= BAR, (e["exercise"], rate)
        assert e["hidden"]["killed elsewhere only"] == 0, e["exercise"]


@pytest.mark.slow
def test_every_survivor_is_shown_with_an_input_that_differs(analysed):
    _code, _printed, out, doc = analysed
    md = (out / "mutants.md").read_text(encoding="utf-8")
    for m in doc["mutants"]:
        if m["hidden"] in ("survived", "killed elsewhere only") or m["public"] in ("survived",
                                                                                    "killed elsewhere only"):
            assert m["difference"] and f"{m['id']} ({m['exercise']})" in md, m["id"]
        if m["hidden"] == "likely equivalent":
            assert not m["difference"] and not m["hidden_lost"], m["id"]


@pytest.mark.slow
def test_a_public_failure_always_costs_hidden_points_in_the_same_exercise(analysed):
    """Over the mutant corpus: the self-check never fails an exercise that grading gives full marks
    (a failure that names a failing helper counts for the helper's exercise)."""
    _code, _printed, _out, doc = analysed
    bad = [(m["id"], e, m["hidden_lost"]) for m in doc["mutants"] for e in m["public_failed"]
           if e not in m["hidden_lost"]]
    assert not bad, bad
