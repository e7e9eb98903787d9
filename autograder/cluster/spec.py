"""What ``--cluster`` names: an embedded local cluster, a scheduler's address or file, or Slurm.

    local[:N]          a Dask LocalCluster of N worker processes in this machine (default: cores)
    tls://HOST:PORT    a scheduler you started, mutual TLS (--tls-ca/--tls-cert/--tls-key required)
    tcp://127.0.0.1:P  a scheduler on this machine without TLS (plain TCP only on loopback)
    FILE.json          a scheduler file (``dask scheduler --scheduler-file``): its address, same rules
    slurm[:N]          N Slurm jobs of workers through dask-jobqueue (TLS required: they dial back in)

Parsing does not import Dask: a bad value is refused before anything starts.
"""

from __future__ import annotations

import ipaddress
import json
import os
from dataclasses import dataclass
from pathlib import Path

from autograder.course.errors import ClusterError

FORMS = "local[:N], tls://HOST:PORT, tcp://127.0.0.1:PORT, a scheduler file FILE.json, or slurm[:N]"


@dataclass(frozen=True)
class TlsFiles:
    """This side's certificate and key, and the CA that signed every member of the cluster."""

    ca: str
    cert: str
    key: str


@dataclass(frozen=True)
class ClusterSpec:
    kind: str  # "local" | "remote" | "slurm"
    address: str = ""  # remote: tls://host:port or tcp://127.x:port
    workers: int = 0  # local: worker processes; slurm: jobs
    tls: TlsFiles | None = None
    source: str = ""  # what the TA wrote (for messages)

    @property
    def protocol(self) -> str:
        return "tls" if self.tls is not None else "tcp"

    def describe(self) -> str:
        if self.kind == "local":
            return f"a local Dask cluster of {self.workers} worker process(es)"
        if self.kind == "slurm":
            return f"Slurm: {self.workers} job(s) of Dask workers (dask-jobqueue)"
        return f"the Dask scheduler at {self.address}" + (" (mutual TLS)" if self.tls else "")


def tls_files(ca: str | None, cert: str | None, key: str | None, what: str = "--tls") -> TlsFiles | None:
    """The three TLS files, each readable; None when none is given; ClusterError when some are missing."""
    given = {"--tls-ca": ca, "--tls-cert": cert, "--tls-key": key}
    if not any(given.values()):
        return None
    missing = [k for k, v in given.items() if not v]
    if missing:
        raise ClusterError(f"mutual TLS needs all three of --tls-ca, --tls-cert and --tls-key "
                           f"(missing: {', '.join(missing)})")
    for opt, path in given.items():
        p = Path(path)
        if not p.is_file():
            raise ClusterError(f"{opt} {path}: no such file")
        if not os.access(p, os.R_OK):
            raise ClusterError(f"{opt} {path}: cannot be read (permission denied)")
    return TlsFiles(*(str(Path(v).resolve()) for v in given.values()))


def is_loopback(host: str) -> bool:
    host = host.strip("[]")
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _host_port(address: str) -> tuple[str, int]:
    rest = address.split("://", 1)[1]
    host, sep, port = rest.rpartition(":")
    if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise ClusterError(f"{address}: expected PROTOCOL://HOST:PORT with a port number")
    return host, int(port)


def _count(text: str, what: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise ClusterError(f"--cluster {what}: the count after ':' must be a whole number of at least 1")
    return int(text)


def check_address(address: str, tls: TlsFiles | None, source: str) -> str:
    """``address`` when it may be used with ``tls``: tls:// with certificates, tcp:// on loopback only."""
    if address.startswith("tls://"):
        _host_port(address)
        if tls is None:
            raise ClusterError(f"{source}: a tls:// scheduler needs --tls-ca, --tls-cert and "
                               f"--tls-key (see the README: making TLS certificates)")
        return address
    if address.startswith("tcp://"):
        host, _ = _host_port(address)
        if not is_loopback(host):
            raise ClusterError(f"{source}: plain tcp:// is allowed only on loopback "
                               f"(127.0.0.1); a scheduler on {host} needs tls:// and certificates")
        if tls is not None:
            raise ClusterError(f"{source}: the TLS files were given for a plain tcp:// "
                               f"scheduler; use its tls:// address")
        return address
    raise ClusterError(f"{source}: unsupported scheduler address {address!r} "
                       f"(tls://HOST:PORT, or tcp://127.0.0.1:PORT)")


def parse(value: str, tls: TlsFiles | None = None, cores: int | None = None) -> ClusterSpec:
    """The cluster ``value`` names (``--cluster``), with this side's TLS files; ClusterError if unusable."""
    value = value.strip()
    head, _, count = value.partition(":")
    if head == "local" and "//" not in value:
        if tls is not None:
            raise ClusterError("--cluster local runs on this machine over loopback: drop the --tls options")
        n = _count(count, value) if count else max(1, cores or os.cpu_count() or 1)
        return ClusterSpec("local", workers=n, source=value)
    if head == "slurm" and "//" not in value:
        if tls is None:
            raise ClusterError("--cluster slurm: the Slurm jobs' workers connect back to this machine "
                               "over the network, so --tls-ca, --tls-cert and --tls-key are required")
        return ClusterSpec("slurm", workers=_count(count, value) if count else 1, tls=tls, source=value)
    if "://" in value:
        return ClusterSpec("remote", address=check_address(value, tls, f"--cluster {value}"), tls=tls,
                           source=value)
    if value.endswith(".json"):
        address = scheduler_file_address(Path(value))
        return ClusterSpec("remote", address=check_address(address, tls, f"--cluster {value} ({address})"),
                           tls=tls, source=value)
    raise ClusterError(f"--cluster {value!r}: expected {FORMS}")


def scheduler_file_address(path: Path) -> str:
    """The ``address`` in a scheduler file written by ``dask scheduler --scheduler-file``."""
    try:
        doc = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ClusterError(f"{path}: no such scheduler file") from None
    except (OSError, ValueError) as exc:
        raise ClusterError(f"{path}: not a readable scheduler file ({exc})") from None
    address = doc.get("address") if isinstance(doc, dict) else None
    if not isinstance(address, str) or not address:
        raise ClusterError(f"{path}: the scheduler file has no address")
    return address
