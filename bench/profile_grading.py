"""Where one warm grading session's time goes, per submission (a measuring tool, not a test).

    python bench/profile_grading.py [--runs 20] [--case solution,ce_sum] [--top 25]

One ``GradingSession`` (hidden tests, the real isolated workers) grades each case ``--runs`` times
after one warm-up; printed per case and per submission: wall ms, grading-thread CPU ms, the
messages each way by kind, the ms spent encoding, parsing, waiting for the worker and computing
stand-in answers, and (``--top``) the grading thread's hottest functions (cProfile). The same
submission in this one process with no isolation (DirectStudent) is the in-process floor.
"""

from __future__ import annotations

import argparse
import collections
import cProfile
import io
import os
import pstats
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from autograder.author.markers import solution_files  # noqa: E402
from autograder.course.assignment import find_assignment  # noqa: E402


class Meter:
    """Counters and timers around the trusted side's channel and stand-in code."""

    def __init__(self) -> None:
        self.sent: collections.Counter = collections.Counter()
        self.received: collections.Counter = collections.Counter()
        self.ms: collections.Counter = collections.Counter()
        self.by_test: collections.Counter = collections.Counter()
        # cProfile sees one thread: it is switched in the session's thread, where each
        # submission's student is made (so it covers whole submissions).
        self.profiling = False
        self.prof = cProfile.Profile()
        self._on = False

    def reset(self) -> None:
        self.sent.clear()
        self.received.clear()
        self.ms.clear()
        self.by_test.clear()

    def timed(self, key: str, fn):
        def wrapper(*args, **kwargs):
            t0 = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                self.ms[key] += (time.perf_counter() - t0) * 1000
        return wrapper

    def install(self) -> None:
        from autograder.sandbox import exchange, launch, protocol, schema

        meter = self
        send, recv, parse = protocol.send_message, protocol.recv_frame, schema.parse

        def send_message(fd, header, payloads=(), deadline=None, **kw):
            meter.sent[header.get("op", "?")] += 1
            test = os.environ.get("PYTEST_CURRENT_TEST", "?").split("::", 1)[-1].removesuffix(" (call)")
            meter.by_test[test] += 1
            t0 = time.perf_counter()
            try:
                return send(fd, header, payloads, deadline, **kw)
            finally:
                meter.ms["send (frame + write)"] += (time.perf_counter() - t0) * 1000

        def recv_frame(fd, deadline=None, **kw):
            t0 = time.perf_counter()
            try:
                return recv(fd, deadline, **kw)
            finally:
                meter.ms["recv (wait for the worker + read)"] += (time.perf_counter() - t0) * 1000

        def parse_counted(header, payloads):
            t0 = time.perf_counter()
            msg, vals = parse(header, payloads)
            meter.ms["schema.parse"] += (time.perf_counter() - t0) * 1000
            meter.received[type(msg).__name__] += 1
            return msg, vals

        protocol.send_message = send_message
        launch.protocol.send_message = send_message
        protocol.recv_frame = recv_frame
        schema.parse = parse_counted
        exchange.schema.parse = parse_counted
        exchange.protocol.encode_values = self.timed("encode_values", protocol.encode_values)

        from autograder.sandbox import client

        kill = launch.WorkerProcess.kill

        def worker_kill(worker):
            if worker.alive:  # utime + stime of the worker, just before it is killed
                try:
                    with open(f"/proc/{worker.pid}/stat") as f:
                        fields = f.read().rsplit(")", 1)[1].split()
                    ticks = int(fields[11]) + int(fields[12])
                    meter.ms["worker CPU"] += ticks * 1000 / os.sysconf("SC_CLK_TCK")
                except OSError:
                    pass
            kill(worker)

        launch.WorkerProcess.kill = worker_kill
        init = client.WorkerStudent.__init__

        def student_init(student, *args, **kwargs):
            if meter.profiling != meter._on:
                meter._on = meter.profiling
                meter.prof.enable() if meter._on else meter.prof.disable()
            init(student, *args, **kwargs)

        client.WorkerStudent.__init__ = student_init
        client.WorkerStudent._oracle = self.timed("stand-in answers (check + reference)",
                                                  client.WorkerStudent._oracle)


def case_files(name: str, case: str) -> dict[str, str]:
    if case == "solution":
        return solution_files(ROOT / "solutions" / name)
    folder = ROOT / "tests" / "submissions" / case
    return {p.name: p.read_text(encoding="utf-8") for p in sorted(folder.glob("*.py"))}


def floor_ms(name: str, files: dict[str, str], tmp: Path, runs: int) -> float:
    """ms per submission of the same hidden tests in this process, without isolation."""
    from autograder.sandbox.client import DirectStudent
    from autograder.testkit.plugin import Job
    from autograder.testkit.session import load_reference, run_session

    a, secrets = find_assignment(ROOT, name)
    ref = load_reference(secrets.reference)
    folder = tmp / "floor"
    folder.mkdir(exist_ok=True)
    for f, text in files.items():
        (folder / f).write_text(text, encoding="utf-8")
    fmap = a.files_map()
    jobs = [Job(f"s{i}", lambda: DirectStudent(folder, fmap, oracle_module=ref, uses=a.uses_of))
            for i in range(runs + 1)]
    times = []
    t_last = [time.perf_counter()]

    def done(_r):
        now = time.perf_counter()
        times.append(now - t_last[0])
        t_last[0] = now

    run_session(secrets.hidden_tests, a, jobs, done, ref)
    return sorted(times[1:])[len(times[1:]) // 2] * 1000


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--assignment", default="hw07")
    p.add_argument("--runs", type=int, default=20)
    p.add_argument("--case", default="solution,softmax_no_keepdims",
                   help="comma-separated: solution, or tests/submissions/<case>")
    p.add_argument("--top", type=int, default=0, help="print the N hottest functions (cProfile)")
    p.add_argument("--by-test", type=int, default=0, help="the N tests that send the most messages")
    p.add_argument("--no-floor", action="store_true")
    args = p.parse_args(argv)

    import tempfile

    from autograder.grading.executor import GradeTask
    from autograder.grading.session import GradingSession

    meter = Meter()
    meter.install()
    a, secrets = find_assignment(ROOT, args.assignment)
    with tempfile.TemporaryDirectory(prefix="profile-") as tmp, GradingSession(a, secrets) as s:
        s.wait_ready()
        for case in args.case.split(","):
            files = case_files(args.assignment, case)
            task = GradeTask(key=case, student_id=case,
                             files=tuple((f, t.encode()) for f, t in sorted(files.items())))
            s.grade(task)  # warm-up: the stand-in and test caches of this process
            meter.reset()
            meter.profiling = bool(args.top)
            wall = cpu = 0.0
            for _ in range(args.runs):
                t0, c0 = time.perf_counter(), time.process_time()
                score = s.grade(task).score
                wall += time.perf_counter() - t0
                cpu += time.process_time() - c0
            meter.profiling = False
            n = args.runs
            print(f"\n== {case} (score {score:g}): {wall / n * 1000:.1f} ms wall, "
                  f"{cpu / n * 1000:.1f} ms CPU of this grading process, "
                  f"{meter.ms.pop('worker CPU', 0) / n:.1f} ms CPU of its workers per submission "
                  f"(mean of {n})")
            print(f"   messages sent per submission: {sum(meter.sent.values()) / n:.1f} "
                  + ", ".join(f"{k} {v / n:.1f}" for k, v in sorted(meter.sent.items())))
            print(f"   messages received per submission: {sum(meter.received.values()) / n:.1f} "
                  + ", ".join(f"{k} {v / n:.1f}" for k, v in sorted(meter.received.items())))
            if args.by_test:
                for k, v in meter.by_test.most_common(args.by_test):
                    print(f"   {v / n:6.1f} messages sent in {k}")
            for k, v in sorted(meter.ms.items(), key=lambda kv: -kv[1]):
                print(f"   {k:<40} {v / n:7.2f} ms per submission")
            if not args.no_floor:
                print(f"   in-process floor (DirectStudent, no isolation): "
                      f"{floor_ms(args.assignment, files, Path(tmp), min(n, 10)):.1f} ms")
            if args.top:
                out = io.StringIO()
                pstats.Stats(meter.prof, stream=out).sort_stats("tottime").print_stats(args.top)
                print("\n".join(out.getvalue().splitlines()[:args.top + 12]))
                meter.prof = cProfile.Profile()
    return 0


if __name__ == "__main__":
    sys.exit(main())
