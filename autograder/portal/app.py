"""The web process: ``create_app(settings)`` builds the FastAPI app (uvicorn serves it).

FastAPI (on Starlette) rather than bare Starlette: typed dependencies carry the database session
and the caller (``api.deps``) into every route, which keeps "who may see this" in one place; the
upload route still reads the raw body stream itself (``uploads``), so caps hold while it streams.
Interactive docs are off (they load scripts from a CDN); ``/api/v1/openapi.json`` describes the API.
"""

from __future__ import annotations

import contextlib
import threading
from dataclasses import dataclass, field

import sqlalchemy as sa
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.orm import Session, sessionmaker
from starlette.exceptions import HTTPException as StarletteHTTPException

from autograder.course import i18n
from autograder.course.i18n import _
from autograder.portal.api.deps import request_lang
from autograder.portal.db.engine import make_engine, migrate, sessions
from autograder.portal.ratelimit import RateLimiter
from autograder.portal.settings import Settings
from autograder.portal.storage import Storage

SECURITY_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
    (b"content-security-policy", b"default-src 'self'; frame-ancestors 'none'; base-uri 'none'; "
                                 b"form-action 'self'"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=()"),
]


@dataclass
class PortalState:
    settings: Settings
    engine: sa.Engine
    sessions: sessionmaker[Session]
    storage: Storage
    limiter: RateLimiter
    # SQLite has one writer at a time and its busy handler sleeps (up to 100 ms a try) while it waits:
    # the web process's own writers queue here instead, and wake as soon as the one before is done.
    writers: threading.Lock | contextlib.nullcontext = field(default_factory=contextlib.nullcontext)


def create_app(settings: Settings, engine: sa.Engine | None = None) -> FastAPI:
    """The app for ``settings`` (migrates the database first). ``engine``: share one (tests)."""
    settings.data.mkdir(parents=True, exist_ok=True)
    engine = engine or make_engine(settings.database_url)
    migrate(engine)
    state = PortalState(settings, engine, sessions(engine), Storage(settings.data),
                        RateLimiter(settings.rates.window_seconds),
                        threading.Lock() if engine.dialect.name == "sqlite" else contextlib.nullcontext())
    app = FastAPI(title="autograder portal", docs_url=None, redoc_url=None,
                  openapi_url="/api/v1/openapi.json")
    app.state.portal = state

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException):
        headers = getattr(exc, "headers", None)
        return JSONResponse({"error": str(exc.detail)}, exc.status_code, headers=headers)

    @app.exception_handler(RequestValidationError)
    async def _bad_request(request: Request, exc: RequestValidationError):
        where = "; ".join(f"{'.'.join(map(str, e.get('loc', ())))}: {e.get('msg', '')}" for e in exc.errors())
        return JSONResponse({"error": f"bad request: {where}"}, 422)

    from autograder.portal.api.routes import router as api_router
    from autograder.portal.pages import router as pages_router

    app.include_router(api_router)
    app.include_router(pages_router)
    app.add_middleware(GuardMiddleware, state=state)
    return app


class GuardMiddleware:
    """Security headers on every response, and the per-address request-rate limit (pure ASGI, so
    request bodies still stream)."""

    def __init__(self, app, state: PortalState):
        self.app, self.state = app, state

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        addr = (scope.get("client") or ("?", 0))[0]
        wait = self.state.limiter.hit(f"addr:{addr}", self.state.settings.rates.per_address)
        if wait:
            with i18n.language(request_lang(Request(scope))):
                message = _("too many requests from this address; try again later")
            response = JSONResponse({"error": message}, 429,
                                    headers={"Retry-After": str(max(1, round(wait + 0.5)))})
            return await response(scope, receive, _with_headers(send, scope))
        return await self.app(scope, receive, _with_headers(send, scope))


def _with_headers(send, scope):
    api = scope.get("path", "").startswith("/api/")

    async def wrapped(message):
        if message["type"] == "http.response.start":
            headers = list(message.get("headers", []))
            present = {k.lower() for k, _v in headers}
            headers += [(k, v) for k, v in SECURITY_HEADERS if k not in present]
            if api and b"cache-control" not in present:
                headers.append((b"cache-control", b"no-store"))
            message = {**message, "headers": headers}
        await send(message)

    return wrapped
