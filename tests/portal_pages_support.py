"""A live portal for the pages' tests: the service's app on uvicorn (127.0.0.1, a free port) and a
dispatcher with real grading processes, both in threads of the test process, on a course folder and a
data folder of the test's own. ``users`` are added and invited through the real ``autograder users``
commands; ``Browserless`` signs in with httpx and reads the CSRF token from the page, as a browser would.
"""

from __future__ import annotations

import contextlib
import io
import re
import shutil
import socket
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
STUDENT_FILES = ("activations.py", "gates.py", "optim.py", "logreg.py")
PASSWORD = "correct horse battery staple"


def copy_course(dest: Path) -> Path:
    """The parts of this repository a course needs (assignments/, reference/), to change tests in."""
    for part in ("assignments", "reference"):
        shutil.copytree(ROOT / part, dest / part, ignore=shutil.ignore_patterns("__pycache__"))
    return dest


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cli(*argv: str) -> str:
    """Run ``autograder ARGV`` in process; its stdout (fails on a non-zero exit)."""
    from autograder.cli import main

    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        rc = main(list(argv))
    assert rc == 0, f"autograder {' '.join(argv)} exited {rc}: {out.getvalue()}"
    return out.getvalue().strip()


@dataclass
class LivePortal:
    course: Path
    data: Path
    jobs: int = 1
    port: int = field(default_factory=free_port)

    def __post_init__(self):
        import uvicorn

        from autograder.portal.app import create_app
        from autograder.portal.dispatcher import Dispatcher
        from autograder.portal.settings import Settings

        self.settings = Settings(course=self.course, data=self.data, jobs=self.jobs, port=self.port)
        self.app = create_app(self.settings)
        config = uvicorn.Config(self.app, host="127.0.0.1", port=self.port, log_level="warning",
                                proxy_headers=True, forwarded_allow_ips="127.0.0.1")
        self.server = uvicorn.Server(config)
        self._web = threading.Thread(target=self.server.run, name="portal-web", daemon=True)
        self._web.start()
        self._stop = threading.Event()
        self.dispatcher = Dispatcher(self.settings, engine=self.app.state.portal.engine)
        self._disp = threading.Thread(target=self.dispatcher.run, args=(self._stop,),
                                      name="portal-dispatcher", daemon=True)
        self._disp.start()
        self.clients: list = []
        deadline = time.monotonic() + 30
        while not self.server.started:
            if time.monotonic() > deadline or not self._web.is_alive():
                raise RuntimeError("the portal's web server did not start in 30 s")
            time.sleep(0.05)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def data_args(self) -> list[str]:
        return ["--data", str(self.data), "--db", self.settings.database_url]

    def add_user(self, uid: str, role: str = "student", name: str = "") -> None:
        cli("users", "add", uid, "--role", role, "--name", name, *self.data_args())

    def invite(self, uid: str) -> str:
        return cli("users", "invite", uid, "--base-url", self.url, *self.data_args())

    def stop(self) -> None:
        for c in self.clients:
            c.close()
        self._stop.set()
        self.server.should_exit = True
        self._web.join(30)
        self._disp.join(60)
        self.app.state.portal.engine.dispose()


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found, "the page has no form with a CSRF token"
    return found.group(1)


class Browserless:
    """A signed-in visitor without a browser: cookies, and the CSRF token of the last page read."""

    def __init__(self, portal: LivePortal, https: bool = False):
        headers = {"X-Forwarded-Proto": "https"} if https else {}
        self.http = httpx.Client(base_url=portal.url, headers=headers, timeout=30)
        self.portal = portal
        self.csrf = ""
        portal.clients.append(self.http)

    def get(self, path: str, **kw) -> httpx.Response:
        r = self.http.get(path, **kw)
        if "text/html" in r.headers.get("content-type", "") and 'name="csrf"' in r.text:
            self.csrf = csrf_of(r.text)
        return r

    def post(self, path: str, data: dict | None = None, **kw) -> httpx.Response:
        return self.http.post(path, data=data or {}, **kw)

    def accept_invite(self, link: str, password: str = PASSWORD) -> httpx.Response:
        path = link.removeprefix(self.portal.url)
        self.get(path)
        return self.post(path, {"csrf": self.csrf, "password": password, "password2": password})

    def signin(self, uid: str, password: str = PASSWORD) -> httpx.Response:
        self.get("/signin")
        return self.post("/signin", {"csrf": self.csrf, "user_id": uid, "password": password})

    def submit(self, folder: Path, assignment: str = "hw07", names=STUDENT_FILES) -> httpx.Response:
        self.get(f"/a/{assignment}")
        files = [("files", (n, (folder / n).read_bytes())) for n in names]
        return self.post(f"/a/{assignment}/submit", {"csrf": self.csrf}, files=files)

    def wait_graded(self, submission_path: str, timeout: float = 180) -> dict:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            doc = self.http.get(submission_path + "/status.json").json()
            if doc.get("done"):
                return doc
            time.sleep(0.25)
        raise AssertionError(f"{submission_path} was not graded in {timeout} s")
