"""The seccomp deny-list, put up last: no new processes, programs, sockets, tracing or signals out.

Built with libseccomp (through its Python binding ``seccomp`` where the system has it, else the
API-compatible ``pyseccomp``). Denied calls fail with EPERM, so Python raises a clean
``PermissionError`` in the student's code; ``clone3`` fails with ENOSYS so that the C library
falls back to ``clone``, where the flags can be inspected: threads (CLONE_THREAD) are allowed,
processes are not. No signal can be sent at all (a worker has no one to signal). System calls of a
foreign architecture (32-bit calls on x86-64) kill the worker.

The filter is the same for every worker, so it is compiled to BPF once (in the zygote, before any
fork: ``compiled()``) and each worker installs the program with one ``prctl``.
"""

from __future__ import annotations

import errno
import os

from autograder.sandbox.worker import syscalls

CLONE_THREAD = 0x00010000
PR_SET_PDEATHSIG = 1

# Denied outright (EPERM). Names unknown to this architecture are skipped.
DENIED = (
    # no new programs, and no network: the channel to the grader already exists
    "execve", "execveat", "socket", "socketpair", "connect", "bind", "listen", "accept", "accept4",
    # no new processes (clone is filtered below), no way around the filter
    "fork", "vfork", "unshare", "setns", "io_uring_setup", "io_uring_enter", "io_uring_register",
    # no looking into or signalling other processes
    "ptrace", "process_vm_readv", "process_vm_writev", "kcmp", "pidfd_open", "pidfd_getfd",
    "pidfd_send_signal", "kill", "tkill", "tgkill", "rt_sigqueueinfo", "rt_tgsigqueueinfo",
    # nothing that changes the system or the limits
    "mount", "umount2", "pivot_root", "chroot", "setrlimit", "bpf", "perf_event_open",
    "userfaultfd", "keyctl", "add_key", "request_key", "mknod", "mknodat", "swapon", "swapoff",
    "reboot", "kexec_load", "init_module", "finit_module", "delete_module", "acct",
)


def binding():
    """The libseccomp binding module; raises ImportError (with the reason) when there is none."""
    try:
        import seccomp  # the official binding (Debian: python3-seccomp)

        return seccomp
    except ImportError:
        pass
    try:
        import pyseccomp
    except ImportError:
        raise ImportError("no libseccomp Python binding (pip install pyseccomp)") from None
    except (OSError, RuntimeError) as exc:  # pyseccomp loads libseccomp.so at import
        raise ImportError(f"libseccomp could not be loaded ({exc}; apt-get install libseccomp2)"
                          ) from None
    return pyseccomp


def available() -> tuple[bool, str]:
    """(True, "") when a filter can be built here, else (False, why not)."""
    try:
        sc = binding()
        sc.SyscallFilter(sc.ALLOW)
    except (ImportError, OSError) as exc:
        return False, str(exc)
    if not os.path.exists("/proc/sys/kernel/seccomp/actions_avail") and not _in_status():
        return False, "the kernel has no seccomp filter support"
    return True, ""


def _in_status() -> bool:
    try:
        with open("/proc/self/status") as f:
            return any(line.startswith("Seccomp:") for line in f)
    except OSError:
        return False


def build():
    """The libseccomp filter (not loaded)."""
    sc = binding()
    eperm = sc.ERRNO(errno.EPERM)
    f = sc.SyscallFilter(sc.ALLOW)
    for name in DENIED:
        _add(f, eperm, name)
    # clone: threads only. clone3 hides its flags in memory: ENOSYS makes libc fall back to clone.
    _add(f, eperm, "clone", sc.Arg(0, sc.MASKED_EQ, CLONE_THREAD, 0))
    _add(f, sc.ERRNO(errno.ENOSYS), "clone3")
    # limits can be read, not changed; the parent-death signal stays
    _add(f, eperm, "prlimit64", sc.Arg(2, sc.NE, 0))
    _add(f, eperm, "prctl", sc.Arg(0, sc.EQ, PR_SET_PDEATHSIG))
    return f


def _add(f, action, name: str, *args) -> None:
    try:
        f.add_rule(action, name, *args)
    except (OSError, ValueError):
        pass  # not a system call of this architecture


_PROGRAM: bytes | None = None


def compiled() -> bytes:
    """The filter as a BPF program (built once per process); raises ImportError or OSError."""
    global _PROGRAM
    if _PROGRAM is None:
        fd = os.memfd_create("autograder-seccomp", os.MFD_CLOEXEC)
        try:
            build().export_bpf(_Fd(fd))
            os.lseek(fd, 0, os.SEEK_SET)
            _PROGRAM = os.read(fd, 1 << 20)
        finally:
            os.close(fd)
    return _PROGRAM


class _Fd:
    def __init__(self, fd: int):
        self.fd = fd

    def fileno(self) -> int:
        return self.fd


def install() -> bool:
    """Put the filter on this process (irreversible); False when seccomp is unavailable."""
    try:
        program = compiled()
        syscalls.prctl(syscalls.PR_SET_NO_NEW_PRIVS, 1)
        syscalls.seccomp_set_filter(program)
    except (ImportError, OSError, AttributeError):
        return False
    return True
