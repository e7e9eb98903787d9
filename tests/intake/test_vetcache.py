"""The vetting cache: an unchanged entry is not read again and gets the very verdict vetting gives;
any change to an entry (size, mtime, content behind a restored mtime, an added file) is vetted
again; a damaged or foreign cache file is an empty cache; entries changed just now are not cached."""

from __future__ import annotations

import os
import zipfile
from pathlib import Path

import pytest
from tiny_course import REPO, SOL, WRONG_SIGMOID, write_files

from autograder.course.assignment import load_assignment
from autograder.intake import vetcache
from autograder.intake.discover import discover, load_files
from autograder.intake.vetcache import VettingCache

A = load_assignment(REPO / "assignments" / "hw07")


@pytest.fixture(autouse=True)
def no_fresh_window(monkeypatch):
    """Entries written by the test are milliseconds old: let them be cached (one test checks the window)."""
    monkeypatch.setattr(vetcache, "FRESH_NS", 0)


def a_class(subs: Path) -> Path:
    write_files(subs / "alice", SOL)
    write_files(subs / "bob", {**SOL, "activations.py": WRONG_SIGMOID, "helper.py": "X = 1\n"})
    with zipfile.ZipFile(subs / "carol.zip", "w") as z:
        for name, text in SOL.items():
            z.writestr(f"hw07/{name}", text)
    (subs / "dave.py").write_text(SOL["activations.py"])
    write_files(subs / "erin", {"activations.py": b"\xff\xfe not utf-8"})
    return subs


def verdicts(subs: Path, cache: VettingCache | None = None) -> list[tuple]:
    found, skipped = discover(subs, A, cache=cache, keep_files=False)
    return [(s.student_id, s.hash, s.notes, s.error, s.source) for s in found] + [tuple(skipped)]


def no_reading(monkeypatch) -> None:
    def refuse(*args, **kwargs):
        raise AssertionError("an unchanged entry was read again")

    monkeypatch.setattr(vetcache, "unpack", refuse)


def test_an_unchanged_class_is_not_read_again_and_gets_the_same_verdicts(tmp_path, monkeypatch):
    subs, path = a_class(tmp_path / "subs"), tmp_path / "out" / ".vetting-cache"
    path.parent.mkdir()
    fresh = verdicts(subs)
    first = VettingCache(path, "ctx", A.files_map())
    assert verdicts(subs, first) == fresh and first.misses == 5 and first.save()
    no_reading(monkeypatch)
    again = VettingCache(path, "ctx", A.files_map())
    assert verdicts(subs, again) == fresh and (again.hits, again.misses) == (5, 0)
    assert not again.save()  # nothing new: not rewritten


def test_lazy_submissions_read_their_files_when_needed(tmp_path):
    subs = a_class(tmp_path / "subs")
    kept, _ = discover(subs, A)
    lazy, _ = discover(subs, A, cache=VettingCache(None, "ctx", A.files_map()), keep_files=False)
    assert all(s.lazy and s.files == () for s in lazy)
    for k, s in zip(kept, lazy, strict=True):
        loaded = load_files(s, A)
        assert (loaded.hash, loaded.files, loaded.notes, loaded.lazy) == (k.hash, k.files, k.notes, False)


def test_any_change_to_an_entry_is_vetted_again(tmp_path, monkeypatch):
    subs, path = a_class(tmp_path / "subs"), tmp_path / ".vetting-cache"
    warm = VettingCache(path, "ctx", A.files_map())
    verdicts(subs, warm)
    warm.save()
    act = subs / "alice" / "activations.py"
    st = act.stat()
    act.write_text(WRONG_SIGMOID[: len(SOL["activations.py"])].ljust(len(SOL["activations.py"])))
    os.utime(act, ns=(st.st_atime_ns, st.st_mtime_ns))  # same size, same mtime: only ctime tells
    (subs / "bob" / "extra.py").write_text("Y = 2\n")  # a file added to a folder
    with zipfile.ZipFile(subs / "carol.zip", "a") as z:  # a zip that grew
        z.writestr("hw07/notes.txt", "hello")
    cache = VettingCache(path, "ctx", A.files_map())
    assert verdicts(subs, cache) == verdicts(subs)
    assert (cache.hits, cache.misses) == (2, 3)  # dave and erin only


@pytest.mark.parametrize("damage", [b"", b"\x00garbage", b'{"format": 3}', b"[]",
                                    b'{"format":"autograder-vetting-cache-1","context":"x","entries":{}}',
                                    b'{"format":"autograder-vetting-cache-1","context":1,"entries":[]}'])
def test_a_damaged_or_foreign_cache_is_an_empty_one(tmp_path, damage):
    subs, path = a_class(tmp_path / "subs"), tmp_path / ".vetting-cache"
    path.write_bytes(damage)
    cache = VettingCache(path, "ctx", A.files_map())
    assert verdicts(subs, cache) == verdicts(subs) and cache.hits == 0
    assert cache.save() and VettingCache(path, "ctx", A.files_map()).old == cache.new


def test_verdicts_of_another_context_do_not_apply(tmp_path):
    subs, path = a_class(tmp_path / "subs"), tmp_path / ".vetting-cache"
    first = VettingCache(path, "assignment hash 1", A.files_map())
    verdicts(subs, first)
    first.save()
    assert VettingCache(path, "assignment hash 2", A.files_map()).old == {}
    assert VettingCache(path, "assignment hash 1", {"activations.py": ["sigmoid"]}).old == {}
    assert len(VettingCache(path, "assignment hash 1", A.files_map()).old) == 5


def test_an_entry_changed_just_now_is_vetted_but_not_cached(tmp_path, monkeypatch):
    monkeypatch.setattr(vetcache, "FRESH_NS", 60 * 10**9)
    subs = a_class(tmp_path / "subs")
    cache = VettingCache(tmp_path / ".vetting-cache", "ctx", A.files_map())
    assert verdicts(subs, cache) == verdicts(subs) and cache.new == {}
