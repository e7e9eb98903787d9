"""A TA's pages: the class at a glance, a student's attempts, the class report, the downloads
(grades.csv, Moodle, Canvas), extensions, and the regrade with its before/after preview. Every
handler answers 404 to anyone who is not staff (a student learns nothing from these URLs)."""

from __future__ import annotations

import re
import tempfile
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy.orm import Session
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response

from autograder.course.i18n import N_
from autograder.portal.web import regrade as rg
from autograder.portal.web.auth_pages import posted
from autograder.portal.web.common import (
    Visitor,
    config,
    error,
    in_db,
    redirect,
    render,
    secure_headers,
    visitor,
)
from autograder.portal.web.templating import catalogue

BAD_TIME = N_("Give the new due date as a date and time, e.g. 2026-12-08T23:59.")
NO_STUDENT = N_("There is no student {id}.")


def staff(request: Request) -> tuple[Visitor, Response | None]:
    v = visitor(request)
    if v.user is None:
        return v, redirect(request, "/signin?next=" + request.url.path, v)
    if not v.user.staff:
        return v, error(request, v, 404)
    return v, None


def staff_assignment(request: Request):
    """The staff visitor and the assignment the path names; or the response that sends the visitor
    away (sign-in, or 404 for a student or an unknown assignment)."""
    v, away = staff(request)
    if away:
        return v, None, away
    a = config(request).backend.assignment(request.path_params["assignment"])
    return v, a, (None if a else error(request, v, 404))


def overview(request: Request) -> Response:
    v, away = staff(request)
    if away:
        return away
    return render(request, v, "ta_home.html.j2", assignments=config(request).backend.assignments())


def class_page(request: Request) -> Response:
    v, a, away = staff_assignment(request)
    if away:
        return away
    b = config(request).backend
    rows = b.class_rows(a.name)
    counts = {
        "students": len(rows),
        "submitted": sum(1 for _u, s, _n in rows if s),
        "graded": sum(1 for _u, s, _n in rows if s and s.counts),
        "waiting": sum(1 for _u, s, _n in rows if s and s.status in ("queued", "grading")),
        "failed": sum(1 for _u, s, _n in rows if s and s.status == "failed"),
        "late": sum(1 for _u, s, _n in rows if s and s.late),
    }
    scores = [s.score for _u, s, _n in rows if s and s.counts and s.score is not None]
    mean = sum(scores) / len(scores) if scores else None
    latest = in_db(request, lambda db: rg.latest(db, a.name))
    return render(
        request,
        v,
        "ta_class.html.j2",
        a=a,
        rows=rows,
        counts=counts,
        mean=mean,
        max_score=next((s.max_score for _u, s, _n in rows if s and s.max_score), None),
        latest_regrade=latest,
    )


def student_page(request: Request) -> Response:
    v, a, away = staff_assignment(request)
    if away:
        return away
    b = config(request).backend
    student = b.user(request.path_params["student"])
    if student is None or student.staff:
        return error(request, v, 404)
    return render(
        request,
        v,
        "ta_student.html.j2",
        a=a,
        student=student,
        history=b.submissions(student.id, a.name),
        extension=next((e for e in b.extensions(a.name) if e.student_id == student.id), None),
    )


def class_report(request: Request) -> Response:
    """report.html of the counting submissions, with its own CSP (its script is inline, by hash)."""
    v, a, away = staff_assignment(request)
    if away:
        return away
    cfg = config(request)
    html = _report_html(cfg, a.name, v.lang)
    match = re.search(r'http-equiv="Content-Security-Policy" content="([^"]+)"', html)
    csp = (match.group(1) if match else "default-src 'none'") + "; frame-ancestors 'none'; base-uri 'none'"
    return secure_headers(Response(html, media_type="text/html; charset=utf-8"), request, csp=csp)


def _report_html(cfg, name: str, lang: str) -> str:
    import json

    from autograder.course import i18n
    from autograder.course.assignment import find_assignment
    from autograder.render.gradescope import from_gradescope
    from autograder.render.report import ReportInput, environment, report_html
    from autograder.reports import similarity
    from autograder.reports.analysis import NEGATIVE_DISCRIMINATION, class_stats

    a, secrets = find_assignment(cfg.backend.course.root, name)
    results = [
        from_gradescope(json.loads(doc))
        for _sid, _score, doc, _h in sorted(cfg.backend.counting_results(name).values(), key=lambda x: x[0])
    ]
    t = i18n.translations(lang, (secrets.locale, a.locale))
    return report_html(
        ReportInput(
            t.gettext(a.title),
            class_stats(results),
            None,
            NEGATIVE_DISCRIMINATION,
            similarity.THRESHOLD,
            similarity.K,
            lang,
        ),
        env=environment(t),
    )


def download(request: Request) -> Response:
    """grades.csv (the contract of ``autograder grade``), or the Moodle / Canvas import built from it and
    the roster the portal knows (autograder.export.lms)."""
    v, a, away = staff_assignment(request)
    if away:
        return away
    fmt = request.path_params["fmt"]
    b = config(request).backend
    text = b.grades_csv(a.name)
    if fmt != "grades":
        from autograder.export import lms

        with tempfile.TemporaryDirectory(prefix="ag-export-") as tmp:
            Path(tmp, "grades.csv").write_text(text, encoding="utf-8")
            grades, _columns = lms.read_grades(Path(tmp))
        # Our id is the LMS's id number (Moodle) and SIS user id (Canvas), as without a roster.
        people = [
            lms.Person(
                u.id,
                {
                    k: val
                    for k, val in (("idnumber", u.id), ("sis_id", u.id), ("name", u.name), ("email", u.email))
                    if val
                },
            )
            for u in b.students()
        ]
        matched = lms.match(grades, people)
        text = lms.moodle_csv(matched, a.name) if fmt == "moodle" else lms.canvas_csv(matched, a.name)
    response = Response(
        text,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{a.name}-{fmt}.csv"'},
    )
    return secure_headers(response, request)


def extensions_page(request: Request, problem: str = "", status: int = 200) -> Response:
    v, a, away = staff_assignment(request)
    if away:
        return away
    b = config(request).backend
    return render(
        request,
        v,
        "ta_extensions.html.j2",
        status=status,
        a=a,
        extensions=b.extensions(a.name),
        students=b.students(),
        problem=problem,
    )


def _set_extension(request: Request, v: Visitor, form: FormData) -> Response:
    v, a, away = staff_assignment(request)
    if away:
        return away
    b = config(request).backend
    t = catalogue(v.lang)
    sid = str(form.get("student_id") or "").strip()
    student = b.user(sid)
    if student is None or student.staff:
        return extensions_page(request, t.gettext(NO_STUDENT).format(id=sid[:100]), 422)
    if form.get("remove"):
        b.set_extension(sid, a.name, None, v.user.id)
    else:
        try:
            until = parse_local(str(form.get("until") or ""), config(request).display_tz)
        except ValueError:
            return extensions_page(request, t.gettext(BAD_TIME), 422)
        b.set_extension(sid, a.name, until, v.user.id)
    return redirect(request, f"/ta/{a.name}/extensions")


def parse_local(text: str, tz) -> datetime:
    """A datetime-local input ('2026-12-08T23:59') in the portal's display zone, or with its own offset."""
    text = text.strip()
    if not text or len(text) > 40:
        raise ValueError(text)
    t = datetime.fromisoformat(text)
    return (t if t.tzinfo else t.replace(tzinfo=tz or UTC)).astimezone(UTC)


def regrade_page(request: Request) -> Response:
    v, a, away = staff_assignment(request)
    if away:
        return away
    rid = request.path_params.get("rid")
    if rid is None:
        rid = in_db(request, lambda db: rg.latest(db, a.name))
        if rid is None:
            return render(
                request, v, "ta_regrade.html.j2", a=a, p=None, tests_changed=_tests_changed(request, a)
            )
    try:
        rid = int(rid)
    except ValueError:
        return error(request, v, 404)
    p = in_db(request, lambda db: rg.preview(db, rid, a.name))
    if p is None:
        return error(request, v, 404)
    return render(request, v, "ta_regrade.html.j2", a=a, p=p, tests_changed=_tests_changed(request, a))


def _tests_changed(request: Request, a) -> bool:
    current = current_hash(config(request), a.name)
    return any(h != current for _s, _x, _j, h in config(request).backend.counting_results(a.name).values())


def current_hash(cfg, name: str) -> str:
    return rg.current_hash(cfg.backend.course.root, name)


def _start_regrade(request: Request, v: Visitor, form: FormData) -> Response:
    v, a, away = staff_assignment(request)
    if away:
        return away
    cfg = config(request)
    counting = cfg.backend.counting_results(a.name)
    new_hash = current_hash(cfg, a.name)
    rid = in_db(request, lambda db: rg.start(db, a.name, v.user.id, counting, new_hash))
    return redirect(request, f"/ta/{a.name}/regrade/{rid}")


def _decide(request: Request, v: Visitor, form: FormData) -> Response:
    v, a, away = staff_assignment(request)
    if away:
        return away
    try:
        rid = int(request.path_params["rid"])
    except ValueError:
        return error(request, v, 404)
    action = request.path_params["action"]

    def decide(db: Session) -> bool:
        if action == "publish":
            try:
                rg.publish(db, rid, a.name, v.user.id)
            except ValueError:
                return False
            return True
        return rg.discard(db, rid, a.name, v.user.id)

    if action not in ("publish", "discard"):
        return error(request, v, 404)
    in_db(request, decide)
    return redirect(request, f"/ta/{a.name}/regrade/{rid}")


set_extension = posted(_set_extension)
start_regrade = posted(_start_regrade)
decide = posted(_decide)
