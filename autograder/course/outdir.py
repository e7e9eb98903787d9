"""The results folder OUT: which names in it are the grader's (files are written by ``course.files``).

Class-level names (DESIGN "Contracts"): every file and folder the grader writes at the top of OUT is
listed here, and the writers take their names from here, so a student id can never take one of them
(``is_reserved``; tests/test_outdir.py checks the list against what a real run writes).
"""

from __future__ import annotations

import re

from autograder.course.kinds import GradeFormat

GRADES_CSV = "grades.csv"  # grading.batch
REPORT_HTML = "report.html"  # reports.class_report
ITEM_ANALYSIS_CSV = "item_analysis.csv"  # reports.class_report
WORK = ".work"  # grading.batch: the vetted copies the workers read, the grading processes' logs
LOCK = ".lock"  # grading.batch: held while a run writes into OUT
CLASS_FILES_KEY = ".class-files.key"  # reports.class_report: what the class files were made of
FINGERPRINTS_FILE = ".fingerprints.npz"  # reports.class_report: similarity fingerprints, kept between runs
VETTING_CACHE = ".vetting-cache"  # intake.vetcache: verdicts by entry and stat, kept between runs
GRADEBOOK = ".gradebook.sqlite"  # records.gradebook (and SQLite's -journal, -wal, -shm beside it)
EXPORT_FORMATS = tuple(str(f) for f in GradeFormat)  # export.lms: <assignment>-<format>[-unmatched].csv

RESERVED = frozenset({GRADES_CSV, REPORT_HTML, ITEM_ANALYSIS_CSV, WORK, LOCK, GRADEBOOK, CLASS_FILES_KEY,
                      FINGERPRINTS_FILE, VETTING_CACHE})
_EXPORT = re.compile(r".+-(?:" + "|".join(EXPORT_FORMATS) + r")(?:-unmatched)?\.csv")


def export_name(assignment: str, fmt: str, unmatched: bool = False) -> str:
    """The file ``autograder export grades`` writes into OUT."""
    return f"{assignment}-{fmt}{'-unmatched' if unmatched else ''}.csv"


def is_reserved(name: str) -> bool:
    """``name`` is (or could be, on a case-insensitive file system) a class-level name of OUT: a
    student id must not be one. Names starting with "." (work space, lock, gradebook, temporary
    files) are all the grader's."""
    folded = name.casefold()
    return (name.startswith(".") or folded in {r.casefold() for r in RESERVED}
            or _EXPORT.fullmatch(folded) is not None)
