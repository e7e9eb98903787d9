"""The portal's tables (SQLAlchemy 2.0 declarative). Alembic migrations in ``portal/migrations``.

A submission has one job (its place in the queue and the lease of the dispatcher grading it) and at
most one result: ``results.submission_id`` is unique, so a result is recorded exactly once.
Times are aware UTC datetimes (``UTCDateTime``) on every database.
"""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


def now() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(sa.TypeDecorator):
    """Aware UTC datetimes in and out (SQLite keeps no offset: a naive value read back is UTC)."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the database; use an aware UTC time")
        return value.astimezone(UTC)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    pass


class Role:
    STUDENT = "student"
    TA = "ta"
    INSTRUCTOR = "instructor"
    ALL = (STUDENT, TA, INSTRUCTOR)
    STAFF = (TA, INSTRUCTOR)


class User(Base):
    __tablename__ = "users"
    id: Mapped[str] = mapped_column(sa.String(100), primary_key=True)  # the student id of grades.csv
    role: Mapped[str] = mapped_column(sa.String(20))
    name: Mapped[str] = mapped_column(sa.String(200), default="")
    email: Mapped[str] = mapped_column(sa.String(200), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)

    @property
    def is_staff(self) -> bool:
        return self.role in Role.STAFF


class Token(Base):
    """A personal API token: only its sha256 is stored; revoked tokens stay for the record."""

    __tablename__ = "tokens"
    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    user_id: Mapped[str] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    digest: Mapped[str] = mapped_column(sa.String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class SubmissionStatus:
    QUEUED = "queued"
    GRADING = "grading"
    GRADED = "graded"
    FAILED = "failed"  # the grader failed (twice): does not count against the student's attempts


class Submission(Base):
    __tablename__ = "submissions"
    id: Mapped[str] = mapped_column(sa.String(32), primary_key=True)  # random: not guessable
    user_id: Mapped[str] = mapped_column(sa.ForeignKey("users.id"), index=True)
    assignment: Mapped[str] = mapped_column(sa.String(100), index=True)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    sha256: Mapped[str] = mapped_column(sa.String(64))  # receipt: over the files' names and bytes
    manifest: Mapped[str] = mapped_column(sa.Text)  # JSON [[shown name, blob sha256, size], ...]
    status: Mapped[str] = mapped_column(sa.String(20), default=SubmissionStatus.QUEUED, index=True)
    score: Mapped[float | None] = mapped_column(sa.Float, nullable=True)
    max_score: Mapped[float | None] = mapped_column(sa.Float, nullable=True)


class JobState:
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"


class Job(Base):
    """A submission's place in the queue; ``attempt`` counts claims, ``lease_until`` ends a claim."""

    __tablename__ = "jobs"
    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)  # queue order
    submission_id: Mapped[str] = mapped_column(sa.ForeignKey("submissions.id"), unique=True)
    state: Mapped[str] = mapped_column(sa.String(20), default=JobState.QUEUED, index=True)
    attempt: Mapped[int] = mapped_column(sa.Integer, default=0)
    owner: Mapped[str] = mapped_column(sa.String(100), default="")  # the dispatcher holding the lease
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    failures: Mapped[str] = mapped_column(sa.Text, default="")  # why earlier attempts were lost
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)


class Result(Base):
    """The one recorded result of a submission (results.json as the grader wrote it)."""

    __tablename__ = "results"
    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    submission_id: Mapped[str] = mapped_column(sa.ForeignKey("submissions.id"), unique=True)
    job_id: Mapped[int] = mapped_column(sa.ForeignKey("jobs.id"))
    attempt: Mapped[int] = mapped_column(sa.Integer)
    submission_hash: Mapped[str] = mapped_column(sa.String(64))  # of the vetted files and notes
    assignment_hash: Mapped[str] = mapped_column(sa.String(64))
    results_json: Mapped[str] = mapped_column(sa.Text)
    score: Mapped[float] = mapped_column(sa.Float)
    max_score: Mapped[float] = mapped_column(sa.Float)
    grader_failure: Mapped[bool] = mapped_column(sa.Boolean, default=False)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)


class Extension(Base):
    """A student's own due date (and hard close) for one assignment (``autograder extend``)."""

    __tablename__ = "extensions"
    __table_args__ = (sa.UniqueConstraint("user_id", "assignment"),)
    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    user_id: Mapped[str] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    assignment: Mapped[str] = mapped_column(sa.String(100))
    until: Mapped[datetime] = mapped_column(UTCDateTime)
    granted_by: Mapped[str] = mapped_column(sa.String(100), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
