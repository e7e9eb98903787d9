"""The settings of one deployment: where the course and the data live, the database, the limits."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

DB_FILE = "portal.sqlite"  # the embedded database, under the data folder


@dataclass(frozen=True)
class UploadLimits:
    """Caps checked while the upload streams in (then ``autograder.intake`` vets what is inside)."""

    max_bytes: int = 8 * 1024 * 1024  # the whole request body
    max_files: int = 20  # parts in the field ``files``
    max_file_bytes: int = 8 * 1024 * 1024  # one part


@dataclass(frozen=True)
class RateLimits:
    """Requests per window, per token and per client address (a 429 with Retry-After beyond)."""

    per_token: int = 120
    per_address: int = 300
    window_seconds: float = 60.0


@dataclass(frozen=True)
class Settings:
    course: Path  # the course root: assignments/, reference/
    data: Path  # uploads (blobs/), the embedded database; never served
    db_url: str = ""  # SQLAlchemy URL; "" = sqlite under ``data``
    host: str = "127.0.0.1"
    port: int = 8000
    jobs: int = 1  # grading processes of the dispatcher that ``serve`` starts
    uploads: UploadLimits = field(default_factory=UploadLimits)
    rates: RateLimits = field(default_factory=RateLimits)
    lease_seconds: float = 60.0  # a claimed job is the dispatcher's for this long without a heartbeat
    heartbeat_seconds: float = 10.0

    @property
    def database_url(self) -> str:
        return self.db_url or sqlite_url(self.data / DB_FILE)


def sqlite_url(path: Path) -> str:
    return f"sqlite:///{Path(path).resolve()}"


def db_url_from(value: str | None, data: Path) -> str:
    """``--db``: a SQLAlchemy URL, or a SQLite file path; "" / None: the embedded default."""
    if not value:
        return sqlite_url(Path(data) / DB_FILE)
    if "://" in value:
        return value
    return sqlite_url(Path(value))
