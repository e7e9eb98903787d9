"""The service under faults, as real processes (uvicorn web process, dispatcher with grading
processes) on SQLite and PostgreSQL: SIGKILL of the web process right after a 202, SIGKILL of the
dispatcher mid-grading, a hostile submission in the queue. After a restart every accepted
submission ends graded, with exactly one recorded result."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa
from portal_support import PY, db_url, pg_server  # noqa: F401 - fixtures
from tiny_course import SOL, make_course

import autograder
from autograder.cli import main
from autograder.portal.db.engine import make_engine
from autograder.portal.db.models import Job, Result, Submission

pytestmark = pytest.mark.slow
ENV = {**os.environ, "PYTHONPATH": str(Path(autograder.__file__).resolve().parents[1])}
HOSTILE = "".join(f"def {fn}(*a, **k):\n    while True:\n        pass\n\n\n" for fn in
                  ("sigmoid", "sigmoid_grad", "relu", "relu_grad", "tanh_grad", "softmax"))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Service:
    """A course, a data folder and a database; web and dispatcher processes started and killed at will."""

    def __init__(self, root: Path, url: str):
        self.course = make_course(root / "course", due=None)
        self.data, self.url, self.logs = root / "data", url, root / "logs"
        self.logs.mkdir()
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.procs: list[subprocess.Popen] = []
        common = ["--data", str(self.data), "--db", url]
        assert main(["users", "add", "alice", "--role", "student", *common]) == 0
        assert main(["users", "add", "tina", "--role", "ta", *common]) == 0
        self.tokens = {u: self._token(u, common) for u in ("alice", "tina")}
        self.engine = make_engine(url)

    def _token(self, user: str, common: list[str]) -> str:
        out = subprocess.run([sys.executable, "-m", "autograder", "users", "token", user, *common], env=ENV,
                             capture_output=True, text=True, timeout=60, check=True)
        return out.stdout.strip()

    def _start(self, *args: str) -> subprocess.Popen:
        log = open(self.logs / f"{args[0]}-{len(self.procs)}.log", "ab")  # noqa: SIM115 - the child's
        p = subprocess.Popen([sys.executable, "-m", "autograder", *args, "--course", str(self.course),
                              "--data", str(self.data), "--db", self.url], env=ENV, stdout=log, stderr=log,
                             start_new_session=True)
        log.close()
        self.procs.append(p)
        return p

    def web(self) -> subprocess.Popen:
        p = self._start("serve", "--no-dispatcher", "--port", str(self.port))
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            assert p.poll() is None, "the web process exited"
            try:
                if httpx.get(f"{self.base}/api/v1/me", timeout=2).status_code == 401:
                    return p
            except httpx.HTTPError:
                time.sleep(0.1)
        raise AssertionError("the web process did not start in 60 s")

    def dispatcher(self, jobs: int = 1, lease: float = 3) -> subprocess.Popen:
        return self._start("dispatch", "--jobs", str(jobs), "--lease", str(lease))

    def submit(self, files=PY, who: str = "alice") -> httpx.Response:
        return httpx.post(f"{self.base}/api/v1/assignments/hw07/submissions", files=files, timeout=30,
                          headers={"Authorization": f"Bearer {self.tokens[who]}"})

    def rows(self):
        with self.engine.connect() as c:
            subs = dict(c.execute(sa.select(Submission.id, Submission.status)).all())
            results = c.execute(sa.select(Result.submission_id, Result.attempt, Result.grader_failure,
                                          Result.recorded_at)).all()
            jobs = {r.submission_id: r for r in c.execute(sa.select(Job)).all()}
        return subs, results, jobs

    def wait_graded(self, n: int, timeout: float = 180) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            subs, _r, _j = self.rows()
            if len(subs) >= n and all(s in ("graded", "failed") for s in subs.values()):
                return
            time.sleep(0.2)
        raise AssertionError(f"not all graded after {timeout} s: {self.rows()[0]}")

    @staticmethod
    def kill(p: subprocess.Popen) -> None:
        os.killpg(p.pid, signal.SIGKILL)  # the process and its grading processes, no goodbye
        p.wait(timeout=30)

    def close(self) -> None:
        for p in self.procs:
            if p.poll() is None:
                os.killpg(p.pid, signal.SIGTERM)
                try:
                    p.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    os.killpg(p.pid, signal.SIGKILL)
                    p.wait()
        self.engine.dispose()


@pytest.fixture
def service(tmp_path, db_url):  # noqa: F811
    s = Service(tmp_path, db_url)
    yield s
    s.close()


def exactly_one_result_each(service: Service, accepted: list[str]) -> None:
    subs, results, _jobs = service.rows()
    assert set(accepted) <= set(subs)
    assert sorted(r.submission_id for r in results) == sorted(subs)  # one row per submission, no more
    assert all(subs[s] == "graded" for s in subs), subs
    assert not any(r.grader_failure for r in results)


def test_sigkill_of_the_web_process_right_after_a_202_loses_nothing(service):
    web = service.web()
    accepted: list[str] = []
    lock = threading.Lock()
    killed = threading.Event()

    def student() -> None:
        for _ in range(4):
            try:
                r = service.submit()
            except httpx.HTTPError:
                return  # the web process is gone: this upload was never acknowledged
            if r.status_code == 202:
                with lock:
                    accepted.append(r.json()["id"])
                    if len(accepted) == 6 and not killed.is_set():
                        killed.set()
                        service.kill(web)  # right after the 6th 202, other uploads in flight

    threads = [threading.Thread(target=student) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert killed.is_set() and len(accepted) >= 6
    service.web()  # restarted on the same data and database
    service.dispatcher(jobs=2)
    subs, _r, _j = service.rows()
    service.wait_graded(len(subs))
    exactly_one_result_each(service, accepted)
    for sid in accepted:
        r = httpx.get(f"{service.base}/api/v1/submissions/{sid}", timeout=30,
                      headers={"Authorization": f"Bearer {service.tokens['alice']}"}).json()
        assert r["status"] == "graded" and r["score"] == 4.0  # 2 tests, 2 points each


def test_sigkill_of_the_dispatcher_mid_grading_regrades_once(service):
    service.web()
    spin = "def sigmoid(x):\n    for _ in range(10**7):\n        pass\n    return _sig(x)\n\n\ndef _sig(x):"
    slow = SOL["activations.py"].replace("def sigmoid(x):", spin)
    files = [("files", ("activations.py", slow.encode())), ("files", ("optim.py", SOL["optim.py"].encode()))]
    accepted = [service.submit(files).json()["id"] for _ in range(4)]
    d = service.dispatcher(jobs=1, lease=3)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:  # kill it while a job is being graded (after one result)
        subs, results, _j = service.rows()
        if results and "grading" in subs.values():
            os.killpg(d.pid, signal.SIGSTOP)  # frozen: what the rows say now stays true until the kill
            subs, results, _j = service.rows()
            if results and "grading" in subs.values():
                break
            os.killpg(d.pid, signal.SIGCONT)  # it finished that one just before: try the next
        time.sleep(0.05)
    else:
        raise AssertionError("the dispatcher never got going")
    interrupted = next(s for s, st in subs.items() if st == "grading")
    service.kill(d)
    assert service.rows()[0][interrupted] == "grading"  # its lease holds it until it expires
    service.dispatcher(jobs=1, lease=3)
    service.wait_graded(len(accepted))
    exactly_one_result_each(service, accepted)
    _s, results, jobs = service.rows()
    assert jobs[interrupted].attempt == 2
    assert {r.attempt for r in results if r.submission_id != interrupted} == {1}


def test_a_hostile_submission_delays_nobody_beyond_its_own_budget(service):
    toml = service.course / "assignments/hw07/assignment.toml"
    toml.write_text(toml.read_text().replace("call_timeout = 2.0", "call_timeout = 5.0"))  # its budget: 5 s
    service.web()
    hostile = service.submit([("files", ("activations.py", HOSTILE.encode()))]).json()["id"]
    honest = [service.submit().json()["id"] for _ in range(5)]
    t0 = time.monotonic()
    service.dispatcher(jobs=2)
    service.wait_graded(6)
    took = time.monotonic() - t0
    _s, results, _j = service.rows()
    done = {r.submission_id: r.recorded_at for r in results}
    assert all(done[h] < done[hostile] for h in honest)  # graded beside it, not after it
    r = httpx.get(f"{service.base}/api/v1/submissions/{hostile}", timeout=30,
                  headers={"Authorization": f"Bearer {service.tokens['tina']}"}).json()
    assert r["status"] == "graded" and r["score"] == 0.0
    kinds = r["results"]["extra_data"]["kinds"]
    assert "timeout" in kinds  # its own budget: the time limit per call
    assert 5 <= took < 90  # the hostile one used its budget (one call into sigmoid), and about no more


def test_make_serve_then_submit_from_a_student_folder_gives_a_graded_result(tmp_path):
    """The acceptance path on the real hw07: demo users and folders (serve_demo), `autograder serve`
    with its dispatcher, `autograder submit` from the student folder; Ctrl-C stops both processes."""
    from autograder.devtools.serve_demo import prepare

    repo = Path(autograder.__file__).resolve().parents[1]
    data = tmp_path / "demo"
    tokens = prepare(repo, data)
    port = free_port()
    serve = subprocess.Popen([sys.executable, "-m", "autograder", "serve", "--course", str(repo), "--data",
                              str(data), "--port", str(port), "--jobs", "1"], env=ENV, start_new_session=True,
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        env = {**ENV, "AUTOGRADER_TOKEN": tokens["alice"], "AUTOGRADER_LANG": "en"}
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/api/v1/me", timeout=2).status_code == 401:
                    break
            except httpx.HTTPError:
                assert time.monotonic() < deadline and serve.poll() is None
                time.sleep(0.1)
        out = subprocess.run([sys.executable, "-m", "autograder", "submit", "--server",
                              f"http://127.0.0.1:{port}"], cwd=data / "students" / "alice", env=env,
                             capture_output=True, text=True, timeout=300)
        assert out.returncode == 0, out.stderr
        assert "score: 100 / 100" in out.stdout and "softmax_cross_entropy" in out.stdout
    finally:
        serve.send_signal(signal.SIGINT)  # Ctrl-C
        assert serve.wait(timeout=60) == 0
    with pytest.raises(ProcessLookupError):  # the dispatcher and its grading processes are gone too
        for _ in range(100):
            os.killpg(serve.pid, 0)
            time.sleep(0.1)
