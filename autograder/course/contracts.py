"""The contract of a trusted stand-in's arguments, as written in assignment.toml ``[stand_ins]``.

One argument's contract is:

- ``"S"`` (a capitalised name): an array of any shape; every argument named ``S`` has that same
  shape. A scalar (float, int, 0-d array) fits any such shape: it cannot amplify.
- ``"(N, C)"``: an array with exactly these dimensions; a name is one dimension, bound across
  arguments; a number is that size.
- ``"{P}"``: a dict of arrays; every ``{P}`` has the same keys with the same shapes.
- ``"int"``, ``"scalar"`` (a float, int or 0-d array), ``"any"`` (anything the wire carries).
- a list ``["S", "S"]``: a tuple or list of that many values, each with its own contract.

``autograder.sandbox.standin`` checks calls against them; this module only reads them.
"""

from __future__ import annotations

import re
from typing import Any

SHAPE = re.compile(r"[A-Z][A-Za-z0-9_]*")
DIMS = re.compile(r"\(\s*([A-Za-z0-9_]+(?:\s*,\s*[A-Za-z0-9_]+)*)?\s*,?\s*\)")
DICT = re.compile(r"\{\s*([A-Z][A-Za-z0-9_]*)\s*\}")
WORDS = ("int", "scalar", "any")


class ContractError(ValueError):
    """A contract in assignment.toml cannot be read (a grader misconfiguration)."""


def check_spec(spec: Any, where: str) -> None:
    """Raise ContractError unless ``spec`` is a contract of one argument (see the module's doc)."""
    if isinstance(spec, list):
        for s in spec:
            check_spec(s, where)
        return
    if not isinstance(spec, str) or not (spec in WORDS or SHAPE.fullmatch(spec) or DIMS.fullmatch(spec)
                                          or DICT.fullmatch(spec)):
        raise ContractError(f"{where}: {spec!r} is not a stand-in contract (\"S\", \"(N, C)\", \"{{P}}\", "
                            f"\"int\", \"scalar\", \"any\" or a list of them)")


def dims(spec: str) -> list[str]:
    """The dimensions of a ``"(N, C)"`` contract: ["N", "C"]."""
    return [d.strip() for d in (DIMS.fullmatch(spec)[1] or "").split(",") if d.strip()]
