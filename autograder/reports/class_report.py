"""The class files for humans: ``OUT/report.html`` and ``OUT/item_analysis.csv``.

Statistics come from ``analysis``, groups of similar submissions from ``similarity`` (on the vetted
files the grader read, compared against the stubs and, when the course has it, the solution), formatting from
``render.report`` and ``render.item_analysis_csv``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from pathlib import Path

from autograder import __version__
from autograder.course import i18n
from autograder.course.assignment import Assignment
from autograder.course.files import write_atomic
from autograder.course.i18n import _
from autograder.course.outdir import CLASS_FILES_KEY, FINGERPRINTS_FILE, ITEM_ANALYSIS_CSV, REPORT_HTML
from autograder.course.results import SubmissionResult
from autograder.reports.analysis import NEGATIVE_DISCRIMINATION, ClassStatsBuilder

# similarity (numpy) and render.report (jinja2) are imported only when the class files are rebuilt.
REPORT, ITEMS = REPORT_HTML, ITEM_ANALYSIS_CSV
KEY = CLASS_FILES_KEY  # the hash of what report.html and item_analysis.csv were made of
FINGERPRINTS = FINGERPRINTS_FILE  # similarity fingerprints by file hash, kept between runs (not in .work/)

Files = Mapping[str, Sequence[tuple[str, bytes]]] | Iterable[tuple[str, Sequence[tuple[str, bytes]]]]


class ReportFeed:
    """What the class files are made of, one result at a time (a result is not kept: its statistics
    are reduced to numbers, its results.json text to a digest)."""

    def __init__(self) -> None:
        self.stats = ClassStatsBuilder()
        self.digests: list[tuple[str, bytes]] = []

    def add(self, r: SubmissionResult, text: str | None = None) -> None:
        """``r`` and its results.json ``text`` (default: rendered from ``r``, as the store writes it)."""
        if text is None:
            from autograder.render.gradescope import dumps

            text = dumps(r)
        self.digests.append((r.student_id, hashlib.sha256(text.encode("utf-8")).digest()))
        # A result's error is a fixed English phrase (grading.GRADER_FAILED, unpack's): shown translated.
        self.stats.add(replace(r, error=_(r.error)) if r.error else r)

    def digest(self) -> bytes:
        """Of every result's text, in student order: equal digests, equal results."""
        h = hashlib.sha256()
        for sid, d in sorted(self.digests, key=lambda x: x[0]):
            h.update(sid.encode("utf-8", "surrogatepass") + b"\0" + d)
        return h.digest()


def baseline(a: Assignment, course_root: Path | None) -> list[dict[str, bytes]]:
    """The stubs, and the solution when ``course_root/solutions/<name>/`` exists (its markers are
    comments, which the comparison ignores)."""
    folders = [a.folder] + ([Path(course_root) / "solutions" / a.name] if course_root is not None else [])
    out = []
    for folder in folders:
        files = {f: (folder / f).read_bytes() for f in a.files if (folder / f).is_file()}
        if files:
            out.append(files)
    return out


def write_class_report(out: Path, results: Sequence[SubmissionResult], a: Assignment,
                       files: Files | None = None, course_root: Path | None = None,
                       max_groups: int | None = None) -> tuple[Path, Path]:
    """Write report.html (in the active language) and item_analysis.csv into ``out``; ``files``: student
    id -> the vetted (name, content) pairs of the submission (None: the similarity section says it was
    not computed); ``max_groups``: similar groups listed at most (default ``similarity.MAX_GROUPS``)."""
    feed = ReportFeed()
    for r in results:
        feed.add(r)
    return write_class_report_of(out, feed, a, files, course_root, max_groups)


def write_class_report_of(out: Path, feed: ReportFeed, a: Assignment, files: Files | None = None,
                          course_root: Path | None = None, max_groups: int | None = None
                          ) -> tuple[Path, Path]:
    """``write_class_report`` from a ``ReportFeed`` of every result; ``files`` may be an iterable of
    (student id, files) pairs, read one student at a time and only when the files are rebuilt."""
    out = Path(out)
    base = baseline(a, course_root)
    key = _key(feed.digest(), a, base, files is not None, max_groups)
    try:
        if (out / KEY).read_text(encoding="utf-8") == key and (out / REPORT).is_file() \
                and (out / ITEMS).is_file():
            return out / REPORT, out / ITEMS  # made of these very results: nothing to rebuild
    except OSError:
        pass
    from autograder.render.item_analysis_csv import item_analysis_csv
    from autograder.render.report import ReportInput, report_html_parts
    from autograder.reports import similarity

    (out / KEY).unlink(missing_ok=True)
    stats = feed.stats.finish()
    groups = None
    if files is not None:
        pairs = files.items() if isinstance(files, Mapping) else files
        subs = ((sid, {name: data for name, data in fs if name in a.files}) for sid, fs in pairs)
        cache = similarity.FingerprintCache(out / FINGERPRINTS)
        groups = similarity.similar_groups(((sid, fs) for sid, fs in subs if fs), base,
                                           max_groups=max_groups or similarity.MAX_GROUPS, cache=cache)
        cache.save()
    html = report_html_parts(ReportInput(_(a.title), stats, groups, NEGATIVE_DISCRIMINATION,
                                         similarity.THRESHOLD, similarity.K, i18n.current()))
    write_atomic(out / ITEMS, item_analysis_csv(stats.items))
    write_atomic(out / REPORT, html)  # written as it is rendered
    write_atomic(out / KEY, key)
    return out / REPORT, out / ITEMS


def _key(results: bytes, a: Assignment, base: list[dict[str, bytes]], with_files: bool,
         max_groups: int | None) -> str:
    """What the class files are made of: every result (its submission hash stands for its files),
    the baseline, the language, the grader's version and the sources that render them. Equal keys, equal
    files."""
    lang = i18n.current()
    h = hashlib.sha256(f"{__version__}|{lang}|{a.name}|{with_files}|{max_groups}".encode())
    package = Path(__file__).resolve().parents[1]  # the code, templates and texts they are made by
    makers = sorted(p for d in ("render", "reports") for p in (package / d).rglob("*")
                    if p.suffix in (".py", ".j2", ".js"))
    for part in (*makers, package / "locale" / lang / "LC_MESSAGES" / "autograder.mo"):
        h.update(str(part.relative_to(package)).encode() + b"\0")
        h.update(part.read_bytes() if part.is_file() else b"-")
    for files in base:
        for name in sorted(files):
            h.update(name.encode() + b"\0" + hashlib.sha256(files[name]).digest())
    h.update(results)
    return h.hexdigest()
