"""The worker's walls: each layer a worker reports as active really stops what it should.

Full-stack checks run probes inside real workers (through the launchers, on small submissions in
tmp_path) and read what the probe printed. Layers that the full stack hides behind another (the
network namespace and Landlock's TCP rule sit behind seccomp's "no sockets") are checked alone in
a child interpreter that puts up just that layer. A layer this machine lacks is skipped, with the
reason ``autograder doctor`` gives.
"""

import os
import signal
import socket
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from tiny_course import REPO

from autograder.cli import main
from autograder.sandbox.client import WorkerStudent
from autograder.sandbox.launch import ZygoteLauncher
from autograder.sandbox.scratch import Scratch, sweep
from autograder.sandbox.worker import identity, landlock, namespaces, seccomp, syscalls

LINUX = sys.platform == "linux"
pytestmark = pytest.mark.skipif(not LINUX, reason="the isolation layers are Linux's")

PROBES = '''
import os, socket, sys, threading
import numpy as np

def _try(name, f):
    try:
        r = f()
        print(f"{name}: allowed {r!r}"[:200])
    except BaseException as e:
        print(f"{name}: blocked {type(e).__name__}")

def _write(path):
    with open(path, "w") as f:
        f.write("forged")

def files(x):
    _try("read-own", lambda: len(open("mod.py").read()))
    _try("read-etc-passwd", lambda: open("/etc/passwd").read(10))
    _try("list-reference", lambda: os.listdir(REFERENCE))
    _try("read-reference", lambda: open(REFERENCE_FILE).read(10))
    _try("list-submission", lambda: os.listdir(SUBMISSION))
    _try("write-cwd", lambda: _write("forged.json"))
    _try("write-tmp", lambda: _write(TMP_TARGET))
    _try("write-submission", lambda: _write(os.path.join(SUBMISSION, "forged.json")))
    return 0.0

def processes(x):
    _try("fork", os.fork)
    _try("exec", lambda: os.execv("/bin/true", ["true"]))
    _try("thread", lambda: threading.Thread(target=lambda: None).start())
    _try("kill-self", lambda: os.kill(os.getpid(), 0))
    _try("kill-parent", lambda: os.kill(os.getppid(), 0))
    _try("kill-grader", lambda: os.kill(GRADER_PID, 0))
    _try("killpg-grader", lambda: os.killpg(os.getpgid(GRADER_PID), 0))
    return 0.0

def network(x):
    _try("socket-inet", lambda: socket.socket(socket.AF_INET, socket.SOCK_STREAM))
    _try("socket-unix", lambda: socket.socket(socket.AF_UNIX, socket.SOCK_STREAM))
    _try("socketpair", socket.socketpair)
    return 0.0

def identity(x):
    print(f"uid: {os.getuid()} {os.getgid()} {os.getgroups()}")
    print(f"session: {os.getsid(0)} {os.getpgid(0)} {os.getpid()}")
    is_open = []
    for fd in range(256):
        try:
            os.fstat(fd)
            is_open.append(fd)
        except OSError:
            pass
    print(f"fds: {is_open}")
    return 0.0

def memory(x):
    _try("allocate-4GB", lambda: np.ones(4 * 1024**3 // 8).sum())
    return 0.0

def big_file(x):
    _try("write-2MB", lambda: _write(TMP_TARGET + ".big"))
    return 0.0
'''

FUNCS = ["files", "processes", "network", "identity", "memory", "big_file"]


def outcome(output: str) -> dict[str, str]:
    """'name: allowed ...' / 'name: blocked Error' lines -> {name: 'allowed'|'blocked ...'}."""
    out = {}
    for line in output.splitlines():
        name, _, rest = line.partition(": ")
        out[name] = rest
    return out


@pytest.fixture(scope="module")
def submission(tmp_path_factory) -> Path:
    d = tmp_path_factory.mktemp("probe")
    consts = (f"REFERENCE = {str(REPO / 'reference')!r}\n"
              f"REFERENCE_FILE = {str(REPO / 'reference' / 'hw07' / 'hw07_reference.py')!r}\n"
              f"SUBMISSION = {str(d)!r}\nTMP_TARGET = {str(d.parent / 'forged-by-worker')!r}\n"
              f"GRADER_PID = {os.getpid()}\n")
    (d / "mod.py").write_text(consts + PROBES)
    return d


@pytest.fixture
def run(launcher, submission):
    """run(function) -> (layers, {probe: outcome}) from a fresh worker."""
    students = []

    def go(name: str):
        s = WorkerStudent(lambda: launcher.spawn(submission, {"mod.py": FUNCS}), timeout=20.0,
                          file_of={f: "mod.py" for f in FUNCS})
        students.append(s)
        call = s.call(name, 0.0)
        return s.layers, outcome(call.output)

    yield go
    for s in students:
        s.close()


REQUIRED = os.environ.get("AUTOGRADER_REQUIRE_ISOLATION") == "1"  # set by .ci/run on the CI machine


def absent(why: str) -> None:
    """A layer this machine lacks: a skip on a laptop, a failure where AUTOGRADER_REQUIRE_ISOLATION=1
    (CI), so a machine that silently lost a layer cannot pass."""
    if REQUIRED:
        pytest.fail(f"an isolation layer is missing and AUTOGRADER_REQUIRE_ISOLATION=1: {why}")
    pytest.skip(why)


def need(layers, *names):
    missing = [n for n in names if n not in layers]
    if missing:
        absent(f"not active on this machine: {', '.join(missing)} (see autograder doctor)")


# ------------------------------------------------------------------ the full stack, in real workers

def test_the_worker_reports_its_layers_and_the_basics_are_always_there(run):
    layers, _ = run("identity")
    assert {"fd-hygiene", "new-session", "rlimit-cpu", "rlimit-as", "rlimit-fsize"} <= set(layers)
    assert len(set(layers)) == len(layers)


def test_fd_hygiene_and_new_session(run, launcher, submission):
    layers, got = run("identity")
    assert got["fds"] == "[0, 1, 2, 3]"
    sid, pgid, pid = got["session"].split()
    assert sid == pgid == pid


def test_landlock_allows_reading_only_the_submission_copy_and_no_writes(run, submission):
    layers, got = run("files")
    need(layers, "landlock-fs")
    assert got["read-own"].startswith("allowed")
    for probe in ("read-etc-passwd", "list-reference", "read-reference", "list-submission",
                  "write-cwd", "write-tmp", "write-submission"):
        assert got[probe].startswith("blocked"), (probe, got[probe])
    assert not (submission.parent / "forged-by-worker").exists()
    assert not (submission / "forged.json").exists()


def test_the_worker_uid_cannot_read_or_write_the_graders_files(run, submission):
    layers, got = run("identity")
    need(layers, "worker-uid")
    uid, gid, groups = got["uid"].split(" ", 2)
    assert int(uid) >= identity.BASE and int(gid) >= identity.BASE and groups == "[]"


def test_seccomp_stops_processes_programs_and_signals_out(run):
    layers, got = run("processes")
    need(layers, "seccomp")
    for probe in ("fork", "exec", "kill-self", "kill-parent", "kill-grader", "killpg-grader"):
        assert got[probe].startswith("blocked"), (probe, got[probe])


def test_seccomp_stops_every_socket(run):
    layers, got = run("network")
    need(layers, "seccomp")
    assert all(v.startswith("blocked PermissionError") for v in got.values()), got


def test_rlimit_nproc_stops_threads_of_the_worker_uid(run):
    layers, got = run("processes")
    need(layers, "rlimit-nproc")
    assert got["thread"].startswith("blocked")


def test_rlimit_as_turns_a_huge_allocation_into_memory_error(run):
    layers, got = run("memory")
    need(layers, "rlimit-as")
    assert got["allocate-4GB"] == "blocked MemoryError"


def test_workers_of_two_launchers_run_as_different_uids(submission):
    if not identity.can_drop():
        absent("not root: workers keep the grader's uid")
    a, b = ZygoteLauncher(), ZygoteLauncher()
    try:
        uids = []
        for lau in (a, b):
            s = WorkerStudent(lambda lau=lau: lau.spawn(submission, {"mod.py": FUNCS}), 20.0,
                              file_of={f: "mod.py" for f in FUNCS})
            uids.append(outcome(s.call("identity", 0.0).output)["uid"].split()[0])
            s.close()
        assert uids[0] != uids[1]
    finally:
        a.close()
        b.close()


def test_die_with_parent_kills_the_worker_when_the_zygote_dies(submission):
    lau = ZygoteLauncher()
    try:
        w = lau.spawn(submission, {"mod.py": FUNCS})
        assert "die-with-parent" in w.layers
        lau.proc.kill()
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and _alive(w.pid):
            time.sleep(0.02)
        assert not _alive(w.pid)
        w.kill()
    finally:
        lau.close()


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(")")[-1].split()[0] != "Z"
    except OSError:
        return False


def test_scratch_copies_are_removed_with_their_workers(launcher, submission):
    w = launcher.spawn(submission, {"mod.py": FUNCS})
    copies = list(launcher.spaces.scratch.base.iterdir())
    assert copies
    w.kill()
    assert not any(p.exists() for p in copies)


# ------------------------------------------------------------------ one layer alone, in a child

def in_child(code: str, timeout: float = 20.0) -> str:
    """Run ``code`` in a fresh interpreter (the repository importable); its printed output."""
    boot = f"import sys; sys.path.insert(0, {str(REPO)!r})\n" + textwrap.dedent(code)
    r = subprocess.run([sys.executable, "-I", "-c", boot], capture_output=True, text=True,
                       timeout=timeout)
    assert r.returncode == 0, r.stderr
    return r.stdout.strip()


@pytest.fixture
def listener():
    """A TCP server on loopback that the child tries to reach; its port."""
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind(("127.0.0.1", 0))
    s.listen(8)
    yield s.getsockname()[1]
    s.close()


CONNECT = '''
import socket
def connect(port):
    try:
        socket.create_connection(("127.0.0.1", port), timeout=2).close()
        return "connected"
    except OSError as e:
        return f"refused {type(e).__name__}"
'''


def test_network_namespace_alone_cuts_loopback_off(listener):
    ok, why = namespaces.probe()
    if not ok:
        absent(why)
    assert in_child(CONNECT + f"print(connect({listener}))") == "connected"
    got = in_child(CONNECT + f'''
from autograder.sandbox.worker import namespaces
assert "net-namespace" in namespaces.new_network()
print(connect({listener}))''')
    assert got.startswith("refused")


def test_landlock_alone_denies_tcp_and_signals_out(listener):
    version, why = landlock.abi()
    if version < 4:
        absent(why or f"Landlock ABI {version} has no TCP rules")
    got = in_child(CONNECT + f'''
import os
from autograder.sandbox.worker import landlock, syscalls
syscalls.prctl(syscalls.PR_SET_NO_NEW_PRIVS, 1)
layers = landlock.prepare([]).enforce()
print(connect({listener}))
if "landlock-scope" in layers:
    try:
        os.kill(os.getppid(), 0)
        print("signal allowed")
    except PermissionError:
        print("signal blocked")
else:
    print("signal blocked")''')
    assert got.splitlines() == ["refused PermissionError", "signal blocked"]


def test_seccomp_alone_allows_threads_but_not_processes():
    ok, why = seccomp.available()
    if not ok:
        absent(why)
    got = in_child('''
import os, socket, threading
from autograder.sandbox.worker import seccomp
assert seccomp.install()
box = []
t = threading.Thread(target=lambda: box.append(1)); t.start(); t.join()
print("thread", box)
for name, f in [("fork", os.fork), ("socket", socket.socket),
                ("exec", lambda: os.execv("/bin/true", ["true"])),
                ("kill-parent", lambda: os.kill(os.getppid(), 0)),
                ("kill-self", lambda: os.kill(os.getpid(), 0))]:
    try:
        f()
        print(name, "allowed")
    except PermissionError:
        print(name, "blocked")
print(os.getpid() > 0, sum(range(10)))''')
    assert got.splitlines() == ["thread [1]", "fork blocked", "socket blocked", "exec blocked",
                                "kill-parent blocked", "kill-self blocked", "True 45"]


def test_rlimit_fsize_makes_an_oversize_write_fail_with_efbig(tmp_path):
    got = in_child(f'''
from autograder.sandbox.worker import isolate
isolate._rlimits(isolate.Limits(file_bytes=4096))
try:
    with open({str(tmp_path / "big")!r}, "wb") as f:
        f.write(b"x" * 10000)
    print("written")
except OSError as e:
    print("errno", e.errno)''')
    assert got == "errno 27"  # EFBIG: Python ignores SIGXFSZ
    assert (tmp_path / "big").stat().st_size <= 4096


def test_a_missing_layer_is_left_out_and_reported_never_an_error():
    got = in_child('''
from autograder.sandbox.worker import isolate, landlock, seccomp

def missing():
    raise ImportError("no libseccomp here")

seccomp._PROGRAM = None
seccomp.binding = missing
landlock.abi = lambda: (0, "no Landlock here")
print(seccomp.available()[0], seccomp.install())
print(" ".join(isolate.confine(isolate.Limits())))''')
    first, layers = got.splitlines()
    assert first == "False False"
    assert "seccomp" not in layers.split() and "landlock-fs" not in layers.split()
    assert {"fd-hygiene", "new-session", "rlimit-cpu"} <= set(layers.split())


# ------------------------------------------------------------------ the pieces


def test_syscalls_raise_oserror_with_the_kernels_errno():
    with pytest.raises(OSError) as e:
        syscalls.unshare(-1)
    assert e.value.errno == 22  # EINVAL
    try:
        assert syscalls.landlock_abi() >= 1
    except OSError as exc:
        assert exc.errno in (38, 95)  # ENOSYS, EOPNOTSUPP: no Landlock here
    assert syscalls.prctl(syscalls.PR_GET_NO_NEW_PRIVS) in (0, 1)


def test_landlock_rules_cover_python_but_never_the_course():
    paths = landlock.python_paths()
    assert Path(sys.prefix) in paths and (REPO / "autograder") in paths
    for p in paths:
        assert p != REPO and REPO / "reference" not in (p, *p.parents)
        assert p != Path("/")


def test_scratch_copies_python_files_only_and_no_links(tmp_path):
    src = tmp_path / "sub"
    src.mkdir()
    (src / "a.py").write_text("x = 1\n")
    (src / "notes.txt").write_text("hello")
    (src / "huge.py").write_bytes(b"#" * (2 * 1024 * 1024))
    (src / "link.py").symlink_to("/etc/passwd")
    (src / "pkg").mkdir()
    (src / "pkg" / "b.py").write_text("")
    sc = Scratch()
    try:
        dest = sc.stage(src, identity.ids_for(7) if identity.can_drop() else None)
        assert sorted(p.name for p in dest.iterdir()) == ["a.py"]
        assert (dest / "a.py").read_text() == "x = 1\n"
        assert not os.stat(dest / "a.py").st_mode & 0o222 & ~0o200
        sc.remove(dest)
        assert not dest.exists()
    finally:
        sc.close()
    assert not sc.base.exists()


def test_scratch_bases_of_dead_processes_are_swept(tmp_path):
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True).stdout.strip()
    stale = tmp_path / f"autograder-workers-{dead}-abc"
    (stale / "w1").mkdir(parents=True)
    (stale / "w1" / "a.py").write_text("")
    os.chmod(stale / "w1", 0o500)
    live = tmp_path / f"autograder-workers-{os.getpid()}-abc"
    live.mkdir()
    other = tmp_path / "autograder-workers-notapid"
    other.mkdir()
    sweep(tmp_path)
    assert not stale.exists() and live.exists() and other.exists()


def test_slots_are_claimed_once_and_freed():
    a, b = identity.Slot(), identity.Slot()
    try:
        assert a.index != b.index and a.ids != b.ids
        freed = a.index
        a.release()
        c = identity.Slot()
        assert c.index == freed
        c.release()
    finally:
        a.release()
        b.release()


def test_killing_a_worker_kills_its_whole_group(launcher, submission):
    w = launcher.spawn(submission, {"mod.py": FUNCS})
    assert os.getpgid(w.pid) == w.pid
    w.kill()
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and _alive(w.pid):
        time.sleep(0.02)
    assert not _alive(w.pid)
    with pytest.raises(ProcessLookupError):
        os.killpg(w.pid, signal.SIGKILL)  # nothing of its group is left


def test_doctor_names_every_layer_and_exits_0(capsys):
    assert main(["doctor"]) == 0
    out = capsys.readouterr().out
    for layer in ("net-namespace", "landlock-fs", "landlock-tcp", "landlock-scope", "worker-uid",
                  "seccomp", "rlimit-nproc", "die-with-parent"):
        assert layer in out
    assert "A test worker reported" in out
