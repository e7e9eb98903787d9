"""Writing a file so that readers see the old one or the new one, never a part: the one atomic writer."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable
from pathlib import Path


def write_atomic(path: Path, data: str | bytes | Iterable[str], durable: bool = False) -> Path:
    """Write ``data`` (text as UTF-8 with ``\\n`` line ends; or pieces of text, written as they come)
    to ``path``, mode 0644, even when this process is killed midway: a temporary file beside it,
    renamed over it (removed if writing fails).

    ``durable``: also fsync, so a power cut cannot leave it empty (costs a disk flush per file).
    """
    path = Path(path)
    parts = [data] if isinstance(data, str | bytes) else data
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            for part in parts:
                f.write(part.encode("utf-8") if isinstance(part, str) else part)
            if durable:
                f.flush()
                os.fsync(f.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path
