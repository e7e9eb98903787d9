"""The wire format: numbers round-trip exactly; anything else is refused, on both sides."""

import io
import json
import os
import pickle
import struct

import numpy as np
import pytest

from autograder.course.errors import ProtocolError
from autograder.sandbox import protocol


def roundtrip(values: dict) -> dict:
    tree, payloads = protocol.encode_values(values)
    r, w = os.pipe()
    try:
        protocol.send_message(w, {"values": tree}, payloads)
        header, got = protocol.recv_message(r)
    finally:
        os.close(r)
        os.close(w)
    return {k: protocol.decode_value(v, got) for k, v in header["values"].items()}


def test_values_round_trip_exactly():
    a = np.arange(12, dtype=np.float64).reshape(3, 4) / 7
    values = {"a": a, "zero_d": np.array(2.5), "f": 1.5, "i": 3, "b": True, "n": None,
              "t": (a, [1.0, 2]), "d": {"W": a, "b": np.zeros(3)}, "nan": float("nan"),
              "scalar": np.float64(0.25)}
    got = roundtrip(values)
    np.testing.assert_array_equal(got["a"], a, strict=True)
    assert got["zero_d"].shape == () and type(got["zero_d"]) is np.ndarray
    assert type(got["f"]) is float and got["f"] == 1.5
    assert got["i"] == 3 and got["b"] is True and got["n"] is None
    assert type(got["t"]) is tuple and type(got["t"][1]) is list
    np.testing.assert_array_equal(got["d"]["W"], a)
    assert np.isnan(got["nan"])
    assert type(got["scalar"]) is np.float64


class Sneaky(np.ndarray):
    def __eq__(self, other):
        return True


def test_subclasses_cross_as_plain_arrays():
    s = np.zeros(3).view(Sneaky)
    got = roundtrip({"s": s})
    assert type(got["s"]) is np.ndarray


@pytest.mark.parametrize("bad", [np.array([object()]), "text", b"bytes", {1: 2}, object(),
                                 np.array(["a"])])
def test_non_numbers_are_refused_when_sending(bad):
    with pytest.raises(ProtocolError):
        protocol.encode_values({"x": bad})


def _raw_message(header: dict, payloads: list[bytes]) -> bytes:
    hb = json.dumps(dict(header, n=len(payloads))).encode()
    out = struct.pack("<I", len(hb)) + hb
    for p in payloads:
        out += struct.pack("<Q", len(p)) + p
    return struct.pack("<Q", len(out)) + out


def _receive(raw: bytes):
    r, w = os.pipe()
    try:
        os.write(w, raw)
        os.close(w)
        header, payloads = protocol.recv_message(r)
        return {k: protocol.decode_value(v, payloads) for k, v in header["values"].items()}
    finally:
        os.close(r)


def test_a_pickled_object_array_is_refused_when_receiving():
    buf = io.BytesIO()
    np.save(buf, np.array([{"x": 1}], dtype=object), allow_pickle=True)
    with pytest.raises(ProtocolError):
        _receive(_raw_message({"values": {"v": {"t": "nd", "i": 0}}}, [buf.getvalue()]))


def test_a_raw_pickle_payload_is_refused():
    payload = pickle.dumps({"score": 100})
    with pytest.raises(ProtocolError):
        _receive(_raw_message({"values": {"v": {"t": "nd", "i": 0}}}, [payload]))


@pytest.mark.parametrize("node", [{"t": "eval", "v": "1+1"}, {"t": "nd", "i": 5}, [1, 2],
                                  {"t": "int", "v": "3"}, {"t": "dict", "v": [[1, {"t": "none"}]]}])
def test_malformed_trees_are_refused(node):
    with pytest.raises(ProtocolError):
        _receive(_raw_message({"values": {"v": node}}, []))


def test_oversized_messages_are_refused(monkeypatch):
    monkeypatch.setattr(protocol, "MAX_MESSAGE_BYTES", 1000)
    tree, payloads = protocol.encode_values({"x": np.zeros(1000)})
    r, w = os.pipe()
    try:
        with pytest.raises(ProtocolError):
            protocol.send_message(w, {"values": tree}, payloads)
    finally:
        os.close(r)
        os.close(w)
    raw = _raw_message({"values": {}}, [b"x" * 2000])
    with pytest.raises(ProtocolError):
        _receive(raw)


def test_a_deadline_turns_silence_into_timeout():
    import time

    r, w = os.pipe()
    try:
        with pytest.raises(TimeoutError):
            protocol.recv_message(r, time.monotonic() + 0.05)
    finally:
        os.close(r)
        os.close(w)


@pytest.mark.parametrize("node", [
    {"t": "nd", "i": 0, "d": "|O", "s": [1]},  # object dtype: would need pickle
    {"t": "nd", "i": 0, "d": "<f8", "s": [2]},  # claims 16 bytes, has 8
    {"t": "nd", "i": 0, "d": "<f8", "s": [-1]},
    {"t": "nd", "i": 0, "d": "<f8", "s": "8"},
    {"t": "float", "i": 0, "d": "<i8", "s": []},  # a float that is not floating point
])
def test_payloads_that_do_not_match_their_description_are_refused(node):
    with pytest.raises(ProtocolError):
        _receive(_raw_message({"values": {"v": node}}, [b"\0" * 8]))


@pytest.mark.parametrize("raw", [
    struct.pack("<Q", 4) + struct.pack("<I", 100),  # header longer than the message
    struct.pack("<Q", 6) + struct.pack("<I", 2) + b"{}",  # no payload count
    _raw_message({"values": {}}, [b"abc"])[:-1],  # cut short: the peer closes mid-message
])
def test_truncated_or_inconsistent_frames_are_refused(raw):
    with pytest.raises((ProtocolError, EOFError)):
        _receive(raw)
