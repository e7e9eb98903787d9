"""The service's commands: serve, dispatch, users, extend, submit, login (argparse; imports are lazy)."""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

COMMANDS = ("serve", "dispatch", "users", "extend", "submit", "login")


def _data_args(p: argparse.ArgumentParser, course: bool = False) -> None:
    p.add_argument("--data", required=True, type=Path, help="the service's data folder (uploads, database)")
    p.add_argument("--db", default=None, help="SQLAlchemy URL (postgresql+psycopg://...) or SQLite file "
                   "(default: DATA/portal.sqlite)")
    if course:
        p.add_argument("--course", type=Path, default=Path("."), help="course root (default: .)")


def add_portal(sub) -> None:
    s = sub.add_parser("serve", help="run the submission service: web app and dispatcher (Ctrl-C stops both)")
    _data_args(s, course=True)
    s.add_argument("--host", default="127.0.0.1", help="address to listen on (default: loopback only)")
    s.add_argument("--port", type=int, default=8000)
    s.add_argument("--jobs", type=int, default=None, help="grading processes (default: cores)")
    s.add_argument("--no-dispatcher", action="store_true",
                   help="web app only (run `autograder dispatch` apart)")

    d = sub.add_parser("dispatch", help="run a dispatcher alone: grade the queued submissions")
    _data_args(d, course=True)
    d.add_argument("--jobs", type=int, default=None, help="grading processes (default: cores)")
    d.add_argument("--until-idle", action="store_true", help="stop when the queue is empty")
    d.add_argument("--nice", type=int, default=10, help="scheduling niceness of the dispatcher and its "
                   "grading processes (default 10: the web process answers uploads first)")
    d.add_argument("--lease", type=float, default=60.0, metavar="SECONDS",
                   help="a claimed job is this dispatcher's for this long without a heartbeat (default 60; "
                   "a killed dispatcher's jobs come back after it)")
    from autograder.cluster.options import add_cluster_args  # argparse only: no Dask import

    add_cluster_args(d)

    u = sub.add_parser("users", help="the service's users and their API tokens")
    us = u.add_subparsers(dest="users_command", required=True)
    a = us.add_parser("add", help="add (or update) a user")
    a.add_argument("id", help="the user id (a student's is the student_id of grades.csv)")
    a.add_argument("--role", required=True, choices=("student", "ta", "instructor"))
    a.add_argument("--name", default="")
    a.add_argument("--email", default="")
    _data_args(a)
    i = us.add_parser("import",
                      help="add the students of a roster CSV (student_id, name, email, ... columns)")
    i.add_argument("roster", type=Path)
    i.add_argument("--role", default="student", choices=("student", "ta", "instructor"))
    _data_args(i)
    t = us.add_parser("token", help="print a new personal API token for a user (stored hashed)")
    t.add_argument("id")
    _data_args(t)
    iv = us.add_parser("invite", help="print a one-time link for a user to set a password (the pages)")
    iv.add_argument("id")
    iv.add_argument("--base-url", default="http://127.0.0.1:8000",
                    help="the address students open (default: http://127.0.0.1:8000)")
    iv.add_argument("--hours", type=float, default=168.0, help="how long the link works (default: 7 days)")
    _data_args(iv)
    r = us.add_parser("revoke", help="revoke every API token of a user")
    r.add_argument("id")
    _data_args(r)

    e = sub.add_parser("extend", help="give a student a later due date (and hard close) for an assignment")
    e.add_argument("id", help="the student id")
    e.add_argument("--assignment", required=True)
    e.add_argument("--until", required=True,
                   help="ISO 8601 time with a UTC offset, e.g. 2026-12-08T23:59+03:00")
    e.add_argument("--by", default="", help="who granted it (recorded)")
    _data_args(e)

    sm = sub.add_parser("submit", help="submit your files to the course's service and wait for the grade")
    sm.add_argument("paths", nargs="*", type=Path,
                    help="a folder (default: .) or files (.py, one .ipynb or .zip)")
    sm.add_argument("--server", default=os.environ.get("AUTOGRADER_SERVER"), required=not
                    os.environ.get("AUTOGRADER_SERVER"), help="the service's address (or AUTOGRADER_SERVER)")
    sm.add_argument("--assignment", default=None, help="default: the name in the folder's assignment.toml")
    sm.add_argument("--no-wait", action="store_true", help="print the receipt and return")
    sm.add_argument("--timeout", type=float, default=900.0, help="seconds to wait for the grade")

    lg = sub.add_parser("login", help="save your API token for a server")
    lg.add_argument("--server", required=True)
    lg.add_argument("--token", default=None, help="default: asked for (not echoed)")


def run_portal(args) -> int:
    try:
        return {"serve": _serve, "dispatch": _dispatch, "users": _users, "extend": _extend,
                "submit": _submit, "login": _login}[args.command](args)
    except _Fail as exc:
        print(f"autograder {args.command}: {exc}", file=sys.stderr)
        return 2


class _Fail(Exception):
    pass


def _settings(args, **kw):
    from autograder.portal.settings import Settings, db_url_from

    return Settings(course=Path(getattr(args, "course", ".")).resolve(), data=args.data.resolve(),
                    db_url=db_url_from(args.db, args.data), **kw)


@contextlib.contextmanager
def _db(args):
    """One database session for a command (the engine is disposed after it)."""
    from autograder.portal.db.engine import DatabaseError, make_engine, migrate, sessions

    s = _settings(args)
    engine = make_engine(s.database_url)
    try:
        migrate(engine)
        with sessions(engine)() as db:
            yield db
    except DatabaseError as exc:
        raise _Fail(str(exc)) from None
    finally:
        engine.dispose()


def _check_course(course: Path) -> None:
    if not (course / "assignments").is_dir():
        raise _Fail(f"{course} is not a course root (no assignments/ folder); pass --course")


def _jobs(args) -> int:
    if args.jobs is not None and args.jobs < 1:
        raise _Fail(f"--jobs must be at least 1 (got {args.jobs})")
    return args.jobs or os.cpu_count() or 1


def _serve(args) -> int:
    import uvicorn

    from autograder.portal.app import create_app

    s = _settings(args, host=args.host, port=args.port, jobs=_jobs(args))
    _check_course(s.course)
    app = create_app(s)
    dispatcher = None
    if not args.no_dispatcher:
        cmd = [sys.executable, "-m", "autograder", "dispatch", "--course", str(s.course),
               "--data", str(s.data), "--db", s.database_url, "--jobs", str(s.jobs)]
        dispatcher = subprocess.Popen(cmd)
    print(f"autograder serve: http://{s.host}:{s.port}/ (course {s.course}, data {s.data}); Ctrl-C stops",
          flush=True)
    try:
        uvicorn.run(app, host=s.host, port=s.port, log_level="warning", proxy_headers=True)
    finally:
        if dispatcher is not None:
            dispatcher.send_signal(signal.SIGTERM)
            try:
                dispatcher.wait(timeout=30)
            except subprocess.TimeoutExpired:
                dispatcher.kill()
                dispatcher.wait()
    return 0


def _dispatch(args) -> int:
    import logging

    from autograder.portal.dispatcher import Dispatcher

    if args.nice:
        os.nice(max(0, min(19, args.nice)))  # inherited by the grading processes it starts
    logging.basicConfig(level=logging.INFO, format="%(asctime)s dispatcher %(levelname)s %(message)s")
    logging.getLogger("alembic").setLevel(logging.WARNING)
    if not 1 <= args.lease <= 3600:
        raise _Fail(f"--lease must be between 1 and 3600 seconds (got {args.lease:g})")
    make = _cluster_executor(args)  # None: local grading processes; a cluster's executor sets the window
    s = _settings(args, jobs=1 if make else _jobs(args), lease_seconds=args.lease,
                  heartbeat_seconds=args.lease / 6)
    _check_course(s.course)
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_a: stop.set())
    n = (Dispatcher(s, make_executor=make) if make else Dispatcher(s)).run(stop, until_idle=args.until_idle)
    print(f"autograder dispatch: {n} result(s) recorded", file=sys.stderr)
    return 0


def _cluster_executor(args):
    """``dispatch --cluster``: the Dask executor factory, or None (local grading processes)."""
    from autograder.cluster.options import executor_from_args
    from autograder.course.errors import ClusterError

    try:
        return executor_from_args(args)
    except ClusterError as exc:
        raise _Fail(str(exc)) from None


def _users(args) -> int:
    from autograder.portal import auth
    from autograder.portal.db.models import User

    with _db(args) as db:
        if args.users_command == "add":
            _upsert(db, User, args.id, args.role, args.name, args.email)
            db.commit()
            print(f"user {args.id} ({args.role})")
        elif args.users_command == "import":
            from autograder.course.errors import ExportError
            from autograder.export.lms import read_roster

            try:
                people = read_roster(args.roster)
            except ExportError as exc:
                raise _Fail(str(exc)) from None
            for p in people:
                _upsert(db, User, p.student_id, args.role, p.get("name"), p.get("email"))
            db.commit()
            print(f"{len(people)} user(s) from {args.roster}")
        elif args.users_command == "token":
            if db.get(User, args.id) is None:
                raise _Fail(f"no user {args.id!r} (add them with `autograder users add`)")
            token = auth.new_token(db, args.id)
            db.commit()
            print(token)
        elif args.users_command == "invite":
            from datetime import timedelta

            from autograder.portal.web.auth import invite_url

            if db.get(User, args.id) is None:
                raise _Fail(f"no user {args.id!r} (add them with `autograder users add`)")
            if not 0 < args.hours <= 24 * 90:
                raise _Fail(f"--hours must be above 0 and at most 2160 (got {args.hours:g})")
            url = invite_url(db, args.id, args.base_url, timedelta(hours=args.hours))
            db.commit()
            print(url)
        else:
            n = auth.revoke(db, args.id)
            db.commit()
            print(f"{n} token(s) of {args.id} revoked")
    return 0


def _upsert(db, User, uid: str, role: str, name: str, email: str) -> None:
    if not uid or len(uid) > 100 or not uid.isprintable() or "/" in uid:
        raise _Fail(f"{uid!r} cannot be a user id")
    u = db.get(User, uid)
    if u is None:
        db.add(User(id=uid, role=role, name=name or "", email=email or ""))
    else:
        u.role, u.name, u.email = role, name or u.name, email or u.email


def _extend(args) -> int:
    from autograder.course.late import parse_time
    from autograder.portal.db.models import Extension, User

    try:
        until = parse_time(args.until)
    except ValueError:
        raise _Fail(f"--until {args.until!r} is not an ISO 8601 time") from None
    if until.tzinfo is None:
        raise _Fail(f"--until {args.until!r} needs a UTC offset, e.g. +03:00")
    with _db(args) as db:
        if db.get(User, args.id) is None:
            raise _Fail(f"no user {args.id!r}")
        ext = db.query(Extension).filter_by(user_id=args.id, assignment=args.assignment).one_or_none()
        if ext is None:
            db.add(Extension(user_id=args.id, assignment=args.assignment, until=until, granted_by=args.by))
        else:
            ext.until, ext.granted_by = until, args.by
        db.commit()
    print(f"{args.id}: {args.assignment} due {until.isoformat()}")
    return 0


def _submit(args) -> int:
    from autograder.portal.client import ClientError, submit

    try:
        return submit(args.paths, args.server, args.assignment, wait=not args.no_wait, timeout=args.timeout)
    except ClientError as exc:
        raise _Fail(str(exc)) from None


def _login(args) -> int:
    from autograder.portal.client import ClientError, login

    try:
        path = login(args.server, args.token)
    except ClientError as exc:
        raise _Fail(str(exc)) from None
    print(f"token saved in {path}")
    return 0
