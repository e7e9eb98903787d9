"""Walls put around a worker before student code runs; each is feature-detected and reported.

``confine(limits, folder, ids)`` runs in the freshly started worker, in this order: new session,
new network namespace, no-new-privileges, Landlock rules prepared (the paths are opened while they
still can be), the worker's own uid, die-with-parent (a uid change clears it), Landlock enforced,
rlimits, and the seccomp deny-list last. It returns the names of the layers that are active,
which end up in each student's results. A layer this machine lacks is left out, never an error.
"""

from __future__ import annotations

import os
import resource
import signal
import sys
from dataclasses import dataclass
from pathlib import Path

from autograder.sandbox.worker import identity, landlock, namespaces, seccomp, syscalls

CHANNEL_FD = 3


@dataclass(frozen=True)
class Limits:
    cpu_seconds: int = 60  # per worker; the wall-clock deadline per call is the grader's
    memory_bytes: int = 2 * 1024**3  # address space
    file_bytes: int = 1024 * 1024  # largest file the worker may write
    open_files: int = 64
    processes: int = 0  # RLIMIT_NPROC: 0 forbids new processes (not enforced for uid 0)


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
    try:
        syscalls.prctl(syscalls.PR_SET_PDEATHSIG, signal.SIGKILL)
    except OSError:
        return False
    return True


def confine(limits: Limits, folder: Path | None = None,
            ids: identity.Ids | None = None) -> tuple[str, ...]:
    """Apply every wall this machine supports; return the names of those now active.

    ``folder``: the worker's copy of the submission (its working directory, the one place it may
    read besides Python); ``ids``: the unprivileged uid/gid to become (when running as root).
    """
    parent = os.getppid()
    layers = ["fd-hygiene"]
    try:
        os.setsid()
        layers.append("new-session")
    except OSError:
        pass
    layers += namespaces.new_network()
    sys.dont_write_bytecode = True
    try:  # not the grader's folder: relative paths lead nowhere
        os.chdir(folder if folder is not None else "/")
    except OSError:
        os.chdir("/")
    try:
        syscalls.prctl(syscalls.PR_SET_NO_NEW_PRIVS, 1)
        layers.append("no-new-privs")
    except OSError:
        pass
    read_only = ([Path(folder)] if folder is not None else []) + list(landlock.python_paths())
    rules = landlock.prepare(read_only) if "no-new-privs" in layers else None
    if ids is not None and identity.can_drop():
        try:
            identity.drop(ids)
            layers.append("worker-uid")
        except OSError:
            pass
    if die_with_parent():
        layers.append("die-with-parent")
        if os.getppid() != parent:  # the parent died before the signal was armed
            os._exit(0)
    if rules is not None:
        try:
            layers += rules.enforce()
        except OSError:
            pass
    layers += _rlimits(limits)
    if seccomp.install():
        layers.append("seccomp")
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
