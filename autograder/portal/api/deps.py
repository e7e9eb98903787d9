"""Request helpers: the database session, the caller (by bearer token), staff-only routes."""

from __future__ import annotations

from collections.abc import Iterator

from fastapi import Depends, HTTPException, Request
from sqlalchemy.orm import Session

from autograder.course import i18n
from autograder.course.i18n import _
from autograder.portal import auth
from autograder.portal.db.models import User


def portal(request: Request):
    return request.app.state.portal


def db_session(request: Request) -> Iterator[Session]:
    with portal(request).sessions() as db:
        yield db


def request_lang(request: Request) -> str:
    """The language of the caller's messages: the first of ours in Accept-Language (default English)."""
    for part in request.headers.get("accept-language", "").split(","):
        tag = part.split(";")[0].strip().lower()[:2]
        if tag in i18n.LANGS:
            return tag
    return i18n.DEFAULT


def bearer(request: Request) -> str:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    return token.strip() if scheme.lower() == "bearer" else ""


def current_user(request: Request) -> User:
    """The caller: 401 without a valid token; 429 (Retry-After) beyond the per-token rate.

    Its own short session: a request never holds a connection while its body streams in."""
    token = bearer(request)
    user = None
    if token:
        with portal(request).sessions() as db:
            user = auth.user_for(db, token)
    with i18n.language(request_lang(request)):
        if user is None:
            raise HTTPException(401, _("missing or invalid API token (Authorization: Bearer TOKEN)"),
                                headers={"WWW-Authenticate": "Bearer"})
        st = portal(request)
        wait = st.limiter.hit(f"token:{auth.digest(token)}", st.settings.rates.per_token)
        if wait:
            raise HTTPException(429, _("too many requests with this token; try again later"),
                                headers={"Retry-After": str(max(1, round(wait + 0.5)))})
    return user


def require_staff(request: Request, user: User = Depends(current_user)) -> User:
    if not user.is_staff:
        with i18n.language(request_lang(request)):
            raise HTTPException(403, _("only TAs and instructors may do this"))
    return user
