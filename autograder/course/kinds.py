"""The grader's vocabulary as types: a test's status, why it failed, who may see it, and export formats.

Every value is a ``StrEnum``: it is its string everywhere it is written (results.json, the gradebook,
the worker's failure reports), so the serialized values are exactly the strings they replace, and a
string read back compares equal to its member.
"""

from __future__ import annotations

from enum import StrEnum


class Status(StrEnum):
    """``TestResult.status``: Gradescope's test status."""

    PASSED = "passed"
    FAILED = "failed"


class Kind(StrEnum):
    """``TestResult.kind``: why a test failed (``NONE`` when it passed)."""

    NONE = ""
    WRONG = "wrong"  # the result was checked and is wrong (an expectation failed)
    UNUSABLE = "unusable"  # the test could not use the result (it raised on what came back)
    GRADER = "grader"  # a fault in the grader or in the test, not in the student's code
    # A call into the submission gave no usable result (course.errors.StudentCodeError and its family;
    # the worker reports the same kinds).
    ERROR = "error"
    RAISED = "raised"
    TIMEOUT = "timeout"
    CRASHED = "crashed"
    IMPORT = "import"
    MISSING_FILE = "missing-file"
    MISSING_FUNCTION = "missing-function"
    BAD_RESULT = "bad-result"
    PROTOCOL = "protocol"  # the worker could not read a request: a report kind only, graded as ERROR


# Kinds where grading the code hit an error rather than judging a result, in the class report's order.
ERROR_KINDS = (Kind.IMPORT, Kind.MISSING_FILE, Kind.MISSING_FUNCTION, Kind.TIMEOUT, Kind.CRASHED,
               Kind.GRADER, Kind.ERROR, Kind.UNUSABLE, Kind.BAD_RESULT)


class GradeFormat(StrEnum):
    """``autograder export grades --format``: the gradebook file of an LMS, or a plain CSV."""

    MOODLE = "moodle"
    CANVAS = "canvas"
    CSV = "csv"


class Visibility(StrEnum):
    """``TestResult.visibility``: Gradescope's visibility values, from shown soonest to never shown."""

    VISIBLE = "visible"
    AFTER_DUE_DATE = "after_due_date"
    AFTER_PUBLISHED = "after_published"
    HIDDEN = "hidden"
