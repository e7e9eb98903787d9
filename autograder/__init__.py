"""autograder: isolated, numeric auto-grading for introductory neural-network homework.

The folders, in pipeline order; each imports only the ones below it (import-linter, pyproject.toml):

    devtools/        developer-only tools: demo, message extraction for the catalogues
    cli.py           the ``autograder`` command: thin main(argv) over the library calls
    portal/          the submission service: web API and pages, database, dispatcher
    export/          Gradescope autograder zip and run_autograder, otter, nbgrader, LMS grade files
    audit/           the instructor's audits of an assignment's tests: mutants, severity, variant suites
    selfcheck/       the student's self-check: public tests on the same engine, notebook check cells
    grading/         the seam (grade_submission), executor and grading process, scheduler, OUT store, batch
    reports/         class analysis (item statistics, similar pairs), writing the class report
    render/          renderers: results.json, feedback.md, grades.csv, report.html, item analysis, history
    records/         the gradebook (SQLAlchemy): every run and every result
    intake/          finding, unpacking and vetting submissions; notebooks; nbgrader's layout
    testkit/         what hidden-test authors import: expectations, gradcheck, pytest plugin and session
    sandbox/         the trusted side of the worker: protocol, client, launchers, scratch, doctor
    sandbox/worker/  the ONLY code that runs beside student code: zygote, loop, calls, isolation layers
    author/          solution markers, stubs, the notebook, the student bundle, reproducible zips
    course/          assignment model, late policy, i18n, exceptions, kinds, result values, atomic writes
    locale/          the engine's gettext catalogues
"""

__version__ = "0.1.0"
