"""Grading on a Dask cluster: the Dask executor, ``--cluster`` addresses, ``autograder worker``.

Dask only executes; the TA's process (or the portal's dispatcher) stays the only writer of results.
Everything that imports dask or distributed is imported lazily: without the ``cluster`` extra the
rest of the grader works, and ``--cluster`` says how to install it (``require_dask``).
"""

from __future__ import annotations

from autograder.course.errors import ClusterError

INSTALL_HINT = ("pip install 'autograder[cluster]' (in a checkout: pip install -e '.[cluster]', "
                "or make install)")


def require_dask() -> None:
    """ClusterError naming the install command when dask.distributed is not installed."""
    try:
        import distributed  # noqa: F401
    except ImportError:
        raise ClusterError(f"--cluster needs Dask distributed, which is not installed: "
                           f"{INSTALL_HINT}") from None
