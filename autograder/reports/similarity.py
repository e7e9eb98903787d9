"""Pairs of submissions whose code is nearly the same, for a human to look at (never a penalty).

Code is compared after normalisation: comments, docstrings, string contents, layout and the names
a student chose are ignored (each such name becomes v0, v1, ... in order of first use in its
function); keywords,
operators, numbers, builtins and attribute names (``np.exp`` vs ``np.log``) are kept. A submission's
fingerprint is its set of k-grams of normalised tokens (as MOSS does, without winnowing).

Everyone starts from the same stubs, and correct code converges on the same few lines, so what is
compared is each submission's *own* code: its k-grams minus those of the stubs and of the solution
(the baseline). A submission identical to the stubs or to the solution has no own code and is never
paired. The similarity of a pair is the Jaccard index of their own k-grams.
"""

from __future__ import annotations

import ast
import builtins
import io
import itertools
import keyword
import tokenize
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

K = 5  # tokens per k-gram: short enough that a changed line changes a few k-grams only
THRESHOLD = 0.9  # list pairs whose own code is at least this similar
MIN_OWN = 8  # own k-grams each submission of a pair needs (a few tokens in common prove nothing)
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


class _StripDocstrings(ast.NodeTransformer):
    def _strip(self, node):
        self.generic_visit(node)
        body = node.body
        if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant) \
                and isinstance(body[0].value.value, str):
            node.body = body[1:] or [ast.Pass()]
        return node

    visit_Module = visit_FunctionDef = visit_AsyncFunctionDef = visit_ClassDef = _strip


def normalise(source: str, parse: bool = True) -> tuple[str, ...]:
    """The tokens of ``source`` with comments, docstrings, strings, layout and chosen names ignored.

    ``parse``: first parse and unparse it (which also evens out parentheses and number spellings);
    source that does not parse is tokenised as it is, up to where tokenising fails.
    """
    text = source
    if parse:
        try:
            text = ast.unparse(_StripDocstrings().visit(ast.parse(source)))
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


def similar_pairs(submissions: Mapping[str, Mapping[str, bytes | str]],
                  baseline: Iterable[Mapping[str, bytes | str]] = (),
                  threshold: float = THRESHOLD, min_own: int = MIN_OWN) -> tuple[SimilarPair, ...]:
    """Pairs of ``submissions`` (student id -> file name -> content) whose own code is at least
    ``threshold`` similar, most similar first. ``baseline``: the stubs, the solution (same shape
    as one submission); what they contain is nobody's own code.
    """
    base: set = set()
    base_files: dict[str, set[tuple[str, ...]]] = {}
    for files in baseline:
        for name, data in files.items():
            for parse in (True, False):  # a student file that does not parse is compared unparsed
                tokens = normalise(_decode(data), parse)
                base |= kgrams(tokens)
                base_files.setdefault(name, set()).add(tokens)
    own: dict[str, frozenset] = {}
    norm: dict[str, dict[str, tuple[str, ...]]] = {}
    for sid, files in submissions.items():
        norm[sid] = {name: normalise(_decode(data)) for name, data in sorted(files.items())}
        grams = frozenset().union(*(kgrams(t) for t in norm[sid].values()))
        mine = grams - base
        if len(mine) >= min_own:
            own[sid] = mine
    pairs = []
    for a, b in itertools.combinations(sorted(own), 2):
        sim = jaccard(own[a], own[b])
        if sim >= threshold:
            same = tuple(f for f in norm[a] if f in norm[b] and norm[a][f] == norm[b][f]
                         and norm[a][f] not in base_files.get(f, ()))
            pairs.append(SimilarPair(a, b, sim, len(own[a] & own[b]), same))
    return tuple(sorted(pairs, key=lambda p: (-p.similarity, -p.shared, p.a, p.b)))
