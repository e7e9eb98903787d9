"""Vetting one student's entry (a folder, a ``.zip``, a single ``.py`` or ``.ipynb``) into plain files.

Nothing the worker reads comes from the submissions folder directly: ``unpack`` reads the entry
once, without following symbolic links and with limits on every read, and returns the accepted files
(flat name -> bytes) with student-facing notes on everything it did not use; ``materialize`` writes
them as regular files into a scratch folder, which is what the worker imports from.

Rules (each problem is a note; the student is graded on what is usable):
- Only regular files are read. Symbolic links (in folders, or zip entries with a link mode), zip
  entries with absolute paths, ``..`` or drive letters, devices and pipes are never used.
- Limits: one file ``max_file_bytes``; all accepted files ``max_total_bytes``; a zip at most
  ``max_archive_bytes`` on disk and ``max_entries`` entries; a zip that declares more than
  ``max_unpacked_bytes`` or a compression ratio over ``max_ratio`` is named a zip bomb in the notes.
  Reads are capped whatever a zip's headers claim, and only the files that will be used are read.
- A ``.py`` that is empty, holds a NUL byte (binary), or is not UTF-8 (or the encoding its coding
  line declares) is not used, with a note saying so.
- Files are found wherever they are: ``hw07/activations.py`` inside a zip is normal. The folder that
  holds most of the assignment's files is the submission's root; other ``.py`` files there are copied
  too (the student's helper modules), but not graded. ``Activations.py``, ``activations (1).py``,
  ``activations copy.py`` stand in for a missing ``activations.py``, with a note.
- A submission whose only Python file is not named like any assignment file (``alice.py``, or a zip
  holding just ``solution.py``) is taken as one module providing every function: it becomes the
  assignment's first file, and the other files are written to take their functions from it.
- One level of zip inside a submission is unpacked when nothing else holds the assignment's files.
- A notebook (``.ipynb``) is graded like that one module: its code cells become it
  (``autograder.intake.notebook`` says what is kept). Beside ``.py`` files, the notebook is graded only when
  it implements more of the assignment's functions than they do (untouched stubs next to a
  filled-in notebook); of several notebooks, the one that implements the most.
"""

from __future__ import annotations

import hashlib
import io
import os
import re
import stat
import tokenize
import zipfile
import zlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from autograder.course.i18n import N_, _

IGNORED_NAMES = {"__MACOSX", "__pycache__", "Thumbs.db", "desktop.ini", "timestamp.txt"}  # + nbgrader's
MODULE_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\.py")
# "activations (1).py", "activations(2).py", "activations copy.py", "activations-1.py", "Activations.PY"
NEAR_MISS = re.compile(r"(?P<stem>.+?)(?:\s*\(\d+\)|\s+copy(?:\s*\d+)?|-\d+)?\.py(?:\.txt)?", re.IGNORECASE)
READ_ERRORS = (zipfile.BadZipFile, zlib.error, NotImplementedError, RuntimeError, EOFError, OSError,
               ValueError)


@dataclass(frozen=True)
class Limits:
    max_file_bytes: int = 1024 * 1024  # one student file
    max_total_bytes: int = 8 * 1024 * 1024  # all accepted files of one submission
    max_archive_bytes: int = 32 * 1024 * 1024  # a .zip on disk (or inside another zip)
    max_entries: int = 2000  # entries of a zip, files looked at in a folder
    max_unpacked_bytes: int = 64 * 1024 * 1024  # what a zip may declare in total
    max_ratio: float = 100.0  # declared size / archive size, above 1 MB declared
    max_depth: int = 12  # folder nesting
    max_notebook_bytes: int = 32 * 1024 * 1024  # a notebook (outputs and images included; only code is kept)


@dataclass(frozen=True)
class Unpacked:
    files: tuple[tuple[str, bytes], ...] = ()  # flat file name -> content, sorted by name
    notes: tuple[str, ...] = ()  # student-facing remarks, in a fixed order
    error: str = ""  # set when nothing of the entry could be read at all

    @property
    def hash(self) -> str:
        return content_hash(self.files, self.notes, self.error)


def content_hash(files: Sequence[tuple[str, bytes]], notes: Sequence[str] = (), error: str = "") -> str:
    """sha256 over what the worker will see and what the student will be told."""
    h = hashlib.sha256()
    for name, data in sorted(files):
        h.update(b"F" + name.encode() + b"\0" + len(data).to_bytes(8, "little") + data)
    for n in notes:
        h.update(b"N" + n.encode() + b"\0")
    h.update(b"E" + error.encode())
    return h.hexdigest()


def show(name: str) -> str:
    """A file name as it can safely appear in a note: printable, and not too long."""
    text = "".join(c if c.isprintable() else "?" for c in name)
    return text if len(text) <= 80 else text[:77] + "..."


def size_text(n: float) -> str:
    for unit in ("bytes", "KB", "MB", "GB", "TB"):
        if n < 1024 or unit == "TB":
            return f"{n:.0f} {unit}" if unit == "bytes" else f"{n:.1f} {unit}".replace(".0 ", " ")
        n /= 1024
    return ""


# -- what an entry holds: a flat list of candidate files, whatever the container

@dataclass
class _File:
    path: PurePosixPath  # relative to the submission (an inner zip's name is a folder here)
    size: int  # as declared (a zip's header may lie; reads are capped anyway)
    read: Callable[[int], bytes]  # read(cap): at most cap bytes
    ratio: float = 1.0


@dataclass
class _Scan:
    files: list[_File] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # about the container and rejected entries
    error: str = ""  # short: why nothing could be read (the long sentence is the last note)
    refused: set[str] = field(default_factory=set)  # names of refused entries (links, ...)

    def reject(self, short: str, sentence: str) -> _Scan:
        self.error = short
        self.notes.append(sentence)
        return self


def _read_capped(path: Path, cap: int) -> bytes:
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0))
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise OSError("not a regular file")
        chunks, left = [], cap
        while left > 0:
            b = os.read(fd, min(left, 1 << 20))
            if not b:
                break
            chunks.append(b)
            left -= len(b)
        return b"".join(chunks)
    finally:
        os.close(fd)


def _hidden(name: str) -> bool:
    return name.startswith(".") or name in IGNORED_NAMES or name.endswith(".pyc")


def _scan_folder(root: Path, limits: Limits) -> _Scan:
    scan = _Scan()
    base = root.resolve()
    seen = 0
    stack: list[tuple[Path, PurePosixPath]] = [(root, PurePosixPath())]
    while stack:
        folder, rel = stack.pop()
        with os.scandir(folder) as it:
            entries = sorted(it, key=lambda e: e.name, reverse=True)
        for e in entries:
            if _hidden(e.name):
                continue
            seen += 1
            if seen > limits.max_entries:
                scan.notes.append(_("Your submission holds more than {max_entries} "
                                     "files; only the first {max_entries} were looked "
                                     "at.").format(max_entries=limits.max_entries))
                return scan
            path = rel / e.name
            if e.is_symlink():
                try:
                    inside = Path(os.path.realpath(e.path)).is_relative_to(base)
                except (OSError, ValueError):
                    inside = False
                where = (_("another file of your submission") if inside
                         else _("something outside your submission"))
                scan.refused.add(e.name)
                scan.notes.append(_("{path} is a symbolic link (to {where}); links "
                                     "are not accepted (submit the file itself), so "
                                     "it was not used.").format(path=show(str(path)), where=where))
            elif e.is_dir(follow_symlinks=False):
                if len(path.parts) > limits.max_depth:
                    scan.notes.append(_("{path}: folders nested deeper than "
                                         "{max_depth} levels were not looked at.").format(
                                             path=show(str(path)), max_depth=limits.max_depth))
                else:
                    stack.append((Path(e.path), path))
            elif e.is_file(follow_symlinks=False):
                size = e.stat(follow_symlinks=False).st_size
                scan.files.append(_File(path, size, lambda cap, p=Path(e.path): _read_capped(p, cap)))
            else:
                scan.refused.add(e.name)
                scan.notes.append(_("{path} is not a regular file (a device, pipe or "
                                     "socket); it was not used.").format(path=show(str(path))))
    scan.files.sort(key=lambda f: f.path.parts)
    return scan


def _zip_name(raw: str) -> PurePosixPath | None:
    """The entry's path inside the submission, or None when it points outside it."""
    name = raw.replace("\\", "/")
    if name.startswith("/") or re.match(r"[A-Za-z]:", name):
        return None
    parts = [p for p in name.split("/") if p not in ("", ".")]
    if ".." in parts or not parts:
        return None
    return PurePosixPath(*parts)


def _scan_zip(data_or_path: Path | bytes, label: str, limits: Limits, prefix: PurePosixPath,
              nested: bool) -> _Scan:
    """The files of a zip (``label`` names it in notes). Problems with the whole zip set ``error``."""
    scan = _Scan()
    if isinstance(data_or_path, Path):
        size = data_or_path.stat().st_size
        if size > limits.max_archive_bytes:
            return scan.reject(N_("the zip file is too large"), (
                _("{label} is {size}, over the {max_archive_bytes} limit for a "
                   "submission; it was not unpacked.").format(
                       label=label, size=size_text(size),
                       max_archive_bytes=size_text(limits.max_archive_bytes))))
        source = io.BytesIO(_read_capped(data_or_path, limits.max_archive_bytes + 1))
    else:
        size, source = len(data_or_path), io.BytesIO(data_or_path)
    try:
        zf = zipfile.ZipFile(source)
        infos = zf.infolist()
    except READ_ERRORS as exc:
        return scan.reject(N_("the zip file could not be opened"), (
            _("{label} is not a readable zip file ({type}: {exc}); it was not "
               "unpacked.").format(label=label, type=type(exc).__name__, exc=exc)))
    if len(infos) > limits.max_entries:
        return scan.reject(N_("the zip file holds too many files"), (
            _("{label} holds {n_infos} entries, over the limit of {max_entries}; it "
               "was not unpacked.").format(label=label, n_infos=len(infos), max_entries=limits.max_entries)))
    declared = sum(i.file_size for i in infos)
    ratio = declared / max(size, 1)
    if declared > limits.max_unpacked_bytes or (declared > 1024 * 1024 and ratio > limits.max_ratio):
        scan.notes.append(_("{label} would unpack to {declared} (compressed "
                             "{ratio:.0f}:1): it looks like a zip bomb, so only the "
                             "files within the limits were read.").format(
                                 label=label, declared=size_text(declared), ratio=ratio))
    by_path: dict[PurePosixPath, _File] = {}
    for info in infos:
        path = _zip_name(info.filename)
        if path is None:
            scan.refused.add(PurePosixPath(info.filename.replace("\\", "/")).name)
            scan.notes.append(_("{label}: the entry {filename!r} points outside the "
                                 "submission (an absolute path or ..); it was not "
                                 "unpacked.").format(label=label, filename=show(info.filename)))
            continue
        if info.is_dir() or any(_hidden(p) for p in path.parts):
            continue
        mode = info.external_attr >> 16
        shown = show(str(prefix / path))
        if (info.create_system == 3 and stat.S_IFMT(mode) not in (0, stat.S_IFREG)) or info.flag_bits & 0x1:
            scan.refused.add(path.name)
        if info.create_system == 3 and stat.S_ISLNK(mode):
            scan.notes.append(_("{shown} is a symbolic link; links are not accepted "
                                 "(submit the file itself), so it was not used.").format(shown=shown))
            continue
        if info.create_system == 3 and stat.S_IFMT(mode) not in (0, stat.S_IFREG):
            scan.notes.append(_("{shown} is not a regular file; it was not used.").format(shown=shown))
            continue
        if info.flag_bits & 0x1:
            scan.notes.append(_("{shown} is encrypted (a password-protected zip); it "
                                 "was not used.").format(shown=shown))
            continue
        if len(path.parts) > limits.max_depth + 1:
            scan.notes.append(_("{shown}: folders nested deeper than {max_depth} "
                                 "levels were not looked at.").format(
                                     shown=shown, max_depth=limits.max_depth))
            continue
        if path in by_path:
            scan.notes.append(_("{shown} appears more than once in {label}; the last "
                                 "copy was used.").format(shown=shown, label=label))

        def read(cap: int, info=info) -> bytes:
            with zf.open(info) as f:
                return f.read(cap)

        by_path[path] = _File(prefix / path, info.file_size, read,
                              info.file_size / max(info.compress_size, 1))
    scan.files = sorted(by_path.values(), key=lambda f: f.path.parts)
    if not nested:
        _expand_inner_zips(scan, limits)
    return scan


def _expand_inner_zips(scan: _Scan, limits: Limits) -> None:
    """Unpack one level of zips inside the submission when nothing else holds Python files."""
    inner = [f for f in scan.files if f.path.suffix.lower() == ".zip"]
    if not inner or any(f.path.suffix.lower() == ".py" for f in scan.files):
        return
    for f in inner:
        label = show(str(f.path))
        if f.size > limits.max_archive_bytes:
            scan.notes.append(_("{label} is {size}, over the {max_archive_bytes} "
                                 "limit; it was not unpacked.").format(
                                     label=label, size=size_text(f.size),
                                     max_archive_bytes=size_text(limits.max_archive_bytes)))
            continue
        try:
            data = f.read(limits.max_archive_bytes + 1)
        except READ_ERRORS as exc:
            scan.notes.append(_("{label} could not be read ({type}); it was not "
                                 "unpacked.").format(label=label, type=type(exc).__name__))
            continue
        sub = _scan_zip(data, label, limits, f.path, nested=True)
        scan.notes += sub.notes
        scan.files += sub.files
        scan.refused |= sub.refused
        scan.notes.append(_("{label} (a zip inside your submission) was unpacked.").format(label=label))
    scan.files = sorted((x for x in scan.files if all(x is not z for z in inner)), key=lambda x: x.path.parts)


# -- choosing and checking the files

def text_problem(name: str, data: bytes) -> str:
    """Why ``data`` is not usable Python source ('' when it is)."""
    if not data.strip():
        return _("{name} is empty").format(name=name)
    if b"\0" in data:
        return _("{name} is not a text file (it holds binary data)").format(name=name)
    cookie = ""
    try:
        encoding, _unused = tokenize.detect_encoding(io.BytesIO(data).readline)
    except SyntaxError as exc:  # a bad coding line, or bytes that are not UTF-8 in the first two lines
        encoding, cookie = "utf-8", str(exc).splitlines()[0][:80]
    try:
        data.decode(encoding)
    except (UnicodeDecodeError, LookupError) as exc:
        if not isinstance(exc, UnicodeDecodeError):
            return _("{name} is not UTF-8 text ({exc})").format(name=name, exc=exc)
        line = data[:exc.start].count(b"\n") + 1
        return (_("{name} is not {encoding} text (byte 0x{byte:02x} on line {line}); save it with the UTF-8 "
                  "encoding").format(name=name, encoding=encoding.upper(), byte=data[exc.start], line=line))
    if cookie:
        return _("{name} has a coding line Python does not accept ({cookie})").format(
            name=name, cookie=cookie)
    return ""


def _near_miss(name: str, wanted: str) -> bool:
    m = NEAR_MISS.fullmatch(name)
    return bool(m) and name != wanted and m["stem"].strip().casefold() == wanted[:-3].casefold()


class _Budget:
    def __init__(self, limits: Limits):
        self.limits, self.used = limits, 0

    def take(self, f: _File, shown: str) -> tuple[bytes | None, str]:
        """(bytes, "") when the file is usable Python source within the limits; else (None, why)."""
        lim = self.limits
        if f.size > lim.max_file_bytes:
            return None, (_("{shown} is {size}, over the {max_file_bytes} limit for "
                             "one file").format(
                                 shown=shown, size=size_text(f.size),
                                 max_file_bytes=size_text(lim.max_file_bytes)))
        if self.used + f.size > lim.max_total_bytes:
            return None, _("{shown}: your files together are over the "
                            "{max_total_bytes} limit").format(
                                shown=shown, max_total_bytes=size_text(lim.max_total_bytes))
        try:
            data = f.read(lim.max_file_bytes + 1)
        except READ_ERRORS as exc:
            return None, _("{shown} could not be read ({type}: {exc})").format(
                shown=shown, type=type(exc).__name__, exc=str(exc)[:80])
        if len(data) > lim.max_file_bytes:
            return None, _("{shown} is over the {max_file_bytes} limit for one file").format(
                shown=shown, max_file_bytes=size_text(lim.max_file_bytes))
        problem = text_problem(shown, data)
        if problem:
            return None, problem
        self.used += len(data)
        return data, ""


def _choose_root(py: list[_File], wanted: Sequence[str]) -> PurePosixPath | None:
    """The folder holding most of the assignment's files (then the shallowest, then by name)."""
    counts: dict[PurePosixPath, set[str]] = {}
    for f in py:
        if f.path.name in wanted:
            counts.setdefault(f.path.parent, set()).add(f.path.name)
    if not counts:
        return None
    return min(counts, key=lambda d: (-len(counts[d]), len(d.parts), d.parts))


def select(scan: _Scan, assignment_files: Mapping[str, Sequence[str]], limits: Limits) -> Unpacked:
    """Pick the assignment's files (and the student's helper modules) out of a scanned entry."""
    if scan.error:
        return Unpacked((), tuple(scan.notes), scan.error)
    notebooks = [f for f in scan.files if f.path.suffix.lower() == ".ipynb"]
    if notebooks:
        return _select_notebook(scan, notebooks, assignment_files, limits)
    return _select_files(scan, assignment_files, limits)


def _select_notebook(scan: _Scan, notebooks: list[_File], assignment_files: Mapping[str, Sequence[str]],
                     limits: Limits) -> Unpacked:
    """A notebook, or the ``.py`` files beside it: whichever implements more of the functions."""
    from autograder.course.errors import NotebookError
    from autograder.intake.notebook import implemented, notebook_code

    rest = _Scan([f for f in scan.files if all(f is not n for n in notebooks)], list(scan.notes),
                 scan.error, set(scan.refused))
    py = _select_files(rest, assignment_files, limits)
    wanted = list(assignment_files)
    functions = [fn for fns in assignment_files.values() for fn in fns]
    py_done = set().union(*(implemented(d, functions) for n, d in py.files if n in assignment_files))
    has_py = any(n in assignment_files for n, _unused in py.files)
    read, problems = [], []
    for f in notebooks:
        label = show(str(f.path))
        try:
            if f.size > limits.max_notebook_bytes:
                raise NotebookError(_("{label} is {size}, over the "
                                       "{max_notebook_bytes} limit for a notebook.").format(
                                           label=label, size=size_text(f.size),
                                           max_notebook_bytes=size_text(limits.max_notebook_bytes)))
            data = f.read(limits.max_notebook_bytes + 1)
            if len(data) > limits.max_notebook_bytes:
                raise NotebookError(_("{label} is over the {max_notebook_bytes} "
                                       "limit for a notebook.").format(
                                           label=label,
                                           max_notebook_bytes=size_text(limits.max_notebook_bytes)))
            code = notebook_code(data, label, [w[:-3] for w in wanted])
        except NotebookError as exc:
            problems.append(str(exc))
        except READ_ERRORS as exc:
            problems.append(_("{label} could not be read ({type}).").format(
                label=label, type=type(exc).__name__))
        else:
            read.append((len(implemented(code.source, functions)), len(code.functions), label, code))
    best = max(read, key=lambda r: r[:2], default=None)  # max keeps the first of equals: path order
    if best is None or (has_py and len(py_done) >= best[0]):
        if not has_py:  # nothing else to grade: the notebook's problem is the submission's
            notes = scan.notes + problems + [
                _("Nothing could be graded: fix the notebook and submit it again.")]
            return Unpacked((), tuple(notes), N_("the notebook could not be read"))
        skipped = [_("{label} was not graded: your .py files were (they implement "
                      "{n_py_done} of the assignment's functions, the notebook {n}).").format(
                          label=label, n_py_done=len(py_done), n=n) for n, _unused, label, _unused in read]
        return Unpacked(py.files, py.notes + tuple(problems) + tuple(skipped))
    n, _unused, label, code = best
    first, others = wanted[0], wanted[1:]
    notes = scan.notes + [
        _("{label} was graded: its code cells as one module holding every function "
           "of the assignment, as {first} (errors in it are reported there), with "
           "{others} taking their functions from it.").format(
               label=label, first=first, others=', '.join(others)), *code.notes]
    if not set(code.functions) & set(functions):
        notes.append(_("{label} defines none of the assignment's functions "
                        "({functions}, ...): keep their names exactly as in the "
                        "assignment.").format(label=label, functions=', '.join(functions[:4])))
    notes += problems + [_("{other} was not graded: {label} was.").format(
        other=other, label=label) for _unused, _unused, other, _unused in read if other != label]
    if has_py:
        notes.append(_("Your .py files were not graded: {label} implements more of "
                        "the assignment's functions ({n}, the .py files {n_py_done}).").format(
                            label=label, n=n, n_py_done=len(py_done)))
    source = code.source.encode()
    if len(source) > limits.max_file_bytes:
        notes.append(_("The code of {label} is {n_source}, over the {max_file_bytes} "
                        "limit for one file: nothing could be graded.").format(
                            label=label, n_source=size_text(len(source)),
                            max_file_bytes=size_text(limits.max_file_bytes)))
        return Unpacked((), tuple(notes))
    chosen = {first: source, **{w: _proxy(first, assignment_files[w]) for w in others}}
    return _done(chosen, notes, [f for f in rest.files if f.path.suffix.lower() != ".py"], [])


def _select_files(scan: _Scan, assignment_files: Mapping[str, Sequence[str]], limits: Limits) -> Unpacked:
    """The ``.py`` files of a scanned entry that holds no notebook."""
    wanted = list(assignment_files)
    notes = list(scan.notes)
    budget = _Budget(limits)
    py = [f for f in scan.files if f.path.suffix.lower() == ".py" or f.path.name.lower().endswith(".py.txt")]
    py_plain = [f for f in py if f.path.name.endswith(".py")]
    others = [f for f in scan.files if all(f is not x for x in py)]
    chosen: dict[str, bytes] = {}
    used: set[PurePosixPath] = set()

    plausible = [f for f in py if f.path.name in wanted or any(_near_miss(f.path.name, w) for w in wanted)]
    if not plausible and len(py_plain) == 1:
        # One Python file, named like none of the assignment's: one module providing every function.
        f = py_plain[0]
        used.add(f.path)
        data, why = budget.take(f, show(str(f.path)))
        if data is not None:
            first, rest = wanted[0], wanted[1:]
            notes.append(_("{path} was graded as one module holding every function "
                            "of the assignment: as {first} (errors in it are reported "
                            "there), with {rest} taking their functions from it.").format(
                                path=show(str(f.path)), first=first, rest=', '.join(rest)))
            chosen = {first: data, **{w: _proxy(first, assignment_files[w]) for w in rest}}
        else:
            notes.append(_("{why}: nothing could be graded.").format(why=_(why)))
        return _done(chosen, notes, others, [])

    if not py:
        notes.append(_("No Python (.py) files were found in your submission."))
    root = _choose_root(py, wanted)
    for w in wanted:
        exact = sorted((f for f in py if f.path.name == w),
                       key=lambda f: (f.path.parent != root, len(f.path.parts), f.path.parts))
        near = [f for f in py if _near_miss(f.path.name, w)]
        if exact:
            f = exact[0]
            if len(exact) > 1:
                notes.append(_("{w} is in your submission more than once ({exact}); "
                                "graded: {path}.").format(
                                    w=w, exact=', '.join(show(str(x.path)) for x in exact),
                                    path=show(str(f.path))))
            used.update(x.path for x in exact)
            for x in near:
                notes.append(_("{path} was not graded: {graded} was.").format(
                    path=show(str(x.path)), graded=show(str(f.path))))
                used.add(x.path)
        elif near:
            near.sort(key=lambda f: (len(f.path.parts), f.path.parts))
            f = near[0]
            notes.append(_("{path} was graded as {w} (the file name must be exactly "
                            "{w}).").format(path=show(str(f.path)), w=w))
            used.update(x.path for x in near)
            for x in near[1:]:
                notes.append(_("{path} was not graded: {graded} was.").format(
                    path=show(str(x.path)), graded=show(str(f.path))))
        else:
            notes.append(_("{file} could not be used (see above): {functions} could not be graded.").format(
                file=w, functions=", ".join(assignment_files[w])) if w in scan.refused
                else _missing(w, assignment_files[w]))
            continue
        data, why = budget.take(f, show(str(f.path)))
        if data is None:
            notes.append(_("{why}: {assignment_files} could not be graded.").format(
                why=_(why), assignment_files=', '.join(assignment_files[w])))
        else:
            chosen[w] = data

    # Helper modules: other importable .py files next to the assignment's files.
    helpers, extra = [], []
    for f in py:
        if f.path in used:
            continue
        if f.path.parent == (root or PurePosixPath()) and MODULE_NAME.fullmatch(f.path.name):
            data, why = budget.take(f, show(str(f.path)))
            if data is not None:
                chosen.setdefault(f.path.name, data)
                helpers.append(f.path.name)
            else:
                notes.append(_("{why}; it was not used.").format(why=_(why)))
        else:
            extra.append(show(str(f.path)))
    if helpers:
        notes.append(_("Files that are not part of the assignment were not graded "
                        "(your files may import them): {helpers}.").format(helpers=', '.join(helpers)))
    return _done(chosen, notes, others, extra)


def _proxy(source: str, functions: Sequence[str]) -> bytes:
    """A file that takes its functions from ``source``: the same objects, so the functions a test
    replaces by trusted ones (``uses``) are replaced for every caller, as in a multi-file submission."""
    names = "".join(f"{fn!r}, " for fn in functions)
    return (f"# Written by the grader: the submission is one file, graded as {source}.\n"
            f"import {source[:-3]} as _submission\n\n"
            f"for _name in ({names}):\n"
            f"    if hasattr(_submission, _name):\n"
            f"        globals()[_name] = getattr(_submission, _name)\n").encode()


def _missing(name: str, functions: Sequence[str]) -> str:
    return _("{name} was not submitted: {functions} could not be graded.").format(
        name=name, functions=', '.join(functions))


def _done(chosen: dict[str, bytes], notes: list[str], others: list[_File], extra: list[str]) -> Unpacked:
    unused = extra + sorted(show(str(f.path)) for f in others)
    if unused:
        more = _(" and {n} more").format(n=len(unused) - 8) if len(unused) > 8 else ""
        notes.append(_("Not used: {unused}{more}.").format(unused=', '.join(unused[:8]), more=more))
    return Unpacked(tuple(sorted(chosen.items())), tuple(notes))


# -- entry points

def unpack(entry: Path, assignment_files: Mapping[str, Sequence[str]], limits: Limits = Limits()
           ) -> Unpacked:
    """Vet one entry of the submissions folder: a folder, a ``.zip``, a ``.py`` or a ``.ipynb`` file."""
    entry = Path(entry)
    try:
        st = entry.lstat()
        if stat.S_ISLNK(st.st_mode):
            return Unpacked((), (_("{name} is a symbolic link; the grader does not "
                                    "follow links (your TA has to put the submission "
                                    "itself in the submissions folder).").format(
                                        name=show(entry.name)),), N_("the submission is a symbolic link"))
        if stat.S_ISDIR(st.st_mode):
            scan = _scan_folder(entry, limits)
        elif entry.suffix.lower() == ".zip":
            scan = _scan_zip(entry, show(entry.name), limits, PurePosixPath(), nested=False)
        elif entry.suffix.lower() in (".py", ".ipynb") and stat.S_ISREG(st.st_mode):
            scan = _Scan([_File(PurePosixPath(entry.name), st.st_size,
                                lambda cap: _read_capped(entry, cap))])
        else:
            return Unpacked((), (_("{name}: this kind of file cannot be graded "
                                    "(submit a folder, a .zip or .py files).").format(
                                        name=show(entry.name)),), N_("not a folder, a .zip or a .py file"))
        return select(scan, assignment_files, limits)
    except OSError as exc:
        return Unpacked((), (_("{name} could not be read by the grader ({reason}).").format(
            name=show(entry.name), reason=exc.strerror or type(exc).__name__),),
            N_("the submission could not be read"))


def materialize(files: Sequence[tuple[str, bytes]], dest: Path) -> Path:
    """Write the accepted files as plain, world-readable files into the new folder ``dest``."""
    dest = Path(dest)
    dest.mkdir(parents=True)
    os.chmod(dest, 0o755)
    for name, data in files:
        if "/" in name or name.startswith("."):
            raise ValueError(f"not a flat file name: {name!r}")
        fd = os.open(dest / name, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o644)
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.chmod(dest / name, 0o644)
    return dest


def unpack_upload(files: Sequence[tuple[str, bytes]], assignment_files: Mapping[str, Sequence[str]],
                  limits: Limits = Limits()) -> Unpacked:
    """Vet an upload held in memory (the portal's): ``.py`` files, one ``.ipynb``, or one ``.zip``.

    ``files`` are (name, bytes); a name is only a name (its last component is used, never as a path).
    The same rules as ``unpack`` apply to what is inside."""
    names = [show(n.replace("\\", "/").rsplit("/", 1)[-1]) or "upload" for n, _unused in files]
    if len(files) == 1 and names[0].lower().endswith(".zip"):  # the portal caps uploads below the zip limit
        scan = _scan_zip(files[0][1], names[0], limits, PurePosixPath(), nested=False)
    else:
        scan = _Scan([_File(PurePosixPath(n), len(d), lambda cap, d=d: d[:cap])
                      for n, (_unused, d) in zip(names, files, strict=True) if not _hidden(n)])
    return select(scan, assignment_files, limits)
