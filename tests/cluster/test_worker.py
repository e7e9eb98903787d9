"""``autograder worker``: the doctor's checks before joining, the options it passes to ``dask worker``,
and the Slurm job script that runs it (autograder.cluster.worker, autograder.cluster.connect)."""

from __future__ import annotations

import shlex
import sys

import pytest
from cluster_helpers import make_ca

from autograder.cli import _parser
from autograder.cluster import worker as cw
from autograder.cluster.spec import parse
from autograder.course.errors import ClusterError
from autograder.sandbox import doctor
from autograder.sandbox.worker import landlock


@pytest.fixture(scope="module")
def tls(tmp_path_factory):
    return make_ca(tmp_path_factory.mktemp("ca"))


def args(*argv):
    return _parser().parse_args(["worker", *argv])


class Exec:
    def __init__(self):
        self.calls = []

    def __call__(self, path, argv):
        self.calls.append(argv)


def test_a_machine_missing_a_required_layer_does_not_join(tls, monkeypatch, capsys):
    live, _ = doctor.live_layers()
    assert "seccomp" in live  # this machine has it: the test takes it away
    monkeypatch.setattr(doctor, "live_layers", lambda: (tuple(x for x in live if x != "seccomp"), ""))
    ex = Exec()
    code = cw.run(args("tls://127.0.0.1:9", "--tls-ca", tls.ca, "--tls-cert", tls.cert, "--tls-key", tls.key),
                  execv=ex)
    assert code == 2 and not ex.calls
    err = capsys.readouterr().err
    assert "refusing to join" in err and "seccomp" in err


def test_a_machine_whose_workers_cannot_start_does_not_join(monkeypatch, capsys):
    monkeypatch.setattr(doctor, "live_layers", lambda: ((), "OSError: no zygote"))
    ex = Exec()
    assert cw.run(args("tcp://127.0.0.1:9"), execv=ex) == 2 and not ex.calls
    assert "refusing to join" in capsys.readouterr().err


def test_a_checked_machine_becomes_a_dask_worker(tls):
    ex = Exec()
    assert cw.run(args("tls://127.0.0.1:9", "--nworkers", "3", "--tls-ca", tls.ca, "--tls-cert", tls.cert,
                       "--tls-key", tls.key), execv=ex) == 0
    (argv,) = ex.calls
    assert argv[:4] == [sys.executable, "-m", "distributed.cli.dask_worker", "tls://127.0.0.1:9"]
    text = " ".join(argv)
    assert "--nworkers 3" in text and "--nthreads 1" in text and "--no-dashboard" in text
    assert f"--tls-ca-file {tls.ca} --tls-cert {tls.cert} --tls-key {tls.key}" in text


def test_its_options_are_checked(tls, tmp_path, monkeypatch):
    with pytest.raises(ClusterError, match="one of them"):
        cw.options(args())
    with pytest.raises(ClusterError, match="only on loopback"):
        cw.options(args("tcp://10.0.0.7:8786"))
    with pytest.raises(ClusterError, match="needs --tls-ca"):
        cw.options(args("tls://10.0.0.7:8786"))
    with pytest.raises(ClusterError, match="unknown isolation layer"):
        cw.options(args("tcp://127.0.0.1:1", "--require", "seccomp,magic"))
    assert cw.options(args("tcp://127.0.0.1:1", "--require", "all")).require == tuple(
        c.layer for c in doctor.checks())
    # a key where student code may read (the Python installation, the engine) is refused
    monkeypatch.setattr(landlock, "python_paths", lambda: (tmp_path.parent,))
    with pytest.raises(ClusterError, match="student code may read"):
        cw.options(args("tls://10.0.0.7:8786", "--tls-ca", tls.ca, "--tls-cert", tls.cert,
                        "--tls-key", tls.key))


def test_the_slurm_job_script_runs_autograder_worker_over_tls(tls, monkeypatch):
    """No Slurm here: the job script dask-jobqueue would submit, and that autograder worker accepts it."""
    from autograder.cluster.connect import slurm_cluster

    cluster = slurm_cluster(parse("slurm:2", tls), queue="grading", account="nn101", walltime="00:30:00")
    try:
        script = cluster.job_script()
        address = cluster.scheduler_address
    finally:
        cluster.close()
    assert address.startswith("tls://")
    for line in ("#SBATCH -p grading", "#SBATCH -A nn101", "#SBATCH -t 00:30:00",
                 "#SBATCH --cpus-per-task=1"):
        assert line in script
    (command,) = [ln for ln in script.splitlines() if "-m autograder worker" in ln]
    argv = shlex.split(command)
    assert argv[:4] == [sys.executable, "-m", "autograder", "worker"]
    o = cw.options(_parser().parse_args(argv[3:]))
    assert o.target == [address] and o.tls == tls and o.nthreads == 1
    assert "--name" in o.passthrough and "--memory-limit" in o.passthrough
    monkeypatch.setenv("PATH", "/nonexistent")
    from autograder.cluster.connect import connect

    with pytest.raises(ClusterError, match="sbatch is not on PATH"):
        connect(parse("slurm", tls))
