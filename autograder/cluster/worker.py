"""``autograder worker``: check this machine's isolation, then become a Dask worker of a scheduler.

The doctor's checks run first (``autograder.sandbox.doctor``: a real sandboxed worker is started and
reports its layers); when a layer the course requires is missing the machine does not join. Then
the process becomes ``dask worker`` (``os.execv``: signals and exit status are Dask's own), one
thread per worker process by default, no dashboard. Slurm jobs made by ``--cluster slurm`` run this
command too (dask-jobqueue's ``worker_command``), so every cluster member is checked the same way.
"""

from __future__ import annotations

import argparse
import os
import sys
from dataclasses import dataclass
from pathlib import Path

from autograder.cluster import require_dask
from autograder.cluster.spec import TlsFiles, check_address, scheduler_file_address, tls_files
from autograder.course.errors import ClusterError

# What a member of a grading cluster must have (``--require`` replaces it). Landlock's TCP and
# signal scopes and the worker uid depend on the kernel and on running as root: a course that wants
# them says so (``--require all``, or a list).
REQUIRED = ("fd-hygiene", "new-session", "die-with-parent", "net-namespace", "no-new-privs",
            "landlock-fs", "rlimit-cpu", "rlimit-as", "rlimit-fsize", "rlimit-nofile", "rlimit-core",
            "seccomp")


@dataclass(frozen=True)
class WorkerOptions:
    target: list[str]  # the scheduler's address, or ["--scheduler-file", F]
    nworkers: int
    nthreads: int
    tls: TlsFiles | None
    require: tuple[str, ...]
    passthrough: list[str]  # options dask-jobqueue adds (--name, --memory-limit, ...)


def add_parser(sub) -> None:
    w = sub.add_parser("worker", help="join a Dask scheduler as a grading worker (after the doctor's checks)")
    w.add_argument("address", nargs="?", default=None, help="the scheduler: tls://HOST:PORT "
                   "(or tcp://127.0.0.1:PORT on this machine)")
    w.add_argument("--scheduler-file", default=None,
                   help="the scheduler's file (dask scheduler --scheduler-file)")
    w.add_argument("--nworkers", type=int, default=None, help="worker processes (default: cores)")
    w.add_argument("--nthreads", type=int, default=1, help="submissions graded at once per worker process")
    w.add_argument("--tls-ca", "--tls-ca-file", dest="tls_ca", default=None,
                   help="the cluster's CA certificate")
    w.add_argument("--tls-cert", default=None, help="this worker's certificate (signed by the CA)")
    w.add_argument("--tls-key", default=None, help="this worker's private key")
    w.add_argument("--require", default=None, help="isolation layers this machine must have, "
                   f"comma-separated, or 'all' (default: {','.join(REQUIRED)})")
    for opt in ("--name", "--memory-limit", "--death-timeout", "--local-directory", "--interface",
                "--protocol"):
        w.add_argument(opt, default=None, help=argparse.SUPPRESS)  # as dask worker takes them


def options(args) -> WorkerOptions:
    """The checked options of ``autograder worker``; ClusterError when they cannot be used."""
    if (args.address is None) == (args.scheduler_file is None):
        raise ClusterError("give the scheduler's ADDRESS or --scheduler-file FILE (one of them)")
    tls = tls_files(args.tls_ca, args.tls_cert, args.tls_key)
    if args.address is not None:
        target = [check_address(args.address, tls, args.address)]
    else:
        address = scheduler_file_address(Path(args.scheduler_file))
        check_address(address, tls, f"{args.scheduler_file} ({address})")
        target = ["--scheduler-file", str(Path(args.scheduler_file).resolve())]
    n = args.nworkers if args.nworkers is not None else cores()
    if n < 1 or args.nthreads < 1:
        raise ClusterError("--nworkers and --nthreads must be at least 1")
    if tls is not None:
        readable_by_students(tls)
    passthrough = []
    for name in ("name", "memory_limit", "death_timeout", "local_directory", "interface", "protocol"):
        value = getattr(args, name)
        if value is not None:
            passthrough += ["--" + name.replace("_", "-"), str(value)]
    return WorkerOptions(target, n, args.nthreads, tls, required(args.require), passthrough)


def cores() -> int:
    """The cores this process may run on (a Slurm job's allocation, not the whole node)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def required(text: str | None) -> tuple[str, ...]:
    """The layers ``--require`` names (ClusterError for a name the doctor does not know)."""
    from autograder.sandbox.doctor import checks

    known = [c.layer for c in checks()]
    if text is None:
        return REQUIRED if sys.platform == "linux" else tuple(known)
    if text.strip() == "all":
        return tuple(known)
    names = tuple(x.strip() for x in text.split(",") if x.strip())
    unknown = [x for x in names if x not in known]
    if unknown:
        raise ClusterError(f"--require: unknown isolation layer(s) {', '.join(unknown)} "
                           f"(this machine's doctor knows: {', '.join(known)})")
    return names


def readable_by_students(tls: TlsFiles) -> None:
    """ClusterError when a TLS file lies where the sandbox lets student code read (Python, the engine)."""
    from autograder.sandbox.worker import landlock

    for path in (tls.key, tls.cert):
        for p in landlock.python_paths():
            if Path(path).resolve().is_relative_to(p.resolve()):
                raise ClusterError(f"{path} is inside {p}, which student code may read: keep the "
                                   f"cluster's keys outside the Python installation and the engine")


def missing(require: tuple[str, ...]) -> tuple[list[str], str]:
    """(required layers a real sandboxed worker here did not report, the doctor's report)."""
    from autograder.sandbox.doctor import checks, live_layers, render

    items = checks()
    live, error = live_layers()
    report = render(items, live, error)
    if error:
        return list(require), report
    return [x for x in require if x not in live], report


def dask_worker_argv(o: WorkerOptions) -> list[str]:
    argv = [sys.executable, "-m", "distributed.cli.dask_worker", *o.target, "--nworkers", str(o.nworkers),
            "--nthreads", str(o.nthreads), "--no-dashboard", *o.passthrough]
    if o.tls is not None:
        argv += ["--tls-ca-file", o.tls.ca, "--tls-cert", o.tls.cert, "--tls-key", o.tls.key]
    return argv


def run(args, execv=os.execv) -> int:
    """Check, then become ``dask worker`` (returns only when refusing: 2)."""
    try:
        require_dask()
        o = options(args)
    except ClusterError as exc:
        print(f"autograder worker: {exc}", file=sys.stderr)
        return 2
    gone, report = missing(o.require)
    print(report, flush=True)
    if gone:
        print(f"autograder worker: refusing to join: this machine lacks isolation layer(s) the course "
              f"requires: {', '.join(gone)} (see autograder doctor; --require sets the list)",
              file=sys.stderr)
        return 2
    argv = dask_worker_argv(o)
    print(f"joining {' '.join(o.target)} with {o.nworkers} worker process(es)", flush=True)
    execv(argv[0], argv)
    return 0  # only a test's execv returns
