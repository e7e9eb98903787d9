"""Per-assignment rules of the service: the ``[portal]`` table of assignment.toml, and extensions.

    [portal]
    counts = "last"            # which graded submission counts: "last" (default) or "best"
    close = "2026-12-08T23:59:00+03:00"  # optional hard close: later uploads are refused
    attempts = 10              # optional: submissions allowed per window (grader failures are free)
    attempts_window_hours = 24 # the window of that budget (default: the whole assignment)

The existing ``[late]`` table is applied to the server's receipt time. An extension
(``autograder extend ID --until T``) moves that student's due date and hard close to ``T`` when
later. Visibility of hidden-test details is the ``[gradescope]`` table's ``test_visibility``, the
one setting the Gradescope export uses too: ``visible`` (always), ``after_due_date`` (after the
student's due date), ``after_published`` or ``hidden`` (never to students; TAs see everything).
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from pathlib import Path

from autograder.course.assignment import Assignment
from autograder.course.kinds import Visibility
from autograder.course.late import LatePolicy, parse_time

COUNTS = ("last", "best")


class PolicyError(ValueError):
    """The ``[portal]`` table is wrong (names the file and the key)."""


@dataclass(frozen=True)
class PortalPolicy:
    counts: str = "last"
    close: datetime | None = None
    attempts: int | None = None
    window: timedelta | None = None  # None: the whole assignment
    test_visibility: str = Visibility.VISIBLE


def load_policy(a: Assignment) -> PortalPolicy:
    toml = a.folder / "assignment.toml"
    data = tomllib.loads(Path(toml).read_text(encoding="utf-8"))
    table = data.get("portal", {})
    where = f"{toml} [portal]"
    unknown = set(table) - {"counts", "close", "attempts", "attempts_window_hours"}
    if unknown:
        raise PolicyError(f"{where}: unknown key(s) {', '.join(sorted(unknown))}")
    counts = table.get("counts", "last")
    if counts not in COUNTS:
        raise PolicyError(f"{where}: counts = {counts!r}; use one of {', '.join(COUNTS)}")
    close = table.get("close")
    if close is not None:
        try:
            close = close if isinstance(close, datetime) else parse_time(str(close))
        except ValueError:
            raise PolicyError(f"{where}: close = {close!r} is not an ISO 8601 time") from None
        if close.tzinfo is None:
            raise PolicyError(f"{where}: close needs a UTC offset, e.g. +03:00")
    attempts = table.get("attempts")
    if attempts is not None and (isinstance(attempts, bool) or not isinstance(attempts, int) or attempts < 1):
        raise PolicyError(f"{where}: attempts must be a whole number at least 1 (got {attempts!r})")
    hours = table.get("attempts_window_hours")
    if hours is not None and (isinstance(hours, bool) or not isinstance(hours, int | float) or hours <= 0):
        raise PolicyError(f"{where}: attempts_window_hours must be a number above 0 (got {hours!r})")
    from autograder.export.gradescope_run import SetupError, settings

    try:
        vis = settings(toml)["test_visibility"]
    except SetupError as exc:
        raise PolicyError(str(exc)) from None
    return PortalPolicy(counts, close, attempts, timedelta(hours=hours) if hours else None, vis)


def late_for(late: LatePolicy | None, until: datetime | None) -> LatePolicy | None:
    """The late policy of a student with an extension ``until`` (a later due date, same penalties)."""
    if late is None or until is None or until <= late.due:
        return late
    return replace(late, due=until)


def close_for(p: PortalPolicy, until: datetime | None) -> datetime | None:
    """The hard close for a student with an extension ``until``."""
    if p.close is None or until is None:
        return p.close
    return max(p.close, until)


def tests_visible(p: PortalPolicy, due: datetime | None, at: datetime) -> bool:
    """May a student see hidden-test details at ``at`` (``due``: the student's due date)?"""
    if p.test_visibility == Visibility.VISIBLE:
        return True
    if p.test_visibility == Visibility.AFTER_DUE_DATE:
        return due is None or at > due
    return False
