"""The layers of autograder/ hold: the import-linter contracts in pyproject.toml, as `make test` runs them."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def test_import_contracts_are_kept() -> None:
    lint = Path(sys.executable).parent / "lint-imports"
    assert lint.is_file(), f"{lint} is missing: `make install` installs import-linter (the dev extra)"
    run = subprocess.run([str(lint), "--no-cache"], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "0 broken" in run.stdout, run.stdout


def test_the_worker_contract_forbids_every_package_but_course_and_sandbox() -> None:
    """A new top-level package (portal, cluster ...) is forbidden to the worker as soon as it exists."""
    import tomllib

    contracts = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["importlinter"]
    worker = next(c for c in contracts["contracts"] if c["id"] == "worker")
    package = REPO / "autograder"
    tops = {p.stem for p in package.glob("*.py")} | {p.parent.name for p in package.glob("*/__init__.py")}
    wanted = {f"autograder.{t}" for t in tops - {"__init__", "__main__", "course", "sandbox"}}
    assert wanted <= set(worker["forbidden_modules"]), sorted(wanted - set(worker["forbidden_modules"]))
