"""Grades for an LMS gradebook: ``autograder export grades OUT --format moodle|canvas|csv``.

Reads ``OUT/grades.csv`` (what ``autograder grade`` wrote) and, optionally, a roster that maps our
student ids (the submission folders' names) to what the LMS knows. Roster columns, by header (case
and spaces ignored): ``student_id`` (required), and any of ``name``, ``email``, ``sis_id``,
``sis_login_id``, ``canvas_id``, ``idnumber``, ``username``, ``section``.

- **moodle** (Grades > Import > CSV file): ``ID number``, ``Email address``, ``Username`` (those the
  roster has), then one column per grade item -- the assignment's score. On import, "Identify user
  by" maps one of the first columns to the Moodle user field of that name; the score column is mapped
  to the grade item.
- **canvas** (Gradebook > Import): ``Student, ID, SIS User ID, SIS Login ID, Section``, then the
  assignment's column, named ``hw07`` (Canvas creates an assignment) or ``hw07 (12345)`` (Canvas
  updates assignment 12345): pass ``--item``. Canvas matches students by ``ID``, ``SIS User ID`` or
  ``SIS Login ID``; the second row, ``Points Possible``, is the one Canvas's own export writes.
- **csv**: everyone (roster and graded), roster fields, score, max_score and the exercise columns.

Without a roster, our student id is the LMS id (Moodle ``ID number``, Canvas ``SIS User ID``).
Students of the roster who were not graded, and graded students the roster does not know, are never
dropped silently: they are listed in a warning and in ``<file>-unmatched.csv`` beside the export.
LMS files carry only students who are both graded and known (a blank grade would mean "no change"
in Moodle and Canvas, and ungraded is not the same as zero: that is the TA's decision).
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass, field
from pathlib import Path

from autograder.course.errors import ExportError
from autograder.course.files import write_atomic
from autograder.course.kinds import GradeFormat
from autograder.course.outdir import export_name
from autograder.render.csv_cells import read_cell, write_rows

FORMATS = tuple(GradeFormat)
ROSTER_FIELDS = ("student_id", "name", "email", "sis_id", "sis_login_id", "canvas_id", "idnumber",
                 "username", "section")


@dataclass(frozen=True)
class Grade:
    student_id: str
    score: str  # as written in grades.csv ("12.5")
    max_score: str
    columns: tuple[tuple[str, str], ...]  # grades.csv's columns after max_score: exercises, late ...


@dataclass(frozen=True)
class Person:
    """One roster row: our student id and what the LMS knows them by."""

    student_id: str
    fields: dict[str, str] = field(default_factory=dict)  # ROSTER_FIELDS (all but student_id)

    def get(self, key: str) -> str:
        return self.fields.get(key, "")


@dataclass(frozen=True)
class Matched:
    """Graded students joined with the roster; who is missing on either side."""

    rows: tuple[tuple[Person, Grade], ...]  # graded and known (without a roster: everyone graded)
    not_graded: tuple[Person, ...]  # in the roster, no grade
    not_in_roster: tuple[Grade, ...]  # graded, not in the roster
    roster_fields: tuple[str, ...]  # roster columns that have at least one value


@dataclass(frozen=True)
class Export:
    path: Path
    unmatched_path: Path | None
    warnings: tuple[str, ...]
    rows: int  # students in the file


def _key(header: str) -> str:
    return "_".join(header.strip().lower().replace("-", " ").split())


def _read_csv(path: Path, what: str) -> tuple[list[str], list[dict[str, str]]]:
    """(header as written, rows keyed by normalised header)."""
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise ExportError(f"cannot read the {what} {path}: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise ExportError(f"the {what} {path} is not UTF-8 text (save it as CSV UTF-8)") from None
    reader = csv.DictReader(io.StringIO(text))
    if not reader.fieldnames:
        raise ExportError(f"the {what} {path} is empty")
    rows = [{_key(k or ""): (v or "").strip() for k, v in row.items() if k is not None} for row in reader]
    return [h.strip() for h in reader.fieldnames], rows


def read_grades(out: Path) -> tuple[list[Grade], list[str]]:
    """The rows of ``out/grades.csv`` and its columns after max_score (exercises, then late ones)."""
    path = Path(out) / "grades.csv"
    if not path.is_file():
        raise ExportError(f"{path} does not exist: grade the class first (autograder grade ... --out {out})")
    header, rows = _read_csv(path, "grades file")
    if header[:3] != ["student_id", "score", "max_score"]:
        raise ExportError(f"{path} does not start with student_id,score,max_score: not a grades.csv "
                          f"written by autograder grade")
    extra = header[3:]
    grades = [Grade(read_cell(r["student_id"]), r["score"], r["max_score"],
                    tuple((c, r.get(_key(c), "")) for c in extra)) for r in rows if r.get("student_id")]
    return grades, extra


def read_roster(path: Path) -> list[Person]:
    """The roster's rows; ExportError when student_id is missing or repeated."""
    header, rows = _read_csv(path, "roster")
    if "student_id" not in {_key(h) for h in header}:
        raise ExportError(f"the roster {path} needs a student_id column (the names of the submission "
                          f"folders), and any of: {', '.join(ROSTER_FIELDS[1:])}")
    people, seen = [], set()
    for n, row in enumerate(rows, start=2):
        sid = row.get("student_id", "")
        if not sid:
            continue
        if sid in seen:
            raise ExportError(f"{path} line {n}: student_id {sid} appears twice")
        seen.add(sid)
        people.append(Person(sid, {k: row.get(k, "") for k in ROSTER_FIELDS[1:] if row.get(k)}))
    return people


def match(grades: list[Grade], roster: list[Person] | None) -> Matched:
    """Join grades with the roster by student id (exact, after trimming spaces)."""
    if roster is None:
        return Matched(tuple((Person(g.student_id), g) for g in sorted(grades, key=lambda g: g.student_id)),
                       (), (), ())
    by_id = {g.student_id: g for g in grades}
    known = {p.student_id for p in roster}
    rows = tuple((p, by_id[p.student_id]) for p in roster if p.student_id in by_id)
    fields = tuple(f for f in ROSTER_FIELDS[1:] if any(p.get(f) for p in roster))
    return Matched(rows, tuple(p for p in roster if p.student_id not in by_id),
                   tuple(g for g in grades if g.student_id not in known), fields)


def _write(rows: list[list[str]]) -> str:
    """CSV text whose cells cannot run as formulas (roster fields and ids are anyone's text)."""
    return write_rows(rows)


def moodle_csv(m: Matched, item: str) -> str:
    ids = [("ID number", lambda p: p.get("idnumber") or p.get("sis_id") or
            ("" if m.roster_fields else p.student_id)),
           ("Email address", lambda p: p.get("email")),
           ("Username", lambda p: p.get("username"))]
    cols = [(h, f) for h, f in ids if any(f(p) for p, _ in m.rows)] or [ids[0]]
    return _write([[h for h, _ in cols] + [item]]
                  + [[f(p) for _, f in cols] + [g.score] for p, g in m.rows])


def canvas_csv(m: Matched, item: str) -> str:
    max_score = m.rows[0][1].max_score if m.rows else ""
    rows = [["Student", "ID", "SIS User ID", "SIS Login ID", "Section", item],
            ["    Points Possible", "", "", "", "", max_score]]
    for p, g in m.rows:
        sis = p.get("sis_id") or ("" if m.roster_fields else p.student_id)
        rows.append([p.get("name"), p.get("canvas_id"), sis, p.get("sis_login_id"), p.get("section"),
                     g.score])
    return _write(rows)


def plain_csv(m: Matched, columns: list[str]) -> str:
    fields = list(m.roster_fields)
    rows = [["student_id", *fields, "score", "max_score", *columns]]
    everyone = [(p, g) for p, g in m.rows] + [(p, None) for p in m.not_graded] + [
        (Person(g.student_id), g) for g in m.not_in_roster]
    for p, g in sorted(everyone, key=lambda pg: pg[0].student_id):
        values = dict(g.columns) if g else {}
        rows.append([p.student_id, *(p.get(f) for f in fields), g.score if g else "",
                     g.max_score if g else "", *(values.get(c, "") for c in columns)])
    return _write(rows)


def unmatched_csv(m: Matched) -> str:
    rows = [["problem", "student_id", "name", "email", "score"]]
    rows += [["in the roster, not graded", p.student_id, p.get("name"), p.get("email"), ""]
             for p in m.not_graded]
    rows += [["graded, not in the roster", g.student_id, "", "", g.score] for g in m.not_in_roster]
    return _write(rows)


def _assignment_name(out: Path) -> str:
    """The assignment's name from any results.json under ``out`` (else the folder's name)."""
    for p in sorted(Path(out).glob("*/results.json")):
        try:
            return json.loads(p.read_text(encoding="utf-8"))["extra_data"]["assignment"]
        except (OSError, ValueError, KeyError, TypeError):
            continue
    return Path(out).resolve().name


def export_grades(out: Path, fmt: str, roster: Path | None = None, item: str | None = None,
                  dest: Path | None = None) -> Export:
    """Write the ``fmt`` file for the class graded into ``out``; returns where, and the warnings."""
    if fmt not in FORMATS:
        raise ExportError(f"unknown format {fmt!r}: use one of {', '.join(FORMATS)}")
    out = Path(out)
    grades, columns = read_grades(out)
    m = match(grades, read_roster(roster) if roster is not None else None)
    name = _assignment_name(out)
    item = item or name
    text = {GradeFormat.MOODLE: lambda: moodle_csv(m, item), GradeFormat.CANVAS: lambda: canvas_csv(m, item),
            GradeFormat.CSV: lambda: plain_csv(m, columns)}[fmt]()
    dest = Path(dest) if dest is not None else out
    dest.mkdir(parents=True, exist_ok=True)
    path = dest / export_name(name, fmt)
    write_atomic(path, text)
    warnings, side = [], None
    side_path = dest / export_name(name, fmt, unmatched=True)
    if m.not_graded or m.not_in_roster:
        write_atomic(side_path, unmatched_csv(m))
        side = side_path
        if m.not_graded:
            warnings.append(f"{len(m.not_graded)} student(s) in the roster have no grade (no submission "
                            f"was graded): {_some(p.student_id for p in m.not_graded)}")
        if m.not_in_roster:
            warnings.append(f"{len(m.not_in_roster)} graded student(s) are not in the roster"
                            + (" and are not in the LMS file" if fmt != GradeFormat.CSV else "")
                            + f": {_some(g.student_id for g in m.not_in_roster)}")
        warnings.append(f"all of them are listed in {side_path}")
    else:
        side_path.unlink(missing_ok=True)  # a stale list from an earlier export would mislead
    rows = len(m.rows) + (len(m.not_graded) + len(m.not_in_roster) if fmt == GradeFormat.CSV else 0)
    return Export(path, side, tuple(warnings), rows)


def _some(ids, n: int = 10) -> str:
    ids = list(ids)
    return ", ".join(ids[:n]) + (f" ... (+{len(ids) - n})" if len(ids) > n else "")
