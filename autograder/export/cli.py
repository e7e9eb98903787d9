"""``autograder export gradescope|otter|nbgrader|grades``: the command group (imports stay lazy)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from autograder.course import cli_options as opt
from autograder.course.kinds import GradeFormat


def add_export(sub) -> None:
    """Add the ``export`` group to the ``autograder`` command's subparsers."""
    e = sub.add_parser("export", help="the assignment or the grades for another tool (instructors, TAs)")
    kinds = e.add_subparsers(dest="kind", required=True)

    g = kinds.add_parser("gradescope", help="<out>/<assignment>-gradescope.zip: Gradescope's autograder "
                         "zip (private: it holds the hidden tests)")
    opt.assignment(g)
    opt.out(g)
    opt.course(g)

    o = kinds.add_parser("otter", help="<out>/<assignment>.ipynb: an otter-assign master notebook")
    opt.assignment(o)
    opt.out(o)
    opt.course(o)

    n = kinds.add_parser("nbgrader", help="an nbgrader course folder <out>/: source/<assignment>/"
                         "<assignment>.ipynb (private: it holds the solution and hidden checks) and "
                         "nbgrader_config.py")
    opt.assignment(n)
    opt.out(n, "the nbgrader course folder")
    opt.course(n)

    r = kinds.add_parser("grades", help="a graded class's grades for Moodle, Canvas or a plain CSV")
    r.add_argument("out", type=Path, help="the results folder of autograder grade (holds grades.csv)")
    r.add_argument("--format", required=True, choices=tuple(GradeFormat))
    r.add_argument("--roster", type=Path, default=None,
                   help="CSV: student_id, and any of name, email, sis_id, sis_login_id, canvas_id, "
                        "idnumber, username, section")
    r.add_argument("--item", default=None, help='the grade column\'s name (default: the assignment; '
                   'Canvas: "hw07 (12345)" updates assignment 12345)')
    r.add_argument("--to", type=Path, default=None, help="folder for the file (default: OUT)")


def run_export(args: argparse.Namespace) -> int:
    kinds = {"gradescope": _gradescope, "otter": _otter, "nbgrader": _nbgrader, "grades": _grades}
    return kinds[args.kind](args)


def _fail(kind: str, exc: BaseException) -> int:
    print(f"autograder export {kind}: {' '.join(str(exc).split())}", file=sys.stderr)
    return 2


def _export(kind: str, write, errors: tuple[type[BaseException], ...], next_steps) -> int:
    """Run ``write()``: its error is one line on stderr (exit status 2), else ``next_steps(path)`` printed."""
    try:
        path = write()
    except errors as exc:
        return _fail(kind, exc)
    print(next_steps(path))
    return 0


def _gradescope(args) -> int:
    from autograder.course.errors import AssignmentError, SetupError
    from autograder.export.gradescope import export_gradescope

    return _export("gradescope", lambda: export_gradescope(args.course, args.assignment, args.out),
                   (AssignmentError, SetupError, ValueError, OSError), lambda path: (
                       f"wrote {path}\nupload it as the autograder of a Gradescope programming assignment "
                       f"(it holds the hidden tests and the reference: keep it private)"))


def _otter(args) -> int:
    from autograder.course.errors import AssignmentError, ExportError, GraderError
    from autograder.export.otter import export_otter

    return _export("otter", lambda: export_otter(args.course, args.assignment, args.out),
                   (AssignmentError, GraderError, ExportError, OSError), lambda path: (
                       f"wrote {path}\nnext: otter assign {path} {path.parent / 'dist'}   (student and "
                       f"autograder notebooks, and the autograder zip for otter run / Gradescope)"))


def _nbgrader(args) -> int:
    from autograder.course.errors import AssignmentError, ExportError, GraderError
    from autograder.export.nbgrader import export_nbgrader

    a = args.assignment
    return _export("nbgrader", lambda: export_nbgrader(args.course, a, args.out),
                   (AssignmentError, GraderError, ExportError, OSError), lambda path: (
                       f"wrote {path} and {args.out / 'nbgrader_config.py'}\nnext, in {args.out}: nbgrader "
                       f"generate_assignment {a}; after collecting: nbgrader autograde {a}, "
                       f"or autograder grade {args.out} --assignment {a} --out OUT"))


def _grades(args) -> int:
    from autograder.course.errors import ExportError
    from autograder.export.lms import export_grades

    try:
        r = export_grades(args.out, args.format, args.roster, args.item, args.to)
    except (ExportError, OSError) as exc:
        return _fail("grades", exc)
    for w in r.warnings:
        print(f"warning: {w}", file=sys.stderr)
    print(f"wrote {r.path} ({r.rows} students)")
    return 0
