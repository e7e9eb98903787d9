"""Compare two OUT folders as the acceptance of a refactoring does: every results.json with
``execution_time`` removed, grades.csv, and every feedback.md must be byte-identical.

    python bench/compare_results.py BEFORE_OUT AFTER_OUT      # exit 0 when identical
    python bench/compare_results.py --drop extra_data.assignment_hash BEFORE_OUT AFTER_OUT

``--drop KEY`` (repeatable; dotted for a nested key) leaves another key of results.json out as
well: a change to the engine's grading sources changes ``extra_data.assignment_hash`` by design
(it regrades every student), so a speed-up of the engine is compared with it dropped.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path


def comparable(out: Path, drop: tuple[str, ...] = ()) -> dict[str, bytes]:
    """{relative path: bytes} of what must not change (execution_time and ``drop`` left out of
    results.json)."""
    files = {}
    for p in sorted(Path(out).rglob("*")):
        rel = str(p.relative_to(out))
        if p.name == "results.json":
            doc = json.loads(p.read_text(encoding="utf-8"))
            for key in ("execution_time", *drop):
                *path, last = key.split(".")
                node = doc
                for part in path:
                    node = node.get(part, {}) if isinstance(node, dict) else {}
                if isinstance(node, dict):
                    node.pop(last, None)
            files[rel] = json.dumps(doc, indent=2, ensure_ascii=False).encode()
        elif p.name in ("feedback.md", "grades.csv"):
            files[rel] = p.read_bytes()
    return files


def differences(before: Path, after: Path, drop: tuple[str, ...] = ()) -> list[str]:
    a, b = comparable(before, drop), comparable(after, drop)
    lines = [f"only in {before}: {k}" for k in sorted(set(a) - set(b))]
    lines += [f"only in {after}: {k}" for k in sorted(set(b) - set(a))]
    lines += [f"differs: {k}" for k in sorted(set(a) & set(b)) if a[k] != b[k]]
    return lines


def main(argv: list[str] | None = None) -> int:
    import argparse

    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--drop", action="append", default=[], help="another results.json key to leave out")
    p.add_argument("before", type=Path)
    p.add_argument("after", type=Path)
    args = p.parse_args(argv)
    drop = tuple(args.drop)
    lines = differences(args.before, args.after, drop)
    print("\n".join(lines) if lines else f"identical: {len(comparable(args.before, drop))} files")
    return 1 if lines else 0


if __name__ == "__main__":
    sys.exit(main())
