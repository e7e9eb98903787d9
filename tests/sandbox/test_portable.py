"""The self-check's portable path (what Windows and macOS get), forced on Linux.

A plain subprocess with stdin/stdout as the channel and a wall-clock deadline only: the whole
public-test suite runs through it and gives, test by test, the results of the isolated path
(only the list of isolation layers differs); an endless loop is stopped at the deadline; and the
student is told that isolation is reduced.
"""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
import time
from pathlib import Path

from tiny_course import REPO, copy_assignment, put_solution

from autograder.cli import main
from autograder.sandbox import portable
from autograder.selfcheck.check import self_check


def comparable(r) -> dict:
    d = dataclasses.asdict(r)
    d.pop("layers")
    d.pop("execution_time", None)
    return d


def test_forced_by_the_environment(monkeypatch) -> None:
    monkeypatch.delenv(portable.ENV_FORCE, raising=False)
    assert portable.needed() is False  # this Linux machine has the isolated path
    monkeypatch.setenv(portable.ENV_FORCE, "1")
    assert portable.needed() is True


def test_the_portable_path_uses_no_fork_no_fd_passing_no_unix_socket(tmp_path: Path, monkeypatch) -> None:
    import socket

    def refuse(*args, **kwargs):
        raise AssertionError("not on the portable path")

    popen = subprocess.Popen
    seen = []

    def plain_popen(*args, **kwargs):
        assert not kwargs.get("pass_fds"), "pass_fds"
        seen.append(args[0])
        return popen(*args, **kwargs)

    for name in ("fork", "forkpty", "posix_spawn"):
        monkeypatch.setattr(os, name, refuse, raising=False)
    monkeypatch.setattr(socket, "socketpair", refuse)
    monkeypatch.setattr(socket, "send_fds", refuse)
    monkeypatch.setattr(subprocess, "Popen", plain_popen)
    folder = put_solution(copy_assignment(tmp_path / "plain"))
    r = self_check(folder, portable=True)
    assert seen and all(t.passed for t in r.tests)
    worker = (REPO / "autograder" / "sandbox" / "worker" / "portable.py").read_text(encoding="utf-8")
    for banned in ("fork", "pass_fds", "socket", "resource", "isolate", "landlock", "seccomp"):
        assert f"import {banned}" not in worker and f"os.{banned}" not in worker, banned


def test_the_public_suite_gives_the_same_results_through_the_portable_path(tmp_path: Path) -> None:
    for name, prepare in (("solution", put_solution), ("stubs", lambda f: f)):
        folder = prepare(copy_assignment(tmp_path / name))
        isolated = self_check(folder, portable=False)
        plain = self_check(folder, portable=True)
        assert plain.layers == ("separate-process", "wall-clock-deadline")
        assert "seccomp" not in plain.layers and isolated.layers != plain.layers
        assert comparable(plain) == comparable(isolated), name
        assert len(plain.tests) >= 30
        if name == "solution":
            assert all(t.passed for t in plain.tests)
        else:
            assert not any(t.passed for t in plain.tests)


def test_an_endless_loop_is_stopped_at_the_deadline(tmp_path: Path) -> None:
    folder = put_solution(copy_assignment(tmp_path / "loop"))
    text = (folder / "activations.py").read_text(encoding="utf-8")
    (folder / "activations.py").write_text(
        text.replace("def sigmoid(x):", "def sigmoid(x):\n    while True:\n        pass\n", 1),
        encoding="utf-8")
    t0 = time.monotonic()
    r = self_check(folder, portable=True)
    assert time.monotonic() - t0 < 60
    sigmoid = [t for t in r.tests if t.exercise == "sigmoid"]
    assert sigmoid and all(t.kind == "timeout" for t in sigmoid)
    assert all(t.passed for t in r.tests if t.exercise == "softmax")


def test_printing_and_reading_stdin_do_not_touch_the_channel(tmp_path: Path) -> None:
    folder = put_solution(copy_assignment(tmp_path / "noisy"))
    text = (folder / "activations.py").read_text(encoding="utf-8")
    noisy = ("import os, sys\nos.write(1, b'garbage on fd 1')\nprint('hello')\n"
             "print(sys.stdin.read() if sys.stdin.readable() else '')\n")
    (folder / "activations.py").write_text(noisy + text, encoding="utf-8")
    r = self_check(folder, portable=True)
    assert all(t.passed for t in r.tests), [t.feedback for t in r.tests if not t.passed]


def test_the_command_says_isolation_is_reduced(tmp_path: Path, capsys) -> None:
    folder = put_solution(copy_assignment(tmp_path / "cli"))
    assert main(["check", str(folder), "--portable"]) == 0
    out = capsys.readouterr().out
    assert "isolation is reduced" in out
    assert main(["check", str(folder)]) == 0
    assert "isolation is reduced" not in capsys.readouterr().out


def test_the_environment_variable_forces_it_for_the_command(tmp_path: Path) -> None:
    folder = put_solution(copy_assignment(tmp_path / "env"))
    env = dict(os.environ, **{portable.ENV_FORCE: "1"})
    r = subprocess.run([sys.executable, "-m", "autograder", "check", str(folder)], env=env,
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "isolation is reduced" in r.stdout
