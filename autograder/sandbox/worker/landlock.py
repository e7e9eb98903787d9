"""Landlock: the worker may read its own folder and the Python it runs on, and nothing else.

No writes anywhere, no execution; on ABI ≥ 4 no TCP bind or connect; on ABI ≥ 6 no signals to
processes outside the worker and no abstract unix sockets. ``prepare`` opens the allowed paths
(it runs while the worker may still open them: before the uid is dropped); ``Ruleset.enforce``
restricts the process.
"""

from __future__ import annotations

import functools
import os
import site
import stat
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from autograder.sandbox.worker import syscalls

# LANDLOCK_ACCESS_FS_*
EXECUTE, WRITE_FILE, READ_FILE, READ_DIR = 1 << 0, 1 << 1, 1 << 2, 1 << 3
REFER, TRUNCATE, IOCTL_DEV = 1 << 13, 1 << 14, 1 << 15
FS_BY_ABI = {1: (1 << 13) - 1, 2: (1 << 14) - 1, 3: (1 << 15) - 1, 4: (1 << 15) - 1,
             5: (1 << 16) - 1}  # every filesystem access the kernel of that ABI knows
# LANDLOCK_ACCESS_NET_* (ABI 4) and LANDLOCK_SCOPE_* (ABI 6)
BIND_TCP, CONNECT_TCP = 1 << 0, 1 << 1
SCOPE_ABSTRACT_UNIX_SOCKET, SCOPE_SIGNAL = 1 << 0, 1 << 1
FILE_ACCESS = EXECUTE | WRITE_FILE | READ_FILE | TRUNCATE | IOCTL_DEV  # those a file rule may hold


def abi() -> tuple[int, str]:
    """(ABI version, "") when Landlock is usable, else (0, why not)."""
    try:
        return syscalls.landlock_abi(), ""
    except OSError as exc:
        why = {38: "the kernel has no Landlock (older than 5.13)",
               95: "Landlock is built in but not enabled (add landlock to the lsm= boot option)"}
        return 0, why.get(exc.errno, str(exc))


@functools.cache
def python_paths() -> tuple[Path, ...]:
    """What the interpreter and its packages need to read: prefixes, site-packages, autograder."""
    paths = {sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix,
             *site.getsitepackages(), str(Path(__file__).resolve().parents[2])}
    user = site.getusersitepackages() if site.ENABLE_USER_SITE else None
    if user:
        paths.add(user)
    return tuple(sorted(Path(p) for p in paths if p and Path(p).resolve() != Path("/")))


@dataclass
class Ruleset:
    fd: int
    layers: tuple[str, ...]

    def enforce(self) -> tuple[str, ...]:
        """Restrict this process (needs no_new_privs); returns the layer names now active."""
        try:
            syscalls.landlock_restrict_self(self.fd)
        finally:
            os.close(self.fd)
        return self.layers


def prepare(read_only: Iterable[Path], version: int | None = None) -> Ruleset | None:
    """A ruleset allowing only reads beneath ``read_only``; None when Landlock is unusable."""
    if version is None:
        version, _ = abi()
    if version < 1:
        return None
    fs = FS_BY_ABI.get(version, FS_BY_ABI[5])
    net = BIND_TCP | CONNECT_TCP if version >= 4 else 0
    scoped = SCOPE_ABSTRACT_UNIX_SOCKET | SCOPE_SIGNAL if version >= 6 else 0
    try:
        fd = syscalls.landlock_create_ruleset(fs, net, scoped)
    except OSError:
        return None
    try:
        for p in read_only:
            try:
                pfd = os.open(p, os.O_PATH | os.O_CLOEXEC)
            except OSError:
                continue  # a path that does not exist needs no rule
            try:
                allowed = READ_FILE | READ_DIR
                if not stat.S_ISDIR(os.fstat(pfd).st_mode):
                    allowed &= FILE_ACCESS
                syscalls.landlock_add_path_rule(fd, pfd, allowed)
            finally:
                os.close(pfd)
    except OSError:
        os.close(fd)
        return None
    layers = ["landlock-fs"]
    if net:
        layers.append("landlock-tcp")
    if scoped:
        layers.append("landlock-scope")
    return Ruleset(fd, tuple(layers))
