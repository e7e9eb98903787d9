"""Sign-in, sign-out, setting a password from an invite link, and the language form."""

from __future__ import annotations

from urllib.parse import urlsplit

from sqlalchemy.orm import Session
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response

from autograder.course.i18n import LANGS
from autograder.portal.web import auth
from autograder.portal.web import lang as lang_
from autograder.portal.web.common import (
    PRESESSION_COOKIE,
    SESSION_COOKIE,
    client_addr,
    config,
    csrf_ok,
    error,
    in_db,
    is_secure,
    redirect,
    render,
    set_cookie,
    threaded,
    visitor,
)

MAX_FORM = 8192  # bytes of a sign-in, password or language form


def home_of(user) -> str:
    return "/ta" if user.staff else "/a"


def safe_next(target: str | None) -> str | None:
    """A local path to go on to after sign-in (never another site: no scheme, no host, no //)."""
    if not target or len(target) > 300 or not target.startswith("/") or target.startswith("//"):
        return None
    parts = urlsplit(target)
    return target if not parts.scheme and not parts.netloc and "\\" not in target else None


async def small_form(request: Request) -> FormData | None:
    if int(request.headers.get("content-length") or 0) > MAX_FORM:
        return None
    try:
        return await request.form(max_files=0, max_fields=10, max_part_size=MAX_FORM)
    except Exception:  # a malformed or oversized body: the caller answers 400
        return None


def posted(handler):
    """A POST endpoint: read a small form on the event loop, check its CSRF token, then run
    ``handler(request, visitor, form)`` in the thread pool."""

    async def endpoint(request: Request) -> Response:
        form = await small_form(request)
        return await threaded(_checked, handler, request, form)

    endpoint.__name__ = handler.__name__
    return endpoint


def _checked(handler, request: Request, form: FormData | None) -> Response:
    v = visitor(request)
    if form is None or not csrf_ok(v, form.get("csrf")):
        return error(request, v, 400, "csrf")
    return handler(request, v, form)


def home(request: Request) -> Response:
    v = visitor(request)
    return redirect(request, home_of(v.user) if v.user else "/signin", v)


def signin_page(request: Request) -> Response:
    v = visitor(request)
    if v.user:
        return redirect(request, home_of(v.user))
    return render(
        request,
        v,
        "signin.html.j2",
        problem="",
        user_id="",
        wait_minutes=0,
        next=safe_next(request.query_params.get("next")) or "",
    )


def _signin(request: Request, v, form: FormData) -> Response:
    user_id = str(form.get("user_id") or "").strip()[:255]
    password = str(form.get("password") or "")
    go = safe_next(str(form.get("next") or ""))
    cfg = config(request)
    addr = client_addr(request)

    def attempt(db: Session) -> tuple[str, int, str | None]:
        wait = auth.retry_after(db, user_id, addr)
        if wait:
            return "throttled", wait, None
        user = cfg.backend.user(user_id) if user_id else None
        ok = auth.check_password(db, user_id, password)  # always verifies: same time either way
        if not (ok and user is not None):
            auth.record_failure(db, user_id, addr)
            return "wrong", 0, None
        auth.record_success(db, user_id)
        return "ok", 0, auth.start_session(db, user_id, old_token=v.token)

    outcome, wait, tok = in_db(request, attempt)
    if outcome != "ok":
        response = render(
            request,
            v,
            "signin.html.j2",
            status=429 if wait else 401,
            problem=outcome,
            wait_minutes=(wait + 59) // 60,
            user_id=user_id,
            next=go or "",
        )
        if wait:
            response.headers["Retry-After"] = str(wait)
        return response
    response = redirect(request, go or home_of(cfg.backend.user(user_id)))
    set_cookie(response, request, SESSION_COOKIE, tok or "")
    set_cookie(response, request, PRESESSION_COOKIE, "", strict=True, max_age=0)
    return response


def _signout(request: Request, v, form: FormData) -> Response:
    if v.token:
        in_db(request, lambda db: auth.end_session(db, v.token))
    response = redirect(request, "/signin")
    set_cookie(response, request, SESSION_COOKIE, "", max_age=0)
    return response


def invite_page(request: Request) -> Response:
    v = visitor(request)
    tok = request.path_params["token"]
    user_id = in_db(request, lambda db: auth.invite_user(db, tok))
    if user_id is None:
        return error(request, v, 404, "invite")
    return render(
        request, v, "invite.html.j2", user_id=user_id, token=tok, problem="", min_length=auth.MIN_PASSWORD
    )


def _invite(request: Request, v, form: FormData) -> Response:
    tok = request.path_params["token"]
    password, again = str(form.get("password") or ""), str(form.get("password2") or "")
    problem = auth.password_problem(password) or ("mismatch" if password != again else None)
    cfg = config(request)

    def use(db: Session) -> tuple[str | None, str | None]:
        user_id = auth.invite_user(db, tok)
        if user_id is None or problem:
            return user_id, None
        if auth.use_invite(db, tok) != user_id:
            return None, None
        auth.set_password(db, user_id, password)
        auth.end_all_sessions(db, user_id)  # a new password signs every other browser out
        return user_id, auth.start_session(db, user_id, old_token=v.token)

    user_id, session_token = in_db(request, use)
    if user_id is None:
        return error(request, v, 404, "invite")
    if problem:
        return render(
            request,
            v,
            "invite.html.j2",
            status=422,
            user_id=user_id,
            token=tok,
            problem=problem,
            min_length=auth.MIN_PASSWORD,
        )
    user = cfg.backend.user(user_id)
    response = redirect(request, home_of(user) if user else "/signin")
    set_cookie(response, request, SESSION_COOKIE, session_token or "")
    set_cookie(response, request, PRESESSION_COOKIE, "", strict=True, max_age=0)
    return response


def _choose_language(request: Request, v, form: FormData) -> Response:
    chosen = str(form.get("lang") or "")
    response = redirect(request, safe_next(str(form.get("back") or "")) or "/")
    if chosen in LANGS:
        response.set_cookie(
            lang_.COOKIE,
            chosen,
            max_age=365 * 86400,
            path="/",
            secure=is_secure(request),
            httponly=True,
            samesite="lax",
        )
    return response


signin = posted(_signin)
signout = posted(_signout)
invite = posted(_invite)
choose_language = posted(_choose_language)
