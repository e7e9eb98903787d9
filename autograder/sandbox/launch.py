"""Starting workers, from the grading process's side.

``ZygoteLauncher`` (Linux): a clean interpreter that has imported numpy once (and nothing of the
grader's: no tests, no reference) forks one worker per submission — fork-after-import.
``SubprocessLauncher``: a fresh interpreter per worker; portable, slower (macOS, and the fallback).
Both hand the worker one end of a socket pair; ``WorkerProcess`` talks on the other end.
Each worker gets its own read-only copy of the submission (``scratch``); run as root, a launcher
holds a worker slot and its workers run as that slot's unprivileged uid (``identity``).
"""

from __future__ import annotations

import contextlib
import json
import os
import select
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from autograder.course.errors import ProtocolError
from autograder.sandbox import exchange, protocol, schema
from autograder.sandbox.scratch import Scratch
from autograder.sandbox.worker import identity
from autograder.sandbox.worker.isolate import Limits

PACKAGE_PARENT = str(Path(__file__).resolve().parents[2])
CAN_FORK = hasattr(os, "fork") and hasattr(socket, "send_fds") and sys.platform == "linux"


def worker_env() -> dict[str, str]:
    """A small, fixed environment: one BLAS thread, and the machine's OpenBLAS core settings."""
    env = {"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8"}
    env.update({k: v for k, v in os.environ.items() if k.startswith("OPENBLAS_")})
    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        env[var] = "1"
    return env


class WorkerProcess:
    """One running worker: send a request, wait for the answer until a deadline, or kill it.

    Our end of the channel is non-blocking and every read and write polls under the call's
    deadline, so a worker that stops reading (or writing) costs its call, never a hang; every
    message it sends is validated by ``sandbox.schema`` before anything else looks at it.
    """

    def __init__(self, pid: int, sock: socket.socket, layers: tuple[str, ...],
                 popen: subprocess.Popen | None = None, cleanup: Callable[[], None] | None = None):
        self.pid, self.sock, self.layers, self.popen = pid, sock, layers, popen
        self.cleanup = cleanup
        self.alive = True
        self.loaded: set[str] = set()
        self.pidfd = _pidfd(pid)
        sock.setblocking(False)

    def request(self, header: dict, values: dict, deadline: float,
                oracle: Callable[[str, tuple, dict], dict],
                expect: tuple[type, ...] = (schema.Result,)) -> tuple[schema.Message, dict]:
        return exchange.request(self._send, self._recv, header, values, deadline, oracle, expect)

    def _send(self, header: dict, payloads: list[bytes], deadline: float) -> None:
        protocol.send_message(self.sock.fileno(), header, payloads, deadline, nonblocking=True)

    def _recv(self, deadline: float) -> tuple[bytes, list[bytes]]:
        return protocol.recv_frame(self.sock.fileno(), deadline, nonblocking=True)

    def kill(self) -> None:
        """SIGKILL the worker and its process group; never a process that merely reuses its pid.

        With a pidfd (Linux 5.3+), the worker is signalled through it, and its group only while
        the pidfd shows the worker alive (a live leader's group id cannot have been recycled)."""
        if not self.alive:
            return
        self.alive = False
        if self.pidfd is not None:
            try:
                if not select.select([self.pidfd], [], [], 0)[0]:  # readable = it has exited
                    with contextlib.suppress(OSError):
                        os.killpg(self.pid, signal.SIGKILL)
                    with contextlib.suppress(OSError):
                        signal.pidfd_send_signal(self.pidfd, signal.SIGKILL)
            finally:
                os.close(self.pidfd)
                self.pidfd = None
        else:
            for kill in (lambda: os.killpg(self.pid, signal.SIGKILL),
                         lambda: os.kill(self.pid, signal.SIGKILL)):
                try:
                    kill()
                except (ProcessLookupError, PermissionError, OSError):
                    pass
        self.sock.close()
        if self.popen is not None:
            self.popen.wait()
        if self.cleanup is not None:
            self.cleanup()


def _pidfd(pid: int) -> int | None:
    """A pidfd for ``pid`` (it stays bound to that process, whatever reuses the number), or None."""
    try:
        return os.pidfd_open(pid)
    except (AttributeError, OSError):
        return None


def _first_message(sock: socket.socket, timeout: float = 30.0) -> dict:
    sock.settimeout(timeout)
    try:
        data = sock.recv(65536)
    finally:
        sock.settimeout(None)
    if not data:
        raise RuntimeError("the sandbox did not start")
    return json.loads(data)


def _hello(sock: socket.socket, timeout: float = 30.0) -> tuple[str, ...]:
    """The worker's first message: the isolation layers it has put up."""
    msg, _ = schema.receive(sock.fileno(), time.monotonic() + timeout)
    if not isinstance(msg, schema.Hello):
        raise ProtocolError("the worker did not start properly")
    return tuple(msg.layers)


class _Workspaces:
    """A launcher's worker slot (uid) when running as root, and its workers' scratch copies.

    ``slot``: which worker slot (uid ``identity.BASE + slot``) this launcher's workers use; by
    default a free one is claimed for the life of the launcher.
    """

    def __init__(self, slot: int | None = None):
        self.slot = identity.Slot(slot) if identity.can_drop() else None
        self.scratch = Scratch()

    def prepare(self, folder: Path, files: dict[str, list[str]], limits: Limits) -> tuple[dict, Callable]:
        ids = self.slot.ids if self.slot is not None else None
        copy = self.scratch.stage(Path(folder), ids)
        spec = {"folder": str(copy), "files": files, "limits": limits.__dict__,
                "ids": [ids.uid, ids.gid] if ids is not None else None}
        return spec, lambda: self.scratch.remove(copy)

    def close(self) -> None:
        self.scratch.close()
        if self.slot is not None:
            self.slot.release()


class SubprocessLauncher:
    """A fresh interpreter per worker."""

    mode = "subprocess"

    def __init__(self, limits: Limits = Limits(), python: str = sys.executable,
                 slot: int | None = None):
        self.limits, self.python = limits, python
        self.spaces = _Workspaces(slot)

    def spawn(self, folder: Path, files: dict[str, list[str]]) -> WorkerProcess:
        spec, cleanup = self.spaces.prepare(folder, files, self.limits)
        mine, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        spec["fd"] = theirs.fileno()
        boot = ("import sys; sys.path.insert(0, sys.argv[1]); "
                "from autograder.sandbox.worker.zygote import worker_main; worker_main(sys.argv[2])")
        popen = subprocess.Popen(
            [self.python, "-I", "-c", boot, PACKAGE_PARENT, json.dumps(spec)],
            pass_fds=[theirs.fileno()], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL, env=worker_env(),
        )
        theirs.close()
        try:
            layers = _hello(mine)
        except BaseException:
            popen.kill()
            popen.wait()
            cleanup()
            raise
        return WorkerProcess(popen.pid, mine, layers, popen, cleanup)

    def close(self) -> None:
        self.spaces.close()


class ZygoteLauncher:
    """Fork-after-import: one clean interpreter with numpy loaded forks every worker.

    ``wait=False``: return as soon as the zygote is started; it imports numpy while the caller
    goes on (collecting the tests), and the first ``spawn`` waits for it to be ready.
    """

    mode = "zygote"

    def __init__(self, limits: Limits = Limits(), python: str = sys.executable,
                 slot: int | None = None, wait: bool = True):
        self.limits, self.python = limits, python
        self.spaces = _Workspaces(slot)
        self._start(wait)

    def _start(self, wait: bool = True) -> None:
        self.ctl, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        boot = ("import sys; sys.path.insert(0, sys.argv[1]); "
                "from autograder.sandbox.worker.zygote import zygote_main; zygote_main(int(sys.argv[2]))")
        self.proc = subprocess.Popen(
            [self.python, "-I", "-c", boot, PACKAGE_PARENT, str(theirs.fileno())],
            pass_fds=[theirs.fileno()], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            env=worker_env(),
        )
        theirs.close()
        self._booting = True
        if wait:
            self._ready()

    def _ready(self) -> None:
        """Wait (with the start-up deadline) for the zygote's first message, once."""
        if self._booting:
            self._booting = False
            _first_message(self.ctl)  # the zygote is ready

    def spawn(self, folder: Path, files: dict[str, list[str]]) -> WorkerProcess:
        self._ready()
        if self.proc.poll() is not None:  # the zygote died (it should not): start a new one
            self.ctl.close()
            self._start()
        spec, cleanup = self.spaces.prepare(folder, files, self.limits)
        mine, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        socket.send_fds(self.ctl, [json.dumps(spec).encode()], [theirs.fileno()])
        theirs.close()
        reply = _first_message(self.ctl)
        pid = int(reply["pid"])
        try:
            layers = _hello(mine)
        except BaseException:
            WorkerProcess(pid, mine, (), cleanup=cleanup).kill()
            raise
        return WorkerProcess(pid, mine, layers, cleanup=cleanup)

    def close(self) -> None:
        """Stop the zygote at once: it keeps no state (a clean exit would only tear numpy down)."""
        self.ctl.close()
        with contextlib.suppress(OSError):
            self.proc.kill()
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            pass
        self.spaces.close()


def default_launcher(limits: Limits = Limits(), slot: int | None = None, wait: bool = True):
    """The zygote where it can fork (``wait``: see ZygoteLauncher), else a fresh interpreter per worker."""
    return ZygoteLauncher(limits, slot=slot, wait=wait) if CAN_FORK else SubprocessLauncher(limits, slot=slot)
