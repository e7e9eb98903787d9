"""What this machine can do to isolate student code: each layer, supported or not, and why.

``checks()`` probes each layer without starting a worker; ``live_layers()`` starts one real
worker and returns the layers it reported (what a grade's results.json will list).
"""

from __future__ import annotations

import os
import platform
import resource
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from autograder.sandbox.worker import identity, landlock, namespaces, seccomp


@dataclass(frozen=True)
class Check:
    layer: str
    supported: bool
    detail: str = ""


def checks() -> list[Check]:
    if sys.platform != "linux":
        return [Check("subprocess-timeout", True, f"{platform.system()}: student code runs in a "
                      f"separate process with a wall-clock timeout only")]
    root = os.geteuid() == 0
    out = [
        Check("fd-hygiene", True, "channel on fd 3, stdin/stdout/stderr on /dev/null, others closed"),
        Check("new-session", hasattr(os, "setsid"), "own session and process group, killed as one"),
        Check("die-with-parent", True, "SIGKILL when the grading process dies (prctl)"),
    ]
    ok, why = namespaces.probe()
    out.append(Check("net-namespace", ok, ("no network devices but a loopback that is down" + why)
                     if ok else why))
    out.append(Check("no-new-privs", True, "no set-uid programs, required by Landlock"))
    version, why = landlock.abi()
    if version:
        out.append(Check("landlock-fs", True, f"ABI {version}: read-only to the submission copy "
                         f"and Python, no writes, no execution"))
        out.append(Check("landlock-tcp", version >= 4, "no TCP bind or connect" if version >= 4
                         else f"needs Landlock ABI 4 (Linux 6.7), this kernel has {version}"))
        out.append(Check("landlock-scope", version >= 6,
                         "no signals out, no abstract unix sockets" if version >= 6
                         else f"needs Landlock ABI 6 (Linux 6.12), this kernel has {version}"))
    else:
        out += [Check(n, False, why) for n in ("landlock-fs", "landlock-tcp", "landlock-scope")]
    out.append(Check("worker-uid", identity.can_drop(),
                     f"uid/gid {identity.BASE}+slot per grading process" if root else
                     "not running as root: workers keep your uid (signals out are stopped by "
                     "seccomp and Landlock instead)"))
    for name, res in (("cpu", "RLIMIT_CPU"), ("as", "RLIMIT_AS"), ("fsize", "RLIMIT_FSIZE"),
                      ("nofile", "RLIMIT_NOFILE"), ("core", "RLIMIT_CORE")):
        out.append(Check(f"rlimit-{name}", hasattr(resource, res), res))
    out.append(Check("rlimit-nproc", identity.can_drop() or not root,
                     "no new processes or threads (applies to the worker's own uid)" if
                     identity.can_drop() or not root else "not enforced for uid 0"))
    ok, why = seccomp.available()
    out.append(Check("seccomp", ok, "no fork/exec/socket/ptrace/kill of others" if ok else why))
    return out


def live_layers() -> tuple[tuple[str, ...], str]:
    """(layers a real worker reported, "") — or ((), why it could not start)."""
    from autograder.sandbox.launch import default_launcher

    try:
        launcher = default_launcher()
    except Exception as exc:  # noqa: BLE001 - the doctor reports, it does not fail
        return (), f"{type(exc).__name__}: {exc}"
    try:
        with tempfile.TemporaryDirectory() as d:
            worker = launcher.spawn(Path(d), {})
            worker.kill()
            return worker.layers, ""
    except Exception as exc:  # noqa: BLE001
        return (), f"{type(exc).__name__}: {exc}"
    finally:
        launcher.close()


def render(items: list[Check], live: tuple[str, ...], live_error: str) -> str:
    who = "root" if hasattr(os, "geteuid") and os.geteuid() == 0 else "an ordinary user"
    lines = [f"Isolation of student code on {platform.system()} {platform.release()}, Python "
             f"{platform.python_version()}, running as {who}:"]
    width = max(len(c.layer) for c in items)
    for c in items:
        lines.append(f"  {'yes' if c.supported else 'no ':<3}  {c.layer:<{width}}  {c.detail}")
    if live_error:
        lines.append(f"A test worker could not be started: {live_error}")
    else:
        lines.append(f"A test worker reported {len(live)} active layers: {', '.join(live)}")
        missing = [c.layer for c in items if c.supported and c.layer not in live
                   and c.layer != "subprocess-timeout"]
        if missing:
            lines.append(f"Supported here but not active in that worker: {', '.join(missing)}")
    return "\n".join(lines)
