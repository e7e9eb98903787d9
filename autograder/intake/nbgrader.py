"""Submissions collected by nbgrader: ``submitted/<student_id>/<assignment>/``, with ``timestamp.txt``.

A course that collects with nbgrader (``nbgrader collect``, ``nbgrader zip_collect``) is graded by
pointing ``autograder grade`` at the course root (the folder with ``submitted/`` and
``nbgrader_config.py``, ``gradebook.db`` or ``source/``) or at ``submitted/`` itself. Each student
folder's ``<assignment>/`` subfolder is that student's submission (a notebook, or .py files), graded
like any other; students without it did not submit this assignment and are listed as skipped.

The submission time is read from ``timestamp.txt`` into ``Submission.submitted_at`` as ISO 8601 with
a UTC offset. nbgrader writes it with ``Exchange.timestamp_format`` (default
``%Y-%m-%d %H:%M:%S.%f %Z``, e.g. ``2026-11-27 09:06:25.123456 UTC``) or, from ``zip_collect``, as
``datetime.isoformat(" ")``. A zone is a numeric offset, ``UTC``/``GMT``/``Z``, an IANA name, or
one of a few common abbreviations (``MSK`` = +03:00, ``CET`` ...); a time without a zone is UTC,
as nbgrader reads it. A time that cannot be read is left unknown, with a line for the TA.
"""

from __future__ import annotations

import os
import re
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

from autograder.course.assignment import Assignment
from autograder.course.i18n import N_, _
from autograder.intake.submission import Submission, id_problem
from autograder.intake.unpack import Limits, Unpacked, show
from autograder.intake.vetcache import VettingCache, submission_of

COURSE_MARKERS = ("nbgrader_config.py", "gradebook.db", "source")
TIMESTAMP = "timestamp.txt"
# Abbreviations %Z gives for zones a course is likely to set (nbgrader's Exchange.timezone); an
# abbreviation that names several zones (CST, IST) is not guessed.
ABBREVIATIONS = {
    "UTC": 0, "GMT": 0, "Z": 0, "UT": 0, "WET": 0, "WEST": 1, "CET": 1, "CEST": 2, "EET": 2, "EEST": 3,
    "MSK": 3, "SAMT": 4, "YEKT": 5, "OMST": 6, "KRAT": 7, "IRKT": 8, "YAKT": 9, "VLAT": 10, "MAGT": 11,
    "PETT": 12, "EST": -5, "EDT": -4, "CDT": -5, "MST": -7, "MDT": -6, "PST": -8, "PDT": -7,
}
_OFFSET = re.compile(r"([+-])(\d{2}):?(\d{2})")


def submitted_folder(root: Path, assignment: str) -> Path | None:
    """nbgrader's ``submitted/`` folder when ``root`` is an nbgrader course root or that folder itself."""
    root = Path(root)
    sub = root / "submitted"
    if sub.is_dir() and not sub.is_symlink() and any((root / m).exists() for m in COURSE_MARKERS):
        return sub
    try:
        with os.scandir(root) as it:
            students = [Path(e.path) for e in it if e.is_dir(follow_symlinks=False) and e.name[:1] != "."]
    except OSError:
        return None
    if root.name == "submitted" and any((s / assignment).is_dir() for s in students):
        return root
    if any((s / assignment / TIMESTAMP).is_file() for s in students):
        return root
    return None


def parse_timestamp(text: str) -> datetime:
    """An nbgrader timestamp as an aware datetime; ValueError when it is not one."""
    t = " ".join(text.split())
    if not t:
        raise ValueError("it is empty")
    base, _, zone = t.rpartition(" ")
    if base and zone.isalpha() and zone.upper() not in ABBREVIATIONS:
        raise ValueError(f"the time zone {zone!r} is not one the grader can tell apart; set nbgrader's "
                         f"Exchange.timezone to UTC or an offset")
    if base and (zone.upper() in ABBREVIATIONS or _OFFSET.fullmatch(zone) or "/" in zone):
        when = datetime.fromisoformat(base)
        if when.tzinfo is not None:
            raise ValueError("it has two time zones")
        return when.replace(tzinfo=_zone(zone))
    when = datetime.fromisoformat(t)  # ISO 8601, with an offset or none
    return when if when.tzinfo is not None else when.replace(tzinfo=UTC)


def _zone(name: str):
    if name.upper() in ABBREVIATIONS:
        return timezone(timedelta(hours=ABBREVIATIONS[name.upper()]))
    m = _OFFSET.fullmatch(name)
    if m:
        minutes = int(m[2]) * 60 + int(m[3])
        return timezone(timedelta(minutes=-minutes if m[1] == "-" else minutes))
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"the time zone {name!r} is unknown") from None


def read_timestamp(folder: Path) -> tuple[str, str]:
    """(ISO 8601 time, '') from ``folder/timestamp.txt``; ('', why) when it is missing or unreadable."""
    path = Path(folder) / TIMESTAMP
    try:
        if path.is_symlink() or not path.is_file():
            return "", f"no {TIMESTAMP}"
        with open(path, "rb") as f:
            raw = f.read(200)
        text = raw.decode("utf-8", errors="replace").strip()
        return parse_timestamp(text).isoformat(), ""
    except OSError as exc:
        return "", f"{TIMESTAMP} could not be read ({exc.strerror or type(exc).__name__})"
    except ValueError as exc:
        return "", f"{TIMESTAMP} says {show(text)!r}, which is not a time ({exc})"


def discover_submitted(submitted: Path, assignment: Assignment, limits: Limits | None = None,
                       cache: VettingCache | None = None, keep_files: bool = True
                       ) -> tuple[list[Submission], list[str]]:
    """One submission per ``submitted/<student>/<assignment>/``, and lines for the TA (what was skipped,
    submission times that could not be read)."""
    submitted = Path(submitted)
    name = assignment.name
    with os.scandir(submitted) as it:
        entries = sorted((e for e in it if not e.name.startswith(".")), key=lambda e: e.name)
    subs, lines = [], []
    for e in entries:
        sid = e.name
        if not e.is_dir(follow_symlinks=False):
            lines.append(f"{show(sid)}: not a student folder of nbgrader's submitted/; skipped")
            continue
        why = id_problem(sid, sid)
        if why:
            lines.append(why)
            continue
        folder = Path(e.path) / name
        if not folder.is_dir() or folder.is_symlink():
            lines.append(f"{show(sid)}: no {name}/ in submitted/{show(sid)}/ (nothing submitted for "
                         f"{name}); skipped")
            continue
        when, why = read_timestamp(folder)
        if why and why != f"no {TIMESTAMP}":
            lines.append(f"{show(sid)}: {why}; the submission time is unknown")
        subs.append(_submission(sid, folder, f"submitted/{sid}/{name}/", assignment.files_map(),
                                limits or Limits(), cache, keep_files, when))
    return subs, lines


def _submission(sid: str, folder: Path, source: str, files: dict, limits: Limits, cache: VettingCache | None,
                keep_files: bool, when: str) -> Submission:
    try:
        return submission_of(sid, folder, source, files, limits, cache, keep_files, when)
    except Exception as exc:  # noqa: BLE001 - one unreadable entry must not stop the batch
        why = _("The grader could not read your submission ({error}); your TA sees this.")
        u = Unpacked((), (why.format(error=type(exc).__name__),),
                     N_("the submission could not be read (a grader fault)"))
        return Submission(sid, folder, u.notes, u.hash, source, u.error, when)


def load_submitted(sub: Submission, assignment: Assignment, limits: Limits) -> Submission:
    """``discover.load_files`` of a submission found in nbgrader's layout."""
    return _submission(sub.student_id, sub.folder, sub.source, assignment.files_map(), limits, None, True,
                       sub.submitted_at)
