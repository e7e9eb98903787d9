"""The Linux system calls the sandbox needs that Python 3.11 does not wrap: the one ctypes module.

``prctl`` (and installing a seccomp program with it), ``unshare`` and the three Landlock calls.
Each raises ``OSError`` (with the errno the kernel gave) on failure, and ``OSError(ENOSYS)`` where
there is no C library to call through.
"""

from __future__ import annotations

import ctypes
import errno
import os
import platform
import sys

# prctl(2)
PR_SET_PDEATHSIG = 1
PR_GET_PDEATHSIG = 2
PR_SET_SECCOMP = 22
SECCOMP_MODE_FILTER = 2
PR_SET_NO_NEW_PRIVS = 38
PR_GET_NO_NEW_PRIVS = 39

# unshare(2)
CLONE_NEWUSER = 0x10000000
CLONE_NEWNET = 0x40000000

# Landlock: one number on every architecture (the shared table, Linux 5.13+).
SYS_LANDLOCK_CREATE_RULESET = 444
SYS_LANDLOCK_ADD_RULE = 445
SYS_LANDLOCK_RESTRICT_SELF = 446
LANDLOCK_CREATE_RULESET_VERSION = 1 << 0
LANDLOCK_RULE_PATH_BENEATH = 1
LANDLOCK_RULE_NET_PORT = 2


class RulesetAttr(ctypes.Structure):
    """struct landlock_ruleset_attr (ABI 6 layout; older kernels accept it with zero tails)."""

    _fields_ = [("handled_access_fs", ctypes.c_uint64), ("handled_access_net", ctypes.c_uint64),
                ("scoped", ctypes.c_uint64)]


class SockFprog(ctypes.Structure):
    """struct sock_fprog: a classic BPF program (seccomp filters are written in it)."""

    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]


class PathBeneathAttr(ctypes.Structure):
    """struct landlock_path_beneath_attr (packed: 12 bytes)."""

    _pack_ = 1
    _fields_ = [("allowed_access", ctypes.c_uint64), ("parent_fd", ctypes.c_int32)]


_LIBC = None


def libc():
    """The C library with errno capture; raises OSError(ENOSYS) where there is none (not Linux)."""
    global _LIBC
    if _LIBC is None:
        if sys.platform != "linux":
            raise OSError(errno.ENOSYS, f"no Linux system calls on {platform.system()}")
        _LIBC = ctypes.CDLL(None, use_errno=True)
        _LIBC.syscall.restype = ctypes.c_long
        _LIBC.prctl.restype = ctypes.c_int
        _LIBC.prctl.argtypes = [ctypes.c_int, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong,
                                ctypes.c_ulong]
        _LIBC.unshare.restype = ctypes.c_int
        _LIBC.unshare.argtypes = [ctypes.c_int]
    return _LIBC


def _check(result: int, what: str) -> int:
    if result < 0:
        err = ctypes.get_errno()
        raise OSError(err, f"{what}: {os.strerror(err)}")
    return result


def prctl(option: int, arg2: int = 0, arg3: int = 0, arg4: int = 0, arg5: int = 0) -> int:
    return _check(libc().prctl(option, arg2, arg3, arg4, arg5), "prctl")


def seccomp_set_filter(program: bytes) -> None:
    """Install a compiled seccomp BPF program (8 bytes per instruction) on this thread."""
    if not program or len(program) % 8:
        raise OSError(errno.EINVAL, "not a BPF program")
    buf = ctypes.create_string_buffer(program, len(program))
    prog = SockFprog(len(program) // 8, ctypes.addressof(buf))
    prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, ctypes.addressof(prog))


def unshare(flags: int) -> None:
    _check(libc().unshare(flags), "unshare")


def landlock_abi() -> int:
    """The Landlock ABI version of the running kernel; OSError when Landlock is absent or off."""
    return _check(libc().syscall(SYS_LANDLOCK_CREATE_RULESET, None, ctypes.c_size_t(0),
                                 ctypes.c_uint32(LANDLOCK_CREATE_RULESET_VERSION)),
                  "landlock_create_ruleset")


def landlock_create_ruleset(fs: int, net: int = 0, scoped: int = 0) -> int:
    """A new ruleset that handles (denies unless a rule allows) these accesses; returns its fd."""
    attr = RulesetAttr(fs, net, scoped)
    return _check(libc().syscall(SYS_LANDLOCK_CREATE_RULESET, ctypes.byref(attr),
                                 ctypes.c_size_t(ctypes.sizeof(attr)), ctypes.c_uint32(0)),
                  "landlock_create_ruleset")


def landlock_add_path_rule(ruleset_fd: int, parent_fd: int, allowed: int) -> None:
    attr = PathBeneathAttr(allowed, parent_fd)
    _check(libc().syscall(SYS_LANDLOCK_ADD_RULE, ctypes.c_int(ruleset_fd),
                          ctypes.c_int(LANDLOCK_RULE_PATH_BENEATH), ctypes.byref(attr),
                          ctypes.c_uint32(0)), "landlock_add_rule")


def landlock_restrict_self(ruleset_fd: int) -> None:
    _check(libc().syscall(SYS_LANDLOCK_RESTRICT_SELF, ctypes.c_int(ruleset_fd), ctypes.c_uint32(0)),
           "landlock_restrict_self")
