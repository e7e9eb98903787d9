"""The service's commands: users add|import|token|revoke, extend, and submit/login against a real
web process (the grading done by an in-process dispatcher with a fake executor)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa
from portal_support import fake_factory
from tiny_course import SOL, make_course

import autograder
from autograder.cli import main
from autograder.portal.db.engine import make_engine
from autograder.portal.db.models import Extension, Token, User
from autograder.portal.settings import Settings

ENV = {**os.environ, "PYTHONPATH": str(Path(autograder.__file__).resolve().parents[1])}


def test_users_add_import_token_revoke(tmp_path, capsys):
    data = tmp_path / "data"
    assert main(["users", "add", "tina", "--role", "ta", "--name", "Tina", "--data", str(data)]) == 0
    roster = tmp_path / "roster.csv"
    roster.write_text("Student ID,Name,Email,Section\nalice,Alice A,a@x.edu,1\nbob,Bob B,b@x.edu,2\n")
    assert main(["users", "import", str(roster), "--data", str(data)]) == 0
    assert "2 user(s)" in capsys.readouterr().out
    assert main(["users", "token", "alice", "--data", str(data)]) == 0
    token = capsys.readouterr().out.strip()
    assert token.startswith("ag_") and len(token) > 40
    engine = make_engine(f"sqlite:///{data / 'portal.sqlite'}")
    with engine.connect() as c:
        users = {r.id: (r.role, r.name, r.email) for r in c.execute(sa.select(User)).all()}
        digests = c.execute(sa.select(Token.digest)).scalars().all()
    assert users == {"tina": ("ta", "Tina", ""), "alice": ("student", "Alice A", "a@x.edu"),
                     "bob": ("student", "Bob B", "b@x.edu")}
    assert token not in digests and len(digests) == 1
    assert main(["users", "revoke", "alice", "--data", str(data)]) == 0
    assert "1 token(s) of alice revoked" in capsys.readouterr().out
    assert main(["users", "token", "nobody", "--data", str(data)]) == 2
    assert "no user 'nobody'" in capsys.readouterr().err
    bad = tmp_path / "bad.csv"
    bad.write_text("name\nx\n")
    assert main(["users", "import", str(bad), "--data", str(data)]) == 2
    assert "student_id" in capsys.readouterr().err
    engine.dispose()


def test_extend(tmp_path, capsys):
    data = tmp_path / "data"
    main(["users", "add", "alice", "--role", "student", "--data", str(data)])
    assert main(["extend", "alice", "--assignment", "hw07", "--until", "2026-12-08T23:59+03:00",
                 "--by", "tina", "--data", str(data)]) == 0
    assert main(["extend", "alice", "--assignment", "hw07", "--until", "2026-12-09T23:59+03:00",
                 "--data", str(data)]) == 0  # replaces it
    assert main(["extend", "alice", "--assignment", "hw07", "--until", "tomorrow", "--data", str(data)]) == 2
    assert "ISO 8601" in capsys.readouterr().err
    assert main(["extend", "alice", "--assignment", "hw07", "--until", "2026-12-09T23:59", "--data",
                 str(data)]) == 2
    assert "UTC offset" in capsys.readouterr().err
    engine = make_engine(f"sqlite:///{data / 'portal.sqlite'}")
    with engine.connect() as c:
        rows = c.execute(sa.select(Extension.user_id, Extension.until)).all()
    assert len(rows) == 1 and rows[0].until.isoformat().startswith("2026-12-09T20:59")
    engine.dispose()


@pytest.fixture
def web(tmp_path):
    """A web process on a free port (no dispatcher), a course and a student with a token."""
    import socket

    course = make_course(tmp_path / "course", due=None)
    data = tmp_path / "data"
    main(["users", "add", "alice", "--role", "student", "--data", str(data)])
    out = subprocess.run([sys.executable, "-m", "autograder", "users", "token", "alice", "--data", str(data)],
                         env=ENV, capture_output=True, text=True, check=True, timeout=60)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    p = subprocess.Popen([sys.executable, "-m", "autograder", "serve", "--no-dispatcher", "--course",
                          str(course), "--data", str(data), "--port", str(port)], env=ENV,
                         start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            if httpx.get(f"{base}/api/v1/me", timeout=2).status_code == 401:
                break
        except httpx.HTTPError:
            assert time.monotonic() < deadline and p.poll() is None, "the web process did not start"
            time.sleep(0.1)
    yield base, out.stdout.strip(), course, data
    os.killpg(p.pid, signal.SIGTERM)
    p.wait(timeout=30)


def test_login_saves_the_token_and_submit_waits_for_the_grade(web, tmp_path, monkeypatch, capsys):
    from autograder.portal.dispatcher import Dispatcher

    base, token, course, data = web
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.delenv("AUTOGRADER_TOKEN", raising=False)
    folder = tmp_path / "alice"
    folder.mkdir()
    (folder / "assignment.toml").write_text((course / "assignments/hw07/assignment.toml").read_text())
    for name in ("activations.py", "optim.py"):
        (folder / name).write_text(SOL[name])
    assert main(["submit", str(folder), "--server", base]) == 2
    assert "no API token" in capsys.readouterr().err
    assert main(["login", "--server", base, "--token", "ag_wrong"]) == 2
    assert "did not accept" in capsys.readouterr().err
    assert main(["login", "--server", base + "/", "--token", token]) == 0
    saved = tmp_path / "config/autograder/tokens.json"
    assert saved.stat().st_mode & 0o777 == 0o600 and token in saved.read_text()

    stop = threading.Event()
    d = Dispatcher(Settings(course=course, data=data), make_executor=fake_factory(), poll=0.05)
    grader = threading.Thread(target=d.run, args=(stop,))
    grader.start()
    try:
        assert main(["submit", str(folder), "--server", base]) == 0  # the assignment from assignment.toml
    finally:
        stop.set()
        grader.join(timeout=60)
        d.engine.dispose()
    out = capsys.readouterr().out
    assert "submitted activations.py, optim.py for hw07" in out and "receipt: id " in out
    assert "score: 2 / 100" in out and "sigmoid" in out
    assert main(["submit", str(folder / "nothing.py"), "--server", base]) == 2
    assert "no such file" in capsys.readouterr().err
    (folder / "notes.txt").write_text("x")
    assert main(["submit", str(folder / "notes.txt"), "--assignment", "hw07", "--server", base]) == 2
    assert "(422)" in capsys.readouterr().err
