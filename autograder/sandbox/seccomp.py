"""The seccomp deny-list, put up last: no new processes, programs, sockets, tracing or signals out.

Built with libseccomp (through its Python binding ``seccomp`` where the system has it, else the
API-compatible ``pyseccomp``). Denied calls fail with EPERM, so Python raises a clean
``PermissionError`` in the student's code; ``clone3`` fails with ENOSYS so that the C library
falls back to ``clone``, where the flags can be inspected: threads (CLONE_THREAD) are allowed,
processes are not. System calls of a foreign architecture (32-bit calls on x86-64) kill the worker.
"""

from __future__ import annotations

import errno
import os

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
    "pidfd_send_signal", "tkill", "rt_sigqueueinfo", "rt_tgsigqueueinfo",
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


def build(pid: int | None = None):
    """The filter for the worker ``pid`` (signals only to itself); not yet loaded."""
    sc = binding()
    pid = os.getpid() if pid is None else pid
    eperm = sc.ERRNO(errno.EPERM)
    f = sc.SyscallFilter(sc.ALLOW)
    for name in DENIED:
        _add(f, eperm, name)
    # clone: threads only. clone3 hides its flags in memory: ENOSYS makes libc fall back to clone.
    _add(f, eperm, "clone", sc.Arg(0, sc.MASKED_EQ, CLONE_THREAD, 0))
    _add(f, sc.ERRNO(errno.ENOSYS), "clone3")
    # signals: only to itself
    _add(f, eperm, "kill", sc.Arg(0, sc.NE, pid))
    _add(f, eperm, "tgkill", sc.Arg(0, sc.NE, pid))
    # limits can be read, not changed; the parent-death signal stays
    _add(f, eperm, "prlimit64", sc.Arg(2, sc.NE, 0))
    _add(f, eperm, "prctl", sc.Arg(0, sc.EQ, PR_SET_PDEATHSIG))
    return f


def _add(f, action, name: str, *args) -> None:
    try:
        f.add_rule(action, name, *args)
    except (OSError, ValueError):
        pass  # not a system call of this architecture


def install() -> bool:
    """Load the filter into this process (irreversible); False when seccomp is unavailable."""
    try:
        build().load()
    except (ImportError, OSError):
        return False
    return True
