"""``make serve``: the service on this course with an embedded database, demo users and their tokens.

Writes DATA (default ``.portal-demo/``): the database, uploads, and two student folders a student
could submit from (``alice/``: the solution, full marks; ``bob/``: the untouched stubs). Prints one
token per demo user (new ones each start: tokens are stored hashed, so old ones cannot be shown
again) and the command that submits, then runs ``autograder serve`` until Ctrl-C.
"""

from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path

DEMO_USERS = (("alice", "student", "Alice Demo"), ("bob", "student", "Bob Demo"), ("tina", "ta", "Tina TA"),
              ("ivan", "instructor", "Ivan Instructor"))


def prepare(course: Path, data: Path, assignment: str = "hw07") -> dict[str, str]:
    """Demo users, fresh tokens and student folders under ``data``; returns user -> token."""
    from autograder.author.markers import solution_files
    from autograder.portal import auth
    from autograder.portal.db.engine import make_engine, migrate, sessions
    from autograder.portal.db.models import User
    from autograder.portal.settings import Settings

    s = Settings(course=course, data=data)
    engine = make_engine(s.database_url)
    try:
        migrate(engine)
        tokens = {}
        with sessions(engine)() as db:
            for uid, role, name in DEMO_USERS:
                if db.get(User, uid) is None:
                    db.add(User(id=uid, role=role, name=name))
            db.flush()
            for uid, _role, _name in DEMO_USERS:
                auth.revoke(db, uid)
                tokens[uid] = auth.new_token(db, uid)
            db.commit()
    finally:
        engine.dispose()
    src = course / "assignments" / assignment
    for who, files in (("alice", solution_files(course / "solutions" / assignment)),
                       ("bob", {p.name: p.read_text(encoding="utf-8") for p in sorted(src.glob("*.py"))})):
        folder = data / "students" / who
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        shutil.copy(src / "assignment.toml", folder / "assignment.toml")
        for name, text in files.items():
            (folder / name).write_text(text, encoding="utf-8")
    return tokens


def invite_links(course: Path, data: Path, server: str) -> dict[str, str]:
    """A one-time link per demo user to set a password for the pages (new ones at every start)."""
    from autograder.portal.db.engine import make_engine, sessions
    from autograder.portal.settings import Settings
    from autograder.portal.web.auth import invite_url

    engine = make_engine(Settings(course=course, data=data).database_url)
    try:
        with sessions(engine)() as db:
            links = {uid: invite_url(db, uid, server) for uid, _role, _name in DEMO_USERS}
            db.commit()
    finally:
        engine.dispose()
    return links


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="serve_demo", description=__doc__.splitlines()[0])
    p.add_argument("--course", type=Path, default=Path("."))
    p.add_argument("--data", type=Path, default=Path(".portal-demo"))
    p.add_argument("--port", type=int, default=8000)
    p.add_argument("--jobs", type=int, default=None)
    p.add_argument("--prepare-only", action="store_true", help="write users and folders, do not serve")
    args = p.parse_args(argv)
    course, data = args.course.resolve(), args.data.resolve()
    tokens = prepare(course, data)
    server = f"http://127.0.0.1:{args.port}"
    print(f"demo logins for {server} (API tokens; new ones at every start):")
    for uid, role, _name in DEMO_USERS:
        print(f"  {uid:<6} {role:<11} {tokens[uid]}")
    print("\nsubmit as alice (the solution) from another terminal:")
    print(f"  AUTOGRADER_TOKEN={tokens['alice']} .venv/bin/autograder submit {args.data / 'students/alice'} "
          f"--server {server}")
    print(f"TA: curl -H 'Authorization: Bearer {tokens['tina']}' "
          f"{server}/api/v1/assignments/hw07/grades.csv\n")
    print("in a browser: open a link to set that user's password (once; a set password keeps working):")
    for uid, link in invite_links(course, data, server).items():
        print(f"  {uid:<6} {link}")
    print(flush=True)
    if args.prepare_only:
        return 0
    from autograder.cli import main as cli

    extra = ["--jobs", str(args.jobs)] if args.jobs else []
    return cli(["serve", "--course", str(course), "--data", str(data), "--port", str(args.port), *extra])


if __name__ == "__main__":
    sys.exit(main())
