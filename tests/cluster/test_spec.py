"""``--cluster`` values: what is accepted, and the message for what is refused (autograder.cluster.spec)."""

from __future__ import annotations

import json

import pytest
from cluster_helpers import make_ca

from autograder.cluster.spec import is_loopback, parse, tls_files
from autograder.course.errors import ClusterError


@pytest.fixture(scope="module")
def tls(tmp_path_factory):
    return make_ca(tmp_path_factory.mktemp("ca"))


def test_local_takes_a_count_or_the_cores():
    assert parse("local:3").workers == 3
    assert parse("local", cores=5).workers == 5
    assert parse("local").kind == "local"
    for bad in ("local:0", "local:x", "local:-1"):
        with pytest.raises(ClusterError, match="whole number of at least 1"):
            parse(bad)


def test_plain_tcp_only_on_loopback(tls):
    for ok in ("tcp://127.0.0.1:8786", "tcp://127.3.4.5:1", "tcp://localhost:8786", "tcp://[::1]:8786"):
        assert parse(ok).address == ok
    for far in ("tcp://10.0.0.5:8786", "tcp://scheduler.example:8786", "tcp://0.0.0.0:8786"):
        with pytest.raises(ClusterError, match="only on loopback"):
            parse(far)
    with pytest.raises(ClusterError, match="use its tls:// address"):
        parse("tcp://127.0.0.1:8786", tls)


def test_tls_needs_all_three_files(tls, tmp_path):
    with pytest.raises(ClusterError, match="needs --tls-ca, --tls-cert and --tls-key"):
        parse("tls://10.0.0.5:8786")
    spec = parse("tls://10.0.0.5:8786", tls)
    assert spec.kind == "remote" and spec.tls == tls and spec.protocol == "tls"
    with pytest.raises(ClusterError, match=r"missing: --tls-key"):
        tls_files(tls.ca, tls.cert, None)
    with pytest.raises(ClusterError, match="no such file"):
        tls_files(tls.ca, tls.cert, str(tmp_path / "nope.key"))
    assert tls_files(None, None, None) is None


def test_a_scheduler_file_is_checked_by_the_same_rules(tls, tmp_path):
    f = tmp_path / "scheduler.json"
    f.write_text(json.dumps({"address": "tls://10.1.1.1:8786", "type": "Scheduler"}))
    assert parse(str(f), tls).address == "tls://10.1.1.1:8786"
    with pytest.raises(ClusterError, match="needs --tls-ca"):
        parse(str(f))
    f.write_text(json.dumps({"address": "tcp://10.1.1.1:8786"}))
    with pytest.raises(ClusterError, match="only on loopback"):
        parse(str(f))
    f.write_text("{not json")
    with pytest.raises(ClusterError, match="not a readable scheduler file"):
        parse(str(f))
    with pytest.raises(ClusterError, match="no such scheduler file"):
        parse(str(tmp_path / "missing.json"))


def test_slurm_requires_tls(tls):
    with pytest.raises(ClusterError, match="slurm.*required"):
        parse("slurm:4")
    spec = parse("slurm:4", tls)
    assert (spec.kind, spec.workers) == ("slurm", 4)


def test_other_values_name_the_accepted_forms():
    for bad in ("udp://127.0.0.1:1", "inproc://x", "127.0.0.1:8786", "dask", "tls://host-without-port"):
        with pytest.raises(ClusterError) as e:
            parse(bad)
        assert "tls://" in str(e.value)


def test_loopback():
    assert is_loopback("127.0.0.1") and is_loopback("::1") and is_loopback("[::1]")
    assert not is_loopback("10.0.0.1") and not is_loopback("example.org") and not is_loopback("0.0.0.0")


def test_without_dask_cluster_says_how_to_install_it(monkeypatch, capsys, tmp_path):
    import sys

    from autograder.cli import main

    monkeypatch.setitem(sys.modules, "distributed", None)  # as if the cluster extra were not installed
    (tmp_path / "subs").mkdir()
    code = main(["grade", str(tmp_path / "subs"), "--assignment", "hw07", "--out", str(tmp_path / "out"),
                 "--cluster", "local:2", "--no-progress"])
    err = capsys.readouterr().err
    assert code == 2
    assert "needs Dask distributed, which is not installed" in err and "pip install -e '.[cluster]'" in err
    assert not (tmp_path / "out").exists()  # refused before anything was written
