"""Personal API tokens: 256 random bits, shown once, stored as their sha256, revocable.

A token has enough entropy that a fast hash suffices (passwords, with argon2, are the pages'
business); the digest is looked up by equality on a unique index, so no timing leak of the token.
"""

from __future__ import annotations

import hashlib
import secrets

import sqlalchemy as sa
from sqlalchemy.orm import Session

from autograder.portal.db.models import Token, User, now

PREFIX = "ag_"


def digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def new_token(db: Session, user_id: str) -> str:
    """A new token for ``user_id`` (its other tokens stay valid); the caller commits."""
    token = PREFIX + secrets.token_urlsafe(32)
    db.add(Token(user_id=user_id, digest=digest(token)))
    return token


def revoke(db: Session, user_id: str) -> int:
    """Revoke every token of ``user_id``; how many were revoked. The caller commits."""
    res = db.execute(sa.update(Token).where(Token.user_id == user_id, Token.revoked_at.is_(None))
                     .values(revoked_at=now()))
    return res.rowcount


def user_for(db: Session, token: str) -> User | None:
    """The user a valid (not revoked) token belongs to."""
    if not token or len(token) > 200:
        return None
    return db.execute(sa.select(User).join(Token, Token.user_id == User.id)
                      .where(Token.digest == digest(token), Token.revoked_at.is_(None))).scalar_one_or_none()
