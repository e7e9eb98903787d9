"""Which exercise a failed public test counts against, the way grading counts it.

Grading answers the functions an exercise ``uses`` with trusted stand-ins, so a wrong ``sigmoid``
costs points in ``sigmoid`` only. The self-check runs the student's own helpers (the reference is
not shipped), so a wrong ``sigmoid`` also fails ``sigmoid_grad``'s public tests. Such a failure is
attributed to the helper when the helper fails its own public tests: the self-check says "this test
uses your sigmoid, which fails its own tests" instead of reporting a second mistake.
"""

from __future__ import annotations

from autograder.course.assignment import Assignment
from autograder.course.results import SubmissionResult


def failing_functions(r: SubmissionResult, a: Assignment) -> set[str]:
    """The graded functions with a failed test of their own exercise."""
    bad = {t.exercise for t in r.tests if not t.passed}
    return {e.function for e in a.exercises if e.id in bad}


def blamed_helpers(r: SubmissionResult, a: Assignment) -> dict[str, tuple[str, ...]]:
    """Node id of each failed test -> the functions its exercise uses that fail their own tests.

    A helper whose own failures are all blamed on its helpers is not named when one of those is
    (a wrong ``sigmoid`` fails ``sigmoid_grad`` too; ``sigmoid_circuit``'s failures name ``sigmoid``)."""
    failing = failing_functions(r, a)

    def used(t, among):
        ex = a.exercise(t.exercise)
        return tuple(u for u in ex.uses if u != ex.function and u in among)

    failed = [t for t in r.tests if not t.passed]
    own = {e.function for e in a.exercises
           if any(t.exercise == e.id and not used(t, failing) for t in failed)}
    out = {}
    for t in failed:
        helpers = used(t, own) or used(t, failing)
        if helpers:
            out[t.nodeid] = helpers
    return out


def failed_exercises(r: SubmissionResult, a: Assignment) -> tuple[str, ...]:
    """The exercises a self-check's failures count against, in grade-column order: a failed
    test's own exercise, or, when it uses helpers that fail their own tests, theirs."""
    blamed = blamed_helpers(r, a)
    exercise_of = {e.function: e.id for e in a.exercises}
    hit = set()
    for t in r.tests:
        if not t.passed:
            if t.nodeid in blamed:
                hit.update(exercise_of[u] for u in blamed[t.nodeid] if u in exercise_of)
            else:
                hit.add(t.exercise)
    return tuple(e.id for e in a.exercises if e.id in hit)


def attribute(r: SubmissionResult, a: Assignment) -> SubmissionResult:
    """``r`` with each failed test that uses failing helpers saying so first, in the active language."""
    from dataclasses import replace

    from autograder.course.i18n import _

    blamed = blamed_helpers(r, a)
    if not blamed:
        return r
    tests = []
    for t in r.tests:
        helpers = blamed.get(t.nodeid)
        if helpers:
            names = ", ".join(f"`{h}`" for h in helpers)
            note = (_("This test uses your {helper}, which fails its own tests; grading uses a correct "
                      "{helper} here, so fix {helper} first.") if len(helpers) == 1 else
                    _("This test uses your {helpers}, which fail their own tests; grading uses correct "
                      "ones here, so fix them first.")).format(helper=names, helpers=names)
            t = replace(t, feedback=f"{note} {t.feedback}".strip())
        tests.append(t)
    return replace(r, tests=tuple(tests))
