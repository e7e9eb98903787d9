"""The hostile cases (tests/hostile/<case>/) as submissions: their placeholders filled in, and the
loopback listeners the network attacks aim at (tests/grading/test_hostile.py, tests/cluster/)."""

from __future__ import annotations

import os
import socket
import threading
from pathlib import Path

from tiny_course import REPO, SOL, write_files

HOSTILE = REPO / "tests" / "hostile"
CASES = sorted(p.name for p in HOSTILE.iterdir() if (p / "expected.toml").is_file())
SOLUTION = "plain_solution"
# Honest students graded in the same batch: each must get exactly the grade it gets alone.
HONEST = ["sigmoid_naive", "mul_no_swap", "softmax_no_keepdims", "sgd_plus", "ce_sum", "stubs"]


class Listener:
    """A TCP listener on loopback and an abstract unix socket; counts who reaches them."""

    def __init__(self):
        self.name = f"autograder-hostile-canary-{os.getpid()}"
        self.tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.unix = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            self.tcp.bind(("127.0.0.1", 0))
            self.tcp.listen(16)
            self.unix.bind("\0" + self.name)
            self.unix.listen(16)
        except OSError:
            self.close()
            raise
        self.port = self.tcp.getsockname()[1]
        self.reached: list[str] = []
        self.threads = [threading.Thread(target=self._accept, args=(s, n), daemon=True)
                        for s, n in ((self.tcp, "tcp"), (self.unix, "unix"))]
        for t in self.threads:
            t.start()

    def _accept(self, s: socket.socket, name: str) -> None:
        while True:
            try:
                conn, _ = s.accept()
            except OSError:
                return
            self.reached.append(name)
            conn.close()

    def close(self) -> None:
        for s in (self.tcp, self.unix):
            try:
                s.shutdown(socket.SHUT_RDWR)  # wakes the accepting thread
            except OSError:
                pass
            s.close()


def assemble(subs: Path, listener: Listener, cases: list[str] = CASES,
             fill: dict[str, str] | None = None) -> None:
    """The batch: the plain solution (markers removed), the honest cases and a copy of each of ``cases``
    with its placeholders filled in (the listener's port and name, and ``fill``)."""
    write_files(subs / SOLUTION, SOL)
    for case in HONEST:
        dest = subs / f"honest_{case}"
        dest.mkdir()
        for f in sorted((REPO / "tests" / "submissions" / case).glob("*.py")):
            dest.joinpath(f.name).write_bytes(f.read_bytes())
    values = {"@CANARY_PORT@": str(listener.port), "@CANARY_UNIX@": listener.name, **(fill or {})}
    for case in cases:
        dest = subs / case
        dest.mkdir()
        for f in sorted((HOSTILE / case).iterdir()):
            if f.is_file():
                text = f.read_text(encoding="utf-8")
                for k, v in values.items():
                    text = text.replace(k, v)
                dest.joinpath(f.name).write_text(text, encoding="utf-8")
