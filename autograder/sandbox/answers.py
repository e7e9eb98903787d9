"""Stand-in answers remembered per grading process, by function and by the request's exact bytes.

The hidden tests' inputs are seeded, so every student whose code reaches a stand-in with the same
arguments asks the reference the same question; it is answered once per grading process and the
encoded answer (or the refusal) is sent again as it was. The key is a digest of the worker's
validated message, so only byte-identical requests share an answer; the answer is what the
reference returned, whoever asked, and it never leaves for another worker unless that worker
sent the same arguments. Bounded: at most ``ENTRIES`` answers and ``BYTES`` bytes of payloads;
once full, further answers are computed every time.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

ENTRIES = 4096
BYTES = 32 * 1024 * 1024


@dataclass(frozen=True)
class Encoded:
    """An answer as it goes on the wire: the value tree and its payloads (``protocol.encode_values``)."""

    tree: dict
    payloads: tuple[bytes, ...]


@dataclass(frozen=True)
class Refused:
    """A stand-in's refusal of a call (the student-facing reason, in the session's language)."""

    reason: str


def request_key(func: str, header: bytes, payloads: list[bytes]) -> bytes:
    """A digest of one oracle request as the worker framed it."""
    h = hashlib.blake2b(digest_size=20)
    h.update(func.encode())
    h.update(len(header).to_bytes(8, "little"))
    h.update(header)
    for p in payloads:
        h.update(len(p).to_bytes(8, "little"))
        h.update(p)
    return h.digest()


class Answers:
    """The remembered stand-in answers of one grading process (one assignment, one language)."""

    def __init__(self, entries: int = ENTRIES, size: int = BYTES):
        self.entries, self.size = entries, size
        self._known: dict[bytes, Encoded | Refused] = {}
        self._bytes = 0
        self.hits = 0

    def get(self, key: bytes) -> Encoded | Refused | None:
        found = self._known.get(key)
        if found is not None:
            self.hits += 1
        return found

    def put(self, key: bytes, answer: Encoded | Refused) -> None:
        cost = sum(len(p) for p in answer.payloads) if isinstance(answer, Encoded) else len(answer.reason)
        if len(self._known) < self.entries and self._bytes + cost <= self.size:
            self._known[key] = answer
            self._bytes += cost
