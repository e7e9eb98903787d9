"""What can go wrong in student code, as seen from the grading process.

Each error carries a student-facing ``summary`` (in the active language, autograder.course.i18n): one
sentence that names the function and what happened, never the hidden inputs.
"""

from __future__ import annotations

from autograder.course.i18n import _


class StudentCodeError(Exception):
    """A call into the submission did not produce a usable result."""

    kind = "error"

    def __init__(self, function: str, summary: str):
        super().__init__(summary)
        self.function = function
        self.summary = summary


class StudentRaised(StudentCodeError):
    """The student's function raised an exception (NotImplementedError for an untouched stub)."""

    kind = "raised"

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
    kind = "timeout"


class StudentCrashed(StudentCodeError):
    kind = "crashed"


class StudentImportError(StudentCodeError):
    """A student file could not be imported (syntax error, exception at import, forbidden import)."""

    kind = "import"


class MissingFile(StudentCodeError):
    kind = "missing-file"


class MissingFunction(StudentCodeError):
    kind = "missing-function"


class BadResult(StudentCodeError):
    """The function returned something that is not numbers (or too much of it)."""

    kind = "bad-result"


class ProtocolError(Exception):
    """A message on the worker channel is malformed, too large, or of a forbidden type."""
