"""Zip files that are byte-identical for the same contents: fixed dates and modes, written atomically."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterable
from pathlib import Path

from autograder.course.files import write_atomic

FIXED_TIME = (1980, 1, 1, 0, 0, 0)


def _info(arcname: str, executable: bool) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(arcname, date_time=FIXED_TIME)
    info.create_system = 3  # Unix, so unzip honours the modes below
    info.external_attr = (0o100755 if executable else 0o100644) << 16
    info.compress_type = zipfile.ZIP_DEFLATED
    return info


def write_zip(target: Path, members: Iterable[tuple[str, bytes, bool]]) -> Path:
    """Write ``(arcname, data, executable)`` members, in the given order, to ``target`` atomically."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        for arcname, data, executable in members:
            z.writestr(_info(arcname, executable), data, compresslevel=9)
    return write_atomic(target, buffer.getvalue())
