"""The late policy: a due date, a grace period, a penalty per started day late, and a cap.

Per assignment, in assignment.toml::

    [late]
    due = "2026-12-01T23:59:00+03:00"  # ISO 8601 with a UTC offset
    grace_minutes = 15                 # up to this long after the due date is on time (default 0)
    penalty_per_day = 0.10             # a fraction of the assignment's max score, per day late
    max_penalty = 0.50                 # the cap, a fraction of the max score (default 1.0)

Days late: with ``t = submitted - due``, none when ``t <= grace``, else ``ceil((t - grace) / 24 h)``
(partial days round up once the grace period is over). Penalty in points:
``min(days * penalty_per_day, max_penalty) * max_score``, and never more than the raw score, so
``final = raw - penalty >= 0``. The penalty is a fraction of the max score (as an LMS "10% per day"
deduction), not of the score earned: two students equally late lose the same points.

A submission whose time is unknown counts as on time; the TA's summary names it. Submission times
come from ``Submission.submitted_at`` (nbgrader's timestamp.txt, Gradescope's metadata) or from a
CSV the TA supplies (``student_id,submitted_at``), which wins. A time without a UTC offset is read
in the due date's offset.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta, tzinfo
from pathlib import Path

from autograder.course.results import SubmissionResult

DAY = timedelta(days=1)


@dataclass(frozen=True)
class LatePolicy:
    due: datetime  # aware
    grace: timedelta = timedelta(0)
    penalty_per_day: float = 0.0  # fraction of the max score
    max_penalty: float = 1.0  # fraction of the max score


def parse_time(text: str, tz: tzinfo | None = None) -> datetime:
    """An ISO 8601 time ("2026-12-01T23:59:00+03:00", "...Z", "2026-12-01 23:59:00 UTC").

    A time without an offset gets ``tz`` (when given). Raises ValueError.
    """
    s = text.strip()
    if s.upper().endswith(" UTC"):
        s = s[:-4] + "+00:00"
    t = datetime.fromisoformat(s)
    if t.tzinfo is None and tz is not None:
        t = t.replace(tzinfo=tz)
    return t


def parse_policy(table: Mapping, where: str = "[late]") -> LatePolicy:
    """The ``[late]`` table of assignment.toml; ValueError names what is wrong."""
    if not isinstance(table, Mapping):
        raise ValueError(f"{where}: must be a table ([late] with due = ...)")
    unknown = set(table) - {"due", "grace_minutes", "penalty_per_day", "max_penalty"}
    if unknown:
        raise ValueError(f"{where}: unknown key(s) {', '.join(sorted(unknown))}")
    if "due" not in table:
        raise ValueError(f"{where}: 'due' is missing")
    due_text = table["due"]
    due = due_text if isinstance(due_text, datetime) else None  # TOML may hold a datetime value
    if due is None:
        try:
            due = parse_time(str(due_text))
        except ValueError:
            raise ValueError(f"{where}: due = {due_text!r} is not an ISO 8601 time") from None
    if due.tzinfo is None:
        raise ValueError(f"{where}: due = {str(due_text)!r} needs a UTC offset, e.g. +03:00")

    def number(key: str, default: float, hi: float | None) -> float:
        v = table.get(key, default)
        if isinstance(v, bool) or not isinstance(v, int | float) or v < 0 or (hi is not None and v > hi):
            bound = f" and at most {hi:g}" if hi is not None else ""
            raise ValueError(f"{where}: {key} must be a number at least 0{bound} (got {v!r})")
        return float(v)

    return LatePolicy(due, timedelta(minutes=number("grace_minutes", 0, None)),
                      number("penalty_per_day", 0.0, 1.0), number("max_penalty", 1.0, 1.0))


def days_late(policy: LatePolicy, submitted: datetime) -> int:
    """Started days late after the grace period (0: on time or within the grace period)."""
    over = submitted - policy.due - policy.grace
    if over <= timedelta(0):
        return 0
    return math.ceil(over / DAY)


def penalty_points(policy: LatePolicy, days: int, raw: float, max_score: float) -> float:
    """Points taken off: ``min(days * per_day, cap) * max_score``, at most ``raw``."""
    fraction = min(days * policy.penalty_per_day, policy.max_penalty)
    return round(max(0.0, min(raw, fraction * max_score)), 6)


def normalize(text: str, policy: LatePolicy | None) -> str:
    """``text`` as ISO 8601 (in the due date's offset when it had none); ValueError if unreadable."""
    if not text:
        return ""
    return parse_time(text, policy.due.tzinfo if policy else None).isoformat()


def apply_late(r: SubmissionResult, policy: LatePolicy | None, submitted_at: str) -> SubmissionResult:
    """``r`` with its submission time, late days and penalty set (from its raw score).

    ``submitted_at`` is "" when unknown: on time. An unreadable time is treated as unknown (the
    TA's process checks the times before grading and says which were unreadable).
    """
    try:
        when = parse_time(submitted_at, policy.due.tzinfo if policy else None) if submitted_at else None
    except ValueError:
        when = None
    stamp = when.isoformat() if when else ""
    if policy is None or when is None or when.tzinfo is None:
        return replace(r, submitted_at=stamp, due=policy.due.isoformat() if policy else "", late_days=0,
                       late_penalty=0.0)
    days = days_late(policy, when)
    return replace(r, submitted_at=stamp, due=policy.due.isoformat(), late_days=days,
                   late_penalty=penalty_points(policy, days, r.raw_score, r.max_score))


def in_grace(r: SubmissionResult) -> bool:
    """Submitted after the due date but not late (within the grace period)."""
    if not (r.due and r.submitted_at) or r.late_days:
        return False
    try:
        return parse_time(r.submitted_at) > parse_time(r.due)
    except (ValueError, TypeError):
        return False


def read_times(path: Path) -> dict[str, str]:
    """``student_id,submitted_at`` rows of a CSV the TA supplies; ValueError names file and line."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise ValueError(f"cannot read {path}: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise ValueError(f"{path}: not UTF-8 text") from None
    rows = csv.DictReader(text.splitlines())
    if not rows.fieldnames or not {"student_id", "submitted_at"} <= {f.strip() for f in rows.fieldnames}:
        raise ValueError(f"{path}: the first line must name the columns student_id,submitted_at")
    times: dict[str, str] = {}
    for n, row in enumerate(rows, start=2):
        row = {(k or "").strip(): (v or "").strip() for k, v in row.items()}
        sid, when = row["student_id"], row["submitted_at"]
        if not sid:
            continue
        if sid in times:
            raise ValueError(f"{path} line {n}: {sid} appears twice")
        try:
            parse_time(when)
        except ValueError:
            raise ValueError(f"{path} line {n}: {when!r} is not an ISO 8601 time "
                             f"(e.g. 2026-12-01T23:59:00+03:00)") from None
        times[sid] = when
    return times
