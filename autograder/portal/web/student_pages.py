"""A student's pages: the assignments, one assignment (due date, attempts, upload, history), the
receipt with its live status, and the feedback. A submission that is not the visitor's is a 404, as
is one that does not exist: ids say nothing."""

from __future__ import annotations

from starlette.datastructures import UploadFile
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
UNREADABLE = N_("The upload could not be read: too many files, or a file too large.")
NO_FILES = N_("Choose your files first.")


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
    """The upload form: read under the caps on the event loop, the rest in the thread pool."""
    cfg = config(request)
    files: list[tuple[str, bytes]] = []
    token, problem = None, None
    if int(request.headers.get("content-length") or 0) > cfg.upload_cap + 64 * 1024:
        problem = (TOO_LARGE, 413)
    else:
        try:
            form = await request.form(max_files=cfg.max_files, max_fields=5, max_part_size=cfg.upload_cap)
        except Exception:  # starlette's MultiPartException: too many files or fields, a part too large
            form, problem = None, (UNREADABLE, 413)
        if form is not None:
            token = form.get("csrf")
            total = 0
            for f in form.getlist("files"):
                if isinstance(f, UploadFile) and f.filename:
                    data = await f.read(cfg.upload_cap + 1)
                    total += len(data)
                    files.append((f.filename, data))
            await form.close()
            if total > cfg.upload_cap:
                problem = (TOO_LARGE, 413)
    return await threaded(_submit, request, token, files, problem)


def _submit(request: Request, token, files: list[tuple[str, bytes]], problem) -> Response:
    v, away = signed_in(request)
    if away:
        return away
    name = request.path_params["assignment"]
    cfg = config(request)
    t = catalogue(v.lang)
    if cfg.backend.assignment(name, v.user.id) is None:
        return error(request, v, 404)
    if problem is None and not csrf_ok(v, token):
        return error(request, v, 400, "csrf")
    if problem is not None:
        return _assignment_page(
            request, v, name, t.gettext(problem[0]).format(mb=num(cfg.upload_cap / 2**20)), problem[1]
        )
    if not files:
        return _assignment_page(request, v, name, t.gettext(NO_FILES), 422)
    try:
        s = cfg.backend.submit(v.user.id, name, files)
    except Rejected as exc:
        return _assignment_page(request, v, name, t.gettext(str(exc)), exc.status, exc.retry_after)
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
