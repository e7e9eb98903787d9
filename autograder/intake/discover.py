"""Finding the students' submissions in a folder: one entry per student.

An entry is a folder ``<id>/``, a ``<id>.zip``, a ``<id>.py`` or a notebook ``<id>.ipynb``; the student
id is the entry's name without that extension. What is read from each entry, and what is refused, is
``autograder.intake.unpack``'s business: a submission carries the vetted files and the notes, and ``prepare``
writes those files into a scratch folder, the only place a worker reads from.

Entries that are not submissions: names starting with "." are ignored; other kinds of files
(``notes.txt``, ``roster.csv``), names that are not valid ids, and a file named like one of the
assignment's (``activations.py``: one student's file, not a student) are skipped with a line for the TA.
An archive the grader cannot open (``alice.rar``, ``alice.tar.gz``) and a symbolic link
are a student with an error, so they appear in the class report. Two entries with the same id
(``alice/`` and ``alice.zip``) are one student with an error: neither is graded, both are named.
"""

from __future__ import annotations

import os
import stat
from dataclasses import replace
from pathlib import Path

from autograder.course.assignment import Assignment
from autograder.course.i18n import N_, _
from autograder.intake.nbgrader import discover_submitted, load_submitted, submitted_folder
from autograder.intake.submission import Submission, id_problem
from autograder.intake.unpack import Limits, Unpacked, content_hash, materialize, show
from autograder.intake.vetcache import VettingCache, submission_of

# Formats students do hand in that this grader does not open: a row with an error, not a skip.
UNSUPPORTED = (".tar.gz", ".tar.bz2", ".tar.xz", ".rar", ".7z", ".tar", ".tgz", ".gz", ".bz2", ".xz")


def describe_files(folder: Path, assignment: Assignment) -> tuple[str, ...]:
    """Notes on missing and unexpected files (the self-check, on the student's own folder)."""
    notes = []
    present = {p.name for p in folder.iterdir() if p.is_file()} if folder.is_dir() else set()
    for name, functions in assignment.files.items():
        if name not in present:
            notes.append(_("{name} was not submitted: {functions} could not be graded.").format(
                name=name, functions=", ".join(functions)))
    extra = sorted(n for n in present if n.endswith(".py") and n not in assignment.files)
    if extra:
        notes.append(_("Files that are not part of the assignment were not graded: {files}.").format(
            files=", ".join(extra)))
    return tuple(notes)


def classify(entry: os.DirEntry | Path, assignment_files: set[str]) -> tuple[str, str, str]:
    """(kind, student id, why skipped) for one entry; kind: folder|zip|py|notebook|link|unsupported|skip."""
    name = entry.name
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return "skip", "", f"{show(name)}: the name is not valid UTF-8 (rename it to the student id); skipped"
    st = os.lstat(entry.path if isinstance(entry, os.DirEntry) else entry)
    lower = name.lower()
    if stat.S_ISDIR(st.st_mode):
        kind, sid = "folder", name
    elif stat.S_ISLNK(st.st_mode):
        kind = "link"
        sid = next((name[: -len(e)] for e in (".zip", ".py", ".ipynb") if lower.endswith(e)), name)
    elif not stat.S_ISREG(st.st_mode):
        return "skip", "", f"{show(name)}: not a folder or a regular file; skipped"
    elif lower.endswith(".zip"):
        kind, sid = "zip", name[:-4]
    elif lower.endswith(".py"):
        if name in assignment_files:
            return "skip", "", (f"{show(name)}: a file of the assignment, not a student (SUBMISSIONS must "
                                f"hold one entry per student, not one student's files); skipped")
        kind, sid = "py", name[:-3]
    elif lower.endswith(".ipynb"):
        kind, sid = "notebook", name[:-6]
    elif lower.endswith(UNSUPPORTED):
        ext = next(e for e in UNSUPPORTED if lower.endswith(e))
        kind, sid = "unsupported", name[:-len(ext)]
    else:
        return "skip", "", f"{show(name)}: not a folder, a .zip or a .py file; skipped"
    why = id_problem(name, sid)
    if why:
        return "skip", "", why
    return kind, sid, ""


def _error_submission(sid: str, folder: Path, source: str, error: str, sentence: str) -> Submission:
    notes = (sentence,)
    return Submission(sid, folder, notes, content_hash((), notes, error), source, error)


def discover(root: Path, assignment: Assignment, limits: Limits | None = None,
             cache: VettingCache | None = None, keep_files: bool = True
             ) -> tuple[list[Submission], list[str]]:
    """Submissions under ``root`` (one entry per student, vetted), and lines about skipped entries.

    ``cache``: verdicts of earlier runs (``intake.vetcache``): an unchanged entry is not read again.
    ``keep_files=False``: the vetted files are dropped (``Submission.lazy``; ``load_files`` reads
    them again when they are needed), so a class's bytes are never all held at once.
    Raises OSError only when ``root`` itself cannot be listed; a problem with one entry is that
    student's error or note, never an exception.
    """
    root = Path(root)
    limits = limits or Limits()
    nbgrader = submitted_folder(root, assignment.name)
    if nbgrader is not None:  # a course collecting with nbgrader: submitted/<student>/<assignment>/
        return discover_submitted(nbgrader, assignment, limits, cache, keep_files)
    with os.scandir(root) as it:
        entries = sorted((e for e in it if not e.name.startswith(".")), key=lambda e: e.name)
    files = assignment.files_map()
    by_id: dict[str, list[tuple[str, os.DirEntry]]] = {}
    skipped = []
    for e in entries:
        try:
            kind, sid, why = classify(e, set(files))
        except OSError as exc:
            kind, sid, why = "skip", "", f"{show(e.name)}: cannot be read ({exc.strerror}); skipped"
        if kind == "skip":
            skipped.append(why)
        else:
            by_id.setdefault(sid, []).append((kind, e))
    subs = []
    for sid, found in sorted(by_id.items()):
        path = Path(found[0][1].path)
        source = ", ".join(e.name + ("/" if k == "folder" else "") for k, e in found)
        if len(found) > 1:
            subs.append(_error_submission(sid, path, source, N_("more than one submission for this id"), (
                _("There is more than one submission for {student}: {entries}. None of them was graded; your "
                  "TA has to keep exactly one.").format(student=show(sid), entries=show(source)))))
            skipped.append(f"{show(sid)}: more than one submission ({show(source)}); none graded")
            continue
        kind, _entry = found[0]
        if kind == "unsupported":
            subs.append(_error_submission(sid, path, source, N_("not a folder, a .zip or a .py file"), (
                _("{name}: this kind of file cannot be graded (submit a folder, a .zip or .py "
                  "files).").format(name=show(source)))))
            continue
        subs.append(_submission(sid, path, source, files, limits, cache, keep_files))
    return subs, skipped


def _submission(sid: str, path: Path, source: str, files: dict, limits: Limits, cache: VettingCache | None,
                keep_files: bool, submitted_at: str = "") -> Submission:
    try:
        return submission_of(sid, path, source, files, limits, cache, keep_files, submitted_at)
    except Exception as exc:  # noqa: BLE001 - one unreadable entry must not stop the batch
        u = Unpacked((), (_("The grader could not read {name} ({error}); your TA sees this.").format(
            name=show(source), error=type(exc).__name__),),
            N_("the submission could not be read (a grader fault)"))
        return Submission(sid, path, u.notes, u.hash, source, u.error, submitted_at)


def load_files(sub: Submission, assignment: Assignment, limits: Limits | None = None) -> Submission:
    """``sub`` with its vetted files: the entry vetted again when discovery did not keep them (its
    hash, notes and error are the new vetting's: the entry may have changed since)."""
    if not sub.lazy:
        return sub
    if sub.source.startswith("submitted/"):  # nbgrader's layout: its own wording of a grader fault
        return load_submitted(sub, assignment, limits or Limits())
    return _submission(sub.student_id, sub.folder, sub.source, assignment.files_map(), limits or Limits(),
                       None, True, sub.submitted_at)


def prepare(sub: Submission, work: Path) -> Submission:
    """Write ``sub``'s vetted files into the new folder ``work/<id>``; the worker reads only that."""
    folder = materialize(sub.files, Path(work) / sub.student_id)
    return replace(sub, folder=folder.resolve(), files=())
