"""Entry points of the sandbox's processes: the zygote (forks workers) and the worker itself.

These run in a clean interpreter started with ``python -I``: they import numpy and the worker's
own modules, and nothing of the grader's (no tests, no reference, no other student's data).
"""

from __future__ import annotations

import json
import os
import signal
import socket
import sys
from pathlib import Path

import numpy  # noqa: F401 - imported once here, shared by every forked worker
import numpy.linalg  # noqa: F401
import numpy.random  # noqa: F401

from autograder import protocol
from autograder.sandbox import isolate, worker


def _run_worker(spec: dict, fd: int) -> None:
    """In the new worker process: confine, greet, serve."""
    isolate.move_channel(fd)
    limits = isolate.Limits(**spec.get("limits", {}))
    layers = isolate.confine(limits)
    protocol.send_message(isolate.CHANNEL_FD, {"op": "hello", "layers": list(layers)})
    worker.serve(isolate.CHANNEL_FD, Path(spec["folder"]), spec["files"])


def worker_main(spec_json: str) -> None:
    """A worker started as its own interpreter (SubprocessLauncher)."""
    spec = json.loads(spec_json)
    try:
        _run_worker(spec, int(spec["fd"]))
    finally:
        os._exit(0)


def zygote_main(ctl_fd: int) -> None:
    """Fork one worker per request until the control socket closes."""
    ctl = socket.socket(fileno=ctl_fd)
    isolate.die_with_parent()
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # the kernel reaps finished workers
    ctl.send(b'{"ready": true}')
    while True:
        try:
            msg, fds, _flags, _addr = socket.recv_fds(ctl, 1 << 16, 1)
        except OSError:
            break
        if not msg:
            break
        spec = json.loads(msg)
        pid = os.fork()
        if pid == 0:
            try:
                signal.signal(signal.SIGCHLD, signal.SIG_DFL)
                ctl.close()
                _run_worker(spec, fds[0])
            finally:
                os._exit(0)
        for fd in fds:
            os.close(fd)
        ctl.send(json.dumps({"pid": pid}).encode())
    sys.exit(0)
