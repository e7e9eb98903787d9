"""Entry points of the sandbox's processes: the zygote (forks workers) and the worker itself.

These run in a clean interpreter started with ``python -I``: they import numpy and the worker's
own modules, and nothing of the grader's (no tests, no reference, no other student's data).
A worker that drops to its own uid can no longer read an interpreter installed under a 0700 home
directory, so what student code may import later is imported here first (``PRELOAD``).
"""

from __future__ import annotations

import importlib
import json
import os
import signal
import socket
import sys
from pathlib import Path

import numpy  # noqa: F401 - imported once here, shared by every forked worker
import numpy.linalg  # noqa: F401
import numpy.random  # noqa: F401

from autograder.sandbox import protocol
from autograder.sandbox.worker import identity, isolate, landlock, loop, seccomp

# numpy's lazily loaded parts, and the standard library an exercise's code may reasonably use
# (a module missing here fails to import in a worker that runs as its own uid).
PRELOAD = (
    "numpy.fft", "numpy.polynomial", "numpy.ma", "numpy.testing", "numpy.lib.stride_tricks",
    "numpy.lib.recfunctions", "numpy.char", "numpy.rec", "numpy.strings", "numpy.emath",
    "numpy.ctypeslib", "numpy.dtypes", "numpy.exceptions",
    "math", "cmath", "random", "statistics", "fractions", "decimal", "numbers", "itertools",
    "functools", "operator", "collections", "collections.abc", "heapq", "bisect", "copy",
    "dataclasses", "typing", "types", "enum", "abc", "string", "re", "time", "datetime",
    "warnings", "traceback", "linecache", "inspect", "textwrap", "pprint", "difflib",
    "contextlib", "weakref", "gc", "struct", "array", "threading", "queue", "json", "csv",
    "pickle", "io", "os", "glob", "fnmatch", "pathlib", "shutil", "tempfile", "hashlib",
    "base64", "secrets", "platform", "signal", "resource", "socket", "select", "subprocess",
    "ctypes", "ctypes.util", "importlib.util", "unittest", "unicodedata", "stringprep",
    "encodings.idna", "encodings.ascii", "encodings.latin_1", "encodings.utf_16",
    "encodings.utf_32",
)


def preload() -> None:
    """Import what a worker may need after its uid is dropped; compile the seccomp filter."""
    for name in PRELOAD:
        try:
            importlib.import_module(name)
        except Exception:  # noqa: BLE001 - a module this Python lacks is simply not preloaded
            pass
    _compile_seccomp()


def _compile_seccomp() -> None:
    landlock.python_paths()  # computed once, here, not in every worker
    try:
        seccomp.compiled()
    except (ImportError, OSError):
        pass  # the worker reports the layer absent


def _run_worker(spec: dict, fd: int) -> None:
    """In the new worker process: confine, greet, serve."""
    isolate.move_channel(fd)
    limits = isolate.Limits(**spec.get("limits", {}))
    ids = identity.Ids(*spec["ids"]) if spec.get("ids") else None
    folder = Path(spec["folder"])
    layers = isolate.confine(limits, folder, ids)
    protocol.send_message(isolate.CHANNEL_FD, {"op": "hello", "layers": list(layers)})
    loop.serve(isolate.CHANNEL_FD, folder, spec["files"])


def worker_main(spec_json: str) -> None:
    """A worker started as its own interpreter (SubprocessLauncher)."""
    spec = json.loads(spec_json)
    if spec.get("ids"):
        preload()
    else:
        _compile_seccomp()
    try:
        _run_worker(spec, int(spec["fd"]))
    finally:
        os._exit(0)


def zygote_main(ctl_fd: int) -> None:
    """Fork one worker per request until the control socket closes."""
    ctl = socket.socket(fileno=ctl_fd)
    isolate.die_with_parent()
    preload()
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
