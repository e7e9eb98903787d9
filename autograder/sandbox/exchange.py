"""One request to a worker, from the grading process's side, whatever carries the bytes.

The worker may ask for stand-in answers ("oracle" requests) before it answers; each is validated
and answered here. ``send``/``recv`` are the channel's (a socket: ``launch``; pipes: ``portable``),
both bounded by ``deadline``; ``recv`` gives raw frames (header bytes, payloads), and every message
is validated by ``sandbox.schema`` before anything looks at it.
"""

from __future__ import annotations

from collections.abc import Callable

from autograder.course.errors import ProtocolError
from autograder.sandbox import answers, protocol, schema, standin

Send = Callable[[dict, list, float], None]
Recv = Callable[[float], tuple[bytes, list]]


Oracle = Callable[[str, tuple, dict, bytes], "dict | answers.Encoded"]


def request(send: Send, recv: Recv, header: dict, values: dict, deadline: float, oracle: Oracle,
            expect: tuple[type, ...] = (schema.Result,)) -> tuple[schema.Message, dict]:
    """Send ``header`` with ``values``; answer oracle requests until the reply, one of ``expect``:
    (the validated message, its values). ``oracle(func, args, kwargs, key)`` answers with values to
    encode or an already encoded answer; ``key`` digests the request's bytes (``answers``). A
    ``standin.WrongCall`` from ``oracle`` is sent back as a refusal, which the stand-in raises in
    the student's code.

    Raises TimeoutError, EOFError/OSError (the worker is gone) or ProtocolError (it sent something
    malformed or unexpected)."""
    tree, payloads = protocol.encode_values(values)
    send(dict(header, values=tree), payloads, deadline)
    while True:
        raw, raw_payloads = recv(deadline)
        msg, vals = schema.parse(raw, raw_payloads)
        if not isinstance(msg, schema.OracleRequest):
            if not isinstance(msg, expect):
                raise ProtocolError("the worker answered with an unexpected message")
            return msg, vals
        args, kwargs = vals.get("args", ()), vals.get("kwargs", {})
        if type(args) is not tuple or type(kwargs) is not dict or set(vals) - {"args", "kwargs"}:
            raise ProtocolError("malformed oracle request")
        try:
            answer = oracle(msg.func, args, kwargs, answers.request_key(msg.func, raw, raw_payloads))
        except standin.WrongCall as exc:  # raised in the student's code by the stand-in: costs that call
            send({"op": "oracle-answer", "refused": str(exc)[:500], "values": {}}, [], deadline)
            continue
        if isinstance(answer, answers.Encoded):
            tree, payloads = answer.tree, list(answer.payloads)
        else:
            tree, payloads = protocol.encode_values(answer)
        send({"op": "oracle-answer", "values": tree}, payloads, deadline)
