"""A student's pages: the assignments, one assignment (due date, attempts, upload, history), the
receipt with its live status, and the feedback. A submission that is not the visitor's is a 404, as
is one that does not exist: ids say nothing."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from autograder.course.i18n import N_
from autograder.portal.web.backend import Rejected, SubmissionInfo
from autograder.portal.web.common import (
    Visitor,
    config,
    csrf_ok,
    error,
    redirect,
    render,
    secure_headers,
    threaded,
    visitor,
)
from autograder.portal.web.feedback_view import feedback_view
from autograder.portal.web.templating import catalogue, iso
from autograder.render.report import num

# Texts for the visitor's language (never ``_()``: its language is the process's, pages are per request).
STATUS_WORDS = {
    "queued": N_("queued"),
    "grading": N_("grading"),
    "graded": N_("graded"),
    "failed": N_("grader failure: this attempt does not count"),
}
QUEUED_AT = N_("queued, {position} ahead")
SCORE = N_("Score: {score} / {max_score}")
TOO_LARGE = N_("The upload is larger than the limit of {mb} MB.")
REFUSED = N_("The upload was refused: {detail}")


def signed_in(request: Request) -> tuple[Visitor, Response | None]:
    v = visitor(request)
    if v.user is None:
        return v, redirect(request, "/signin?next=" + request.url.path, v)
    return v, None


def own(v: Visitor, s: SubmissionInfo | None) -> bool:
    """A student sees their own submissions; TAs and instructors see everyone's."""
    return s is not None and v.user is not None and (v.user.staff or s.student_id == v.user.id)


def assignments(request: Request) -> Response:
    v, away = signed_in(request)
    if away:
        return away
    return render(
        request, v, "assignments.html.j2", assignments=config(request).backend.assignments(v.user.id)
    )


def _assignment_page(
    request: Request,
    v: Visitor,
    name: str,
    problem: str = "",
    status: int = 200,
    retry_after: int | None = None,
) -> Response:
    cfg = config(request)
    b = cfg.backend
    a = b.assignment(name, v.user.id)
    if a is None:
        return error(request, v, 404)
    response = render(
        request,
        v,
        "assignment.html.j2",
        status=status,
        a=a,
        attempts=b.attempts(v.user.id, name),
        history=b.submissions(v.user.id, name),
        problem=problem,
        cap_mb=num(cfg.upload_cap / 2**20),
        max_files=cfg.max_files,
    )
    if retry_after:
        response.headers["Retry-After"] = str(retry_after)
    return response


def assignment(request: Request) -> Response:
    v, away = signed_in(request)
    return away or _assignment_page(request, v, request.path_params["assignment"])


async def submit(request: Request) -> Response:
    """The upload form, read by the service's streaming parser (its caps hold while the body streams
    in; the CSRF token is one of the form's fields); the rest runs in the thread pool."""
    from autograder.portal.uploads import UploadError, read_upload

    fields: dict[str, str] = {}
    upload, problem = None, None
    try:
        upload = await read_upload(
            request.headers.get("content-type", ""),
            request.headers.get("content-length"),
            request.stream(),
            request.app.state.portal.settings.uploads,
            fields=fields,
        )
    except UploadError as exc:
        problem = exc
    return await threaded(_submit, request, fields.get("csrf"), upload, problem)


def _submit(request: Request, token, upload, problem) -> Response:
    v, away = signed_in(request)
    if away:
        return away
    name = request.path_params["assignment"]
    cfg = config(request)
    t = catalogue(v.lang)
    if cfg.backend.assignment(name, v.user.id) is None:
        return error(request, v, 404)
    if problem is not None:  # refused before anything was stored: no token needed to say why
        text = (
            t.gettext(TOO_LARGE).format(mb=num(cfg.upload_cap / 2**20))
            if problem.status == 413
            else (t.gettext(REFUSED).format(detail=problem.message))
        )
        return _assignment_page(request, v, name, text, problem.status)
    if not csrf_ok(v, token):
        return error(request, v, 400, "csrf")
    try:
        s = cfg.backend.submit(v.user.id, name, list(upload.files))
    except Rejected as exc:
        return _assignment_page(
            request,
            v,
            name,
            t.gettext(REFUSED).format(detail=t.gettext(str(exc))),
            exc.status,
            exc.retry_after,
        )
    return redirect(request, f"/s/{s.id}")


def receipt(request: Request) -> Response:
    v, away = signed_in(request)
    if away:
        return away
    b = config(request).backend
    s = b.submission(request.path_params["sid"])
    if not own(v, s):
        return error(request, v, 404)
    return render(
        request,
        v,
        "receipt.html.j2",
        s=s,
        a=b.assignment(s.assignment, s.student_id),
        live=status_doc(s, v.lang),
    )


def status_doc(s: SubmissionInfo, lang: str) -> dict:
    t = catalogue(lang)
    text = t.gettext(STATUS_WORDS.get(s.status, s.status))
    if s.status == "queued" and s.queue_position is not None:
        text = t.gettext(QUEUED_AT).format(position=s.queue_position)
    doc = {
        "status": s.status,
        "text": text,
        "done": s.status in ("graded", "failed"),
        "received_at": iso(s.received_at),
        "score": "",
    }
    if s.status == "graded" and s.score is not None:
        doc["score"] = t.gettext(SCORE).format(score=num(s.score), max_score=num(s.max_score))
    return doc


def status(request: Request) -> Response:
    """The receipt page's poll: the status in words of the visitor's language (no i18n in the script)."""
    v = visitor(request)
    b = config(request).backend
    s = b.submission(request.path_params["sid"]) if v.user else None
    if not own(v, s):
        return secure_headers(JSONResponse({"error": "not found"}, status_code=404), request)
    return secure_headers(JSONResponse(status_doc(s, v.lang)), request)


def feedback(request: Request) -> Response:
    v, away = signed_in(request)
    if away:
        return away
    b = config(request).backend
    s = b.submission(request.path_params["sid"])
    if not own(v, s):
        return error(request, v, 404)
    doc = b.results(s.id, staff=v.user.staff)
    if doc is None:
        return redirect(request, f"/s/{s.id}")
    return render(
        request, v, "feedback.html.j2", s=s, a=b.assignment(s.assignment, s.student_id), fb=feedback_view(doc)
    )
