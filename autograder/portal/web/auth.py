"""Passwords, sign-in sessions, CSRF tokens, one-time invites and sign-in throttling.

- Passwords: argon2id (argon2-cffi's defaults, RFC 9106's second recommendation); a sign-in for an
  unknown user verifies against a dummy hash, so the answer takes as long as for a known one.
- Sessions live in the database (``web_sessions``); the cookie holds a random 256-bit token and the
  table only its sha256, so a read of the database signs no one in. A sign-in always starts a new
  session (the old one, if any, is deleted): a token planted before sign-in is worth nothing after it.
  Sessions end after ``IDLE`` without a request, and ``ABSOLUTE`` after sign-in in any case.
- CSRF: every session has its own random token, put in every form and compared (constant time) on
  every POST; a POST without a session (sign-in, set password) uses a pre-session cookie token instead.
- Throttling: ``MAX_USER_FAILURES`` failed sign-ins for one user id, or ``MAX_ADDR_FAILURES`` from one
  address, within ``WINDOW`` refuse further tries until the window ends (Retry-After). A success clears
  the user's count.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy.orm import Session

from autograder.portal.web.tables import SigninFailures, WebInvite, WebPassword, WebSession, now

IDLE = timedelta(hours=12)
ABSOLUTE = timedelta(days=14)
INVITE_LIFETIME = timedelta(days=7)
WINDOW = timedelta(minutes=15)
MAX_USER_FAILURES = 5
MAX_ADDR_FAILURES = 30
MIN_PASSWORD = 10
MAX_PASSWORD = 1024  # argon2 hashes anything, but a megabyte "password" is a request to spend CPU

_hasher = PasswordHasher()
# argon2id takes ~64 MiB and tens of milliseconds per hash: at most this many at once, whatever the load.
_hashing = threading.BoundedSemaphore(4)
_DUMMY = _hasher.hash("not a password: the hash an unknown user's sign-in is checked against")


def token() -> str:
    return secrets.token_urlsafe(32)


def digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def same(a: str, b: str) -> bool:
    return bool(a) and bool(b) and hmac.compare_digest(a.encode(), b.encode())


# -- passwords -------------------------------------------------------------------------------------


def password_problem(password: str) -> str | None:
    """Why ``password`` cannot be used (English source text, translated by the page), else None."""
    if len(password) < MIN_PASSWORD:
        return "too-short"
    if len(password) > MAX_PASSWORD:
        return "too-long"
    return None


def set_password(db: Session, user_id: str, password: str) -> None:
    row = db.get(WebPassword, user_id)
    with _hashing:
        h = _hasher.hash(password)
    if row is None:
        db.add(WebPassword(user_id=user_id, hash=h, set_at=now()))
    else:
        row.hash, row.set_at = h, now()


def check_password(db: Session, user_id: str, password: str) -> bool:
    """True when ``password`` is ``user_id``'s; as slow for an unknown user as for a known one."""
    row = db.get(WebPassword, user_id) if len(password) <= MAX_PASSWORD else None
    try:
        with _hashing:
            _hasher.verify(row.hash if row else _DUMMY, password[:MAX_PASSWORD])
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False
    if row is None:
        return False
    if _hasher.check_needs_rehash(row.hash):  # the parameters were raised since it was set
        with _hashing:
            row.hash = _hasher.hash(password)
    return True


# -- sessions --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SignedIn:
    user_id: str
    csrf: str
    session_id: str  # the stored hash, not the cookie's token


def start_session(db: Session, user_id: str, old_token: str | None = None) -> str:
    """A new session for ``user_id``; the cookie's token (the old session, if any, is ended)."""
    if old_token:
        end_session(db, old_token)
    t = now()
    db.execute(
        sa.delete(WebSession).where(sa.or_(WebSession.expires_at <= t, WebSession.seen_at <= t - IDLE))
    )
    tok = token()
    db.add(
        WebSession(
            id=digest(tok), user_id=user_id, csrf=token(), created_at=t, seen_at=t, expires_at=t + ABSOLUTE
        )
    )
    return tok


def end_session(db: Session, cookie_token: str) -> None:
    db.execute(sa.delete(WebSession).where(WebSession.id == digest(cookie_token)))


def end_all_sessions(db: Session, user_id: str) -> None:
    db.execute(sa.delete(WebSession).where(WebSession.user_id == user_id))


def session_of(db: Session, cookie_token: str | None) -> SignedIn | None:
    """The live session the cookie names (its last-seen time moved on), or None."""
    if not cookie_token or len(cookie_token) > 100:
        return None
    row = db.get(WebSession, digest(cookie_token))
    if row is None:
        return None
    t = now()
    if row.expires_at <= t or row.seen_at + IDLE <= t:
        db.delete(row)
        return None
    if (t - row.seen_at).total_seconds() > 60:  # one write a minute per session is enough
        row.seen_at = t
    return SignedIn(row.user_id, row.csrf, row.id)


# -- invites ---------------------------------------------------------------------------------------


def create_invite(db: Session, user_id: str, lifetime: timedelta = INVITE_LIFETIME) -> str:
    """A new one-time token for ``user_id`` (earlier unused ones stop working)."""
    db.execute(sa.delete(WebInvite).where(WebInvite.user_id == user_id, WebInvite.used_at.is_(None)))
    tok = token()
    t = now()
    db.add(WebInvite(token_hash=digest(tok), user_id=user_id, created_at=t, expires_at=t + lifetime))
    return tok


def invite_user(db: Session, invite_token: str | None) -> str | None:
    """The user a still-valid, unused invite belongs to."""
    if not invite_token or len(invite_token) > 100:
        return None
    row = db.get(WebInvite, digest(invite_token))
    if row is None or row.used_at is not None or row.expires_at <= now():
        return None
    return row.user_id


def use_invite(db: Session, invite_token: str) -> str | None:
    """Mark the invite used (once: a second use gets None) and return its user."""
    user = invite_user(db, invite_token)
    if user is None:
        return None
    done = db.execute(
        sa.update(WebInvite)
        .where(WebInvite.token_hash == digest(invite_token), WebInvite.used_at.is_(None))
        .values(used_at=now())
    )
    return user if done.rowcount == 1 else None


# -- throttling ------------------------------------------------------------------------------------


def _row(db: Session, key: str, t: datetime) -> SigninFailures:
    row = db.get(SigninFailures, key)
    if row is None:
        row = SigninFailures(key=key, failures=0, window_start=t)
        db.add(row)
    elif row.window_start + WINDOW <= t:
        row.failures, row.window_start = 0, t
    return row


def retry_after(db: Session, user_id: str, addr: str) -> int:
    """Seconds until a sign-in may be tried again for this user from this address (0: now)."""
    t = now()
    wait = 0
    for key, cap in ((f"user:{user_id}", MAX_USER_FAILURES), (f"addr:{addr}", MAX_ADDR_FAILURES)):
        row = db.get(SigninFailures, key)
        if row is not None and row.failures >= cap and row.window_start + WINDOW > t:
            wait = max(wait, int((row.window_start + WINDOW - t).total_seconds()) + 1)
    return wait


def record_failure(db: Session, user_id: str, addr: str) -> None:
    t = now()
    db.execute(sa.delete(SigninFailures).where(SigninFailures.window_start <= t - WINDOW))  # keep it small
    for key in (f"user:{user_id}", f"addr:{addr}"):
        _row(db, key, t).failures += 1


def record_success(db: Session, user_id: str) -> None:
    db.execute(sa.delete(SigninFailures).where(SigninFailures.key == f"user:{user_id}"))


def invite_url(db: Session, user_id: str, base_url: str, lifetime: timedelta = INVITE_LIFETIME) -> str:
    """A one-time link for ``user_id`` to set a password (``autograder users invite``); the caller commits."""
    return base_url.rstrip("/") + "/invite/" + create_invite(db, user_id, lifetime)
