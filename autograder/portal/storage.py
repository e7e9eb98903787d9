"""Uploaded files, content-addressed: ``DATA/blobs/ab/abcdef...`` named by their sha256.

One upload is one blob (``pack``: its files' names and bytes, length-prefixed), so acknowledging
it costs one file and one folder fsync, whatever the number of files. A blob is written to a
temporary file, fsynced, renamed into place and its folder fsynced, all before the database row
that names it commits: a submission the service acknowledged (202) always has its files. File
names a student chose are never used as paths here (only hashes are).
"""

from __future__ import annotations

import hashlib
import os
import re
import secrets
from pathlib import Path

_SHA = re.compile(r"[0-9a-f]{64}")
MAGIC = b"autograder-upload-1\n"


def pack(files: list[tuple[str, bytes]] | tuple[tuple[str, bytes], ...]) -> bytes:
    """The files of one upload as one byte string: per file, name and bytes with their lengths."""
    out = [MAGIC]
    for name, data in files:
        raw = name.encode("utf-8", "replace")
        out += [len(raw).to_bytes(4, "big"), raw, len(data).to_bytes(8, "big"), data]
    return b"".join(out)


def unpack(blob: bytes) -> list[tuple[str, bytes]]:
    """``pack``'s files back; ValueError for anything else."""
    if not blob.startswith(MAGIC):
        raise ValueError("not an upload blob")
    files, i = [], len(MAGIC)
    while i < len(blob):
        n = int.from_bytes(blob[i:i + 4], "big")
        name = blob[i + 4:i + 4 + n].decode("utf-8", "replace")
        i += 4 + n
        m = int.from_bytes(blob[i:i + 8], "big")
        if i + 8 + m > len(blob):
            raise ValueError("a truncated upload blob")
        files.append((name, blob[i + 8:i + 8 + m]))
        i += 8 + m
    return files


class Storage:
    def __init__(self, data: Path):
        self.root = Path(data) / "blobs"
        (self.root / "tmp").mkdir(parents=True, exist_ok=True)

    def path(self, sha: str) -> Path:
        if not _SHA.fullmatch(sha):
            raise ValueError(f"not a sha256: {sha!r}")
        return self.root / sha[:2] / sha

    def put(self, data: bytes) -> str:
        """Store ``data`` durably; returns its sha256 (a blob already there is not written again)."""
        sha = hashlib.sha256(data).hexdigest()
        final = self.path(sha)
        if final.exists() and final.stat().st_size == len(data):
            return sha
        final.parent.mkdir(exist_ok=True)
        tmp = self.root / "tmp" / f"{sha}.{secrets.token_hex(8)}"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(data)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, final)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        _fsync_dir(final.parent)
        return sha

    def get(self, sha: str) -> bytes:
        """The blob's bytes, checked against its name (OSError when missing, ValueError when damaged)."""
        data = self.path(sha).read_bytes()
        if hashlib.sha256(data).hexdigest() != sha:
            raise ValueError(f"blob {sha} is damaged (its content does not match its hash)")
        return data


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
