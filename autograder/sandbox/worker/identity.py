"""An unprivileged uid/gid per worker slot, used when the grader runs as root.

A slot is what one grading process owns: its workers run one at a time as uid/gid
``BASE + slot``, so workers of different slots cannot signal, trace or read each other, and none
can touch the grader's files. Slots are claimed by binding an abstract unix socket named after
them: the kernel releases the name when the grading process exits, however it exits, so
concurrent graders on one machine never share a uid.

Dropping the uid is final; everything the worker will ever import must be imported before
(an interpreter under a 0700 home directory cannot be read by that uid).
"""

from __future__ import annotations

import grp
import os
import pwd
import socket
from dataclasses import dataclass

BASE = 60000
SLOTS = 1000


@dataclass(frozen=True)
class Ids:
    uid: int
    gid: int


def ids_for(slot: int) -> Ids:
    return Ids(BASE + slot, BASE + slot)


def can_drop() -> bool:
    return hasattr(os, "setresuid") and os.geteuid() == 0


def _taken(ids: Ids) -> bool:
    """Does a real user or group of this system already have these ids?"""
    for lookup, value in ((pwd.getpwuid, ids.uid), (grp.getgrgid, ids.gid)):
        try:
            lookup(value)
            return True
        except KeyError:
            pass
    return False


class Slot:
    """A slot held for the life of this object (or of this process)."""

    def __init__(self, index: int | None = None):
        self._lock: socket.socket | None = None
        if index is None:
            index = self._claim()
        self.index = index
        self.ids = ids_for(index)

    def _claim(self) -> int:
        for i in range(SLOTS):
            if _taken(ids_for(i)):
                continue
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            try:
                s.bind(f"\0autograder-worker-slot-{i}")
            except OSError:
                s.close()
                continue
            self._lock = s
            return i
        raise RuntimeError(f"all {SLOTS} worker slots are taken")

    def release(self) -> None:
        if self._lock is not None:
            self._lock.close()
            self._lock = None


def drop(ids: Ids) -> None:
    """Become ``ids`` for good: no supplementary groups, real = effective = saved."""
    os.setgroups([])
    os.setresgid(ids.gid, ids.gid, ids.gid)
    os.setresuid(ids.uid, ids.uid, ids.uid)
    if os.getresuid() != (ids.uid,) * 3 or os.getresgid() != (ids.gid,) * 3:
        raise OSError("the worker's uid could not be changed")
