"""Mutual TLS: without a certificate signed by the cluster's CA, nothing connects to the scheduler.

A real ``dask scheduler`` with a throwaway CA; a client and a worker with another CA's certificate,
a TLS client without any certificate and a plain-TCP client are all turned away; the right
certificate connects (the control).
"""

from __future__ import annotations

import socket
import ssl
import stat
import subprocess
import time

import pytest
from cluster_helpers import REPO, Procs, make_ca, start_scheduler, start_worker, wait_for_workers

from autograder.cluster.connect import connect
from autograder.cluster.spec import TlsFiles, parse
from autograder.course.errors import ClusterError

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("tls")
    good, other = make_ca(tmp / "ca"), make_ca(tmp / "other", name="someone-elses-ca")
    procs = Procs(tmp / "logs")
    try:
        _, address = start_scheduler(procs, tmp, good)
        yield address, good, other, procs, tmp / "scheduler.json"
    finally:
        procs.close()


def test_the_right_certificate_connects(cluster):
    address, good, _, _, sched_file = cluster
    for where in (address, str(sched_file)):  # the address, or the scheduler's file
        owned, client = connect(parse(where, good), seconds=20)
        try:
            assert owned is None and client.status == "running"
        finally:
            client.close()


def test_a_client_with_another_cas_certificate_cannot_connect(cluster):
    address, _, other, _, _ = cluster
    t0 = time.monotonic()
    with pytest.raises(ClusterError, match="cannot connect to the Dask scheduler"):
        connect(parse(address, other), seconds=5)
    assert time.monotonic() - t0 < 30


def test_a_tls_client_without_a_certificate_is_refused(cluster):
    address, _, _, _, _ = cluster
    host, port = address.removeprefix("tls://").rsplit(":", 1)
    ctx = ssl.create_default_context()
    ctx.check_hostname, ctx.verify_mode = False, ssl.CERT_NONE  # it does not even check the server
    with socket.create_connection((host, int(port)), timeout=10) as raw:
        with pytest.raises((ssl.SSLError, ConnectionError)):
            with ctx.wrap_socket(raw) as s:
                s.sendall(b"\x00" * 64)
                if not s.recv(1024):  # TLS 1.3: the refusal arrives after the handshake
                    raise ConnectionError("closed by the scheduler")


def test_plain_tcp_to_the_scheduler_gets_nowhere(cluster):
    address, _, _, _, _ = cluster
    from distributed import Client

    with pytest.raises((OSError, TimeoutError)):
        Client(address.replace("tls://", "tcp://"), timeout=3)


def test_a_worker_with_another_cas_certificate_never_joins(cluster):
    address, good, other, procs, _ = cluster
    w = start_worker(procs, address, other, "intruder")
    deadline = time.monotonic() + 60
    while w.poll() is None and "Waiting to connect" not in procs.log("intruder", tail=0):
        assert time.monotonic() < deadline, procs.log("intruder")
        time.sleep(0.2)  # the doctor's checks, then dask worker dials in
    time.sleep(3)
    with pytest.raises(TimeoutError):
        wait_for_workers(address, good, 1, seconds=3)
    # still dialling, or given up on the handshake: never admitted either way
    refused = "TLS certificate does not match" in procs.log("intruder", tail=0)
    assert w.poll() is None or refused, procs.log("intruder")
    procs.kill(w)


def readme_certificate_commands() -> str:
    text = (REPO / "README.md").read_text(encoding="utf-8")
    after = text.split("**Making the TLS certificates**", 1)[1]
    return after.split("```sh\n", 1)[1].split("```", 1)[0]


def test_the_readmes_openssl_commands_make_certificates_that_work(tmp_path):
    """The README's recipe, run as written (in a temporary folder): its scheduler admits its TA."""
    script = readme_certificate_commands()
    assert script.startswith("TLS=~/autograder-tls\n")
    script = script.replace("TLS=~/autograder-tls", f"TLS={tmp_path / 'tls'}", 1)
    subprocess.run(["bash", "-euc", script], check=True, timeout=60, capture_output=True)
    d = tmp_path / "tls"
    assert not list(d.glob("*.csr"))
    assert all(stat.S_IMODE((d / f"{w}.key").stat().st_mode) == 0o600 for w in ("ca", "scheduler", "ta"))
    procs = Procs(tmp_path / "logs")
    try:
        _, address = start_scheduler(procs, tmp_path, TlsFiles(str(d / "ca.pem"), str(d / "scheduler.pem"),
                                                                 str(d / "scheduler.key")))
        _, client = connect(parse(address, TlsFiles(str(d / "ca.pem"), str(d / "ta.pem"), str(d / "ta.key"))),
                            seconds=20)
        assert client.status == "running"
        client.close()
    finally:
        procs.close()
