"""From a ``ClusterSpec`` to a Dask client (and the cluster object this process owns, if any).

``local[:N]``: a LocalCluster on loopback, the same code path as a remote scheduler.
``tls://`` / ``tcp://`` / a scheduler file: a client of a scheduler someone started.
``slurm[:N]``: dask-jobqueue's SLURMCluster: a scheduler in this process (mutual TLS), and N
batch jobs each running ``autograder worker`` (doctor checks first) that dial back in.
"""

from __future__ import annotations

import logging
import shutil
import sys

from autograder.cluster import require_dask
from autograder.cluster.spec import ClusterSpec, TlsFiles
from autograder.course.errors import ClusterError

WORKER_COMMAND = "autograder worker"  # what a Slurm job runs: `python -m autograder worker ...`


def security(tls: TlsFiles | None):
    """distributed's Security for ``tls`` (every role the same files: one CA, one key pair)."""
    from distributed.security import Security

    if tls is None:
        return Security(require_encryption=False)
    return Security(tls_ca_file=tls.ca, tls_client_cert=tls.cert, tls_client_key=tls.key,
                    tls_scheduler_cert=tls.cert, tls_scheduler_key=tls.key,
                    tls_worker_cert=tls.cert, tls_worker_key=tls.key, require_encryption=True)


def quiet() -> None:
    """Dask's own log lines stay off the TA's terminal; failures reach it as ClusterError messages."""
    for name in ("distributed", "dask_jobqueue", "tornado"):
        logging.getLogger(name).setLevel(logging.CRITICAL)


def slurm_cluster(spec: ClusterSpec, **overrides):
    """A SLURMCluster whose jobs run ``autograder worker`` over mutual TLS (no job submitted yet).

    Queue, account, walltime, memory and the like come from Dask's configuration
    (``~/.config/dask/jobqueue.yaml``, section ``jobqueue.slurm``); one core per job by default.
    """
    require_dask()
    import dask
    from dask_jobqueue import SLURMCluster

    cfg = dask.config.get("jobqueue.slurm", {}) or {}
    kwargs = {
        "cores": cfg.get("cores") or 1,
        "processes": cfg.get("processes") or 1,
        "memory": cfg.get("memory") or "2GiB",
        "python": cfg.get("python") or sys.executable,
        "worker_command": WORKER_COMMAND,
        "security": security(spec.tls),
        "protocol": "tls",
        "scheduler_options": {"dashboard_address": None},
        "silence_logs": "critical",
    }
    kwargs.update(overrides)
    return SLURMCluster(**kwargs)


def connect(spec: ClusterSpec, seconds: float = 30.0):
    """(cluster object owned by this process or None, a connected Client); ClusterError if it fails."""
    require_dask()
    from distributed import Client

    quiet()
    cluster = None
    try:
        if spec.kind == "local":
            from distributed import LocalCluster

            cluster = LocalCluster(n_workers=spec.workers, threads_per_worker=1, processes=True,
                                   host="127.0.0.1", protocol="tcp", dashboard_address=None,
                                   silence_logs=logging.CRITICAL)
            return cluster, Client(cluster, timeout=seconds)
        if spec.kind == "slurm":
            if shutil.which("sbatch") is None:
                raise ClusterError("--cluster slurm: sbatch is not on PATH; run autograder grade on a "
                                   "Slurm login node (or start a scheduler and workers: see the README)")
            cluster = slurm_cluster(spec)
            cluster.scale(jobs=spec.workers)
            return cluster, Client(cluster, timeout=seconds, security=security(spec.tls))
        return None, Client(spec.address, timeout=seconds, security=security(spec.tls))
    except (OSError, TimeoutError) as exc:
        if cluster is not None:
            cluster.close()
        hint = (" (are --tls-ca/--tls-cert/--tls-key signed by the cluster's CA?)" if spec.tls else "")
        raise ClusterError(f"cannot connect to {spec.describe()} within {seconds:g} s{hint}: "
                           f"{' '.join(str(exc).split()) or type(exc).__name__}") from None
