"""What a test folder holds, without running it: every test's id, exercise, points and markers.

Collected exactly as a grading session collects (same pytest options and rootdir, so the node ids
are the ones in results.json), in this process; the test modules it imported are forgotten again.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from autograder.testkit.plugin import MARKERS

_INI = Path(__file__).with_name("grading.ini")


@dataclass(frozen=True)
class CollectedTest:
    nodeid: str
    exercise: str
    points: float
    main_result: bool  # @pytest.mark.main_result: the exercise's main result (the severity rule)


class _Collector:
    def __init__(self) -> None:
        self.tests: list[CollectedTest] = []
        self.errors: list[str] = []

    def pytest_configure(self, config: pytest.Config) -> None:
        for line in MARKERS.values():
            config.addinivalue_line("markers", line)

    def pytest_collectreport(self, report) -> None:
        if report.failed:
            self.errors.append(f"{report.nodeid}: {report.longreprtext}")

    def pytest_collection_modifyitems(self, items: list[pytest.Item]) -> None:
        for item in items:
            ex, pts = item.get_closest_marker("exercise"), item.get_closest_marker("points")
            if ex is None or pts is None:
                self.errors.append(f"{item.nodeid}: no exercise or points marker")
                continue
            self.tests.append(CollectedTest(item.nodeid, str(ex.args[0]), float(pts.args[0]),
                                            item.get_closest_marker("main_result") is not None))


def collect_tests(tests: Path) -> tuple[CollectedTest, ...]:
    """The tests of ``tests`` (a folder) in collection order; ValueError when they cannot be collected."""
    tests = Path(tests).resolve()
    collector = _Collector()
    before = set(sys.modules)
    try:
        code = pytest.main([str(tests), "-c", str(_INI), "--rootdir", str(tests), "--noconftest",
                            "--collect-only", "-p", "no:cacheprovider", "-p", "no:terminal",
                            "-p", "no:warnings", "-p", "no:logging"], plugins=[collector])
    finally:
        for name in set(sys.modules) - before:
            file = getattr(sys.modules[name], "__file__", None)
            if file and Path(file).resolve().is_relative_to(tests):
                del sys.modules[name]
    if collector.errors or code not in (pytest.ExitCode.OK, pytest.ExitCode.NO_TESTS_COLLECTED):
        raise ValueError(f"the tests in {tests} could not be collected (pytest exit code {int(code)}): "
                         + "; ".join(collector.errors))
    return tuple(collector.tests)
