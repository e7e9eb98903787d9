"""Similarity and the class report at 2,000 and 20,000 students (part of `make bench`).

- 2,000: real Python files through the whole report (normalising, fingerprints, candidates, groups,
  statistics, HTML): the solution with a few random lines of each student's own in every function,
  and one student in twenty a near copy of an earlier one; timed with the fingerprint cache cold
  (a first run) and warm (a rerun).
- 20,000: the similarity module called directly on synthetic *normalised* code (token sequences:
  normalising 80,000 Python files is what the cache saves a rerun, ~6 ms a submission on a first
  run), with the same mix of own work, untouched stubs and near copies.
"""

from __future__ import annotations

import random
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from autograder.author.markers import solution_files  # noqa: E402
from autograder.course.assignment import find_assignment  # noqa: E402

OWN_LINES = ["    _t{k} = {a} * {b} + {c}\n", "    _u{k} = ({a} - {b}) / ({c} + 1)\n",
             "    _w{k} = [{a} * i for i in range({b})]\n", "    _q{k} = max({a}, {b}) - min({c}, {a})\n"]


def own_code_class(n: int, seed: int = 0) -> dict[str, dict[str, str]]:
    """n students' files: the solution, each function with a few random lines of the student's own;
    every twentieth a near copy (one line changed) of an earlier student."""
    rng = random.Random(seed)
    base = solution_files(ROOT / "solutions" / "hw07")
    subs: dict[str, dict[str, str]] = {}
    for i in range(n):
        if i and rng.random() < 0.05:
            src = subs[rng.choice(list(subs))]
            files = dict(src)
            f = rng.choice(sorted(files))
            files[f] = files[f].replace("_t", "_tt", 1)
        else:
            files = {}
            for fname, text in base.items():
                lines = []
                for line in text.splitlines(keepends=True):
                    lines.append(line)
                    if line.startswith("def ") and line.rstrip().endswith(":") and rng.random() < 0.8:
                        for k in range(rng.randint(1, 3)):
                            lines.append(rng.choice(OWN_LINES).format(
                                k=k, a=rng.randint(1, 99), b=rng.randint(1, 99), c=rng.randint(1, 99)))
                files[fname] = "".join(lines)
        subs[f"s{i:05d}"] = files
    return subs


def report_2000(n: int = 2000) -> tuple[float, float, int, int]:
    """(seconds cold, seconds warm, groups, candidates) of write_class_report on n students."""
    from autograder.course import i18n
    from autograder.course.results import SubmissionResult, TestResult, exercise_scores
    from autograder.reports import similarity
    from autograder.reports.class_report import write_class_report

    a, _secrets = find_assignment(ROOT, "hw07")
    subs = own_code_class(n)
    ex = [(e.id, e.core) for e in a.exercises]
    results = []
    for i, sid in enumerate(subs):  # each exercise's two tests passed or not, by the student's number
        tests = tuple(TestResult(nodeid=f"test_{e}.py::t{k}", name=f"{e}: t{k}", exercise=e, score=2.0 * ok,
                                 max_score=2.0, status="passed" if ok else "failed",
                                 feedback="" if ok else "wrong", kind="" if ok else "wrong", mistake="",
                                 visibility="visible")
                      for j, (e, _core) in enumerate(ex) for k in (1, 2)
                      for ok in [(i * 7 + j * 3 + k) % 5 != 0])
        results.append(SubmissionResult(student_id=sid, assignment="hw07", tests=tests,
                                        exercises=exercise_scores(tests, ex)))
    files = {sid: [(f, t.encode()) for f, t in fs.items()] for sid, fs in subs.items()}
    with tempfile.TemporaryDirectory(prefix="bench-report-") as out, i18n.language("en"):
        out = Path(out)
        t0 = time.perf_counter()
        write_class_report(out, results, a, files, ROOT)
        cold = time.perf_counter() - t0
        (out / ".class-files.key").unlink()  # rebuild it, with the fingerprints cached
        t0 = time.perf_counter()
        write_class_report(out, results, a, files, ROOT)
        warm = time.perf_counter() - t0
    sim = similarity.similar_groups({sid: {f: t for f, t in fs.items()} for sid, fs in subs.items()},
                                    [], max_groups=10**9)
    return cold, warm, sim.total_groups, sim.candidates


def similarity_20000(n: int = 20000, seed: int = 0) -> tuple[float, object]:
    """(seconds, Similarity) for n students of synthetic normalised code, fingerprints included."""
    from autograder.reports import similarity as S

    rng = random.Random(seed)
    vocab = [f"v{i}" for i in range(16)] + list("()[]:;=+-*/.,{}") + [
        "np", "exp", "sum", "max", "return", "def", "if", "for", "in", "1", "0", "2", "axis", "keepdims"]

    def code(k: int) -> tuple[str, ...]:
        return tuple(rng.choice(vocab) for _ in range(k))

    stubs = {f: code(150) for f in ("activations.py", "gates.py", "optim.py", "logreg.py")}
    originals: list[dict] = []
    subs: dict[str, dict[str, tuple[str, ...]]] = {}
    for i in range(n):
        r = rng.random()
        if originals and r < 0.05:  # a near copy of an earlier student
            files = dict(rng.choice(originals))
            f = rng.choice(sorted(files))
            t = list(files[f])
            k = rng.randrange(len(t))
            t[k:k + 3] = code(3)
            files[f] = tuple(t)
        elif r < 0.10:  # the stubs or the solution: no own code
            files = dict(stubs)
        else:
            files = {f: stubs[f][:60] + code(250) for f in stubs}
            if len(originals) < 2000:
                originals.append(files)
        subs[f"s{i:05d}"] = files
    t0 = time.perf_counter()
    fps = {sid: {f: S.fingerprint_tokens(t) for f, t in files.items()} for sid, files in subs.items()}
    base = [(f, S.fingerprint_tokens(t)) for f, t in stubs.items()]
    sim = S.groups_of(S.own_of_fingerprints(fps, base))
    return time.perf_counter() - t0, sim


def main(quick: bool = False) -> None:
    n = 500 if quick else 2000
    cold, warm, groups, cands = report_2000(n)
    print(f"class report with similarity, {n} students of real code: {cold:.1f} s first run, "
          f"{warm:.1f} s with the fingerprints cached ({groups} groups, {cands} candidate pairs scored "
          f"of {n * (n - 1) // 2:,})")
    big = 2000 if quick else 20000
    dt, sim = similarity_20000(big)
    print(f"similarity, {big:,} students of synthetic normalised code (module called directly): "
          f"{dt:.1f} s (target <= 60 s at 20,000); {sim.compared:,} compared, {sim.candidates:,} "
          f"candidate pairs of {sim.compared * (sim.compared - 1) // 2:,}, {sim.total_groups} groups "
          f"({sim.grouped} students), largest {len(sim.groups[0].members) if sim.groups else 0}")


if __name__ == "__main__":
    main("--quick" in sys.argv)
