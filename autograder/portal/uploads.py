"""Reading a submission upload: multipart field ``files``, caps enforced while the body streams in.

What is accepted: one or more ``.py`` files, or one ``.ipynb``, or one ``.zip`` (a zip must open).
File names are kept only to show and to vet by (``autograder.intake``); they are never used as paths.
The vetting itself (links, zip bombs, encodings, which files count) happens when the dispatcher
grades, with the same code as ``autograder grade``.
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass

from python_multipart.multipart import MultipartParser, parse_options_header

from autograder.course.i18n import _
from autograder.intake.unpack import show, size_text
from autograder.portal.settings import UploadLimits

KINDS = (".py", ".ipynb", ".zip")


class UploadError(Exception):
    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass(frozen=True)
class Upload:
    files: tuple[tuple[str, bytes], ...]  # (shown name, bytes), in the order sent
    kind: str  # "py" | "ipynb" | "zip"


def safe_name(raw: str) -> str:
    """A file name to show and to vet by: its last path component, printable, at most 100 chars."""
    name = raw.replace("\\", "/").rsplit("/", 1)[-1].strip()
    name = show(name)[:100]
    return "upload" if name in ("", ".", "..") else name


class _Parts:
    """Callbacks of the streaming parser: collects parts and stops at the caps."""

    def __init__(self, limits: UploadLimits):
        self.limits = limits
        self.parts: list[tuple[str, str | None, bytearray]] = []
        self._field, self._value, self._headers = b"", b"", {}

    def callbacks(self):
        return {"on_part_begin": self._begin, "on_header_field": self._hfield,
                "on_header_value": self._hvalue, "on_header_end": self._hend,
                "on_headers_finished": self._hdone, "on_part_data": self._data}

    def _begin(self):
        self._headers = {}
        if len(self.parts) >= self.limits.max_files:
            n = self.limits.max_files
            raise UploadError(413, _("too many files in one upload (at most {n})").format(n=n))

    def _hfield(self, data, start, end):
        self._field += data[start:end]

    def _hvalue(self, data, start, end):
        self._value += data[start:end]

    def _hend(self):
        self._headers[self._field.decode("latin-1").lower()] = self._value
        self._field, self._value = b"", b""

    def _hdone(self):
        _, opts = parse_options_header(self._headers.get("content-disposition", b""))
        name = opts.get(b"name", b"").decode("utf-8", "replace")
        filename = opts.get(b"filename")
        self.parts.append((name, None if filename is None else filename.decode("utf-8", "replace"),
                           bytearray()))

    def _data(self, data, start, end):
        buf = self.parts[-1][2]
        buf += data[start:end]
        if len(buf) > self.limits.max_file_bytes:
            raise UploadError(413, _("a file is over the {limit} limit for one file").format(
                limit=size_text(self.limits.max_file_bytes)))


async def read_upload(content_type: str, content_length: str | None, stream, limits: UploadLimits,
                      fields: dict[str, str] | None = None) -> Upload:
    """Parse the body chunks from ``stream`` (an async iterator of bytes); UploadError on a bad one.
    ``fields``: filled with the form's other (non-file) parts, e.g. the pages' CSRF token."""
    ctype, opts = parse_options_header(content_type or "")
    if ctype != b"multipart/form-data" or b"boundary" not in opts:
        raise UploadError(422, _("send the files as multipart/form-data in the field 'files'"))
    if content_length is not None:
        try:
            declared = int(content_length)
        except ValueError:
            raise UploadError(422, _("the Content-Length header is not a number")) from None
        if declared > limits.max_bytes:
            raise UploadError(413, _over(limits))
    parts = _Parts(limits)
    parser = MultipartParser(opts[b"boundary"], parts.callbacks())
    total = 0
    async for chunk in stream:
        total += len(chunk)
        if total > limits.max_bytes:
            raise UploadError(413, _over(limits))
        try:
            parser.write(chunk)
        except UploadError:
            raise
        except Exception as exc:  # noqa: BLE001 - the parser's own errors: a malformed body
            raise UploadError(422, _unreadable(exc)) from None
    try:
        parser.finalize()
    except Exception as exc:  # noqa: BLE001
        raise UploadError(422, _unreadable(exc)) from None
    if fields is not None:
        fields.update({name: bytes(data[:1000]).decode("utf-8", "replace") for name, fn, data in parts.parts
                       if fn is None})
    return classify([(safe_name(fn), bytes(data)) for name, fn, data in parts.parts
                     if name == "files" and fn is not None])


def _over(limits: UploadLimits) -> str:
    return _("the upload is over the {limit} limit").format(limit=size_text(limits.max_bytes))


def _unreadable(exc: Exception) -> str:
    return _("the multipart body cannot be read ({error})").format(error=type(exc).__name__)


def classify(files: list[tuple[str, bytes]]) -> Upload:
    """One or more .py, one .ipynb or one .zip (that opens); UploadError(422) otherwise."""
    if not files:
        raise UploadError(422, _("no files: send one or more .py files, one .ipynb or one .zip in the "
                                 "field 'files'"))
    exts = [next((k for k in KINDS if n.lower().endswith(k)), "") for n, _d in files]
    if "" in exts:
        bad = next(n for (n, _d), e in zip(files, exts, strict=True) if not e)
        raise UploadError(422, _("{name}: this kind of file cannot be submitted (send .py files, one .ipynb "
                                 "or one .zip)").format(name=bad))
    if all(e == ".py" for e in exts):
        names = [n for n, _d in files]
        if len(set(names)) != len(names):
            raise UploadError(422, _("two files with the same name"))
        return Upload(tuple(files), "py")
    if len(files) != 1:
        raise UploadError(422, _("send one .ipynb or one .zip alone (or only .py files)"))
    name, data = files[0]
    if exts[0] == ".zip":
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as zf:
                zf.infolist()
        except (zipfile.BadZipFile, OSError, ValueError, EOFError, NotImplementedError):
            raise UploadError(422, _("{name} is not a readable zip file").format(name=name)) from None
        return Upload(tuple(files), "zip")
    return Upload(tuple(files), "ipynb")
