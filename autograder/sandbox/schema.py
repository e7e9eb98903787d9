"""Everything a worker may send, as one declarative schema, checked in the trusted process.

The worker is untrusted: the caps it applies to its own messages (output, warnings, error texts)
can be patched by student code, so they are enforced here again, with msgspec: every message is
one of the ``op``-tagged structs below, every field has its type and its length, unknown fields are
refused, and the value tree (``protocol``'s encoding) is bounded in nesting, items and dimensions.
Anything else — bad JSON, a wrong type, a string one character over its cap, a tree nested too
deeply — is a ``ProtocolError``: the caller kills the worker and the call fails.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

import msgspec

from autograder.course.errors import ProtocolError
from autograder.sandbox import protocol

# Caps of the texts a worker sends; the honest worker stays within them (sandbox.worker.calls).
OUTPUT_CHARS = 8192  # printed output of one request (the worker keeps 4096 and a marker)
WARNING_CHARS = 200
WARNINGS = 20
NAME_CHARS = 200  # exception type, function and file names, a location
MESSAGE_CHARS = 600  # an exception's message (the worker keeps 500)
LAYERS = 32

Text = Annotated[str, msgspec.Meta(max_length=MESSAGE_CHARS)]
Name = Annotated[str, msgspec.Meta(max_length=NAME_CHARS)]
Count = Annotated[int, msgspec.Meta(ge=0, le=protocol.MAX_PAYLOADS)]
SafeInt = Annotated[int, msgspec.Meta(ge=-(2**53), le=2**53)]
Dim = Annotated[int, msgspec.Meta(ge=0, le=protocol.MAX_ELEMENTS)]


class _Node(msgspec.Struct, tag_field="t", forbid_unknown_fields=True, frozen=True):
    pass


class NoneNode(_Node, tag="none"):
    pass


class BoolNode(_Node, tag="bool"):
    v: bool


class IntNode(_Node, tag="int"):
    v: SafeInt


class ArrayNode(_Node, tag="nd"):
    i: Count
    d: Annotated[str, msgspec.Meta(max_length=8)]
    s: Annotated[list[Dim], msgspec.Meta(max_length=protocol.MAX_DIMS)]


class FloatNode(ArrayNode, tag="float"):
    pass


class ScalarNode(ArrayNode, tag="npscalar"):
    pass


class TupleNode(_Node, tag="tuple"):
    v: Annotated[list[Node], msgspec.Meta(max_length=protocol.MAX_ITEMS)]


class ListNode(_Node, tag="list"):
    v: Annotated[list[Node], msgspec.Meta(max_length=protocol.MAX_ITEMS)]


class DictNode(_Node, tag="dict"):
    v: Annotated[list[tuple[Name, Node]], msgspec.Meta(max_length=protocol.MAX_ITEMS)]


Node = (NoneNode | BoolNode | IntNode | ArrayNode | FloatNode | ScalarNode | TupleNode | ListNode
        | DictNode)
Values = Annotated[dict[Annotated[str, msgspec.Meta(max_length=16)], Node], msgspec.Meta(max_length=4)]


class ErrorReport(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    """Why a call failed, as the worker says it (``sandbox.worker.calls.failure``)."""

    kind: Annotated[str, msgspec.Meta(max_length=40)]
    type: Name = ""
    message: Text = ""
    location: Name = ""
    msgid: Text = ""
    args: Annotated[dict[Annotated[str, msgspec.Meta(max_length=40)], Name], msgspec.Meta(max_length=8)] = {}

    def as_dict(self) -> dict:
        return msgspec.structs.asdict(self)


class _Message(msgspec.Struct, tag_field="op", forbid_unknown_fields=True, frozen=True, kw_only=True):
    n: Count = 0


class Hello(_Message, tag="hello"):
    layers: Annotated[list[Annotated[str, msgspec.Meta(max_length=40)]], msgspec.Meta(max_length=LAYERS)]


class Result(_Message, tag="result"):
    ok: bool
    warnings: Annotated[list[Annotated[str, msgspec.Meta(max_length=WARNING_CHARS)]],
                        msgspec.Meta(max_length=WARNINGS)] = []
    output: Annotated[str, msgspec.Meta(max_length=OUTPUT_CHARS)] = ""
    error: ErrorReport | None = None
    values: Values = {}


class Loaded(_Message, tag="loaded"):
    ok: Literal[True]
    values: Values = {}


class Pong(_Message, tag="pong"):
    ok: Literal[True]
    values: Values = {}


class OracleRequest(_Message, tag="oracle"):
    func: Name
    values: Values = {}


Message = Hello | Result | Loaded | Pong | OracleRequest
_DECODER = msgspec.json.Decoder(Message)


def parse(header: bytes, payloads: list[bytes]) -> tuple[Message, dict[str, Any]]:
    """A worker's message: the validated header and its decoded values."""
    try:
        msg = _DECODER.decode(header)
    except (msgspec.DecodeError, msgspec.ValidationError) as exc:
        raise ProtocolError(f"malformed message from the worker ({str(exc)[:120]})") from None
    except RecursionError:
        raise ProtocolError("malformed message from the worker (nested too deeply)") from None
    if msg.n != len(payloads):
        raise ProtocolError("the payload count does not match the payloads")
    values = getattr(msg, "values", {})
    counter = [0]
    return msg, {k: _value(v, payloads, 0, counter) for k, v in values.items()}


def receive(fd: int, deadline: float) -> tuple[Message, dict[str, Any]]:
    """Read and validate one message from a worker, waiting at most until ``deadline``."""
    return parse(*protocol.recv_frame(fd, deadline))


def _value(node: Node, payloads: list[bytes], depth: int, counter: list[int]) -> Any:
    counter[0] += 1
    if counter[0] > protocol.MAX_ITEMS:
        raise ProtocolError(f"more than {protocol.MAX_ITEMS} values in one message")
    if depth > protocol.MAX_DEPTH + 1:
        raise ProtocolError(f"values nested deeper than {protocol.MAX_DEPTH} levels")
    match node:
        case NoneNode():
            return None
        case BoolNode(v=v) | IntNode(v=v):
            return v
        case ArrayNode():
            if node.i >= len(payloads):
                raise ProtocolError("bad payload index")
            a = protocol._load_array({"d": node.d, "s": list(node.s)}, payloads[node.i])
            if type(node) is ArrayNode:
                return a
            if a.ndim != 0:
                raise ProtocolError("scalar payload is not 0-d")
            if type(node) is FloatNode:
                if a.dtype.kind != "f":
                    raise ProtocolError("float payload is not floating point")
                return float(a)
            return a[()]
        case TupleNode(v=v):
            return tuple(_value(x, payloads, depth + 1, counter) for x in v)
        case ListNode(v=v):
            return [_value(x, payloads, depth + 1, counter) for x in v]
        case DictNode(v=v):
            return {k: _value(x, payloads, depth + 1, counter) for k, x in v}
    raise ProtocolError("malformed value")  # pragma: no cover - the decoder admits only the above
