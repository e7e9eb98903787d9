"""The ``autograder`` command: a thin layer over library calls (imports are lazy: check starts fast)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from autograder.course import cli_options as opt


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="autograder", description="Auto-grading for neural-network "
                                "homework: self-check, class grading, stubs and student bundles.")
    sub = p.add_subparsers(dest="command", required=True)

    c = sub.add_parser("check", help="run the public tests on your files (students)")
    c.add_argument("dir", nargs="?", default=".", type=Path,
                   help="folder with your files, or your notebook (.ipynb)")
    opt.lang(c, "the output")
    c.add_argument("--portable", action="store_true",
                   help="run your code the portable way (a plain subprocess with a time limit only: what "
                        "Windows and macOS get; also AUTOGRADER_PORTABLE=1)")

    g = sub.add_parser("grade", help="grade a class (TAs)")
    g.add_argument("submissions", type=Path, help="folder with one entry per student")
    g.add_argument("--assignment", required=True, help="assignment name, e.g. hw07")
    opt.out(g, "folder for results")
    g.add_argument("--jobs", type=int, default=None, help="grading processes (default: cores)")
    opt.course(g)
    g.add_argument("--no-progress", action="store_true", help="no progress bar")
    opt.db(g)
    g.add_argument("--submitted-at", type=Path, default=None, metavar="CSV",
                   help="submission times (columns student_id,submitted_at; ISO 8601) for the late policy")
    opt.lang(g, "the feedback and the report")
    from autograder.cluster.options import add_cluster_args  # argparse only: no Dask import

    add_cluster_args(g)

    h = sub.add_parser("history", help="a student's recorded results, every attempt (TAs)")
    h.add_argument("student", help="student id")
    opt.db(h, default=".", default_folder=".")
    h.add_argument("--assignment", default=None, help="only this assignment")

    rp = sub.add_parser("report", help="rebuild OUT's class files from the gradebook, without regrading")
    rp.add_argument("out", type=Path, help="the results folder of an earlier autograder grade")
    opt.db(rp)
    rp.add_argument("--assignment", default=None, help="when OUT holds runs of several assignments")
    opt.course(rp)
    opt.lang(rp, "report.html")

    b = sub.add_parser("build", help="generate the stubs from solutions/ (instructors)")
    b.add_argument("assignment", nargs="?", default=None, help="one assignment (default: all)")
    opt.course(b)

    r = sub.add_parser("release", help="write the student bundle <out>/<assignment>.zip")
    opt.assignment(r)
    opt.out(r)
    opt.course(r)

    sub.add_parser("doctor", help="show which isolation layers this machine supports")

    m = sub.add_parser("mutants", help="how strong an assignment's tests are: every single-change mutant "
                       "of the solution's graded regions, graded (instructors)")
    m.add_argument("assignment")
    m.add_argument("--out", type=Path, default=None,
                   help="folder for mutants.md, mutants.html and the mutants' grading (default: "
                   "reports/<assignment>/mutants)")
    m.add_argument("--course", type=Path, default=Path("."), help="course root (default: .)")
    m.add_argument("--jobs", type=int, default=None, help="grading processes (default: cores)")
    m.add_argument("--fail-under", type=float, default=None, metavar="PCT",
                   help="exit 1 when the hidden tests kill less than PCT%% of the non-equivalent mutants")

    from autograder.cluster.worker import add_parser as add_worker  # argparse only: no Dask import

    add_worker(sub)

    from autograder.export.cli import add_export  # export gradescope|otter|grades (argparse only)

    add_export(sub)
    from autograder.portal.cli import add_portal  # serve, dispatch, users, extend, submit, login

    add_portal(sub)
    return p


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(sys.argv[1:] if argv is None else argv)
    try:
        if args.command == "export":
            from autograder.export.cli import run_export

            return run_export(args)
        from autograder.portal.cli import COMMANDS, run_portal

        if args.command in COMMANDS:
            return run_portal(args)
        return {"check": _check, "grade": _grade, "build": _build, "release": _release,
                "doctor": _doctor, "history": _history, "report": _report,
                "mutants": _mutants, "worker": _worker}[args.command](args)
    except KeyboardInterrupt:
        print("interrupted; finished results are kept", file=sys.stderr)
        return 130


def _check(args) -> int:
    from autograder.course import i18n
    from autograder.course.i18n import _
    from autograder.selfcheck.check import (
        isolation_note,
        portable_path,
        render_check,
        self_check,
        self_check_notebook,
    )

    portable = True if args.portable else portable_path()

    with i18n.language(args.lang or i18n.DEFAULT):  # until the assignment (and its lang) is found
        try:
            if args.dir.suffix.lower() == ".ipynb":
                if not args.dir.is_file():
                    raise FileNotFoundError(_("{path}: no such notebook").format(path=args.dir))
                r = self_check_notebook(args.dir, args.lang, portable=portable)
            else:
                r = self_check(args.dir, lang=args.lang, portable=portable)
        except FileNotFoundError as exc:
            print(f"autograder check: {exc}", file=sys.stderr)
            return 2
        except ValueError as exc:  # a notebook that cannot be read: the student's to fix
            print(f"autograder check: {exc}", file=sys.stderr)
            return 1
    with i18n.language(r.lang):
        print(render_check(r, isolation_note(portable)))
    return 0 if r.tests and all(t.passed for t in r.tests) else 1


GRADER_FAULT_EXIT = 3  # autograder grade: every result written, but some tests failed in the grader's code


def _grade(args) -> int:
    """Misconfiguration (arguments, assignment, folders) is one line on stderr and exit status 2;
    exit status 3: all graded, but hidden tests failed in their own code (grader faults, listed)."""
    import os

    from autograder.course.assignment import find_assignment
    from autograder.course.errors import AssignmentError, GraderError
    from autograder.grading.batch import class_summary, grade_class, grader_faults

    def fail(msg: str) -> int:
        print(f"autograder grade: {' '.join(str(msg).split())}", file=sys.stderr)
        return 2

    subs, out = args.submissions, args.out
    if not subs.is_dir():
        return fail(f"{subs} is not a folder (it must hold one entry per student)")
    if not os.access(subs, os.R_OK | os.X_OK):
        return fail(f"cannot read the submissions folder {subs}: permission denied")
    if args.jobs is not None and args.jobs < 1:
        return fail(f"--jobs must be at least 1 (got {args.jobs})")
    from autograder.cluster.options import executor_from_args
    from autograder.course.errors import ClusterError

    try:
        executor = executor_from_args(args)
    except ClusterError as exc:
        return fail(exc)
    from autograder.intake.nbgrader import submitted_folder

    nbgrader = submitted_folder(subs, args.assignment)  # an nbgrader course: submitted/<student>/<name>/
    s, o = (nbgrader or subs).resolve(), out.resolve()
    if o == s or o.is_relative_to(s) or s.is_relative_to(o):
        return fail(f"the results folder {out} and the submissions folder {subs} must be kept apart "
                    f"(neither inside the other)")
    times = None
    if args.submitted_at is not None:
        from autograder.course.late import read_times

        try:
            times = read_times(args.submitted_at)
        except ValueError as exc:
            return fail(f"--submitted-at: {exc}")
    if nbgrader is not None:
        print(f"nbgrader layout: grading {nbgrader}/<student>/{args.assignment}/ (times from timestamp.txt)")
    try:
        a, _ = find_assignment(args.course, args.assignment)
        jobs = args.jobs or os.cpu_count() or 1
        cr = grade_class(subs, args.course, args.assignment, out, jobs, progress=not args.no_progress,
                         db=args.db, submitted_at=times, lang=args.lang, executor=executor)
    except (AssignmentError, GraderError) as exc:
        return fail(exc)
    except OSError as exc:
        where = f"{exc.filename}: " if exc.filename else ""
        return fail(f"{where}{exc.strerror or exc}")
    print(class_summary(cr, a))
    print(f"results: {out / 'grades.csv'} and {out}/<student_id>/")
    print(f"gradebook: {cr.gradebook}")
    return GRADER_FAULT_EXIT if grader_faults(cr.summary) else 0


def _history(args) -> int:
    from autograder.course.errors import GradebookError
    from autograder.records.gradebook import Gradebook, db_url
    from autograder.render.history import history_text

    try:
        with Gradebook(db_url(args.db), create=False) as gb:
            attempts = gb.history(args.student, args.assignment)
    except GradebookError as exc:
        print(f"autograder history: {exc} (pass --db: the results folder, a SQLite file or a URL)",
              file=sys.stderr)
        return 2
    if not attempts:
        where = f" in {args.assignment}" if args.assignment else ""
        print(f"no results recorded for {args.student}{where}")
        return 1
    print(history_text(args.student, attempts))
    return 0


def _report(args) -> int:
    from autograder.course.errors import AssignmentError, GraderError
    from autograder.grading.batch import rebuild_class_files

    try:
        a, results, where = rebuild_class_files(args.out, args.course, args.db, args.assignment, args.lang)
    except (AssignmentError, GraderError) as exc:
        print(f"autograder report: {' '.join(str(exc).split())}", file=sys.stderr)
        return 2
    print(f"{a.name}: class files of {args.out} rebuilt from {where} ({len(results)} students, "
          f"nothing regraded)")
    return 0


def _build(args) -> int:
    from autograder.author.stubs import build_assignment

    root = args.course / "solutions"
    names = [args.assignment] if args.assignment else sorted(
        p.name for p in root.iterdir() if p.is_dir())
    for name in names:
        written = build_assignment(root / name, args.course / "assignments" / name)
        print(f"{name}: {len(written)} stub(s) written" + "".join(f"\n  {p}" for p in written))
    return 0


def _release(args) -> int:
    from autograder.author.release import release

    try:
        path = release(args.course, args.assignment, args.out)
    except (ValueError, FileNotFoundError) as exc:
        print(f"autograder release: {exc}", file=sys.stderr)
        return 2
    print(f"wrote {path}")
    return 0


def _mutants(args) -> int:
    import os

    from autograder.audit.mutation import analyse
    from autograder.course.errors import AssignmentError, GraderError
    from autograder.course.files import write_atomic
    from autograder.render.mutation_report import (
        mutation_html,
        mutation_json,
        mutation_markdown,
        summary_lines,
    )

    out = args.out or Path(args.course) / "reports" / args.assignment / "mutants"
    try:
        r = analyse(args.course, args.assignment, out, jobs=args.jobs or os.cpu_count() or 1)
    except (AssignmentError, GraderError, FileNotFoundError, RuntimeError, ValueError) as exc:
        print(f"autograder mutants: {exc}", file=sys.stderr)
        return 2
    write_atomic(out / "mutants.md", mutation_markdown(r))
    write_atomic(out / "mutants.html", mutation_html(r))
    write_atomic(out / "mutants.json", mutation_json(r))
    print("\n".join(summary_lines(r)))
    print(f"wrote {out / 'mutants.md'}, {out / 'mutants.html'} and {out / 'mutants.json'}")
    rate = r.totals().rate("hidden")
    if args.fail_under is not None and (rate is None or 100 * rate < args.fail_under):
        print(f"autograder mutants: the hidden tests kill less than {args.fail_under:g}%", file=sys.stderr)
        return 1
    return 0


def _doctor(args) -> int:
    from autograder.sandbox.doctor import checks, live_layers, render

    print(render(checks(), *live_layers()))
    return 0


def _worker(args) -> int:
    from autograder.cluster.worker import run

    return run(args)
