"""The grading process: ``python -m autograder.grading.process``, one warm session, tasks in,
results.json text out (trusted; student code runs only in its workers).

Framed JSON (``autograder.grading.wire``) on stdin and stdout. In: ``start`` (the AssignmentRef),
then ``grade`` (a task) any number of times; the end of stdin means stop. Out: ``ready`` once the
tests are collected, then per task ``done`` (key, results_json) or ``lost`` (key, failure); ``fatal``
when the grader cannot run at all (the tests cannot be collected, the course is not the one the
owner hashed). It never writes results: the owner does. Its stderr (pytest's reports on broken
hidden tests, anything a crash prints) is the owner's log file; anything printed on stdout by the
tests goes there too, so it cannot break the frames.
"""

from __future__ import annotations

import os
import sys


def main(argv: list[str] | None = None) -> int:
    out = os.dup(1)  # the frames' channel
    os.dup2(2, 1)  # print() in a hidden test lands in the log, not in a frame
    sys.stdout = os.fdopen(1, "w", buffering=1, closefd=False)
    return serve(0, out)


def serve(inp: int, out: int) -> int:
    from autograder.course import i18n
    from autograder.course.errors import GraderError
    from autograder.grading import wire
    from autograder.grading.executor import ref_from_doc, task_from_doc
    from autograder.grading.session import GradingSession
    from autograder.render.gradescope import dumps

    def fatal(why: str) -> int:
        wire.write_frame(out, {"op": "fatal", "error": why})
        return 1

    try:
        msg = wire.read_frame(inp)
        if msg is None:
            return 0
        if msg["op"] != "start":
            return fatal(f"expected start, got {msg['op']!r}")
        ref = ref_from_doc(msg.get("ref"))
        session = GradingSession.for_course(ref.course_root, ref.name, lang=ref.lang)
    except Exception as exc:  # noqa: BLE001 - reported to the owner as one line
        return fatal(_why(exc))
    if session.assignment_hash != ref.assignment_hash:
        return fatal(f"the assignment changed while grading ({ref.name}: hash {session.assignment_hash}, "
                     f"expected {ref.assignment_hash})")
    with i18n.language(session.lang, session.locales), session:
        try:
            session.wait_ready()
        except GraderError as exc:
            return fatal(str(exc))
        wire.write_frame(out, {"op": "ready"})
        while True:
            msg = wire.read_frame(inp)
            if msg is None or msg["op"] == "stop":
                return 0
            try:
                task = task_from_doc(msg.get("task"))
            except wire.WireError as exc:
                return fatal(str(exc))
            try:
                r = session.grade(task)
            except GraderError as exc:
                return fatal(str(exc))
            except Exception as exc:  # noqa: BLE001 - this task is lost; the owner decides what next
                wire.write_frame(out, {"op": "lost", "key": task.key, "failure": _why(exc)})
                if session.broken:
                    return 3
                continue
            wire.write_frame(out, {"op": "done", "key": task.key, "results_json": dumps(r)})


def _why(exc: BaseException) -> str:
    from autograder.course.errors import GraderError

    return str(exc) if isinstance(exc, GraderError) else f"{type(exc).__name__}: {exc}"


if __name__ == "__main__":
    sys.exit(main())
