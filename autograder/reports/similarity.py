"""Groups of submissions whose code is nearly the same, for a human to look at (never a penalty).

Code is compared after normalisation: comments, docstrings, string contents, layout and the names
a student chose are ignored (each such name becomes v0, v1, ... in order of first use in its
function); keywords,
operators, numbers, builtins and attribute names (``np.exp`` vs ``np.log``) are kept. A submission's
fingerprint is its set of k-grams of normalised tokens (as MOSS does, without winnowing).

Everyone starts from the same stubs, and correct code converges on the same few lines, so what is
compared is each submission's *own* code: its k-grams minus those of the stubs and of the solution
(the baseline). A submission identical to the stubs or to the solution has no own code and is never
paired. The similarity of a pair is the Jaccard index of their own k-grams.

Scale (20,000 students in well under a minute): k-grams are 64-bit hashes; a file's hashes are
cached by the hash of its bytes (``FingerprintCache``), so a rerun normalises only new files;
submissions with identical own code are compared once; candidate pairs come from an inverted
index on each own set's *rarest* k-grams (prefix filtering: ordered by how many submissions have
them, a set's first |A| - ceil(t|A|) + 1 k-grams must meet the other's for a Jaccard index >= t,
so no pair above the threshold is missed and common code never makes candidates), with the size
filter t|A| <= |B| <= |A|/t; only candidates get an exact score. Pairs above the threshold are
joined into groups (union-find), and the report lists the largest groups, capped.
Chosen over MinHash LSH (datasketch): exact (LSH misses pairs with some probability and
approximates the score), deterministic, and no dependency.
"""

from __future__ import annotations

import ast
import builtins
import hashlib
import io
import keyword
import tokenize
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np

K = 5  # tokens per k-gram: short enough that a changed line changes a few k-grams only
THRESHOLD = 0.9  # list pairs whose own code is at least this similar
MIN_OWN = 8  # own k-grams each submission of a pair needs (a few tokens in common prove nothing)
MAX_GROUPS = 50  # groups listed in the report (the largest, then the most similar)
VERSION = b"similarity-v2"  # of the normalisation and hashing: part of every cache key
_KEEP = frozenset(dir(builtins)) | {"self"}
_SKIP = (tokenize.COMMENT, tokenize.NL, tokenize.ENCODING, tokenize.ENDMARKER)
_FSTRING = tuple(getattr(tokenize, n) for n in ("FSTRING_START", "FSTRING_MIDDLE", "FSTRING_END")
                 if hasattr(tokenize, n))  # Python 3.12+


@dataclass(frozen=True)
class SimilarPair:
    a: str
    b: str
    similarity: float  # Jaccard index of their own k-grams
    shared: int  # own k-grams they have in common
    same_files: tuple[str, ...]  # files whose normalised code is identical (and not the baseline's)


@dataclass(frozen=True)
class SimilarGroup:
    """Submissions joined by pairs at least ``threshold`` similar (a pair's members may be linked
    through others)."""

    members: tuple[str, ...]  # sorted
    similarity: float  # of the group's most similar pair
    lowest: float  # of the weakest link that joins it
    shared: int  # own k-grams the most similar pair has in common
    same_files: tuple[str, ...]  # files whose normalised code all members share (not the baseline's)


@dataclass(frozen=True)
class Similarity:
    """What the report shows: the first ``MAX_GROUPS`` groups and how many there are."""

    groups: tuple[SimilarGroup, ...]
    total_groups: int
    grouped: int  # students in any group
    compared: int  # submissions with enough own code to compare
    candidates: int  # pairs scored exactly (the rest were ruled out by the index)


_DEFS = (ast.Module, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)


def _strip_docstrings(tree: ast.AST) -> ast.AST:
    """Drop the docstring of the module and of every function and class (an emptied body: pass)."""
    for node in ast.walk(tree):
        if isinstance(node, _DEFS):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant) \
                    and isinstance(body[0].value.value, str):
                node.body = body[1:] or [ast.Pass()]
    return tree


def normalise(source: str, parse: bool = True) -> tuple[str, ...]:
    """The tokens of ``source`` with comments, docstrings, strings, layout and chosen names ignored.

    ``parse``: first parse and unparse it (which also evens out parentheses and number spellings);
    source that does not parse is tokenised as it is, up to where tokenising fails.
    """
    text = source
    if parse:
        try:
            text = ast.unparse(_strip_docstrings(ast.parse(source)))
        except (SyntaxError, ValueError, RecursionError):
            pass
    names: dict[str, str] = {}
    out: list[str] = []
    prev = ""
    try:
        for tok in tokenize.generate_tokens(io.StringIO(text).readline):
            if tok.type in _SKIP:
                continue
            if tok.string in ("def", "class"):
                names = {}  # names count from v0 in each function: renaming one of them changes nothing
            if tok.type == tokenize.NAME and not keyword.iskeyword(tok.string) \
                    and not keyword.issoftkeyword(tok.string) and tok.string not in _KEEP and prev != ".":
                s = names.setdefault(tok.string, f"v{len(names)}")
            elif tok.type == tokenize.STRING or tok.type in _FSTRING:
                s = "S"
            elif tok.type == tokenize.NEWLINE:
                s = ";"
            elif tok.type == tokenize.INDENT:
                s = "{"
            elif tok.type == tokenize.DEDENT:
                s = "}"
            else:
                s = tok.string
            prev = tok.string
            if s == "S" and out and out[-1] == "S":
                continue  # "a" "b" and the parts of an f-string: one string
            if s == ";" and out and out[-1] == "S" and (len(out) == 1 or out[-2] in (";", "{", "}")):
                out.pop()  # a string on its own (a docstring): dropped
                continue
            out.append(s)
    except (tokenize.TokenError, IndentationError, SyntaxError):
        pass
    return tuple(out)


def kgrams(tokens: tuple[str, ...], k: int = K) -> frozenset[tuple[str, ...]]:
    if len(tokens) < k:
        return frozenset([tokens]) if tokens else frozenset()
    return frozenset(tokens[i:i + k] for i in range(len(tokens) - k + 1))


def jaccard(a: frozenset, b: frozenset) -> float:
    union = len(a | b)
    return len(a & b) / union if union else 0.0


def _decode(data: bytes | str) -> str:
    return data if isinstance(data, str) else data.decode("utf-8", errors="replace")


# ---------------------------------------------------------------- fingerprints: hashed k-grams

_TOKEN_IDS: dict[str, int] = {}
_MULT = np.uint64(0x100000001B3)  # FNV prime: k-gram hash = sum of token id * MULT^position


def _token_id(tok: str) -> int:
    tid = _TOKEN_IDS.get(tok)
    if tid is None:
        tid = int.from_bytes(hashlib.blake2b(tok.encode(), digest_size=8).digest(), "little")
        if len(_TOKEN_IDS) < 1 << 16:  # names are v0, v1 ...: the vocabulary stays small
            _TOKEN_IDS[tok] = tid
    return tid


def hashed_kgrams(tokens: tuple[str, ...], k: int = K) -> np.ndarray:
    """The k-grams of ``tokens`` as sorted, unique 64-bit hashes (one per k-gram; a sequence
    shorter than k is one k-gram of its own length, as in ``kgrams``)."""
    if not tokens:
        return np.zeros(0, dtype=np.uint64)
    ids = np.fromiter((_token_id(t) for t in tokens), dtype=np.uint64, count=len(tokens))
    n = max(1, len(ids) - k + 1)
    h = np.full(n, np.uint64(min(k, len(ids))), dtype=np.uint64)  # the length: short != long
    with np.errstate(over="ignore"):
        for j in range(min(k, len(ids))):
            h = h * _MULT + ids[j:j + n]
    return np.unique(h)


@dataclass(frozen=True)
class FileFingerprint:
    code: bytes  # digest of the normalised tokens: equal for files identical up to normalisation
    grams: np.ndarray  # sorted unique uint64 hashes of its k-grams


def fingerprint_tokens(tokens: tuple[str, ...]) -> FileFingerprint:
    code = hashlib.blake2b("\x1f".join(tokens).encode(), digest_size=16).digest()
    return FileFingerprint(code, hashed_kgrams(tokens))


class FingerprintCache:
    """File fingerprints by the hash of the file's bytes, kept in memory and, when ``path`` is
    given, in one file between runs (a rerun normalises only files it has not seen)."""

    def __init__(self, path: Path | None = None):
        self.path = Path(path) if path is not None else None
        self.items: dict[bytes, FileFingerprint] = {}
        self.added = 0
        if self.path is not None and self.path.is_file():
            self._load()

    def get(self, data: bytes | str, parse: bool = True) -> FileFingerprint:
        raw = data.encode() if isinstance(data, str) else bytes(data)
        key = hashlib.blake2b(VERSION + (b"p" if parse else b"u") + raw, digest_size=16).digest()
        fp = self.items.get(key)
        if fp is None:
            fp = fingerprint_tokens(normalise(_decode(data), parse))
            self.items[key] = fp
            self.added += 1
        return fp

    def _load(self) -> None:
        try:
            with np.load(self.path, allow_pickle=False) as z:
                keys, codes, offsets, grams = z["keys"], z["codes"], z["offsets"], z["grams"]
        except (OSError, ValueError, KeyError):
            return  # a damaged cache is rebuilt
        for i, key in enumerate(keys):
            self.items[key.tobytes()] = FileFingerprint(codes[i].tobytes(), grams[offsets[i]:offsets[i + 1]])

    def save(self) -> None:
        """Write the cache (atomically) when it learnt something."""
        if self.path is None or not self.added:
            return
        keys = list(self.items)
        fps = [self.items[k] for k in keys]
        offsets = np.zeros(len(fps) + 1, dtype=np.int64)
        np.cumsum([len(f.grams) for f in fps], out=offsets[1:])
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_name(self.path.name + ".tmp.npz")
        np.savez(tmp, keys=np.array(keys, dtype="S16").view(np.uint8).reshape(-1, 16) if keys else
                 np.zeros((0, 16), np.uint8),
                 codes=np.array([f.code for f in fps], dtype="S16").view(np.uint8).reshape(-1, 16) if fps else
                 np.zeros((0, 16), np.uint8),
                 offsets=offsets,
                 grams=np.concatenate([f.grams for f in fps]) if fps else np.zeros(0, np.uint64))
        tmp.replace(self.path)
        self.added = 0


# ---------------------------------------------------------------- own code, candidates, scores


@dataclass(frozen=True)
class _Own:
    grams: np.ndarray  # own k-gram hashes, sorted and unique
    files: dict  # file name -> normalised-code digest (only files not in the baseline)


Submissions = Mapping[str, Mapping[str, bytes | str]] | Iterable[tuple[str, Mapping[str, bytes | str]]]


def own_code(submissions: Submissions, baseline: Iterable[Mapping[str, bytes | str]] = (),
             min_own: int = MIN_OWN, cache: FingerprintCache | None = None) -> dict[str, _Own]:
    """Each submission's own k-grams (those not in the baseline), for those with at least
    ``min_own`` of them. ``submissions``: student id -> file name -> content, or an iterable of
    (student id, files) pairs, read one student at a time (only own k-grams are kept)."""
    cache = cache if cache is not None else FingerprintCache()
    base = _baseline([(name, cache.get(data, parse)) for files in baseline for name, data in files.items()
                      for parse in (True, False)])  # a student file that does not parse is compared unparsed
    pairs = submissions.items() if isinstance(submissions, Mapping) else submissions
    out = {}
    for sid, files in pairs:
        own = _own(base, {name: cache.get(data) for name, data in sorted(files.items())}, min_own)
        if own is not None:
            out[sid] = own
    return out


def _baseline(baseline: Iterable[tuple[str, FileFingerprint]]) -> tuple[np.ndarray, dict[str, set[bytes]]]:
    """(every k-gram of the baseline, sorted; file name -> normalised-code digests of its files)."""
    base_parts, base_files = [np.zeros(0, np.uint64)], {}
    for name, fp in baseline:
        base_parts.append(fp.grams)
        base_files.setdefault(name, set()).add(fp.code)
    return np.unique(np.concatenate(base_parts)), base_files


def _own(base: tuple[np.ndarray, dict[str, set[bytes]]], fps: Mapping[str, FileFingerprint],
         min_own: int) -> _Own | None:
    grams_base, base_files = base
    parts = [f.grams for f in fps.values()]
    grams = (parts[0] if len(parts) == 1 else np.unique(np.concatenate(parts))) if parts else grams_base[:0]
    if len(grams_base):
        at = np.searchsorted(grams_base, grams).clip(max=len(grams_base) - 1)
        grams = grams[grams_base[at] != grams]
    if len(grams) < min_own:
        return None
    return _Own(grams, {n: f.code for n, f in fps.items() if f.code not in base_files.get(n, ())})


def own_of_fingerprints(submissions: Mapping[str, Mapping[str, FileFingerprint]],
                        baseline: Iterable[tuple[str, FileFingerprint]] = (),
                        min_own: int = MIN_OWN) -> dict[str, _Own]:
    """``own_code`` on fingerprints already made (student id -> file name -> fingerprint;
    the baseline as (file name, fingerprint) pairs)."""
    base = _baseline(baseline)
    out = {}
    for sid, fps in submissions.items():
        own = _own(base, fps, min_own)
        if own is not None:
            out[sid] = own
    return out


def _edges(own: Mapping[str, _Own], threshold: float) -> tuple[list, dict, int]:
    """(pairs of distinct own sets at least ``threshold`` similar as (i, j, similarity, shared),
    the submissions of each distinct set, candidates scored)."""
    index: dict[bytes, int] = {}
    arrays: list[np.ndarray] = []
    members: dict[int, list[str]] = {}
    for sid in sorted(own):
        g = own[sid].grams
        i = index.setdefault(g.tobytes(), len(arrays))
        if i == len(arrays):
            arrays.append(g)
            members[i] = []
        members[i].append(sid)
    if len(arrays) < 2:
        return [], members, 0
    sizes = np.array([len(a) for a in arrays])
    owner = np.repeat(np.arange(len(arrays)), sizes)
    grams = np.concatenate(arrays)
    # df of each k-gram; most are one submission's alone (df 1): they make no candidate
    order = np.argsort(grams, kind="stable")
    ordered = grams[order]
    starts = np.flatnonzero(np.concatenate(([True], ordered[1:] != ordered[:-1])))
    runs = np.diff(np.append(starts, len(ordered)))
    df = np.empty(len(grams), dtype=np.int64)
    df[order] = np.repeat(runs, runs)
    shared = df > 1
    rare = sizes - np.bincount(owner, weights=shared, minlength=len(arrays)).astype(np.int64)
    prefix = sizes - np.ceil(threshold * sizes - 1e-6).astype(np.int64) + 1
    # The prefix of a set: its p rarest k-grams (by df, then value). A set with at least p k-grams of
    # df 1 has a prefix no other set meets: it has no partner. Otherwise its prefix ends with the
    # (p - rare) rarest of its shared k-grams, which index the candidates.
    need = np.maximum(prefix - rare, 0)
    pick = shared & (need[owner] > 0)
    owner, g, df = owner[pick], grams[pick], df[pick]
    order = np.lexsort((g, df, owner))
    owner, g = owner[order], g[order]
    first = np.flatnonzero(np.concatenate(([True], owner[1:] != owner[:-1]))) if len(owner) else owner
    pos = np.arange(len(owner)) - np.repeat(first, np.diff(np.append(first, len(owner))))
    keep = pos < need[owner]
    owner, g = owner[keep], g[keep]
    order = np.lexsort((owner, g))
    owner, r = owner[order], g[order]
    sizes = sizes.tolist()
    starts = np.flatnonzero(np.concatenate(([True], r[1:] != r[:-1]))) if len(r) else np.zeros(0, int)
    lengths = np.diff(np.append(starts, len(r)))
    candidates: set[tuple[int, int]] = set()
    for start, n in zip(starts[lengths > 1].tolist(), lengths[lengths > 1].tolist(), strict=True):
        bucket = sorted(owner[start:start + n].tolist(), key=lambda i: (sizes[i], i))
        for x in range(n):
            i = bucket[x]
            lo = threshold * sizes[i] - 1e-9
            for y in range(x):  # smaller or equal sets; size filter |B| >= t|A|
                j = bucket[y]
                if sizes[j] >= lo:
                    candidates.add((j, i) if j < i else (i, j))
    edges = []
    for i, j in sorted(candidates):
        shared = int(np.intersect1d(arrays[i], arrays[j], assume_unique=True).size)
        sim = shared / (int(sizes[i]) + int(sizes[j]) - shared)
        if sim >= threshold:
            edges.append((i, j, sim, shared))
    return edges, members, len(candidates)


def _same_files(own: Mapping[str, _Own], sids: Iterable[str]) -> tuple[str, ...]:
    sids = list(sids)
    first = own[sids[0]].files
    return tuple(n for n, code in first.items() if all(own[s].files.get(n) == code for s in sids[1:]))


def similar_pairs(submissions: Submissions,
                  baseline: Iterable[Mapping[str, bytes | str]] = (),
                  threshold: float = THRESHOLD, min_own: int = MIN_OWN,
                  cache: FingerprintCache | None = None) -> tuple[SimilarPair, ...]:
    """Pairs of ``submissions`` (student id -> file name -> content) whose own code is at least
    ``threshold`` similar, most similar first. ``baseline``: the stubs, the solution (same shape
    as one submission); what they contain is nobody's own code.
    """
    own = own_code(submissions, baseline, min_own, cache)
    edges, members, _n = _edges(own, threshold)
    pairs = []

    def pair(a: str, b: str, sim: float, shared: int) -> None:
        a, b = min(a, b), max(a, b)
        pairs.append(SimilarPair(a, b, sim, shared, _same_files(own, (a, b))))

    for sids in members.values():  # identical own code
        for x in range(len(sids)):
            for y in range(x + 1, len(sids)):
                pair(sids[x], sids[y], 1.0, len(own[sids[x]].grams))
    for i, j, sim, shared in edges:
        for a in members[i]:
            for b in members[j]:
                pair(a, b, sim, shared)
    return tuple(sorted(pairs, key=lambda p: (-p.similarity, -p.shared, p.a, p.b)))


def similar_groups(submissions: Submissions,
                   baseline: Iterable[Mapping[str, bytes | str]] = (),
                   threshold: float = THRESHOLD, min_own: int = MIN_OWN, max_groups: int = MAX_GROUPS,
                   cache: FingerprintCache | None = None) -> Similarity:
    """Groups of submissions joined by pairs whose own code is at least ``threshold`` similar
    (union-find), the largest first, then the most similar; the first ``max_groups`` of them."""
    own = own_code(submissions, baseline, min_own, cache)
    return groups_of(own, threshold, max_groups)


def groups_of(own: Mapping[str, _Own], threshold: float = THRESHOLD,
              max_groups: int = MAX_GROUPS) -> Similarity:
    """``similar_groups`` on own code already computed (``own_code``)."""
    edges, members, n_candidates = _edges(own, threshold)
    parent = list(range(len(members)))

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for i, j, _sim, _shared in edges:
        ri, rj = find(i), find(j)
        if ri != rj:
            parent[max(ri, rj)] = min(ri, rj)
    best: dict[int, tuple[float, int]] = {}
    lowest: dict[int, float] = {}
    links = [(i, j, sim, shared) for i, j, sim, shared in edges]
    links += [(i, i, 1.0, len(own[sids[0]].grams)) for i, sids in members.items() if len(sids) > 1]
    for i, _j, sim, shared in links:  # identical own code is a link of similarity 1
        r = find(i)
        best[r] = max(best.get(r, (0.0, 0)), (sim, shared))
        lowest[r] = min(lowest.get(r, 1.0), sim)
    comps: dict[int, list[str]] = {}
    for i, sids in members.items():
        comps.setdefault(find(i), []).extend(sids)
    groups = []
    for r, sids in comps.items():
        if len(sids) < 2:
            continue
        sids.sort()
        sim, shared = best[r]
        groups.append(SimilarGroup(tuple(sids), sim, lowest[r], shared, _same_files(own, sids)))
    groups.sort(key=lambda g: (-len(g.members), -g.similarity, -g.shared, g.members))
    return Similarity(tuple(groups[:max_groups]), len(groups), sum(len(g.members) for g in groups),
                      len(own), n_candidates)
