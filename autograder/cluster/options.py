"""``--cluster`` and ``--tls-ca/--tls-cert/--tls-key``, written once for ``grade`` and ``dispatch``.

Argparse and parsing only: Dask is imported when an executor is actually made.
"""

from __future__ import annotations

import argparse

from autograder.cluster import require_dask
from autograder.course.errors import ClusterError

FORMS_HELP = "local[:N], tls://HOST:PORT, tcp://127.0.0.1:PORT, a scheduler file FILE.json, or slurm[:N]"


def add_cluster_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--cluster", default=None, metavar="WHERE",
                   help=f"grade on a Dask cluster instead of --jobs: {FORMS_HELP} (needs the cluster extra)")
    p.add_argument("--tls-ca", default=None, help="--cluster: the cluster's CA certificate (PEM)")
    p.add_argument("--tls-cert", default=None, help="--cluster: your certificate, signed by that CA")
    p.add_argument("--tls-key", default=None, help="--cluster: your private key")


def executor_from_args(args):
    """The Dask executor factory the options name, or None (no --cluster: local grading processes).

    ClusterError: TLS files without --cluster, --jobs with it, a refused value, Dask not installed."""
    if args.cluster is None:
        if args.tls_ca or args.tls_cert or args.tls_key:
            raise ClusterError("--tls-ca/--tls-cert/--tls-key are for --cluster")
        return None
    if getattr(args, "jobs", None) is not None:
        raise ClusterError("--jobs and --cluster are two ways to run: give one (the cluster's workers "
                           "decide how many submissions are graded at once)")
    from autograder.cluster.spec import parse, tls_files

    spec = parse(args.cluster, tls_files(args.tls_ca, args.tls_cert, args.tls_key))
    require_dask()
    from autograder.cluster.executor import dask_executor

    return dask_executor(spec)
