"""`make demo`: a realistic class built from the solution and the mutant cases, graded end to end.

Each demo student is the solution with 0-3 realistic mistakes taken from the mutant submissions in
``tests/submissions/<case>/`` (one mutated file per case), plus a few broken submissions (a missing
file, a syntax error, untouched stubs). Seeded: the same class every run.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tomllib
from datetime import timedelta
from pathlib import Path

import numpy as np

from autograder.author.markers import solution_files


def _mutations(cases: Path, solution: dict[str, str]) -> list[tuple[str, str, str]]:
    """(case, file, text) for every mutant case that changes exactly one file of the solution."""
    found = []
    for case in sorted(p for p in cases.iterdir() if p.is_dir()):
        exp = case / "expected.toml"
        if not exp.is_file() or not tomllib.loads(exp.read_text(encoding="utf-8")).get("lose"):
            continue
        changed = [f for f in solution if (case / f).is_file()
                   and (case / f).read_text(encoding="utf-8") != solution[f]]
        missing = [f for f in solution if not (case / f).is_file()]
        if len(changed) == 1 and not missing:
            found.append((case.name, changed[0], (case / changed[0]).read_text(encoding="utf-8")))
    return found


def make_class(course: Path, name: str, cases: Path, dest: Path, n: int = 30, seed: int = 7) -> int:
    """Write ``n`` student folders into ``dest``; returns how many were written."""
    solution = solution_files(course / "solutions" / name)
    mutations = _mutations(cases, solution)
    if not mutations:
        raise SystemExit(f"no mutant cases found in {cases}")
    rng = np.random.default_rng(seed)
    if dest.exists():
        shutil.rmtree(dest)
    stubs = {f: (course / "assignments" / name / f).read_text(encoding="utf-8") for f in solution}
    for i in range(n):
        files = dict(solution)
        if i == n - 1:
            files = dict(stubs)  # handed in the stubs untouched
        elif i == n - 2:
            files.pop(sorted(files)[-1])  # forgot a file
        elif i == n - 3:
            first = sorted(files)[0]
            files[first] = files[first].replace("):", ")", 1)  # a syntax error
        else:
            k = int(rng.choice([0, 0, 1, 1, 1, 2, 3]))
            for j in rng.permutation(len(mutations))[:k]:
                _case, fname, text = mutations[int(j)]
                if files[fname] == solution[fname]:
                    files[fname] = text
        folder = dest / f"s{i + 1:03d}"
        folder.mkdir(parents=True)
        for fname, text in files.items():
            (folder / fname).write_text(text, encoding="utf-8")
    return n


def make_times(course: Path, name: str, subs: Path, dest: Path, seed: int = 7) -> Path | None:
    """The TA's submission times for the demo class (when the assignment has a late policy): most on
    time, some in the grace period, some 1-4 days late, a few unknown (no row). Seeded."""
    from autograder.course.assignment import load_assignment

    policy = load_assignment(course / "assignments" / name).late
    if policy is None:
        return None
    rng = np.random.default_rng(seed)
    rows = ["student_id,submitted_at"]
    for i, sid in enumerate(sorted(p.name for p in subs.iterdir())):
        if i % 12 == 11:
            continue  # no time known for this one: counted as on time
        if i % 10 == 3:
            delta = timedelta(minutes=int(rng.integers(1, 15)))  # within the grace period
        elif i % 10 in (5, 8):
            delta = timedelta(hours=float(rng.uniform(1, 96)))  # 1-4 days late
        else:
            delta = -timedelta(hours=float(rng.uniform(1, 120)))
        rows.append(f"{sid},{(policy.due + delta).isoformat(timespec='seconds')}")
    dest.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return dest


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m autograder.devtools.demo", description=__doc__)
    p.add_argument("--course", type=Path, default=Path("."))
    p.add_argument("--assignment", default="hw07")
    p.add_argument("--cases", type=Path, default=Path("tests/submissions"))
    p.add_argument("--out", type=Path, default=Path("reports/hw07"))
    p.add_argument("--students", type=int, default=30)
    args = p.parse_args(argv)

    from autograder.cli import main as cli_main

    subs = args.out / "submissions"
    make_class(args.course, args.assignment, args.cases, subs, args.students)
    print(f"demo class: {args.students} submissions in {subs}")
    times = make_times(args.course, args.assignment, subs, args.out / "submission_times.csv")
    late = ["--submitted-at", str(times)] if times else []
    return cli_main(["grade", str(subs), "--assignment", args.assignment, "--out",
                     str(args.out / "results"), "--course", str(args.course), *late])


if __name__ == "__main__":
    sys.exit(main())
