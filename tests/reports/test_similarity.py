"""Similarity of submissions: renames, comments and layout are ignored; different logic is not."""

from __future__ import annotations

import itertools
import random

from autograder.reports.similarity import (
    MIN_OWN,
    THRESHOLD,
    FingerprintCache,
    jaccard,
    kgrams,
    normalise,
    similar_groups,
    similar_pairs,
)

STUB = '''
import numpy as np


def sigmoid(x):
    """sigma(x) = 1 / (1 + e^-x), elementwise; any shape."""
    raise NotImplementedError


def mul_backward(dout, cache):
    """dx = dout * y, dy = dout * x."""
    raise NotImplementedError
'''

SOLUTION = '''
import numpy as np


def sigmoid(x):
    """sigma(x) = 1 / (1 + e^-x), elementwise; any shape."""
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1 / (1 + e), e / (1 + e))


def mul_backward(dout, cache):
    """dx = dout * y, dy = dout * x."""
    x, y = cache
    return dout * y, dout * x
'''

# One student's own way of writing it ...
ALICE = '''
import numpy as np


def sigmoid(x):
    out = np.empty_like(x, dtype=float)
    pos = x >= 0
    out[pos] = 1.0 / (1.0 + np.exp(-x[pos]))
    ez = np.exp(x[~pos])
    out[~pos] = ez / (1.0 + ez)
    return out


def mul_backward(dout, cache):
    x, y = cache
    dx = dout * y
    dy = dout * x
    return dx, dy
'''

# ... copied with every name changed, comments and a docstring added, and the layout redone.
ALICE_RENAMED = '''
import numpy as np

# my own work!!
def sigmoid(z):
    """Numerically stable sigmoid."""
    result = np.empty_like(z, dtype=float)   # allocate
    mask = (z >= 0)
    result[mask] = 1.0 / (1.0 + np.exp(-z[mask]))
    expz = np.exp(z[~mask])
    result[~mask] = expz / (1.0 + expz)
    return result


def mul_backward(upstream, saved):
    a, b = saved
    grad_a = upstream * b
    grad_b = upstream * a
    return grad_a, grad_b
'''

# Someone else, with the same structure but different logic.
BOB = '''
import numpy as np


def sigmoid(x):
    out = np.zeros_like(x, dtype=float)
    neg = x < 0
    out[neg] = np.exp(x[neg]) / (np.exp(x[neg]) + 1.0)
    out[~neg] = 1.0 / (np.exp(-x[~neg]) + 1.0)
    return out


def mul_backward(dout, cache):
    x, y = cache
    return dout * x, dout * y
'''


def files(text: str) -> dict[str, str]:
    return {"student.py": text}


def test_renames_comments_docstrings_and_layout_are_ignored():
    assert normalise(ALICE) == normalise(ALICE_RENAMED)
    assert normalise("def f(a, b):\n    \'\'\'doc\'\'\'\n    return (a + b)  # sum\n") == \
        normalise("def g(x,y): return x+y\n")
    # names count per function: renaming a parameter in one function only changes nothing
    assert normalise("def f(x):\n    return x\ndef g(x):\n    return -x\n") == \
        normalise("def f(x):\n    return x\ndef g(y):\n    return -y\n")


def test_different_logic_is_not_ignored():
    assert normalise("def f(x, y):\n    return x * y\n") != normalise("def f(x, y):\n    return x + y\n")
    assert normalise("def f(x, y):\n    return x * y\n") != normalise("def f(x, y):\n    return y * y\n")
    assert normalise("def f(x):\n    return np.exp(x)\n") != normalise("def f(x):\n    return np.log(x)\n")
    assert normalise("def f(x):\n    return max(x, 0)\n") != normalise("def f(x):\n    return min(x, 0)\n")
    assert normalise("def f(x):\n    return x[1:]\n") != normalise("def f(x):\n    return x[2:]\n")


def test_code_that_does_not_parse_is_still_compared():
    broken = "def f(x:\n    return x * 2\n"
    assert normalise(broken)  # the tokens up to where tokenising stops
    assert normalise(broken) == normalise(broken.replace("x", "y"))


def test_kgrams_and_jaccard():
    assert kgrams(("a", "b", "c"), 2) == {("a", "b"), ("b", "c")}
    assert kgrams(("a",), 3) == {("a",)}
    assert jaccard(frozenset({1, 2}), frozenset({2, 3})) == 1 / 3
    assert jaccard(frozenset(), frozenset()) == 0.0


def test_a_renamed_copy_is_found_and_independent_work_is_not():
    subs = {"alice": files(ALICE), "zed": files(ALICE_RENAMED), "bob": files(BOB)}
    pairs = similar_pairs(subs, [files(STUB), files(SOLUTION)])
    assert [(p.a, p.b) for p in pairs] == [("alice", "zed")]
    (p,) = pairs
    assert p.similarity == 1.0 and p.shared > 10 and p.same_files == ("student.py",)
    # Bob's code shares little of its own with Alice's
    bob_vs_alice = similar_pairs({"alice": files(ALICE), "bob": files(BOB)}, [files(STUB)], threshold=0.0)
    assert bob_vs_alice[0].similarity < 0.5


def test_submissions_that_are_the_stubs_or_the_solution_are_not_paired():
    renamed = SOLUTION.replace("(x", "(inp").replace(" x", " inp").replace("x,", "inp,")
    subs = {"s1": files(STUB), "s2": files(STUB), "s3": files(SOLUTION), "s4": files(renamed),
            "s5": files(SOLUTION + "\n# done\n")}
    assert similar_pairs(subs, [files(STUB), files(SOLUTION)]) == ()
    # without the baseline they would be
    assert len(similar_pairs(subs, [])) >= 4


def test_pairs_are_ranked_most_similar_first():
    nearly = ALICE.replace("return dx, dy", "return dx, dy + 0")
    subs = {"a": files(ALICE), "b": files(ALICE_RENAMED), "c": files(nearly)}
    pairs = similar_pairs(subs, [files(STUB)], threshold=0.5)
    assert [p.similarity for p in pairs] == sorted((p.similarity for p in pairs), reverse=True)
    assert (pairs[0].a, pairs[0].b, pairs[0].similarity) == ("a", "b", 1.0)
    assert all(p.similarity < 1.0 for p in pairs[1:]) and len(pairs) == 3


# ---------------------------------------------------------------- at scale: candidates, groups, cache


def brute_force_pairs(subs, baseline, threshold=THRESHOLD, min_own=MIN_OWN):
    """Every pair scored, on k-grams as tuples (the definition the fast path must reproduce)."""
    base = set()
    for fs in baseline:
        for data in fs.values():
            for parse in (True, False):
                base |= kgrams(normalise(data, parse))
    own = {}
    for sid, fs in subs.items():
        grams = frozenset().union(*(kgrams(normalise(d)) for d in fs.values())) - base
        if len(grams) >= min_own:
            own[sid] = grams
    out = set()
    for a, b in itertools.combinations(sorted(own), 2):
        sim = jaccard(own[a], own[b])
        if sim >= threshold:
            out.add((a, b, round(sim, 12), len(own[a] & own[b])))
    return out


def synthetic_class(n: int, seed: int) -> dict[str, dict[str, str]]:
    """Students who pick, per function, one of a few ways to write it, some with an extra line;
    many end up with the same or nearly the same code."""
    rng = random.Random(seed)
    ways = [
        ["    out = np.empty_like(x)\n    out[x >= 0] = 1 / (1 + np.exp(-x[x >= 0]))\n"
         "    out[x < 0] = np.exp(x[x < 0]) / (1 + np.exp(x[x < 0]))\n    return out\n",
         "    e = np.exp(-np.abs(x))\n    return np.where(x >= 0, 1 / (1 + e), e / (1 + e))\n",
         "    return 0.5 * (1 + np.tanh(x / 2))\n"],
        ["    x, y = cache\n    return dout * y, dout * x\n",
         "    a, b = cache\n    da = b * dout\n    db = a * dout\n    return da, db\n",
         "    return dout * cache[1], dout * cache[0]\n"],
    ]
    extras = ["", "    tmp = len(x.shape) + 1\n", "    assert x is not None\n", "    z = x.sum() * 0\n"]
    subs = {}
    for i in range(n):
        text = "import numpy as np\n\n"
        for f, options in zip(("sigmoid(x)", "mul_backward(dout, cache)"), ways, strict=True):
            body = rng.choice(options)
            extra = rng.choice(extras) if f.startswith("sigmoid") else ""
            text += f"def {f}:\n{extra}{body}\n"
        subs[f"s{i:03d}"] = {"student.py": text}
    return subs


def test_the_candidate_index_finds_exactly_the_pairs_scoring_every_pair_finds():
    for seed, threshold in ((1, THRESHOLD), (2, 0.7), (3, 0.5), (4, 0.95)):
        subs = synthetic_class(60, seed)
        fast = {(p.a, p.b, round(p.similarity, 12), p.shared)
                for p in similar_pairs(subs, [files(STUB)], threshold=threshold)}
        assert fast == brute_force_pairs(subs, [files(STUB)], threshold), (seed, threshold)
        assert fast  # the synthetic class does have similar pairs


def test_groups_join_pairs_through_shared_members_and_are_capped():
    subs = synthetic_class(80, 5)
    pairs = similar_pairs(subs, [files(STUB)])
    sim = similar_groups(subs, [files(STUB)])
    # every pair is inside one group; every group member is in some pair
    where = {sid: g for g in sim.groups for sid in g.members}
    assert sim.total_groups == len(sim.groups) and sim.total_groups > 1
    for p in pairs:
        assert where[p.a] is where[p.b]
    assert {s for g in sim.groups for s in g.members} == {s for p in pairs for s in (p.a, p.b)}
    assert sim.grouped == len(where)
    assert [len(g.members) for g in sim.groups] == sorted((len(g.members) for g in sim.groups), reverse=True)
    for g in sim.groups:
        assert g.lowest <= g.similarity and g.lowest >= THRESHOLD
    capped = similar_groups(subs, [files(STUB)], max_groups=2)
    assert capped.groups == sim.groups[:2] and capped.total_groups == sim.total_groups
    assert sim.candidates < len(sim.groups[0].members) ** 2 * 10  # not every pair of 80


def test_a_chain_of_near_copies_is_one_group():
    chain = {"a": files(ALICE), "b": files(ALICE_RENAMED), "c": files(BOB)}
    sim = similar_groups(chain, [files(STUB), files(SOLUTION)])
    assert [g.members for g in sim.groups] == [("a", "b")]
    assert sim.groups[0].same_files == ("student.py",) and sim.groups[0].similarity == 1.0


def test_fingerprints_are_cached_by_the_bytes_of_each_file(tmp_path):
    path = tmp_path / "fingerprints.npz"
    subs = synthetic_class(30, 6)
    cache = FingerprintCache(path)
    first = similar_pairs(subs, [files(STUB)], cache=cache)
    assert cache.added > 0
    cache.save()
    again = FingerprintCache(path)
    assert len(again.items) == len(cache.items)
    assert similar_pairs(subs, [files(STUB)], cache=again) == first
    assert again.added == 0  # nothing normalised twice
    path.write_bytes(b"not a cache")
    assert similar_pairs(subs, [files(STUB)], cache=FingerprintCache(path)) == first
