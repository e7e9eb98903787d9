"""The trusted side's schema of worker messages: whatever a patched worker sends, a ProtocolError."""

import json
import socket
import tempfile
import time

import numpy as np
import pytest

from autograder.course.errors import ProtocolError
from autograder.sandbox import protocol, schema


def _header(**fields) -> bytes:
    return json.dumps(fields).encode()


def _result(values: dict, payloads: list[bytes] = (), **fields) -> tuple:
    return schema.parse(_header(op="result", ok=True, n=len(payloads), values=values, **fields),
                        list(payloads))


def test_an_honest_result_is_decoded():
    tree, payloads = protocol.encode_values(
        {"value": (np.arange(3.0), {"W": np.eye(2)}, [None, True, 3, 1.5])})
    msg, values = _result(tree, payloads, warnings=["RuntimeWarning: overflow"], output="hi")
    assert isinstance(msg, schema.Result) and msg.ok and msg.output == "hi"
    a, d, rest = values["value"]
    np.testing.assert_array_equal(a, np.arange(3.0), strict=True)
    assert d["W"].shape == (2, 2) and rest == [None, True, 3, 1.5]


def test_a_deeply_nested_header_is_a_protocol_error_not_a_recursion_error():
    deep = '{"t":"list","v":[' * 100_000 + '{"t":"none"}' + "]}" * 100_000
    raw = ('{"op":"result","ok":true,"n":0,"values":{"value":' + deep + "}}").encode()
    assert len(raw) < protocol.MAX_HEADER_BYTES * 4
    with pytest.raises(ProtocolError):
        schema.parse(raw, [])
    hb = raw[:protocol.MAX_HEADER_BYTES]
    body = len(hb).to_bytes(4, "little") + hb
    with tempfile.TemporaryFile() as f:  # the worker's own JSON path, too
        f.write(len(body).to_bytes(8, "little") + body)
        f.seek(0)
        with pytest.raises(ProtocolError):
            protocol.recv_message(f.fileno(), time.monotonic() + 5)


def test_moderately_nested_values_beyond_the_depth_cap_are_refused():
    node = {"t": "none"}
    for _ in range(protocol.MAX_DEPTH + 3):
        node = {"t": "list", "v": [node]}
    with pytest.raises(ProtocolError, match="nested"):
        _result({"value": node})


@pytest.mark.parametrize("shape", [[0, 2**40, 2**40], [0] + [2**20] * 31, [2**62], [-1], [1] * 40])
def test_huge_dimensions_with_an_empty_payload_are_refused(shape):
    with pytest.raises(ProtocolError):
        _result({"value": {"t": "nd", "i": 0, "d": "<f8", "s": shape}}, [b""])


@pytest.mark.parametrize("fields", [
    {"output": "x" * (schema.OUTPUT_CHARS + 1)},
    {"warnings": ["w"] * (schema.WARNINGS + 1)},
    {"warnings": ["w" * (schema.WARNING_CHARS + 1)]},
    {"ok": False, "error": {"kind": "raised", "type": "E" * 10_000, "message": "", "location": ""}},
    {"ok": False, "error": {"kind": "raised", "type": "E", "message": "m" * 100_000, "location": ""}},
    {"ok": False, "error": {"kind": "raised", "args": {f"k{i}": "v" for i in range(100)}}},
    {"output": 42},
    {"warnings": "RuntimeWarning"},
    {"ok": "yes"},
    {"extra": 1},  # unknown fields are refused
])
def test_texts_over_their_caps_and_wrong_types_are_refused(fields):
    header = dict({"op": "result", "ok": True, "n": 0}, **fields)
    with pytest.raises(ProtocolError):
        schema.parse(json.dumps(header).encode(), [])


@pytest.mark.parametrize("raw", [
    b"[]", b"{}", b'{"op":"eval","n":0}', b'{"op":"result","ok":true,"n":1}', b"\xff\xfe",
    b'{"op":"result","ok":true,"n":0,"values":{"v":{"t":"int","v":' + b"9" * 5000 + b"}}}",
    b'{"op":"result","ok":true,"n":0,"values":{"v":{"t":"int","v":NaN}}}',
    b'{"op":"result","ok":true,"n":0,"values":{"v":{"t":"float","v":1.5}}}',
    b'{"op":"hello","n":0,"layers":[' + b'"x",' * 100 + b'"x"]}',
])
def test_malformed_headers_are_refused(raw):
    with pytest.raises(ProtocolError):
        schema.parse(raw, [])


def test_too_many_values_in_one_message_are_refused():
    flat = {"t": "list", "v": [{"t": "none"}] * (protocol.MAX_ITEMS - 1)}
    with pytest.raises(ProtocolError):
        _result({"a": flat, "b": flat})


def test_a_peer_that_stops_reading_cannot_block_a_write_past_its_deadline():
    """The stall: a worker that never reads its channel; the trusted side's write times out."""
    mine, theirs = socket.socketpair()
    with mine, theirs:
        mine.setblocking(False)
        tree, payloads = protocol.encode_values({"x": np.zeros(2_000_000)})  # 16 MB: far over the buffers
        t0 = time.monotonic()
        with pytest.raises(TimeoutError):
            protocol.send_message(mine.fileno(), {"values": tree}, payloads, time.monotonic() + 0.3)
        assert time.monotonic() - t0 < 2.0
