"""What every page handler shares: the configuration, the signed-in user, CSRF checks, rendering with
the security headers, and the error pages.

Handlers are Starlette endpoints. A GET handler is a plain function (Starlette runs it in its thread
pool); a POST handler reads its form on the event loop, then does the rest in the thread pool
(``threaded``), so the loop never waits on the database.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import tzinfo
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy.orm import Session, sessionmaker
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from autograder.portal.web import auth, lang
from autograder.portal.web.backend import Backend, User
from autograder.portal.web.templating import environment, when

SESSION_COOKIE = "ag_session"
PRESESSION_COOKIE = "ag_csrf"  # forms shown before sign-in (sign-in, set password, language)
T = TypeVar("T")

# Pages: scripts, styles and images only from the app itself; no framing; forms post only here.
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",  # an invite link's token never leaves in a Referer
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=(), usb=()",
}


@dataclass
class PagesConfig:
    db: sessionmaker[Session]
    backend: Backend
    secure: bool | None = (
        None  # HTTPS: Secure cookies (__Host- names) and HSTS; None: by the request's scheme
    )
    display_tz: tzinfo | None = None  # times are shown in it (default: UTC)
    upload_cap: int = 5 * 1024 * 1024  # bytes of one upload form, all files together
    max_files: int = 20
    catalogue_folders: tuple[Path, ...] = ()  # the assignments' public catalogues (their titles)


def from_portal(state) -> PagesConfig:
    """The pages' configuration for a running portal (``app.state.portal``, a PortalState)."""
    from autograder.portal.web.service_backend import ServiceBackend

    backend = ServiceBackend(state)
    assignments = backend.assignments()
    tz = next((a.due.tzinfo for a in assignments if a.due is not None), None)
    folders = tuple(state.settings.course / "assignments" / a.name / "locale" for a in assignments)
    return PagesConfig(
        db=state.sessions,
        backend=backend,
        display_tz=tz,
        catalogue_folders=folders,
        upload_cap=state.settings.uploads.max_bytes,
        max_files=state.settings.uploads.max_files,
    )


def config(request: Request) -> PagesConfig:
    cfg = getattr(request.app.state, "pages", None)
    if cfg is None:
        cfg = request.app.state.pages = from_portal(request.app.state.portal)
    return cfg


def is_secure(request: Request) -> bool:
    cfg = config(request)
    return cfg.secure if cfg.secure is not None else request.url.scheme == "https"


def cookie_name(request: Request, name: str) -> str:
    """``name``, with the __Host- prefix under HTTPS (Secure, Path=/, no Domain: this host only)."""
    return f"__Host-{name}" if is_secure(request) else name


def in_db(request: Request, fn: Callable[[Session], T]) -> T:
    """``fn(session)`` inside one transaction (committed when it returns)."""
    with config(request).db.begin() as db:
        return fn(db)


async def threaded(fn: Callable[..., T], *args: Any) -> T:
    return await run_in_threadpool(fn, *args)


def secure_headers(response: Response, request: Request, csp: str = CSP, private: bool = True) -> Response:
    response.headers["Content-Security-Policy"] = csp
    for k, v in HEADERS.items():
        response.headers[k] = v
    if private:
        response.headers["Cache-Control"] = "no-store"
    if is_secure(request):
        response.headers["Strict-Transport-Security"] = "max-age=31536000"
    return response


@dataclass(frozen=True)
class Visitor:
    """Who is asking: the user when signed in, the CSRF token their forms carry, and the language."""

    user: User | None
    csrf: str
    lang: str
    token: str | None  # the session cookie's token
    new_presession: str | None = None  # a pre-session CSRF token to set as a cookie


def client_addr(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def visitor(request: Request) -> Visitor:
    cfg = config(request)
    tok = request.cookies.get(cookie_name(request, SESSION_COOKIE))
    chosen = lang.negotiate(request.cookies.get(lang.COOKIE), request.headers.get("accept-language"))

    def look(db: Session) -> tuple[User | None, str]:
        s = auth.session_of(db, tok)
        if s is None:
            return None, ""
        return cfg.backend.user(s.user_id), s.csrf

    user, csrf = in_db(request, look) if tok else (None, "")
    if user is not None:
        return Visitor(user, csrf, chosen, tok)
    pre = request.cookies.get(cookie_name(request, PRESESSION_COOKIE))
    if pre and 20 <= len(pre) <= 100:
        return Visitor(None, pre, chosen, None)
    pre = secrets.token_urlsafe(32)
    return Visitor(None, pre, chosen, None, new_presession=pre)


def csrf_ok(v: Visitor, form_token: Any) -> bool:
    return isinstance(form_token, str) and auth.same(v.csrf, form_token) and not v.new_presession


def render(request: Request, v: Visitor, template: str, status: int = 200, **context: Any) -> HTMLResponse:
    cfg = config(request)
    env = environment(v.lang, cfg.catalogue_folders)
    html = env.get_template(template).render(
        user=v.user, csrf=v.csrf, path=request.url.path, when=lambda t: when(t, cfg.display_tz), **context
    )
    response = HTMLResponse(html, status_code=status)
    if v.new_presession:
        set_cookie(response, request, PRESESSION_COOKIE, v.new_presession, strict=True)
    return secure_headers(response, request)


def set_cookie(
    response: Response,
    request: Request,
    name: str,
    value: str,
    strict: bool = False,
    max_age: int | None = None,
) -> None:
    response.set_cookie(
        cookie_name(request, name),
        value,
        max_age=max_age,
        path="/",
        secure=is_secure(request),
        httponly=True,
        samesite="strict" if strict else "lax",
    )


def redirect(request: Request, to: str, v: Visitor | None = None) -> Response:
    response = RedirectResponse(to, status_code=303)
    if v is not None and v.new_presession:
        set_cookie(response, request, PRESESSION_COOKIE, v.new_presession, strict=True)
    return secure_headers(response, request)


def error(request: Request, v: Visitor, status: int, message: str = "") -> HTMLResponse:
    """404 for anything a visitor may not see (never 403: another student's ids look like no ids)."""
    return render(request, v, "error.html.j2", status=status, status_code=status, message=message)


def etag(data: bytes) -> str:
    return '"' + hashlib.sha256(data).hexdigest()[:32] + '"'
