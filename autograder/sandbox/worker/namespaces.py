"""A new, empty network namespace for the worker: only a loopback device, and it is down.

As root ``unshare(CLONE_NEWNET)`` is enough. An ordinary user first enters a new user namespace
(where it holds the capability to make a network namespace), mapping its own uid and gid onto
themselves so that files keep their owners. A network namespace does not stop unix-domain sockets
on the file system: Landlock and seccomp do.
"""

from __future__ import annotations

import os

from autograder.sandbox.worker import syscalls


def _write(path: str, text: str) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CLOEXEC)
    try:
        os.write(fd, text.encode())
    finally:
        os.close(fd)


def new_network() -> tuple[str, ...]:
    """Move this process into a new network namespace; returns the layers that are now active."""
    if os.geteuid() == 0:
        try:
            syscalls.unshare(syscalls.CLONE_NEWNET)
            return ("net-namespace",)
        except OSError:
            return ()
    uid, gid = os.geteuid(), os.getegid()
    try:
        syscalls.unshare(syscalls.CLONE_NEWUSER | syscalls.CLONE_NEWNET)
    except OSError:
        return ()
    try:
        _write("/proc/self/setgroups", "deny")
        _write("/proc/self/uid_map", f"{uid} {uid} 1")
        _write("/proc/self/gid_map", f"{gid} {gid} 1")
    except OSError:
        pass  # unmapped, the process shows as "nobody" but keeps its access to its own files
    return ("user-namespace", "net-namespace")


def probe() -> tuple[bool, str]:
    """Can a process here get its own network namespace? Tried in a throw-away child."""
    if not hasattr(os, "fork"):
        return False, "no fork on this system"
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        try:
            os.close(r)
            layers = new_network()
            os.write(w, ",".join(layers).encode())
        finally:
            os._exit(0)
    os.close(w)
    try:
        got = os.read(r, 256).decode()
    finally:
        os.close(r)
        os.waitpid(pid, 0)
    if "net-namespace" in got:
        how = " (inside a user namespace)" if "user-namespace" in got else ""
        return True, how
    why = ("unshare(CLONE_NEWNET) was refused" if os.geteuid() == 0 else
           "unprivileged user namespaces are disabled (kernel.unprivileged_userns_clone or "
           "user.max_user_namespaces) or refused")
    return False, why
