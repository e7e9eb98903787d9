"""Vetting verdicts kept between runs (``OUT/.vetting-cache``, JSON): an unchanged entry is not read again.

A verdict is what vetting concluded of one entry of the submissions folder: its submission hash,
notes and error (never its files). It is reused only when
- the cache was written in the same context: the caller's (the batch passes the assignment hash:
  the grader's version and grading sources, assignment.toml, the language and its catalogues), the
  assignment's files and functions and the limits;
- the entry's path and what ``lstat`` says of it and of everything under it (type and mode, size,
  mtime_ns, ctime_ns, inode) are as they were when it was vetted; any change is a new vetting;
- the entry was neither changed during its vetting nor changed within ``FRESH_NS`` before it (a
  write in the same clock tick would not show in the times: such a verdict is not kept).
A missing, damaged or foreign cache file is an empty cache: everything is vetted again, never a
crash and never a wrong verdict. The owner of OUT writes it with the one atomic writer.
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import msgspec

from autograder.course.files import write_atomic
from autograder.intake.submission import Submission
from autograder.intake.unpack import Limits, unpack

FORMAT = "autograder-vetting-cache-1"
FRESH_NS = 2_000_000_000  # an entry changed this recently is vetted, not cached
MAX_STAT_ENTRIES = 4  # x Limits.max_entries: a bigger folder is vetted every time (vetting is bounded)
MAX_CACHE_BYTES = 256 * 1024 * 1024  # a cache file larger than this is not read


class _Verdict(msgspec.Struct, array_like=True, frozen=True):
    stat: str
    hash: str
    error: str
    notes: tuple[str, ...]


class _CacheFile(msgspec.Struct, frozen=True):
    format: str
    context: str
    entries: dict[str, _Verdict]


@dataclass(frozen=True)
class Vetted:
    """One entry's verdict; ``files`` are empty when it came from the cache (vet it again to read them)."""

    hash: str
    notes: tuple[str, ...]
    error: str
    files: tuple[tuple[str, bytes], ...] = ()


def stat_signature(entry: Path, limits: Limits) -> tuple[str, int] | None:
    """(sha256 over the lstat of ``entry`` and of everything under it, the newest of their times in
    ns); None when it cannot be taken (a link, an unreadable or too large folder): not cacheable."""
    h = hashlib.sha256()
    newest = 0
    try:
        st = os.lstat(entry)
    except OSError:
        return None
    if stat.S_ISLNK(st.st_mode):
        return None
    todo = [(str(entry), "", st)]
    seen, cap = 0, MAX_STAT_ENTRIES * limits.max_entries
    while todo:
        path, rel, st = todo.pop()
        seen += 1
        if seen > cap:
            return None
        h.update(f"{rel}\0{st.st_mode}\0{st.st_size}\0{st.st_mtime_ns}\0{st.st_ctime_ns}\0{st.st_ino}\n"
                 .encode("utf-8", "surrogateescape"))
        newest = max(newest, st.st_mtime_ns, st.st_ctime_ns)
        if stat.S_ISDIR(st.st_mode):
            try:
                with os.scandir(path) as it:
                    children = sorted(((e.name, e.path, e.stat(follow_symlinks=False)) for e in it),
                                      reverse=True)
            except OSError:
                return None
            todo += [(p, f"{rel}/{name}", s) for name, p, s in children]
    return h.hexdigest(), newest


class VettingCache:
    """Verdicts by entry path for one context; ``path`` None: in memory only."""

    def __init__(self, path: Path | None, context: str, files_map: Mapping[str, Sequence[str]],
                 limits: Limits | None = None):
        self.path = Path(path) if path is not None else None
        self.files_map = {k: tuple(v) for k, v in files_map.items()}
        self.limits = limits or Limits()
        self.context = hashlib.sha256(json.dumps(
            [FORMAT, context, sorted(self.files_map.items()), repr(self.limits)]).encode()).hexdigest()
        self.valid = False  # the file held a cache of this context
        self.old: dict[str, _Verdict] = self._load()
        self.new: dict[str, _Verdict] = {}
        self.hits = self.misses = 0

    def _load(self) -> dict[str, _Verdict]:
        if self.path is None:
            return {}
        try:
            if self.path.stat().st_size > MAX_CACHE_BYTES:
                return {}
            doc = msgspec.json.decode(self.path.read_bytes(), type=_CacheFile)
        except (OSError, msgspec.DecodeError, msgspec.ValidationError):
            return {}
        if doc.format != FORMAT or doc.context != self.context:
            return {}  # another grader, assignment, language or limits: its verdicts do not apply
        self.valid = True
        return dict(doc.entries)

    def vet(self, entry: Path) -> Vetted:
        """The verdict on ``entry``: from the cache when nothing in it changed, else by ``unpack``."""
        key = os.path.abspath(entry)
        sig = stat_signature(Path(entry), self.limits)
        old = self.old.get(key)
        if sig is not None and old is not None and old.stat == sig[0]:
            self.hits += 1
            self.new[key] = old
            return Vetted(old.hash, old.notes, old.error)
        self.misses += 1
        u = unpack(Path(entry), self.files_map, self.limits)
        after = stat_signature(Path(entry), self.limits) if sig is not None else None
        if after is not None and after == sig and time.time_ns() - sig[1] >= FRESH_NS:
            self.new[key] = _Verdict(sig[0], u.hash, u.error, u.notes)
        return Vetted(u.hash, u.notes, u.error, u.files)

    def save(self) -> bool:
        """Write the verdicts of this run's entries (atomically) unless the file holds just these."""
        if self.path is None or (self.valid and self.new == self.old):
            return False
        write_atomic(self.path, msgspec.json.encode(_CacheFile(FORMAT, self.context, self.new)))
        self.old, self.valid = dict(self.new), True
        return True


def vet(entry: Path, files_map: Mapping[str, Sequence[str]], limits: Limits,
        cache: VettingCache | None = None) -> Vetted:
    """``entry`` vetted through ``cache`` (made for these files and limits), or by ``unpack``."""
    if cache is not None:
        if cache.files_map != {k: tuple(v) for k, v in files_map.items()} or cache.limits != limits:
            raise ValueError("VettingCache: made for other assignment files or limits")
        return cache.vet(entry)
    u = unpack(Path(entry), files_map, limits)
    return Vetted(u.hash, u.notes, u.error, u.files)


def submission_of(sid: str, path: Path, source: str, files_map: Mapping[str, Sequence[str]], limits: Limits,
                  cache: VettingCache | None, keep_files: bool, submitted_at: str = "") -> Submission:
    """The submission of one entry: vetted, or its verdict from ``cache``; ``keep_files=False``: lazy.
    Raises what vetting raises (the caller makes that a grader fault of this student)."""
    v = vet(path, files_map, limits, cache)
    return Submission(sid, path, v.notes, v.hash, source, v.error, submitted_at,
                      v.files if keep_files else (), lazy=not keep_files)
