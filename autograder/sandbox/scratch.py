"""The worker's own copy of a submission: a read-only folder it can open and nothing else.

The grading process copies the submission's top-level ``.py`` files (regular files only: no
symlinks, no subfolders, each at most ``MAX_FILE_BYTES``) into a fresh folder per worker. With a
worker uid the folder and files belong to root and the worker's group, mode 0750/0640: readable
by that worker, writable by no worker, invisible to workers of other slots. The worker never sees
where the submission, the course or the results live.
"""

from __future__ import annotations

import os
import stat
import tempfile
import weakref
from pathlib import Path

from autograder.sandbox.worker.identity import Ids

MAX_FILE_BYTES = 1024 * 1024
MAX_FILES = 64


PREFIX = "autograder-workers-"


class Scratch:
    """A base folder (one per launcher) holding one folder per worker.

    Removed by ``close()``, else when the object is collected or the process exits; the base of
    a process that was killed is removed by the next ``Scratch`` made on this machine.
    """

    def __init__(self) -> None:
        sweep()
        self.base = Path(tempfile.mkdtemp(prefix=f"{PREFIX}{os.getpid()}-"))
        os.chmod(self.base, 0o711)  # others may pass through, not list
        self.count = 0
        self._finalizer = weakref.finalize(self, _rmtree, self.base)

    def stage(self, folder: Path, ids: Ids | None) -> Path:
        self.count += 1
        dest = self.base / f"w{self.count}"
        dest.mkdir(mode=0o700)
        n = 0
        try:
            entries = sorted(os.scandir(folder), key=lambda e: e.name)
        except OSError:
            entries = []
        for entry in entries:
            if n >= MAX_FILES or not entry.name.endswith(".py"):
                continue
            try:
                st = entry.stat(follow_symlinks=False)
            except OSError:
                continue
            if not stat.S_ISREG(st.st_mode) or st.st_size > MAX_FILE_BYTES:
                continue
            target = dest / entry.name
            try:
                _copy_regular(Path(entry.path), target)
            except OSError:
                continue
            n += 1
            if ids is not None:
                os.chown(target, 0, ids.gid)
            os.chmod(target, 0o640 if ids is not None else 0o440)
        if ids is not None:
            os.chown(dest, 0, ids.gid)
            os.chmod(dest, 0o750)
        else:
            os.chmod(dest, 0o500)
        return dest

    def remove(self, path: Path) -> None:
        if path.parent == self.base:
            _rmtree(path)

    def close(self) -> None:
        self._finalizer()


def sweep(tmp: Path | None = None) -> None:
    """Remove the scratch bases (of this user) whose process is gone."""
    tmp = Path(tmp or tempfile.gettempdir())
    try:
        entries = list(os.scandir(tmp))
    except OSError:
        return
    for entry in entries:
        pid = entry.name[len(PREFIX):].split("-", 1)[0]
        if not entry.name.startswith(PREFIX) or not pid.isdigit():
            continue
        try:
            st = entry.stat(follow_symlinks=False)
            if not stat.S_ISDIR(st.st_mode) or st.st_uid != os.geteuid() or _alive(int(pid)):
                continue
        except OSError:
            continue
        _rmtree(Path(entry.path))


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True
    return True


def _copy_regular(src: Path, dst: Path) -> None:
    """Copy a file that is regular at open time (O_NOFOLLOW: a swapped-in symlink is refused)."""
    fd = os.open(src, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC | getattr(os, "O_NONBLOCK", 0))
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode) or st.st_size > MAX_FILE_BYTES:
            raise OSError("not a small regular file")
        with os.fdopen(os.dup(fd), "rb") as fin, open(dst, "xb") as fout:
            fout.write(fin.read(MAX_FILE_BYTES + 1)[:MAX_FILE_BYTES])
    finally:
        os.close(fd)


def _rmtree(path: Path) -> None:
    """Remove a folder this module made (read-only modes included); errors are ignored."""
    try:
        os.chmod(path, 0o700)
        entries = list(os.scandir(path))
    except OSError:
        return
    for entry in entries:
        try:
            if entry.is_dir(follow_symlinks=False):
                _rmtree(Path(entry.path))
            else:
                os.unlink(entry.path)
        except OSError:
            pass
    try:
        os.rmdir(path)
    except OSError:
        pass
