"""The JSON API, /api/v1 (``Authorization: Bearer TOKEN``); errors are ``{"error": "..."}``.

- ``POST /assignments/{a}/submissions`` (multipart ``files``) -> 202 once the upload is durable;
- ``GET /submissions/{id}`` -> status, queue position, score, results (404 unless the caller's or staff);
- ``GET /assignments/{a}/submissions`` -> the caller's own, newest first;
- ``GET /assignments/{a}`` -> due date, close, extension, attempt budget (for the caller);
- ``GET /assignments/{a}/grades.csv`` -> staff only; ``GET /me`` -> the caller.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import JSONResponse, Response
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from autograder.course import i18n
from autograder.course.i18n import _
from autograder.portal import submissions as subs
from autograder.portal.api.deps import current_user, db_session, portal, request_lang, require_staff
from autograder.portal.db.models import Submission, User, now
from autograder.portal.storage import pack
from autograder.portal.uploads import UploadError, read_upload

router = APIRouter(prefix="/api/v1")


def _course(request: Request) -> subs.Course:
    return subs.Course(portal(request).settings.course)


def _assignment(request: Request, name: str):
    found = _course(request).assignment(name)
    if found is None:
        with i18n.language(request_lang(request)):
            raise HTTPException(404, _("no assignment {name}").format(name=name))
    return found


@router.get("/me")
def me(user: User = Depends(current_user)) -> dict:
    return {"id": user.id, "role": user.role, "name": user.name}


@router.get("/assignments/{assignment}")
def assignment_info(assignment: str, request: Request, user: User = Depends(current_user),
                    db: Session = Depends(db_session)) -> dict:
    a, p = _assignment(request, assignment)
    return subs.assignment_info(db, user, a, p)


@router.post("/assignments/{assignment}/submissions", status_code=202)
async def submit(assignment: str, request: Request, user: User = Depends(current_user)):
    st = portal(request)
    a, p = await run_in_threadpool(_assignment, request, assignment)

    def check() -> None:
        with st.sessions() as db:
            subs.check_policy(db, user, a, p, now())

    try:
        with i18n.language(request_lang(request)):  # the refusals' language (threads copy the context)
            await run_in_threadpool(check)
            headers = request.headers
            upload = await read_upload(headers.get("content-type", ""), headers.get("content-length"),
                                       request.stream(), st.settings.uploads)
    except subs.Refused as exc:
        headers = {"Retry-After": str(max(1, round(exc.retry_after)))} if exc.retry_after else None
        if exc.status == 429 and headers is None:
            headers = {"Retry-After": "86400"}  # a whole-assignment budget: it does not come back
        return JSONResponse({"error": exc.message}, exc.status, headers=headers)
    except UploadError as exc:
        return JSONResponse({"error": exc.message}, exc.status)

    def store() -> dict:
        blob = st.storage.put(pack(upload.files))  # durable before the row; outside the writers' queue
        with st.writers, st.sessions() as db:
            return subs.receipt(subs.accept(db, st.storage, user, a, upload, blob=blob))

    return JSONResponse(await run_in_threadpool(store), 202)


@router.get("/assignments/{assignment}/submissions")
def own_submissions(assignment: str, request: Request, user: User = Depends(current_user),
                    db: Session = Depends(db_session)) -> list[dict]:
    _assignment(request, assignment)
    return subs.own_list(db, user, assignment)


@router.get("/submissions/{submission_id}")
def submission(submission_id: str, request: Request, user: User = Depends(current_user),
               db: Session = Depends(db_session)) -> dict:
    sub = db.get(Submission, submission_id) if len(submission_id) <= 64 else None
    if sub is None or (sub.user_id != user.id and not user.is_staff):
        with i18n.language(request_lang(request)):  # another student's looks like none at all
            raise HTTPException(404, _("no such submission"))
    return subs.view(db, sub, user, _course(request))


@router.get("/assignments/{assignment}/grades.csv")
def grades(assignment: str, request: Request, user: User = Depends(require_staff),
           db: Session = Depends(db_session)) -> Response:
    a, p = _assignment(request, assignment)
    return Response(subs.grades_csv(db, a, p), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{a.name}-grades.csv"'})
