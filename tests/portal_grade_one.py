"""Grade one portal task in this process and print its results.json: the pages' tests' stand-in for the
seam's LocalExecutor while ``autograder.grading.executor`` is not on main (tests/portal_pages_support.py
uses the real one as soon as it is). The same engine as ``autograder grade``: one pytest session over the
hidden tests, the submission in an isolated worker (sandbox.launch), only numbers back.

stdin: JSON {course, name, lang, task: {student_id, files: [[path, base64]], notes, submission_hash,
error}}; stdout: the results.json text.
"""

from __future__ import annotations

import base64
import json
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path


def main() -> int:
    from autograder.course import i18n
    from autograder.course.assignment import find_assignment
    from autograder.intake.unpack import materialize
    from autograder.render import gradescope
    from autograder.sandbox.client import WorkerStudent
    from autograder.sandbox.launch import default_launcher
    from autograder.testkit.plugin import Job
    from autograder.testkit.session import grading_hash, load_reference, run_session

    doc = json.load(sys.stdin)
    task = doc["task"]
    a, secrets = find_assignment(Path(doc["course"]), doc["name"])
    ref = load_reference(secrets.reference)
    ahash = grading_hash(a, secrets, doc["lang"])
    files = a.files_map()
    file_of = {fn: f for f, fns in files.items() for fn in fns}
    launcher = default_launcher()
    out = []
    try:
        with tempfile.TemporaryDirectory(prefix="ag-portal-task-") as tmp:
            folder = materialize([(p, base64.b64decode(b)) for p, b in task["files"]], Path(tmp) / "sub")
            t0 = time.monotonic()
            job = Job(task["student_id"], lambda: WorkerStudent(
                lambda: launcher.spawn(folder, files), a.call_timeout, uses=a.uses_of, oracle_module=ref,
                file_of=file_of), tuple(task["notes"]), task["submission_hash"])
            with i18n.language(doc["lang"], (secrets.locale, a.locale)):
                run_session(secrets.hidden_tests, a, [job], out.append, ref, ahash)
            r = replace(out[0], execution_time=time.monotonic() - t0, error=task["error"])
    finally:
        launcher.close()
    sys.stdout.write(gradescope.dumps(r))
    return 0


if __name__ == "__main__":
    sys.exit(main())
