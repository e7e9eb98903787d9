"""One request to a worker, from the grading process's side, whatever carries the bytes.

The worker may ask for stand-in answers ("oracle" requests) before it answers; each is validated
and answered here. ``send``/``recv`` are the channel's (a socket: ``launch``; pipes: ``portable``),
both bounded by ``deadline``.
"""

from __future__ import annotations

from collections.abc import Callable

from autograder.course.errors import ProtocolError
from autograder.sandbox import protocol

Send = Callable[[dict, list, float], None]
Recv = Callable[[float], tuple[dict, list]]


def request(send: Send, recv: Recv, header: dict, values: dict, deadline: float,
            oracle: Callable[[str, tuple, dict], dict]) -> tuple[dict, dict]:
    """Send ``header`` with ``values``; answer oracle requests until the reply: (header, values)."""
    tree, payloads = protocol.encode_values(values)
    send(dict(header, values=tree), payloads, deadline)
    while True:
        head, pl = recv(deadline)
        tree = head.get("values", {})
        if type(tree) is not dict:
            raise ProtocolError("values must be an object")
        vals = {k: protocol.decode_value(v, pl) for k, v in tree.items()}
        if head.get("op") != "oracle":
            return head, vals
        args, kwargs = vals.get("args", ()), vals.get("kwargs", {})
        if type(args) is not tuple or type(kwargs) is not dict:
            raise ProtocolError("malformed oracle request")
        answer = oracle(str(head.get("func")), args, kwargs)
        tree, payloads = protocol.encode_values(answer)
        send({"op": "oracle-answer", "values": tree}, payloads, deadline)
