"""The wire format between the grading process and a worker: numbers only.

A message is a JSON header plus a list of raw array payloads::

    u64 length of the rest | u32 header length | header (UTF-8 JSON) |
    per payload: u64 length | array bytes (C order)

Values are encoded as a JSON tree whose leaves reference payloads with their dtype and shape;
only native numeric and boolean dtypes from a fixed list are accepted, a payload's length must
match its dtype and shape exactly, and every size is capped. There is no pickle anywhere and
nothing is evaluated on either side (not even an .npy header).
"""

from __future__ import annotations

import json
import math
import os
import select
import struct
import time
from typing import Any

import msgspec
import numpy as np

from autograder.course.errors import ProtocolError

MAX_MESSAGE_BYTES = 64 * 1024 * 1024
MAX_HEADER_BYTES = 1024 * 1024
MAX_PAYLOADS = 4096
MAX_DEPTH = 8
MAX_ITEMS = 10_000
MAX_DIMS = 32
MAX_ELEMENTS = MAX_MESSAGE_BYTES  # of one array; also bounds each dimension (a 0-size array included)
_NUMERIC_KINDS = "biufc"
# Native-order numeric dtypes, by their .str ("<f8", "|b1", ...): the only ones that cross.
_DTYPES = {np.dtype(t).str: np.dtype(t) for t in (
    np.bool_, np.int8, np.int16, np.int32, np.int64, np.uint8, np.uint16, np.uint32, np.uint64,
    np.float16, np.float32, np.float64, np.complex64, np.complex128)}


# ---------------------------------------------------------------- values <-> JSON tree + payloads


class _Encoder:
    def __init__(self) -> None:
        self.payloads: list[bytes] = []
        self.items = 0

    def array(self, a: np.ndarray, tag: str) -> dict:
        a = np.asarray(a)
        if a.dtype.kind not in _NUMERIC_KINDS or a.dtype.hasobject:
            raise ProtocolError(f"an array of dtype {a.dtype} cannot be sent (numbers only)")
        if not a.dtype.isnative:
            a = a.astype(a.dtype.newbyteorder("="))
        if a.dtype.str not in _DTYPES:
            raise ProtocolError(f"an array of dtype {a.dtype} cannot be sent (numbers only)")
        self.payloads.append(a.tobytes())  # C order, whatever the array's layout
        return {"t": tag, "i": len(self.payloads) - 1, "d": a.dtype.str, "s": list(a.shape)}

    def encode(self, v: Any, depth: int = 0) -> Any:
        self.items += 1
        if self.items > MAX_ITEMS:
            raise ProtocolError(f"more than {MAX_ITEMS} values in one message")
        if depth > MAX_DEPTH:
            raise ProtocolError(f"values nested deeper than {MAX_DEPTH} levels")
        # Exact type checks: subclasses (of ndarray, float, tuple, dict ...) are converted to the
        # plain type first, so a lying __eq__ or __array_ufunc__ never survives the crossing.
        t = type(v)
        if v is None:
            return {"t": "none"}
        if t is bool or t is np.bool_:
            return {"t": "bool", "v": bool(v)}
        if t is int:
            if abs(v) > 2**53:
                return self.array(np.asarray(float(v)), "float")
            return {"t": "int", "v": v}
        if t is float:
            return self.array(np.asarray(v, dtype=np.float64), "float")
        if isinstance(v, np.generic):
            return self.array(np.asarray(v), "npscalar")
        if isinstance(v, np.ndarray):
            return self.array(np.array(v, copy=True, subok=False), "nd")
        if t is tuple or t is list:
            return {"t": t.__name__, "v": [self.encode(x, depth + 1) for x in v]}
        if t is dict:
            items = []
            for k, x in v.items():
                if type(k) is not str:
                    raise ProtocolError("dictionary keys must be strings")
                items.append([k, self.encode(x, depth + 1)])
            return {"t": "dict", "v": items}
        raise ProtocolError(f"a value of type {t.__name__} cannot be sent (numbers only)")


def encode_values(tree: dict) -> tuple[dict, list[bytes]]:
    """Encode a dict of named values into (JSON-able header, payloads)."""
    enc = _Encoder()
    out = {k: enc.encode(v) for k, v in tree.items()}
    return out, enc.payloads


def _load_array(node: dict, raw: bytes) -> np.ndarray:
    """Raw bytes + an allowed dtype + a shape whose size matches exactly -> a fresh array."""
    dtype, shape = _DTYPES.get(node.get("d")), node.get("s")
    if dtype is None:
        raise ProtocolError("payload dtype is not an allowed numeric dtype")
    if (type(shape) is not list or len(shape) > MAX_DIMS
            or not all(type(n) is int and 0 <= n <= MAX_ELEMENTS for n in shape)
            or math.prod(n for n in shape if n) > MAX_ELEMENTS):  # (0, 2**40, 2**40): no numpy overflow
        raise ProtocolError("malformed array shape")
    size = math.prod(shape)
    if size * dtype.itemsize != len(raw):
        raise ProtocolError("array payload does not match its dtype and shape")
    try:
        return np.frombuffer(raw, dtype=dtype, count=size).reshape(shape).copy()
    except ValueError:  # what numpy refuses is a malformed message, whatever the reason
        raise ProtocolError("malformed array shape") from None


def decode_value(node: Any, payloads: list[bytes], depth: int = 0) -> Any:
    """Inverse of the encoder; rejects anything that is not a known, well-formed node."""
    if depth > MAX_DEPTH + 1 or type(node) is not dict:
        raise ProtocolError("malformed value")
    t = node.get("t")
    if t == "none":
        return None
    if t == "bool":
        if type(node.get("v")) is not bool:
            raise ProtocolError("malformed bool")
        return node["v"]
    if t == "int":
        if type(node.get("v")) is not int:
            raise ProtocolError("malformed int")
        return node["v"]
    if t in ("nd", "float", "npscalar"):
        i = node.get("i")
        if type(i) is not int or not 0 <= i < len(payloads):
            raise ProtocolError("bad payload index")
        a = _load_array(node, payloads[i])
        if t == "nd":
            return a
        if a.ndim != 0:
            raise ProtocolError("scalar payload is not 0-d")
        if t == "float":
            if a.dtype.kind != "f":
                raise ProtocolError("float payload is not floating point")
            return float(a)
        return a[()]
    if t in ("tuple", "list"):
        v = node.get("v")
        if type(v) is not list:
            raise ProtocolError("malformed sequence")
        items = [decode_value(x, payloads, depth + 1) for x in v]
        return tuple(items) if t == "tuple" else items
    if t == "dict":
        v = node.get("v")
        if type(v) is not list:
            raise ProtocolError("malformed dict")
        out = {}
        for pair in v:
            if type(pair) is not list or len(pair) != 2 or type(pair[0]) is not str:
                raise ProtocolError("malformed dict item")
            out[pair[0]] = decode_value(pair[1], payloads, depth + 1)
        return out
    raise ProtocolError(f"unknown value tag {str(t)[:20]!r}")


# ---------------------------------------------------------------- framing on a file descriptor

_HEADER = msgspec.json.Encoder()


def _read_exact(fd: int, n: int, deadline: float | None = None, nonblocking: bool = False) -> bytes:
    """``n`` bytes from ``fd``. ``nonblocking``: ``fd`` is, so each read is tried before any wait (one
    that finds nothing returns at once); the deadline is checked before every read either way."""
    chunks = []
    while n:
        if deadline is not None:
            if nonblocking:
                _check(deadline, select.POLLIN)
            else:
                _wait(fd, select.POLLIN, deadline)
        try:
            b = os.read(fd, min(n, 1 << 20))
        except BlockingIOError:  # a non-blocking channel: wait, under the same deadline
            _wait(fd, select.POLLIN, math.inf if deadline is None else deadline)
            continue
        if not b:
            raise EOFError("channel closed")
        chunks.append(b)
        n -= len(b)
    return b"".join(chunks)


def _wait(fd: int, event: int, deadline: float) -> None:
    """Until ``fd`` is ready for ``event`` (POLLIN or POLLOUT) or hung up; TimeoutError at ``deadline``."""
    poller = select.poll()
    poller.register(fd, event | select.POLLHUP | select.POLLERR)
    while True:
        left = _check(deadline, event)
        if poller.poll(None if math.isinf(left) else left * 1000):
            return


def _check(deadline: float, event: int) -> float:
    """Seconds left until ``deadline``; TimeoutError when none are (also when the peer keeps the channel
    ready: a read or write tried first is still bounded by the deadline)."""
    left = deadline - time.monotonic()
    if left <= 0:
        raise TimeoutError("no answer before the deadline" if event == select.POLLIN
                           else "the peer stopped reading before the deadline")
    return left


def frame(header: dict, payloads: list[bytes] = ()) -> bytes:
    """One framed message (header must be JSON-able; payloads are raw array bytes)."""
    head = dict(header)
    head["n"] = len(payloads)
    try:
        hb = _HEADER.encode(head)  # headers hold names, counts and shapes: never a float
    except (UnicodeEncodeError, TypeError, OverflowError):  # a lone surrogate, say: escaped by json
        hb = json.dumps(head, separators=(",", ":"), allow_nan=False).encode()
    total = len(hb) + sum(len(p) for p in payloads)
    if len(hb) > MAX_HEADER_BYTES or total > MAX_MESSAGE_BYTES:
        raise ProtocolError(f"message of {total} bytes is over the limit")
    parts = [struct.pack("<I", len(hb)), hb]
    for p in payloads:
        parts += [struct.pack("<Q", len(p)), p]
    body = b"".join(parts)
    return struct.pack("<Q", len(body)) + body


def send_message(fd: int, header: dict, payloads: list[bytes] = (), deadline: float | None = None,
                 nonblocking: bool = False) -> None:
    """Write one framed message. With ``deadline`` (time.monotonic), every write waits for POLLOUT
    under it and TimeoutError is raised when the peer stops reading: a full channel never blocks
    the trusted side (its end of the channel should be non-blocking). ``nonblocking``: ``fd`` is, so
    each write is tried first and waited for only when the channel is full (the deadline is checked
    before every write either way)."""
    data = memoryview(frame(header, payloads))
    while data:
        if deadline is not None:
            if nonblocking:
                _check(deadline, select.POLLOUT)
            else:
                _wait(fd, select.POLLOUT, deadline)
        try:
            n = os.write(fd, data)
        except BlockingIOError:
            _wait(fd, select.POLLOUT, math.inf if deadline is None else deadline)
            continue
        data = data[n:]


def recv_frame(fd: int, deadline: float | None = None,
               nonblocking: bool = False) -> tuple[bytes, list[bytes]]:
    """Read one framed message: (header bytes, payloads); ProtocolError on a malformed or oversized
    frame, TimeoutError when ``deadline`` (time.monotonic) passes, EOFError when the peer is gone.
    ``nonblocking``: ``fd`` is (reads are tried before waiting: ``_read_exact``).

    The total length comes first, so a message costs two reads, however many arrays it holds.
    The header is not parsed here: ``recv_message`` (JSON) or ``sandbox.schema`` (the trusted side).
    """
    (size,) = struct.unpack("<Q", _read_exact(fd, 8, deadline, nonblocking))
    if size > MAX_MESSAGE_BYTES + 8 * (MAX_PAYLOADS + 1):
        raise ProtocolError(f"message over {MAX_MESSAGE_BYTES} bytes")
    body = memoryview(_read_exact(fd, size, deadline, nonblocking))
    if size < 4:
        raise ProtocolError("message too short")
    (hlen,) = struct.unpack_from("<I", body, 0)
    if hlen > MAX_HEADER_BYTES or 4 + hlen > size:
        raise ProtocolError("header over the limit")
    header = bytes(body[4:4 + hlen])
    payloads, pos, total = [], 4 + hlen, hlen
    while pos < size:
        if len(payloads) >= MAX_PAYLOADS:
            raise ProtocolError("too many payloads")
        if pos + 8 > size:
            raise ProtocolError("message ends before its payloads")
        (plen,) = struct.unpack_from("<Q", body, pos)
        pos += 8
        if pos + plen > size:
            raise ProtocolError("message ends before its payloads")
        total += plen
        if total > MAX_MESSAGE_BYTES:
            raise ProtocolError(f"message over {MAX_MESSAGE_BYTES} bytes")
        payloads.append(bytes(body[pos:pos + plen]))
        pos += plen
    return header, payloads


def recv_message(fd: int, deadline: float | None = None) -> tuple[dict, list[bytes]]:
    """``recv_frame`` with the header parsed as JSON (an object whose ``n`` counts the payloads)."""
    hb, payloads = recv_frame(fd, deadline)
    try:
        header = json.loads(hb, parse_constant=_reject_constant)
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise ProtocolError("header is not valid JSON") from None
    if type(header) is not dict or type(header.get("n")) is not int:
        raise ProtocolError("header is not an object with a payload count")
    if header["n"] != len(payloads):
        raise ProtocolError("the payload count does not match the payloads")
    return header, payloads


def _reject_constant(name: str) -> float:
    raise ValueError(name)
