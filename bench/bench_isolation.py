"""What the isolation stack costs per submission: start a worker and make one call, N times.

``python -m autograder.sandbox.overhead [-n 200]`` measures, in one run and interleaved:
- ``none``: a worker forked from a process that has imported numpy, no walls at all (only its
  channel on fd 3), reading the submission where it lies;
- ``full``: the same fork with the full stack (a scratch copy of the submission, new session,
  network namespace, Landlock, worker uid, rlimits, seccomp);
- ``zygote``: the real ``ZygoteLauncher`` (full stack, plus the control round trip), as graded.
Each sample is spawn + one ``sigmoid`` call + kill; the median and quartiles are printed.
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from autograder.sandbox import protocol
from autograder.sandbox.launch import WorkerProcess, ZygoteLauncher, _hello
from autograder.sandbox.scratch import Scratch
from autograder.sandbox.worker import identity, isolate, loop
from autograder.sandbox.worker.zygote import preload

SOURCE = "import numpy as np\n\ndef sigmoid(x):\n    return 1.0 / (1.0 + np.exp(-x))\n"
FILES = {"act.py": ["sigmoid"]}


def _fork_worker(folder: Path, full: bool, ids) -> WorkerProcess:
    mine, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        try:
            mine.close()
            isolate.move_channel(theirs.fileno())
            layers = isolate.confine(isolate.Limits(), folder, ids) if full else ("none",)
            protocol.send_message(isolate.CHANNEL_FD, {"op": "hello", "layers": list(layers)})
            loop.serve(isolate.CHANNEL_FD, folder, FILES)
        finally:
            os._exit(0)
    theirs.close()
    return WorkerProcess(pid, mine, _hello(mine))


def _one_call(w: WorkerProcess) -> None:
    head, vals = w.request({"op": "call", "func": "sigmoid", "oracles": []},
                           {"args": (np.zeros(4),), "kwargs": {}}, time.monotonic() + 10,
                           lambda *a: {})
    if not head.get("ok") or float(vals["value"][0]) != 0.5:
        raise RuntimeError(f"the worker did not answer: {head}")


def measure(n: int = 200) -> dict[str, list[float]]:
    preload()
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # forked workers are reaped by the kernel
    times: dict[str, list[float]] = {"none": [], "full": [], "zygote": []}
    layers: dict[str, tuple[str, ...]] = {}
    slot = identity.Slot() if identity.can_drop() else None
    ids = slot.ids if slot is not None else None
    scratch = Scratch()
    zyg = ZygoteLauncher()
    try:
        with tempfile.TemporaryDirectory() as d:
            folder = Path(d)
            (folder / "act.py").write_text(SOURCE)
            os.chmod(folder, 0o755)
            for _ in range(n):
                for mode in ("none", "full", "zygote"):
                    t0 = time.perf_counter()
                    if mode == "zygote":
                        w = zyg.spawn(folder, FILES)
                    elif mode == "full":
                        copy = scratch.stage(folder, ids)
                        w = _fork_worker(copy, True, ids)
                        w.cleanup = lambda copy=copy: scratch.remove(copy)
                    else:
                        w = _fork_worker(folder, False, None)
                    _one_call(w)
                    w.kill()
                    times[mode].append(time.perf_counter() - t0)
                    layers[mode] = w.layers
    finally:
        zyg.close()
        scratch.close()
        if slot is not None:
            slot.release()
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    for mode, ls in layers.items():
        print(f"{mode:>6}: {', '.join(ls)}")
    return times


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("-n", type=int, default=200, help="workers per variant (default 200)")
    args = p.parse_args(argv)
    times = measure(args.n)
    base = statistics.median(times["none"])
    print(f"{'variant':>8} {'median ms':>10} {'p25 ms':>8} {'p75 ms':>8} {'workers/s':>10} "
          f"{'overhead ms':>12}")
    for mode, ts in times.items():
        q = statistics.quantiles(ts, n=4)
        med = statistics.median(ts)
        print(f"{mode:>8} {med * 1e3:10.2f} {q[0] * 1e3:8.2f} {q[2] * 1e3:8.2f} {1 / med:10.0f} "
              f"{(med - base) * 1e3:12.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
