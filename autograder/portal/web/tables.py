"""The pages' own tables: sign-in sessions, passwords, one-time invites, sign-in failures, regrades.

They sit beside the service's tables (``autograder.portal.db.models``: users, submissions, jobs,
results, extensions) on the same declarative base, in the same Alembic history (revision
``0002_pages``); only the pages (and, for regrade items, the dispatcher) read or write them. Times are
aware UTC datetimes (the service's ``UTCDateTime``).
"""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from autograder.portal.db.models import Base, UTCDateTime


def now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


class WebSession(Base):
    """A signed-in browser. The cookie holds a random token; only its sha256 is stored here."""

    __tablename__ = "web_sessions"
    id: Mapped[str] = mapped_column(sa.String(64), primary_key=True)  # sha256 hex of the cookie's token
    user_id: Mapped[str] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    csrf: Mapped[str] = mapped_column(sa.String(64))  # the forms' token, bound to this session
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    seen_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)


class WebPassword(Base):
    """A user's password as an argon2id hash (the service's users table knows nothing of passwords)."""

    __tablename__ = "web_passwords"
    user_id: Mapped[str] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    hash: Mapped[str] = mapped_column(sa.String(255))
    set_at: Mapped[datetime] = mapped_column(UTCDateTime)


class WebInvite(Base):
    """A one-time link to set a password: the link carries a token, only its sha256 is stored."""

    __tablename__ = "web_invites"
    token_hash: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    user_id: Mapped[str] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class SigninFailures(Base):
    """Failed sign-ins per key ("user:ID" or "addr:IP") in the current window."""

    __tablename__ = "web_signin_failures"
    key: Mapped[str] = mapped_column(sa.String(300), primary_key=True)
    failures: Mapped[int] = mapped_column(sa.Integer, default=0)
    window_start: Mapped[datetime] = mapped_column(UTCDateTime)


class Regrade(Base):
    """A regrade of an assignment's counting submissions after its tests changed: graded as a preview,
    published (each result becomes the student's) only when a TA confirms (``regrade``)."""

    __tablename__ = "web_regrades"
    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True, autoincrement=True)
    assignment: Mapped[str] = mapped_column(sa.String(100), index=True)
    created_by: Mapped[str] = mapped_column(sa.String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(sa.String(16), index=True)  # regrade.RegradeStatus
    old_hash: Mapped[str] = mapped_column(sa.String(200), default="")  # the counting results' hashes
    new_hash: Mapped[str] = mapped_column(sa.String(64), default="")  # the tests' hash at the start
    decided_by: Mapped[str | None] = mapped_column(sa.String(100), nullable=True)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class RegradeItem(Base):
    """One student's counting submission in a regrade: its old result and, once graded, the new one."""

    __tablename__ = "web_regrade_items"
    regrade_id: Mapped[int] = mapped_column(
        sa.ForeignKey("web_regrades.id", ondelete="CASCADE"), primary_key=True
    )
    student_id: Mapped[str] = mapped_column(sa.String(100), primary_key=True)
    submission_id: Mapped[str] = mapped_column(sa.ForeignKey("submissions.id"))
    state: Mapped[str] = mapped_column(sa.String(16), index=True)  # regrade.ItemState
    attempts: Mapped[int] = mapped_column(sa.Integer, default=0)
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    old_score: Mapped[float | None] = mapped_column(sa.Float, nullable=True)
    old_results: Mapped[str | None] = mapped_column(sa.Text, nullable=True)  # results.json text
    new_score: Mapped[float | None] = mapped_column(sa.Float, nullable=True)
    max_score: Mapped[float | None] = mapped_column(sa.Float, nullable=True)
    new_results: Mapped[str | None] = mapped_column(sa.Text, nullable=True)
    new_hash: Mapped[str] = mapped_column(sa.String(64), default="")
    failure: Mapped[str] = mapped_column(sa.Text, default="")
