"""Real Dask processes for the cluster tests: a throwaway CA, ``dask scheduler``, ``autograder worker``.

Every process is started in its own session (so a test can SIGKILL one machine's whole tree) and
stopped by ``Procs.close``; every wait has a deadline.
"""

from __future__ import annotations

import datetime
import ipaddress
import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from autograder.cluster.spec import TlsFiles

BIN = Path(sys.executable).parent
REPO = Path(__file__).resolve().parents[1]


def _name(cn: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def _write_key(key, path: Path) -> None:
    path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                       serialization.NoEncryption()))
    path.chmod(0o600)


def make_ca(folder: Path, name: str = "course-ca") -> TlsFiles:
    """A CA and one member certificate it signed (scheduler, workers and client share it)."""
    folder.mkdir(parents=True, exist_ok=True)
    now = datetime.datetime.now(datetime.UTC)
    start, end = now - datetime.timedelta(minutes=5), now + datetime.timedelta(days=1)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = (x509.CertificateBuilder().subject_name(_name(name)).issuer_name(_name(name))
          .public_key(ca_key.public_key()).serial_number(x509.random_serial_number())
          .not_valid_before(start).not_valid_after(end)
          .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
          .sign(ca_key, hashes.SHA256()))
    key = ec.generate_private_key(ec.SECP256R1())
    san = x509.SubjectAlternativeName([x509.DNSName("localhost"),
                                       x509.IPAddress(ipaddress.ip_address("127.0.0.1"))])
    cert = (x509.CertificateBuilder().subject_name(_name(f"{name}-member")).issuer_name(ca.subject)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(start).not_valid_after(end)
            .add_extension(san, critical=False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .sign(ca_key, hashes.SHA256()))
    (folder / "ca.pem").write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    (folder / "member.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    _write_key(key, folder / "member.key")
    return TlsFiles(str(folder / "ca.pem"), str(folder / "member.pem"), str(folder / "member.key"))


def tls_args(tls: TlsFiles) -> list[str]:
    return ["--tls-ca", tls.ca, "--tls-cert", tls.cert, "--tls-key", tls.key]


@dataclass
class Procs:
    """The processes a test started, each in its own session; ``close`` ends them all."""

    logs: Path
    procs: list[subprocess.Popen] = field(default_factory=list)

    def start(self, argv: list[str], name: str, env: dict | None = None) -> subprocess.Popen:
        self.logs.mkdir(parents=True, exist_ok=True)
        log = open(self.logs / f"{name}.log", "ab")  # noqa: SIM115 - the child keeps it
        try:
            p = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                 start_new_session=True, cwd=self.logs, env=env)
        finally:
            log.close()
        p.name = name  # type: ignore[attr-defined]
        self.procs.append(p)
        return p

    def log(self, name: str, tail: int = 4000) -> str:
        """The end of a process's output (``tail=0``: all of it)."""
        try:
            return (self.logs / f"{name}.log").read_text(errors="replace")[-tail:]
        except OSError:
            return ""

    @staticmethod
    def kill(p: subprocess.Popen) -> None:
        """SIGKILL the process and everything in its session (a machine that died)."""
        try:
            os.killpg(p.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        try:
            p.wait(timeout=20)
        except subprocess.TimeoutExpired:
            pass

    def close(self) -> None:
        for p in self.procs:
            if p.poll() is None:
                try:
                    os.killpg(p.pid, signal.SIGTERM)
                except (ProcessLookupError, PermissionError):
                    pass
        deadline = time.monotonic() + 15
        for p in self.procs:
            try:
                p.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                pass
            self.kill(p)


def start_scheduler(procs: Procs, folder: Path, tls: TlsFiles, name: str = "scheduler",
                    seconds: float = 60.0) -> tuple[subprocess.Popen, str]:
    """``dask scheduler`` on loopback with mutual TLS; returns (process, its tls:// address)."""
    sched_file = folder / f"{name}.json"
    sched_file.unlink(missing_ok=True)
    p = procs.start([str(BIN / "dask"), "scheduler", "--host", "127.0.0.1", "--port", "0",
                     "--protocol", "tls", "--tls-ca-file", tls.ca, "--tls-cert", tls.cert,
                     "--tls-key", tls.key, "--no-dashboard", "--scheduler-file", str(sched_file)], name)
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if p.poll() is not None:
            raise RuntimeError(f"dask scheduler exited ({p.returncode}):\n{procs.log(name)}")
        try:
            return p, json.loads(sched_file.read_text())["address"]
        except (OSError, ValueError, KeyError):
            time.sleep(0.2)
    raise RuntimeError(f"dask scheduler did not start within {seconds:g} s:\n{procs.log(name)}")


def start_worker(procs: Procs, address: str, tls: TlsFiles, name: str, nworkers: int = 1,
                 extra: tuple[str, ...] = (), env: dict | None = None) -> subprocess.Popen:
    return procs.start([str(BIN / "autograder"), "worker", address, "--nworkers", str(nworkers),
                        *tls_args(tls), *extra], name, env=env)


def dask_environment(tls: TlsFiles, address: str) -> dict[str, str]:
    """This environment plus Dask's own variables naming the cluster's secrets (as a site may set them)."""
    return {**os.environ, "DASK_DISTRIBUTED__COMM__TLS__CA_FILE": tls.ca,
            "DASK_DISTRIBUTED__COMM__TLS__WORKER__CERT": tls.cert,
            "DASK_DISTRIBUTED__COMM__TLS__WORKER__KEY": tls.key, "DASK_SCHEDULER_ADDRESS": address,
            "AUTOGRADER_CLUSTER_TOKEN": "secret-in-the-environment"}


def environments(address: str, tls: TlsFiles) -> dict[str, list[str]]:
    """Per worker process, the Dask- or credential-like variables left in its environment."""
    from distributed import Client

    from autograder.cluster.connect import security
    from autograder.cluster.remote import secret_variables

    with Client(address, security=security(tls), timeout=30) as c:
        return c.run(secret_variables)


def wait_for_workers(address: str, tls: TlsFiles, n: int, seconds: float = 120.0) -> list[str]:
    """The scheduler's worker addresses once it has ``n`` of them (TimeoutError after ``seconds``)."""
    from distributed import Client

    from autograder.cluster.connect import security

    with Client(address, security=security(tls), timeout=30) as c:
        c.wait_for_workers(n, timeout=seconds)
        return sorted(c.scheduler_info(n_workers=-1)["workers"])


def worker_stats(address: str, tls: TlsFiles) -> dict[str, dict]:
    """What each worker process graded (``autograder.cluster.remote.stats``)."""
    from distributed import Client

    from autograder.cluster.connect import security
    from autograder.cluster.remote import stats

    with Client(address, security=security(tls), timeout=30) as c:
        return c.run(stats)
