"""``make goldens``: regenerate the per-test outcomes in tests/submissions/<case>/expected.toml.

Every case is graded in one batch with the hidden tests and run through the public tests; the
node ids of the tests it fails are written to its expected.toml as ``fail`` (hidden) and
``public_fail`` (public), replacing the old lists and keeping every other line (comments, ``lose``,
``mistake``). tests/test_hidden_tests.py compares them exactly, so review the diff before committing:
a mutant that now fails fewer tests than before is a weaker test suite.
"""

from __future__ import annotations

import argparse
import re
import shutil
import sys
import tempfile
from pathlib import Path

# A list as golden_block writes it: ``key = []``, or one quoted node id per line (ids hold "]").
_LIST = re.compile(r'^(fail|public_fail) = \[(?:\]|\n(?:[ \t]+"[^"\n]*",?\n)*\])\n?', re.M)


def golden_block(fail: list[str], public_fail: list[str]) -> str:
    def one(key: str, ids: list[str]) -> str:
        if not ids:
            return f"{key} = []\n"
        return f"{key} = [\n" + "".join(f'    "{i}",\n' for i in ids) + "]\n"

    return one("fail", fail) + one("public_fail", public_fail)


def with_goldens(text: str, fail: list[str], public_fail: list[str]) -> str:
    """expected.toml's ``text`` with its ``fail`` and ``public_fail`` lists replaced (appended if absent)."""
    kept = _LIST.sub("", text).rstrip("\n")
    return kept + "\n" + golden_block(sorted(fail), sorted(public_fail))


def outcomes(course_root: Path, assignment: str, cases_dir: Path, names: list[str], jobs: int = 2
             ) -> dict[str, tuple[list[str], list[str]]]:
    """case -> (hidden tests it fails, public tests it fails), by node id, sorted."""
    from autograder.audit.suite_run import Suite, run_suite
    from autograder.course.assignment import find_assignment
    from autograder.grading.batch import grade_class

    a, _secrets = find_assignment(course_root, assignment)
    with tempfile.TemporaryDirectory(prefix="autograder-goldens-") as tmp:
        subs = Path(tmp) / "submissions"
        for name in names:
            shutil.copytree(cases_dir / name, subs / name, ignore=shutil.ignore_patterns("expected.toml"))
        cr = grade_class(subs, course_root, assignment, Path(tmp) / "out", jobs=jobs, progress=False)
        public = run_suite(Suite(a.public_tests, a.folder, None, (a.locale,)),
                           {n: subs / n for n in names}, jobs=jobs)
    hidden = {r.student_id: r for r in cr.results}
    return {n: (sorted(t.nodeid for t in hidden[n].tests if not t.passed),
                sorted(t.nodeid for t in public[n].tests if not t.passed)) for n in names}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m autograder.devtools.goldens",
                                description=__doc__.split("\n")[0])
    p.add_argument("--course", type=Path, default=Path("."), help="course root (default: .)")
    p.add_argument("--assignment", default="hw07", help="the assignment the cases submit (default: hw07)")
    p.add_argument("cases", nargs="*", help="case names (default: every case with an expected.toml)")
    args = p.parse_args(argv)
    cases_dir = args.course / "tests" / "submissions"
    names = args.cases or sorted(c.name for c in cases_dir.iterdir() if (c / "expected.toml").is_file())
    found = outcomes(args.course.resolve(), args.assignment, cases_dir, names)
    changed = 0
    for name in names:
        path = cases_dir / name / "expected.toml"
        old = path.read_text(encoding="utf-8")
        new = with_goldens(old, *found[name])
        if new != old:
            path.write_text(new, encoding="utf-8")
            changed += 1
            print(f"updated {path}")
    print(f"{len(names)} cases, {changed} expected.toml changed (review with git diff)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
