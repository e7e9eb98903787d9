"""Fixtures of the service's tests: a real PostgreSQL server started here, databases per test, an
app with users and tokens, and a fake executor (for the dispatcher's bookkeeping without grading).

PostgreSQL: Debian's server binaries (``make postgres`` installs the package), ``initdb`` and
``pg_ctl`` in a temporary folder, run as ``nobody`` when the tests run as root (postgres refuses
root), listening only on a unix socket in that folder. Missing binaries fail the tests, never skip.
"""

from __future__ import annotations

import glob
import itertools
import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field, replace
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from tiny_course import SOL, make_course

from autograder.course.results import ExerciseScore, SubmissionResult
from autograder.portal import auth
from autograder.portal.app import create_app
from autograder.portal.db.models import User
from autograder.portal.settings import Settings

_NUMBERS = itertools.count(1)


def _pg_bin() -> Path:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(p.split("/")[4]))
    if found:
        return Path(found[-1]).parent
    which = shutil.which("initdb")
    if which:
        return Path(which).resolve().parent
    pytest.fail("PostgreSQL's server is not installed (no initdb): run `make postgres` (as root it installs "
                "Debian's postgresql package) — the service's tests run against a real PostgreSQL server")


@dataclass
class PgServer:
    root: Path
    socket: Path
    user: str = "postgres"

    def url(self, db: str) -> str:
        return f"postgresql+psycopg://{self.user}@/{db}?host={self.socket}"

    def create_database(self) -> str:
        import psycopg

        name = f"t{os.getpid()}_{next(_NUMBERS)}"
        with psycopg.connect(host=str(self.socket), user=self.user, dbname="postgres", autocommit=True) as c:
            c.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)


@pytest.fixture(scope="session")
def pg_server():
    bindir = _pg_bin()
    root = Path(tempfile.mkdtemp(prefix="autograder-pg-"))
    os.chmod(root, 0o755)
    data, sock = root / "data", root / "sock"
    sock.mkdir()
    prefix: list[str] = []
    if os.getuid() == 0:  # postgres refuses to run as root
        shutil.chown(root, "nobody")
        shutil.chown(sock, "nobody")
        prefix = ["runuser", "-u", "nobody", "--"]

    def run(*cmd: str, timeout: float = 120) -> None:
        p = subprocess.run([*prefix, *cmd], capture_output=True, text=True, timeout=timeout, cwd=root)
        if p.returncode != 0:
            pytest.fail(f"{' '.join(cmd)} failed ({p.returncode}): {p.stdout[-2000:]} {p.stderr[-2000:]}")

    run(str(bindir / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync")
    run(str(bindir / "pg_ctl"), "-D", str(data), "-l", str(root / "server.log"), "-w", "-t", "60", "-o",
        f"-k {sock} -c listen_addresses='' -c fsync=off -c max_connections=200", "start")
    try:
        yield PgServer(root, sock)
    finally:
        subprocess.run([*prefix, str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop"],
                       capture_output=True, timeout=60, cwd=root)
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request, tmp_path):
    """A fresh, empty database of each kind."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'db' / 'portal.sqlite'}"
    return request.getfixturevalue("pg_server").create_database()


PY = [("files", ("activations.py", SOL["activations.py"].encode())),
      ("files", ("optim.py", SOL["optim.py"].encode()))]


class Portal:
    """A course, an app on ``url``, users alice and bob (students) and tina (TA) with tokens."""

    def __init__(self, root: Path, url: str, toml_extra: str = "",
                 due: str | None = "2030-01-01T00:00:00+00:00", **settings):
        self.course = make_course(root / "course", due=due)
        if toml_extra:
            toml = self.course / "assignments/hw07/assignment.toml"
            toml.write_text(toml.read_text() + toml_extra)
        self.settings = Settings(course=self.course, data=root / "data", db_url=url, **settings)
        self.app = create_app(self.settings)
        self.state = self.app.state.portal
        self.http = TestClient(self.app)
        self.tokens = {}
        with self.state.sessions() as db:
            for uid, role in (("alice", "student"), ("bob", "student"), ("tina", "ta")):
                db.add(User(id=uid, role=role))
            db.flush()
            for uid in ("alice", "bob", "tina"):
                self.tokens[uid] = auth.new_token(db, uid)
            db.commit()

    def h(self, who: str) -> dict:
        return {"Authorization": f"Bearer {self.tokens[who]}"}

    def submit(self, who: str = "alice", files=PY, assignment: str = "hw07", **kw):
        return self.http.post(f"/api/v1/assignments/{assignment}/submissions", files=files,
                              headers=self.h(who), **kw)

    def get(self, path: str, who: str = "alice"):
        return self.http.get(path, headers=self.h(who))

    def dispatch(self, **kw):
        from autograder.portal.dispatcher import Dispatcher

        make = fake_factory(**kw)
        d = Dispatcher(replace(self.settings), self.state.engine, make_executor=make, poll=0.01)
        d.run(until_idle=True)
        return make


# -- a fake executor: the dispatcher's bookkeeping without grading processes

@dataclass
class FakeExecutor:
    """Grades instantly: the score is the number of files; ``lose`` keys (or every task while
    ``lose_all``) come back lost; ``wrong`` keys come back with another assignment hash."""

    ref: object
    jobs: int = 1
    lose: set[str] = field(default_factory=set)
    lose_all: bool = False
    wrong: set[str] = field(default_factory=set)
    pending: list = field(default_factory=list)
    seen: list = field(default_factory=list)
    closed: bool = False

    def capacity(self) -> int:
        return self.jobs

    def submit(self, task) -> None:
        self.seen.append(task)
        self.pending.append(task)

    def completed(self, timeout: float):
        from autograder.portal.seam import TaskOutcome
        from autograder.render import gradescope

        out = []
        for t in self.pending:
            if self.lose_all or t.key in self.lose:
                out.append(TaskOutcome(t.key, None, "the fake grading process died"))
                continue
            ex = (ExerciseScore("sigmoid", float(len(t.files)), 100.0, True),)
            ahash = "0" * 16 if t.key in self.wrong else self.ref.assignment_hash
            r = SubmissionResult(student_id=t.student_id, assignment=self.ref.name, tests=(), exercises=ex,
                                 notes=t.notes, submission_hash=t.submission_hash, assignment_hash=ahash)
            out.append(TaskOutcome(t.key, gradescope.dumps(r)))
        self.pending = []
        return out

    def close(self) -> None:
        self.closed = True


def fake_factory(**kw):
    made: list[FakeExecutor] = []

    def make(ref, jobs, log_dir):
        ex = FakeExecutor(ref, jobs, **kw)
        made.append(ex)
        return ex

    make.made = made
    return make
