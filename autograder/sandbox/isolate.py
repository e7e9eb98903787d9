"""Walls put around a worker before student code runs; each is feature-detected and reported.

``confine(channel_fd, limits)`` runs in the freshly forked worker. It returns the names of the
layers that are active, which end up in each student's results.
"""

from __future__ import annotations

import ctypes
import os
import resource
import signal
from dataclasses import dataclass

CHANNEL_FD = 3
PR_SET_PDEATHSIG = 1


@dataclass(frozen=True)
class Limits:
    cpu_seconds: int = 60  # per worker; the wall-clock deadline per call is the grader's
    memory_bytes: int = 2 * 1024**3  # address space
    file_bytes: int = 1024 * 1024  # largest file the worker may write
    open_files: int = 64
    processes: int = 0  # RLIMIT_NPROC: 0 forbids new processes (not enforced for uid 0)


def _libc():
    try:
        return ctypes.CDLL(None, use_errno=True)
    except OSError:
        return None


def move_channel(fd: int) -> None:
    """Put the channel on fd 3, stdin on /dev/null, stdout/stderr to /dev/null, close the rest."""
    if fd != CHANNEL_FD:
        os.dup2(fd, CHANNEL_FD, inheritable=False)
        os.close(fd)
    null = os.open(os.devnull, os.O_RDWR)
    for target in (0, 1, 2):
        os.dup2(null, target)
    os.closerange(CHANNEL_FD + 1, _max_fd())


def _max_fd() -> int:
    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    return soft if soft != resource.RLIM_INFINITY else 65536


def die_with_parent() -> bool:
    """Ask the kernel to SIGKILL this process when its parent dies (Linux prctl)."""
    libc = _libc()
    if libc is None or not hasattr(libc, "prctl"):
        return False
    return libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) == 0


def confine(limits: Limits) -> tuple[str, ...]:
    """Apply every wall this machine supports; return the names of those now active."""
    layers = ["fd-hygiene"]
    try:
        os.setsid()
        layers.append("new-session")
    except OSError:
        pass
    if die_with_parent():
        layers.append("die-with-parent")
    layers += _rlimits(limits)
    return tuple(layers)


def _rlimits(limits: Limits) -> list[str]:
    wanted = [
        ("rlimit-cpu", "RLIMIT_CPU", limits.cpu_seconds),
        ("rlimit-as", "RLIMIT_AS", limits.memory_bytes),
        ("rlimit-fsize", "RLIMIT_FSIZE", limits.file_bytes),
        ("rlimit-nofile", "RLIMIT_NOFILE", limits.open_files),
        ("rlimit-core", "RLIMIT_CORE", 0),
    ]
    if os.geteuid() != 0:
        wanted.append(("rlimit-nproc", "RLIMIT_NPROC", limits.processes))
    active = []
    for layer, name, value in wanted:
        res = getattr(resource, name, None)
        if res is None:
            continue
        try:
            _, hard = resource.getrlimit(res)
            if hard != resource.RLIM_INFINITY:
                value = min(value, hard)
            resource.setrlimit(res, (value, value))
            active.append(layer)
        except (ValueError, OSError):
            continue
    return active
