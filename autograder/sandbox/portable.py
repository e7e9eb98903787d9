"""The portable path of the self-check: a plain subprocess, its stdin/stdout the channel.

No fork, no descriptor passing, no Unix sockets, nothing Linux-only: this is what Windows and
macOS laptops get, and what Linux gets when forced (``AUTOGRADER_PORTABLE=1`` or
``autograder check --portable``). The only protections are the separate process and the
wall-clock deadline on every read and write, kept by two threads per worker, since a pipe
cannot be polled with a timeout everywhere; the student is told that isolation is reduced.
"""

from __future__ import annotations

import json
import os
import queue
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

from autograder.course.errors import ProtocolError
from autograder.sandbox import exchange, protocol, schema

PACKAGE_PARENT = str(Path(__file__).resolve().parents[2])
ENV_FORCE = "AUTOGRADER_PORTABLE"
_BOOT = ("import sys; sys.path.insert(0, sys.argv[1]); "
         "from autograder.sandbox.worker.portable import main; main(sys.argv[2])")


def needed() -> bool:
    """True when the self-check must take the portable path: forced, or this system lacks what the
    isolated path needs (Linux, fork, descriptor passing over Unix sockets)."""
    import socket

    if os.environ.get(ENV_FORCE, "") not in ("", "0"):
        return True
    return not (sys.platform == "linux" and hasattr(os, "fork") and hasattr(socket, "send_fds"))


def _env() -> dict[str, str]:
    env = dict(os.environ)  # Windows needs SYSTEMROOT & co. to load numpy's DLLs
    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        env[var] = "1"
    return env


class PipeWorker:
    """One worker behind two pipes; every read and write waits at most until its deadline."""

    def __init__(self, popen: subprocess.Popen, hello_timeout: float = 30.0):
        self.popen, self.pid = popen, popen.pid
        self.alive = True
        self.loaded: set[str] = set()
        self._inbox: queue.Queue = queue.Queue()
        self._outbox: queue.Queue = queue.Queue()
        self._reader = threading.Thread(target=self._read, daemon=True, name="autograder-pipe-in")
        self._writer = threading.Thread(target=self._write, daemon=True, name="autograder-pipe-out")
        self._reader.start()
        self._writer.start()
        msg, _values = schema.parse(*self._recv(time.monotonic() + hello_timeout))
        if not isinstance(msg, schema.Hello):
            raise ProtocolError("the worker did not start properly")
        self.layers = tuple(msg.layers)

    def _read(self) -> None:
        fd = self.popen.stdout.fileno()
        while True:
            try:
                self._inbox.put(("ok", protocol.recv_frame(fd)))
            except BaseException as exc:  # noqa: BLE001 - handed to the waiting request
                self._inbox.put(("error", exc))
                return

    def _write(self) -> None:
        fd = self.popen.stdin.fileno()
        while True:
            item = self._outbox.get()
            if item is None:
                return
            header, payloads, done = item
            try:
                protocol.send_message(fd, header, payloads)
                done.put(None)
            except BaseException as exc:  # noqa: BLE001 - handed to the waiting request
                done.put(exc)
                return

    def _send(self, header: dict, payloads: list[bytes], deadline: float) -> None:
        done: queue.Queue = queue.Queue()
        self._outbox.put((header, payloads, done))
        try:
            exc = done.get(timeout=max(0.0, deadline - time.monotonic()))
        except queue.Empty:
            raise TimeoutError("the worker did not read its request before the deadline") from None
        if exc is not None:
            raise EOFError("channel closed") if isinstance(exc, OSError) else exc

    def _recv(self, deadline: float) -> tuple[bytes, list[bytes]]:
        try:
            kind, item = self._inbox.get(timeout=max(0.0, deadline - time.monotonic()))
        except queue.Empty:
            raise TimeoutError("no answer before the deadline") from None
        if kind == "error":
            self._inbox.put((kind, item))  # every later read fails the same way
            raise EOFError("channel closed") if isinstance(item, OSError) else item
        return item

    def request(self, header: dict, values: dict, deadline: float,
                oracle: Callable[[str, tuple, dict], dict],
                expect: tuple[type, ...] = (schema.Result,)) -> tuple[schema.Message, dict]:
        return exchange.request(self._send, self._recv, header, values, deadline, oracle, expect)

    def kill(self) -> None:
        if not self.alive:
            return
        self.alive = False
        self.popen.kill()
        self.popen.wait()
        self._outbox.put(None)
        self._writer.join(timeout=1.0)
        self._reader.join(timeout=1.0)  # EOF once the process is gone
        streams = [self.popen.stdin] + ([] if self._reader.is_alive() else [self.popen.stdout])
        for stream in streams:  # a grandchild still holding stdout: left to the daemon thread
            try:
                stream.close()
            except OSError:
                pass


class PipeLauncher:
    """A fresh interpreter per worker, spoken to over its stdin/stdout, in the student's folder."""

    mode = "portable"

    def __init__(self, python: str = sys.executable):
        self.python = python

    def spawn(self, folder: Path, files: dict[str, list[str]]) -> PipeWorker:
        spec = json.dumps({"folder": str(Path(folder).resolve()), "files": files})
        popen = subprocess.Popen([self.python, "-I", "-c", _BOOT, PACKAGE_PARENT, spec],
                                 stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                 stderr=subprocess.DEVNULL, env=_env(), bufsize=0)
        try:
            return PipeWorker(popen)
        except BaseException:
            popen.kill()
            popen.wait()
            raise

    def close(self) -> None:
        pass
