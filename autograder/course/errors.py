"""Every exception of the grader, in one module.

- The grader cannot do what it was asked (a message for the TA or the instructor, never a student's
  fault): ``GraderError``, ``AssignmentError``, ``GradebookError``, ``ExportError``, ``SetupError``,
  ``StaleStubsError``.
- A submission is not what the grader can read: ``NotebookError`` (its message is for the student),
  ``ProtocolError`` (a malformed message on a worker's channel).
- What can go wrong in student code, as seen from the grading process: ``StudentCodeError`` and its
  family. Each carries a student-facing ``summary`` (in the active language, autograder.course.i18n):
  one sentence that names the function and what happened, never the hidden inputs.

Two kinds stay where their users are. ``autograder.testkit.expect.GradingFailure``, the AssertionError
of a hidden test's verdict, is part of the test authors' API: the hidden tests import it, and moving it
would change them, and so every assignment hash. The worker's own control flow
(``sandbox.worker.calls.CallFailed``, ``MissingSibling``) stays beside student code: only its reports,
plain strings, cross to the trusted side.
"""

from __future__ import annotations

from autograder.course.i18n import _
from autograder.course.kinds import Kind


class GraderError(Exception):
    """The grader itself cannot run (misconfigured tests or assignment)."""


class ClusterError(GraderError):
    """The Dask cluster cannot be used (autograder.cluster): a bad ``--cluster`` value, missing TLS files,
    Dask not installed, a scheduler that went away. The results finished so far are kept."""


class AssignmentError(Exception):
    """The assignment cannot be found or its description is wrong (a grader misconfiguration)."""


class GradebookError(Exception):
    """The gradebook cannot be opened, read or written."""


class ExportError(Exception):
    """An export cannot be written: the assignment does not fit the format (its solution or tests), or
    the grades or the roster cannot be read (one line for the TA)."""


class SetupError(Exception):
    """The Gradescope autograder zip is broken (not the student's fault): results.json says so."""


class StaleStubsError(ValueError):
    """The stubs in assignments/ do not match what the solutions would generate."""


class NotebookError(ValueError):
    """The file is not a notebook the grader can read; the message is for the student."""


class StudentCodeError(Exception):
    """A call into the submission did not produce a usable result."""

    kind = Kind.ERROR

    def __init__(self, function: str, summary: str):
        super().__init__(summary)
        self.function = function
        self.summary = summary


class StudentRaised(StudentCodeError):
    """The student's function raised an exception (NotImplementedError for an untouched stub)."""

    kind = Kind.RAISED

    def __init__(self, function: str, exc_type: str, message: str, location: str):
        where = _(" at {location}").format(location=location) if location else ""
        if exc_type == "NotImplementedError":
            summary = _("{function} is not implemented yet (it raised NotImplementedError{at_location}).")
        elif message:
            summary = _("{function} raised {error}: {message}{at_location}.")
        else:
            summary = _("{function} raised {error}{at_location}.")
        summary = summary.format(function=function, error=exc_type, message=message, at_location=where)
        super().__init__(function, summary)
        self.exc_type = exc_type
        self.message = message
        self.location = location


class StudentTimeout(StudentCodeError):
    kind = Kind.TIMEOUT


class StudentCrashed(StudentCodeError):
    kind = Kind.CRASHED


class StudentImportError(StudentCodeError):
    """A student file could not be imported (syntax error, exception at import, forbidden import)."""

    kind = Kind.IMPORT


class MissingFile(StudentCodeError):
    kind = Kind.MISSING_FILE


class MissingFunction(StudentCodeError):
    kind = Kind.MISSING_FUNCTION


class BadResult(StudentCodeError):
    """The function returned something that is not numbers (or too much of it)."""

    kind = Kind.BAD_RESULT


class ProtocolError(Exception):
    """A message on the worker channel is malformed, too large, or of a forbidden type."""
