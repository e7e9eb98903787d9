"""The options several ``autograder`` commands share, each written once (``autograder.cli`` and
``autograder.export.cli`` add them; argparse only, so building the parser imports nothing else)."""

from __future__ import annotations

import argparse
from pathlib import Path

from autograder.course.i18n import DEFAULT, LANGS


def course(p: argparse.ArgumentParser) -> None:
    p.add_argument("--course", type=Path, default=Path("."), help="course root (default: .)")


def assignment(p: argparse.ArgumentParser) -> None:
    p.add_argument("assignment", help="assignment name, e.g. hw07")


def out(p: argparse.ArgumentParser, help: str = "folder to write into") -> None:
    p.add_argument("--out", required=True, type=Path, help=help)


def lang(p: argparse.ArgumentParser, of: str) -> None:
    """``--lang``: the language of ``of`` (the feedback, the report ...)."""
    choices = " or ".join(LANGS)
    p.add_argument("--lang", choices=LANGS, default=None,
                   help=f"language of {of}: {choices} (default: the assignment's lang, else {DEFAULT})")


def db(p: argparse.ArgumentParser, default: str | None = None, default_folder: str = "OUT") -> None:
    """``--db``: the gradebook; without it, ``.gradebook.sqlite`` in ``default_folder``."""
    p.add_argument("--db", default=default, help="gradebook: SQLAlchemy URL, SQLite file or results folder "
                   f"(default: {default_folder}/.gradebook.sqlite)")
