"""The worker of the portable path: a plain interpreter whose stdin/stdout are the channel.

What Windows and macOS laptops get for the self-check (and Linux when forced): no fork, no fd
passing, no Unix sockets, no isolation layer of Linux's; only a separate process that the
grading side kills at its wall-clock deadline (``autograder.sandbox.portable``). It imports
nothing that exists only on Linux.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

LAYERS = ("separate-process", "wall-clock-deadline")


def _binary(fd: int) -> None:
    if sys.platform == "win32":  # the C runtime opens stdin/stdout in text mode there
        import msvcrt

        msvcrt.setmode(fd, os.O_BINARY)


def take_stdio() -> tuple[int, int]:
    """Keep stdin/stdout as the channel on new descriptors; fds 0-2 then lead to the null device,
    so nothing student code prints or reads (even with os.write(1, ...)) touches the channel."""
    _binary(0)
    _binary(1)
    rfd, wfd = os.dup(0), os.dup(1)
    null = os.open(os.devnull, os.O_RDWR)
    for target in (0, 1, 2):
        os.dup2(null, target)
    os.close(null)
    sys.stdin = sys.stdout = sys.stderr = open(os.devnull, "w", encoding="utf-8")  # noqa: SIM115
    return rfd, wfd


def main(spec_json: str) -> None:
    rfd, wfd = take_stdio()
    spec = json.loads(spec_json)
    folder = Path(spec["folder"])
    sys.dont_write_bytecode = True
    os.chdir(folder)
    from autograder.sandbox import protocol
    from autograder.sandbox.worker import loop

    protocol.send_message(wfd, {"op": "hello", "layers": list(LAYERS)})
    loop.serve(rfd, folder, spec["files"], wfd=wfd)
