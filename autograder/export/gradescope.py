"""Gradescope's autograder zip: ``autograder export gradescope hw07 --out DIR`` writes
``DIR/hw07-gradescope.zip``.

Gradescope unpacks the zip into ``/autograder/source``, runs ``setup.sh`` once (as root) to build the
image, then for every submission runs ``run_autograder``, which must leave
``/autograder/results/results.json``. The zip holds:

- ``setup.sh``: finds a Python >= 3.11 (installs one with apt when there is none), and installs the
  grader's own dependencies (``requirements.txt``, read from this package's metadata) into a venv
  under the root -- unless the interpreter already has them, which is how the tests run it;
- ``run_autograder``: ``python -m autograder.export.gradescope_run`` on the submission;
- ``autograder/``: this engine, as source; ``course/assignments/<name>/`` and
  ``course/reference/<name>/``: the assignment, its reference and hidden tests. The zip is for the
  instructor's Gradescope account only; ``solutions/`` is never included.

The root is ``/autograder`` unless ``AUTOGRADER_ROOT`` says otherwise. The zip is deterministic
(sorted entries, fixed times and modes), like the student bundle.
"""

from __future__ import annotations

import importlib.metadata
import os
import re
import tomllib
from pathlib import Path

from autograder.author.reproducible_zip import write_zip
from autograder.course.assignment import find_assignment
from autograder.export.gradescope_run import settings

SKIP_DIRS = frozenset({"__pycache__", ".pytest_cache", ".ruff_cache", ".mypy_cache", ".ipynb_checkpoints"})
SKIP_SUFFIXES = (".pyc", ".pyo", ".tmp")

SETUP_SH = r"""#!/usr/bin/env bash
# Gradescope runs this once, as root, to build the autograder image (see run_autograder).
# It picks a Python >= 3.11 and makes sure the grader's dependencies (requirements.txt) are there:
# already installed -> nothing to do; otherwise a venv under $ROOT/venv (apt-get only when needed).
set -euo pipefail
ROOT="${AUTOGRADER_ROOT:-/autograder}"
SOURCE="$ROOT/source"
PY=""
for c in ${AUTOGRADER_PYTHON:-} python3 python3.13 python3.12 python3.11; do
  if command -v "$c" >/dev/null 2>&1 && "$c" -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
    PY="$(command -v "$c")"; break
  fi
done
if [ -z "$PY" ]; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3.11 python3.11-venv
  PY="$(command -v python3.11)"
fi
has_requirements() {  # every requirement's distribution is installed for "$1"
  "$1" - "$SOURCE/requirements.txt" <<'EOF'
import importlib.metadata, re, sys
for line in open(sys.argv[1]):
    name = re.split(r"[\s<>=!~;\[]", line.strip(), maxsplit=1)[0]
    if name:
        importlib.metadata.version(name)  # PackageNotFoundError: missing
EOF
}
if has_requirements "$PY" 2>/dev/null; then
  echo "setup.sh: $PY already has what grading needs"
else
  "$PY" -m venv "$ROOT/venv" 2>/dev/null || {
    minor="$("$PY" -c 'import sys; print(sys.version_info[1])')"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "python3.$minor-venv"
    "$PY" -m venv "$ROOT/venv"
  }
  PY="$ROOT/venv/bin/python"
  "$PY" -m pip install --quiet --upgrade pip
  "$PY" -m pip install --quiet -r "$SOURCE/requirements.txt"
fi
echo "$PY" > "$SOURCE/python"
"$PY" -c "import sys; sys.path.insert(0, '$SOURCE'); import autograder.grading.session" \
  && echo "setup.sh: the grader imports with $PY"
"""

RUN_AUTOGRADER = r"""#!/usr/bin/env bash
# Gradescope runs this for every submission: grade $ROOT/submission into $ROOT/results/results.json.
set -euo pipefail
ROOT="${AUTOGRADER_ROOT:-/autograder}"
SOURCE="$ROOT/source"
PY="${AUTOGRADER_PYTHON:-$(cat "$SOURCE/python" 2>/dev/null || echo python3)}"
export PYTHONPATH="$SOURCE${PYTHONPATH:+:$PYTHONPATH}"  # the engine vendored in the zip comes first
export AUTOGRADER_ROOT="$ROOT"
exec "$PY" -m autograder.export.gradescope_run --root "$ROOT" --assignment "@ASSIGNMENT@"
"""


def requirements() -> list[str]:
    """The engine's runtime dependencies: the pyproject.toml beside the package (a source checkout),
    else the installed package's metadata. Extras (dev tools) are left out."""
    pyproject = Path(__file__).resolve().parents[2] / "pyproject.toml"
    try:
        reqs = tomllib.loads(pyproject.read_text(encoding="utf-8"))["project"]["dependencies"]
    except (OSError, KeyError, tomllib.TOMLDecodeError):
        reqs = importlib.metadata.requires("autograder") or []
    return [r for r in reqs if not re.search(r"extra\s*==", r)]


def _files(folder: Path, prefix: str) -> list[tuple[str, Path]]:
    """(archive name, path) of every file under ``folder``, minus caches; refuses symbolic links."""
    out = []
    for dirpath, dirnames, filenames in os.walk(folder):
        here = Path(dirpath)
        dirnames[:] = sorted(d for d in dirnames if d not in SKIP_DIRS)
        for name in sorted(dirnames + filenames):
            if (here / name).is_symlink():
                raise ValueError(f"refusing to pack a symbolic link: {here / name}")
        for name in sorted(filenames):
            if not name.endswith(SKIP_SUFFIXES) and name != ".DS_Store":
                out.append((f"{prefix}/{(here / name).relative_to(folder).as_posix()}", here / name))
    return out


def export_gradescope(course_root: Path, name: str, out_dir: Path) -> Path:
    """Write ``out_dir/<name>-gradescope.zip``; returns its path."""
    course_root = Path(course_root)
    a, secrets = find_assignment(course_root, name)  # AssignmentError when unknown or incomplete
    settings(a.folder / "assignment.toml")  # a bad [gradescope] table fails here, not on Gradescope
    engine = Path(__file__).resolve().parents[1]  # the autograder package that is running
    entries = (_files(engine, "autograder") + _files(a.folder, f"course/assignments/{name}")
               + _files(secrets.reference.parent, f"course/reference/{name}"))
    generated = {
        "setup.sh": (SETUP_SH, True),
        "run_autograder": (RUN_AUTOGRADER.replace("@ASSIGNMENT@", name), True),
        "requirements.txt": ("\n".join(requirements()) + "\n", False),
    }
    members = [(arcname, text.encode("utf-8"), executable)
               for arcname, (text, executable) in sorted(generated.items())]
    members += [(arcname, path.read_bytes(), False) for arcname, path in sorted(entries)]
    return write_zip(Path(out_dir) / f"{name}-gradescope.zip", members)
