"""`make bench-portal`: the submission service under a deadline burst, on loopback only.

200 simulated students (the `make demo` class: the solution with realistic mistakes, a few broken
submissions) each submit once; their arrivals are spread uniformly over a short window (--window,
default 2 s: ~100 uploads/s), and, second, all at once. Measured, for one `autograder serve`
(web process and dispatcher, embedded SQLite database, --jobs grading processes):
- accept latency (upload sent -> 202 received), p50/p95/p99 (target p95 <= 100 ms);
- time from the first upload until every submission is graded;
- grading throughput (submissions/s, first upload -> last result) as a ratio of the batch
  `autograder grade` of the same class with the same --jobs on this machine, measured in this run
  (target >= 0.8);
- nothing lost: every upload answered 202, one result per submission, and each student's raw score
  equal to the batch's.
Bounded: at most 1,000 students, every wait has a deadline (--deadline, default 600 s).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402
import sqlalchemy as sa  # noqa: E402

from autograder.devtools.demo import make_class  # noqa: E402
from autograder.grading.batch import grade_class  # noqa: E402
from autograder.portal import auth  # noqa: E402
from autograder.portal.db.engine import make_engine, migrate, sessions  # noqa: E402
from autograder.portal.db.models import Result, Submission, User  # noqa: E402
from autograder.portal.settings import sqlite_url  # noqa: E402

ENV = {**os.environ, "PYTHONPATH": str(ROOT)}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def pct(xs: list[float], q: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, max(0, round(q / 100 * len(xs) + 0.5) - 1))]


def batch(subs: Path, out: Path, jobs: int) -> tuple[float, dict[str, float]]:
    t0 = time.monotonic()
    cr = grade_class(subs, ROOT, "hw07", out, jobs, progress=False)
    return time.monotonic() - t0, {r.student_id: r.raw_score for r in cr.results}


class Server:
    def __init__(self, data: Path, jobs: int):
        self.data, self.jobs = data, jobs
        self.url = sqlite_url(data / "portal.sqlite")
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log = open(data.parent / f"serve-{data.name}.log", "ab")  # noqa: SIM115 - closed in stop()
        self.proc = None

    def users(self, ids: list[str]) -> dict[str, str]:
        engine = make_engine(self.url)
        migrate(engine)
        tokens = {}
        with sessions(engine)() as db:
            for sid in ids:
                db.add(User(id=sid, role="student"))
            db.flush()
            for sid in ids:
                tokens[sid] = auth.new_token(db, sid)
            db.commit()
        engine.dispose()
        return tokens

    def start(self, deadline: float) -> None:
        self.proc = subprocess.Popen([sys.executable, "-m", "autograder", "serve", "--course", str(ROOT),
                                      "--data", str(self.data), "--port", str(self.port), "--jobs",
                                      str(self.jobs)], env=ENV, stdout=self.log, stderr=self.log,
                                     start_new_session=True)
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{self.base}/api/v1/me", timeout=2).status_code == 401:
                    return
            except httpx.HTTPError:
                time.sleep(0.1)
        raise SystemExit("bench-portal: the service did not start")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGINT)
            try:
                self.proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        self.log.close()

    def wait_graded(self, n: int, deadline: float) -> tuple[float, list]:
        engine = make_engine(self.url)
        try:
            while time.monotonic() < deadline:
                with engine.connect() as c:
                    done = c.execute(sa.select(sa.func.count()).select_from(Result)).scalar_one()
                    if done >= n:
                        t = time.monotonic()
                        rows = c.execute(sa.select(Submission.user_id, Submission.status,
                                                   Result.results_json)
                                         .join(Result, Result.submission_id == Submission.id)).all()
                        total = c.execute(sa.select(sa.func.count()).select_from(Submission)).scalar_one()
                        return t, [*rows, total]
                time.sleep(0.05)
        finally:
            engine.dispose()
        raise SystemExit(f"bench-portal: not all graded before the deadline ({n} expected)")


async def burst(base: str, subs: Path, tokens: dict[str, str], window: float, seed: int
                ) -> tuple[float, list[float], list[int]]:
    """Every student uploads once, arrivals uniform over ``window`` s; (t0, latencies, statuses)."""
    rng = random.Random(seed)
    payload = {sid: [("files", (p.name, p.read_bytes())) for p in sorted((subs / sid).glob("*.py"))]
               for sid in tokens}
    limits = httpx.Limits(max_connections=len(tokens), max_keepalive_connections=len(tokens))
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=120) as http:
        t0 = time.monotonic()

        async def one(sid: str) -> tuple[float, int]:
            await asyncio.sleep(rng.uniform(0, window))
            t = time.perf_counter()
            r = await http.post("/api/v1/assignments/hw07/submissions", files=payload[sid],
                                headers={"Authorization": f"Bearer {tokens[sid]}"})
            return time.perf_counter() - t, r.status_code

        got = await asyncio.gather(*(one(sid) for sid in sorted(tokens)))
    return t0, [g[0] for g in got], [g[1] for g in got]


def run_portal(tmp: Path, subs: Path, ids: list[str], jobs: int, window: float, deadline: float,
               want: dict[str, float]) -> dict:
    data = tmp / f"data-{window:g}"
    data.mkdir()
    server = Server(data, jobs)
    tokens = server.users(ids)
    server.start(deadline)
    try:
        t0, lat, codes = asyncio.run(burst(server.base, subs, tokens, window, seed=7))
        t_end, rows = server.wait_graded(codes.count(202), deadline)
    finally:
        server.stop()
    total = rows.pop()
    raw = {uid: json.loads(doc)["extra_data"]["raw_score"] for uid, _st, doc in rows}
    lost = [sid for sid in ids if sid not in raw]
    differ = [sid for sid in ids if sid in raw and abs(raw[sid] - want[sid]) > 1e-9]
    return {"window": window, "p50": pct(lat, 50), "p95": pct(lat, 95), "p99": pct(lat, 99),
            "max": max(lat), "accepted": codes.count(202), "codes": sorted(set(codes)),
            "all_graded_s": t_end - t0, "results": len(rows), "submissions": total, "lost": lost,
            "differ": differ, "graded": sum(st == "graded" for _u, st, _d in rows)}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="bench_portal", description=__doc__.splitlines()[0])
    p.add_argument("--students", type=int, default=200)
    p.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    p.add_argument("--window", type=float, default=2.0, help="arrivals spread over this many seconds")
    p.add_argument("--deadline", type=float, default=600.0)
    args = p.parse_args(argv)
    if not 1 <= args.students <= 1000:
        raise SystemExit("bench-portal: --students must be between 1 and 1000")
    deadline = time.monotonic() + args.deadline
    tmp = Path(tempfile.mkdtemp(prefix="autograder-bench-portal-"))
    try:
        subs = tmp / "class"
        make_class(ROOT, "hw07", ROOT / "tests" / "submissions", subs, n=args.students)
        ids = sorted(d.name for d in subs.iterdir())
        t_batch, want = batch(subs, tmp / "batch-out", args.jobs)
        runs = [run_portal(tmp, subs, ids, args.jobs, w, deadline, want) for w in (args.window, 0.0)]
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    n = len(ids)
    print(f"bench-portal: {n} students, --jobs {args.jobs}, loopback, embedded SQLite (WAL, "
          f"synchronous=FULL)")
    print(f"batch `autograder grade`: {t_batch:.1f} s = {n / t_batch:.1f} submissions/s")
    ok = True
    for r in runs:
        how = f"arrivals over {r['window']:g} s" if r["window"] else "all at once"
        thr = n / r["all_graded_s"]
        print(f"portal, {how}: accept latency p50 {r['p50'] * 1000:.0f} ms, p95 {r['p95'] * 1000:.0f} ms, "
              f"p99 {r['p99'] * 1000:.0f} ms, max {r['max'] * 1000:.0f} ms (target p95 <= 100 ms)")
        print(f"  all graded {r['all_graded_s']:.1f} s after the first upload = {thr:.1f} submissions/s = "
              f"{thr / (n / t_batch):.2f} x batch (target >= 0.8)")
        print(f"  accepted {r['accepted']}/{n} (statuses {r['codes']}), submissions {r['submissions']}, "
              f"results {r['results']} (graded {r['graded']}), lost {len(r['lost'])}, raw score differs "
              f"from batch {len(r['differ'])}")
        ok = ok and r["accepted"] == n and r["results"] == n == r["submissions"] and not r["lost"] \
            and not r["differ"]
    print("nothing lost" if ok else "LOST OR DIFFERENT RESULTS")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
