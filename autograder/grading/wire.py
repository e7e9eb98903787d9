"""Messages between the owner and a grading process: one JSON document per frame.

A frame is its length (4 bytes, big-endian) and then that many bytes of UTF-8 JSON. Files travel as
base64. Both sides are trusted (the grading process never runs student code), but every frame is
still capped and checked, so a broken peer is an error, not a hang or an unbounded buffer.
"""

from __future__ import annotations

import json
import os
import struct
from typing import Any

MAX_FRAME = 512 * 2**20  # a task carries at most the intake's caps; an outcome is a few MB at most
_LEN = struct.Struct(">I")


class WireError(ValueError):
    """A frame that is not one of ours (too long, not JSON, wrong fields)."""


def frame(doc: dict[str, Any]) -> bytes:
    data = json.dumps(doc, ensure_ascii=False, separators=(",", ":")).encode()
    if len(data) > MAX_FRAME:
        raise WireError(f"message of {len(data)} bytes is over the cap of {MAX_FRAME}")
    return _LEN.pack(len(data)) + data


class FrameBuffer:
    """Bytes in, whole messages out (for a non-blocking reader)."""

    def __init__(self) -> None:
        self.data = bytearray()

    def feed(self, chunk: bytes) -> list[dict[str, Any]]:
        self.data += chunk
        out = []
        while len(self.data) >= _LEN.size:
            (n,) = _LEN.unpack_from(self.data)
            if n > MAX_FRAME:
                raise WireError(f"a message of {n} bytes is over the cap of {MAX_FRAME}")
            if len(self.data) < _LEN.size + n:
                break
            body = bytes(self.data[_LEN.size:_LEN.size + n])
            del self.data[:_LEN.size + n]
            try:
                doc = json.loads(body)
            except ValueError as exc:
                raise WireError(f"a message that is not JSON ({exc})") from None
            if type(doc) is not dict or type(doc.get("op")) is not str:
                raise WireError("a message without an op")
            out.append(doc)
        return out


def read_frame(fd: int) -> dict[str, Any] | None:
    """The next message on a blocking ``fd``; None at end of file."""
    buf = FrameBuffer()
    need = _LEN.size
    while True:
        chunk = os.read(fd, need)
        if not chunk:
            if buf.data:
                raise WireError("the stream ended inside a message")
            return None
        got = buf.feed(chunk)
        if got:
            return got[0]
        have = len(buf.data)
        need = (_LEN.unpack_from(buf.data)[0] + _LEN.size - have) if have >= _LEN.size else _LEN.size - have


def write_frame(fd: int, doc: dict[str, Any]) -> None:
    data = memoryview(frame(doc))
    while data:
        data = data[os.write(fd, data):]
