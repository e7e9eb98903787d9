"""The class report of a real graded class, opened in headless Chromium (Debian's, driven by Playwright).

A few mutant submissions are graded with ``grade_class`` (which writes report.html); the page must show
the numbers computed here from the results.json files, sort its student table on a click, log no
error and load nothing but itself. Screenshots go to reports/screenshots/ (not committed).
`make test` installs Chromium first (`make browser`); without it this test fails, it is never skipped.
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
from pathlib import Path

import pytest
from tiny_course import REPO

from autograder.grading.batch import grade_class

CASES = ["solution", "sigmoid_naive", "mul_no_swap", "syntax_error"]
CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--no-first-run", "--disable-sync"]
SCREENSHOTS = REPO / "reports" / "screenshots"


def fmt(x: float) -> str:
    return f"{round(x, 2):g}"


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    subs = tmp_path_factory.mktemp("submissions")
    for case in CASES:
        shutil.copytree(REPO / "tests" / "submissions" / case, subs / case,
                        ignore=shutil.ignore_patterns("expected.toml"))
    out = tmp_path_factory.mktemp("out")
    grade_class(subs, REPO, "hw07", out, jobs=2, progress=False)
    return out


@pytest.fixture(scope="module")
def expected(graded):
    """The numbers the page must show, from the results.json files (not from autograder.reports.analysis)."""
    docs = [json.loads((graded / c / "results.json").read_text(encoding="utf-8")) for c in CASES]
    scores = {d["extra_data"]["student_id"]: d["score"] for d in docs}
    mul = [e for d in docs for e in d["extra_data"]["exercises"] if e[0] == "mul_backward"]
    mistakes = {m.partition(": ")[0] for d in docs for m in d["extra_data"]["mistakes"] if m}
    full = sum(s == mx for _, s, mx, _ in mul) / len(mul)
    return {"n": str(len(docs)), "mean": fmt(statistics.fmean(scores.values())), "scores": scores,
            "mul_full": f"{round(100 * full)}%", "mistakes": mistakes}


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: run `make browser` (as root it installs Debian's chromium "
                    f"package)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.fail("playwright is not installed: run `make install` (it is in the dev extra)")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS, headless=True)
        yield b
        b.close()


def test_report_in_chromium(graded, expected, browser):
    report = graded / "report.html"
    assert report.is_file() and (graded / "item_analysis.csv").is_file()
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    problems, requests = [], []
    page.on("console", lambda m: problems.append(f"console {m.type}: {m.text}")
            if m.type in ("error", "warning") else None)
    page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
    page.on("requestfailed", lambda r: problems.append(f"request failed: {r.url}"))
    page.on("request", lambda r: requests.append(r.url))
    page.goto(report.as_uri(), wait_until="load")

    # the numbers
    assert page.inner_text("#class-size") == expected["n"]
    assert page.inner_text("#mean-score") == expected["mean"]
    assert page.inner_text("#exercise-mul_backward .full-rate") == expected["mul_full"]
    mistakes = page.inner_text("#mistakes")
    assert expected["mistakes"] and all(m in mistakes for m in expected["mistakes"])
    assert "no swap" in mistakes and "the naive formula" in mistakes[:2000]
    assert page.locator("#problem-syntax_error").count() == 1
    assert page.locator("svg.plot").count() == 3

    # the student table sorts by score on a click, and back on a second one
    table = page.locator("#student-table")

    def column(i: int) -> list[str]:
        js = f"rows => rows.map(r => r.cells[{i}].textContent.trim())"
        return table.locator("tbody tr").evaluate_all(js)

    assert column(0) == sorted(expected["scores"])  # by student id, without JavaScript too
    header = table.locator("thead th", has_text="score").first
    header.click()
    ascending = [float(x) for x in column(1)]
    assert ascending == sorted(expected["scores"].values())
    assert header.get_attribute("aria-sort") == "ascending"
    assert [expected["scores"][s] for s in column(0)] == ascending
    header.click()
    assert [float(x) for x in column(1)] == sorted(expected["scores"].values(), reverse=True)

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    shot = SCREENSHOTS / "report.png"
    page.screenshot(path=str(shot), full_page=True)
    page.emulate_media(media="print")
    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=str(SCREENSHOTS / "report-print.png"))  # the first screen, in print style
    print(f"\nscreenshot: {shot} (and report-print.png: the print stylesheet)")

    assert problems == []
    assert requests and all(u.startswith("file://") for u in requests), requests
    assert os.path.getsize(shot) > 10_000
    page.close()
