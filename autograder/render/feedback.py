"""feedback.md: what a student reads — per exercise, what failed, where, and the likely mistake.

Written in the active language (autograder.course.i18n): the result's texts were composed in it already.
"""

from __future__ import annotations

import re

from autograder.course.i18n import _, ngettext
from autograder.course.late import in_grace, parse_time
from autograder.course.results import SubmissionResult
from autograder.render.grades_csv import fmt

# Inline syntax only: the texts never start a line (they follow "- ", "# ", "| " or a label), and
# line breaks are removed, so headings, lists and quotes cannot start inside them. An underscore inside a
# word ("sigmoid_naive") is no emphasis in CommonMark and stays as it is; "|" matters in table cells only.
_MARKDOWN = re.compile(r"[\\`*\[\]<>~&]|(?<![0-9A-Za-z])_|_(?![0-9A-Za-z])")


def md_text(text: str, cell: bool = False) -> str:
    """``text`` as literal Markdown inline text (``cell``: in a table cell): every character Markdown
    (or HTML in it) would read as syntax is backslash-escaped, line breaks become spaces. File names,
    student ids and texts that came from a worker cannot add links, images, HTML or headings."""
    out = _MARKDOWN.sub(lambda m: "\\" + m[0], " ".join(str(text).splitlines()))
    return out.replace("|", "\\|") if cell else out


def feedback_md(r: SubmissionResult, title: str = "") -> str:
    """Every text that is not ours (ids, notes, test outputs) is escaped with ``md_text``."""
    lines = ["# " + _("{title}: feedback for {student}").format(title=_(title or r.assignment),
                                                                  student=md_text(r.student_id)), "",
             "**" + _("Score: {score} / {max_score}").format(score=fmt(r.score), max_score=fmt(r.max_score))
             + "**", ""]
    late = late_line(r)
    if late:
        lines += [late, ""]
    if r.error:
        error = md_text(_(r.error))
        lines += ["> " + _("Your submission could not be graded: {error}").format(error=error), ""]
    if r.notes:
        lines += ["## " + _("About your submission"), ""] + [f"- {md_text(n)}" for n in r.notes] + [""]
    lines += [f"| {_('exercise')} | {_('points')} |", "|---|---|"]
    core = " " + _("(core)")
    lines += [f"| {md_text(e.id, cell=True)}{core if e.core else ''} | {fmt(e.score)} / {fmt(e.max_score)} |"
              for e in r.exercises]
    lines.append("")
    for e in r.exercises:
        failed = [t for t in r.tests if t.exercise == e.id and not t.passed]
        if not failed:
            continue
        lines += [f"## {md_text(e.id)}", ""]
        for t in failed:
            lines.append(f"- **{md_text(t.name)}** (−{fmt(t.max_score)}): {md_text(t.feedback)}")
        lines.append("")
    if all(t.passed for t in r.tests) and r.tests:
        lines += [_("Everything passed. Well done!"), ""]
    return "\n".join(lines)


def _when(iso: str) -> str:
    """'2026-12-03T11:59:00+03:00' -> '2026-12-03 11:59 +03:00' (seconds only when not zero)."""
    t = parse_time(iso)
    fmt_ = "%Y-%m-%d %H:%M:%S" if t.second or t.microsecond else "%Y-%m-%d %H:%M"
    off = t.strftime("%z")
    return t.strftime(fmt_) + (f" {off[:3]}:{off[3:]}" if off else "")


def late_line(r: SubmissionResult) -> str:
    """One line on the late policy: the penalty and why, or that the grace period applied."""
    if r.late_days:
        days = ngettext("{n} day", "{n} days", r.late_days).format(n=r.late_days)
        return (_("**Late penalty: −{penalty} points.** Submitted {submitted}, due {due}: {days} late "
                  "(a started day counts as a whole one); the tests gave {raw} / {max_score} before the "
                  "penalty.")
                .format(penalty=fmt(r.late_penalty), submitted=_when(r.submitted_at), due=_when(r.due),
                        days=days, raw=fmt(r.raw_score), max_score=fmt(r.max_score)))
    if in_grace(r):
        return (_("Submitted {submitted}, after the due date {due} but within the grace period: no late "
                  "penalty.").format(submitted=_when(r.submitted_at), due=_when(r.due)))
    return ""
