"""The worker: the only process where student code runs.

It answers requests from the grading process on one channel (a file descriptor): "call f with
these arguments" and "call f on each of these argument tuples". Only numbers cross, framed by
``autograder.sandbox.protocol``. When a function declared in ``uses`` is replaced by the trusted one, the
worker asks the grading process for its value on the same channel ("oracle" requests).
"""

from __future__ import annotations

from pathlib import Path

from autograder.course.errors import ProtocolError
from autograder.course.kinds import Kind
from autograder.sandbox import protocol
from autograder.sandbox.worker.calls import CallFailed, StudentModules, failure, run_call


class Channel:
    """``fd`` both ways (a socket), or read ``fd`` and write ``wfd`` (the portable path's pipes)."""

    def __init__(self, fd: int, wfd: int | None = None):
        self.fd = fd
        self.wfd = fd if wfd is None else wfd

    def send(self, header: dict, values: dict | None = None) -> None:
        tree, payloads = protocol.encode_values(values or {})
        header = dict(header, values=tree)
        protocol.send_message(self.wfd, header, payloads)

    def recv(self) -> tuple[dict, dict]:
        header, payloads = protocol.recv_message(self.fd)
        tree = header.get("values", {})
        if type(tree) is not dict:
            raise ProtocolError("values must be an object")
        values = {k: protocol.decode_value(v, payloads) for k, v in tree.items()}
        return header, values


class StandInRefused(ValueError):
    """Raised in the student's code when the trusted stand-in refuses a call (outside its contract)."""


def serve(fd: int, folder: Path, files: dict[str, list[str]], wfd: int | None = None) -> None:
    """Answer requests until the channel closes."""
    chan = Channel(fd, wfd)
    modules = StudentModules(folder, files)

    def oracle(name: str, args: tuple, kwargs: dict) -> dict:
        chan.send({"op": "oracle", "func": name}, {"args": tuple(args), "kwargs": dict(kwargs)})
        header, values = chan.recv()
        if header.get("op") != "oracle-answer":
            raise ProtocolError("expected an oracle answer")
        if header.get("refused"):
            raise StandInRefused(str(header["refused"]))
        return values

    while True:
        try:
            header, values = chan.recv()
        except EOFError:
            return
        except ProtocolError as exc:
            _reply(chan, {"op": "result", "ok": False, "error": {
                "kind": Kind.PROTOCOL, "type": "", "message": str(exc), "location": ""}})
            continue
        op = header.get("op")
        name = str(header.get("func", ""))
        oracles = [str(o) for o in header.get("oracles", [])]
        try:
            if op == "call":
                r = run_call(modules, name, values["args"], values["kwargs"], oracles, oracle)
                _reply(chan, {"op": "result", "ok": True, "warnings": r["warnings"],
                              "output": r["output"]},
                       {"value": r["value"], "args_after": r["args_after"],
                        "kwargs_after": r["kwargs_after"]})
            elif op == "many":
                results, warns, output = [], [], []
                for args in values["batch"]:
                    r = run_call(modules, name, tuple(args), {}, oracles, oracle)
                    results.append(r["value"])
                    warns += [w for w in r["warnings"] if w not in warns]
                    output.append(r["output"])
                _reply(chan, {"op": "result", "ok": True, "warnings": warns[:20],
                              "output": "".join(output)[:4096]},
                       {"value": results})
            elif op == "load":
                modules.module(str(header.get("file", "")))
                _reply(chan, {"op": "loaded", "ok": True})
            elif op == "ping":
                _reply(chan, {"op": "pong", "ok": True})
            else:
                raise failure("protocol", message=f"unknown request {str(op)[:20]!r}")
        except CallFailed as exc:
            _reply(chan, {"op": "result", "ok": False, "error": exc.report})


def _reply(chan: Channel, header: dict, values: dict | None = None) -> None:
    try:
        chan.send(header, values)
    except ProtocolError as exc:
        chan.send({"op": "result", "ok": False,
                   "error": {"kind": Kind.BAD_RESULT, "type": "", "message": str(exc), "location": ""}})
