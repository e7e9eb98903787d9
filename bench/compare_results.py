"""Compare two OUT folders as the acceptance of a refactoring does: every results.json with
``execution_time`` removed, grades.csv, and every feedback.md must be byte-identical.

    python bench/compare_results.py BEFORE_OUT AFTER_OUT      # exit 0 when identical
"""

from __future__ import annotations

import json
import sys
from pathlib import Path


def comparable(out: Path) -> dict[str, bytes]:
    """{relative path: bytes} of what must not change (execution_time dropped from results.json)."""
    files = {}
    for p in sorted(Path(out).rglob("*")):
        rel = str(p.relative_to(out))
        if p.name == "results.json":
            doc = json.loads(p.read_text(encoding="utf-8"))
            doc.pop("execution_time", None)
            files[rel] = json.dumps(doc, indent=2, ensure_ascii=False).encode()
        elif p.name in ("feedback.md", "grades.csv"):
            files[rel] = p.read_bytes()
    return files


def differences(before: Path, after: Path) -> list[str]:
    a, b = comparable(before), comparable(after)
    lines = [f"only in {before}: {k}" for k in sorted(set(a) - set(b))]
    lines += [f"only in {after}: {k}" for k in sorted(set(b) - set(a))]
    lines += [f"differs: {k}" for k in sorted(set(a) & set(b)) if a[k] != b[k]]
    return lines


def main(argv: list[str] | None = None) -> int:
    before, after = (Path(x) for x in (argv if argv is not None else sys.argv[1:]))
    lines = differences(before, after)
    print("\n".join(lines) if lines else f"identical: {len(comparable(before))} files")
    return 1 if lines else 0


if __name__ == "__main__":
    sys.exit(main())
