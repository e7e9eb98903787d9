"""Bad input, clear messages: folders, zips and single .py files, and everything wrong with them.

Each case builds its submissions in tmp_path (zips with traversal, link entries and bombs cannot be
checked in safely) and asserts what the student is told and what the worker would read.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import stat
import zipfile
from pathlib import Path

import numpy as np
import pytest
from tiny_course import HIDDEN_IMPORTS, HW07_LATE, REPO, SGD_TEST, SIGMOID_TEST, SOL, make_course, write_files

from autograder.cli import main
from autograder.course.assignment import load_assignment
from autograder.intake.discover import discover, prepare
from autograder.intake.unpack import Limits, text_problem
from autograder.sandbox.client import DirectStudent
from autograder.testkit.session import load_reference

A = load_assignment(REPO / "assignments" / "hw07")
FILES = list(A.files)  # activations.py, gates.py, optim.py, logreg.py
TINY_TESTS = HIDDEN_IMPORTS + SIGMOID_TEST + SGD_TEST.format(points=1)  # 3 points


def zipped(path: Path, files: dict[str, str | bytes], links: dict[str, str] | None = None) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, text in files.items():
            z.writestr(name, text)
        for name, target in (links or {}).items():
            info = zipfile.ZipInfo(name)
            info.create_system = 3
            info.external_attr = (stat.S_IFLNK | 0o777) << 16
            z.writestr(info, target)
    return path


def one(root: Path, limits: Limits | None = None):
    subs, skipped = discover(root, A, limits)
    assert len(subs) == 1, (subs, skipped)
    return subs[0]


def text(sub) -> str:
    return "\n".join(sub.notes)


def files_of(sub) -> dict[str, bytes]:
    return dict(sub.files)


# -- the three shapes of a submission

def test_folder_zip_and_single_py_are_students(subs: Path) -> None:
    write_files(subs / "ann", SOL)
    zipped(subs / "bob.zip", {f"bob/hw07/{n}": t for n, t in SOL.items()})
    (subs / "cid.py").write_text("".join(SOL.values()))
    got, skipped = discover(subs, A)
    assert [s.student_id for s in got] == ["ann", "bob", "cid"] and skipped == []
    ann, bob, cid = got
    assert files_of(ann) == files_of(bob) == {n: t.encode() for n, t in SOL.items()}
    assert ann.notes == bob.notes == () and ann.hash == bob.hash  # the content decides, not the shape
    assert set(files_of(cid)) == set(FILES)
    assert files_of(cid)["activations.py"] == "".join(SOL.values()).encode()
    assert b"import activations as _submission" in files_of(cid)["gates.py"]
    assert cid.notes == ("cid.py was graded as one module holding every function of the assignment: as "
                         "activations.py (errors in it are reported there), with gates.py, optim.py, "
                         "logreg.py taking their functions from it.",)


def test_one_module_submission_is_graded_like_separate_files(subs: Path, tmp_path: Path) -> None:
    """A function a test replaces by the trusted one (``uses``) is replaced for the student's callers."""
    (subs / "cid.py").write_text("".join(SOL.values()) + "\n\ndef sigmoid(x):\n    return x * 0.0\n")
    sub = prepare(one(subs), tmp_path / "work")
    ref = load_reference(REPO / "reference" / "hw07" / "hw07_reference.py")
    me = DirectStudent(sub.folder, A.files_map(), oracle_module=ref, uses=A.uses_of)
    try:
        x, w0, w1 = np.linspace(-1, 1, 3), np.full(3, 0.5), np.full(3, 2.0)
        f, grads = me.sigmoid_circuit(x, w0, w1)
        want_f, want_grads = ref.sigmoid_circuit(x, w0, w1)
        np.testing.assert_allclose(f, want_f)  # the wrong sigmoid costs sigmoid's points only
        np.testing.assert_allclose(me.sigmoid(x), 0.0)
        assert me.mul_backward(np.ones(2), (np.ones(2), np.full(2, 3.0)))[0].tolist() == [3.0, 3.0]
    finally:
        me.close()


def test_zip_holding_one_unnamed_py_is_one_module(subs: Path) -> None:
    zipped(subs / "dan.zip", {"work/solution.py": "".join(SOL.values())})
    sub = one(subs)
    assert set(files_of(sub)) == set(FILES)
    assert "work/solution.py was graded as one module" in text(sub)


def test_prepare_writes_plain_readable_files_only(subs: Path, tmp_path: Path) -> None:
    write_files(subs / "ann", {**SOL, "utils.py": "K = 1\n"})
    sub = prepare(one(subs), tmp_path / "work")
    names = sorted(os.listdir(sub.folder))
    assert names == sorted([*FILES, "utils.py"])
    for n in names:
        st = os.lstat(sub.folder / n)
        assert stat.S_ISREG(st.st_mode) and stat.S_IMODE(st.st_mode) == 0o644
    assert sub.files == () and "not graded (your files may import them): utils.py" in "\n".join(sub.notes)


# -- what is refused, with the message that says why

def test_zip_path_traversal_is_refused_and_the_rest_is_used(subs: Path, tmp_path: Path) -> None:
    zipped(subs / "eve.zip", {"../evil.py": "x = 1\n", "/abs.py": "x = 1\n", "..\\win.py": "x = 1\n",
                              "C:/drive.py": "x = 1\n", "hw/../../up.py": "x = 1\n", **SOL})
    sub = prepare(one(subs), tmp_path / "work")
    for name in ("../evil.py", "/abs.py", "..\\\\win.py", "C:/drive.py", "hw/../../up.py"):
        assert f"the entry '{name}' points outside the submission" in text(sub), name
    assert sorted(os.listdir(sub.folder)) == sorted(FILES)
    assert not list(tmp_path.rglob("evil.py")) and not list(tmp_path.rglob("up.py"))


def test_zip_symlink_entries_are_refused(subs: Path) -> None:
    rest = {n: t for n, t in SOL.items() if n != "activations.py"}
    zipped(subs / "fay.zip", rest, links={"activations.py": "/etc/passwd",
                                          "ref.py": str(REPO / "reference/hw07/hw07_reference.py")})
    sub = one(subs)
    assert "activations.py is a symbolic link; links are not accepted" in text(sub)
    assert "ref.py is a symbolic link" in text(sub)
    assert "activations.py could not be used (see above): sigmoid" in text(sub)
    assert set(files_of(sub)) == set(rest) and b"root:" not in b"".join(files_of(sub).values())


def test_folder_symlinks_are_not_followed(subs: Path) -> None:
    sub_dir = write_files(subs / "gus",
                          {n: t for n, t in SOL.items() if n not in ("activations.py", "gates.py")})
    os.symlink("/etc/passwd", sub_dir / "activations.py")
    os.symlink(REPO / "reference/hw07/hw07_reference.py", sub_dir / "gates.py")
    os.symlink("/etc", sub_dir / "etc")
    os.symlink("optim.py", sub_dir / "alias.py")
    sub = one(subs)
    t = text(sub)
    assert "activations.py is a symbolic link (to something outside your submission)" in t
    assert "gates.py is a symbolic link (to something outside your submission)" in t
    assert "etc is a symbolic link" in t and "alias.py is a symbolic link (to another file of your" in t
    assert "activations.py could not be used (see above)" in t and "gates.py could not be used" in t
    assert set(files_of(sub)) == {"optim.py", "logreg.py"}


def test_top_level_symlink_is_a_student_with_an_error(subs: Path, tmp_path: Path) -> None:
    real = write_files(tmp_path / "elsewhere", SOL)
    os.symlink(real, subs / "hal")
    sub = one(subs)
    assert sub.error == "the submission is a symbolic link"
    assert "hal is a symbolic link; the grader does not follow links" in text(sub)
    assert sub.files == ()


def test_zip_bomb_is_named_and_not_unpacked(subs: Path) -> None:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
        z.writestr("bomb.bin", b"\0" * (8 * 1024 * 1024))
        z.writestr("activations.py", b" " * (3 * 1024 * 1024))  # a .py over the file limit
        for n, t in SOL.items():
            if n != "activations.py":
                z.writestr(n, t)
    (subs / "ida.zip").write_bytes(buf.getvalue())
    sub = one(subs, Limits(max_unpacked_bytes=4 * 1024 * 1024))
    t = text(sub)
    assert "ida.zip would unpack to 11 MB" in t and "looks like a zip bomb" in t
    assert "activations.py is 3 MB, over the 1 MB limit for one file: sigmoid" in t
    assert "Not used: bomb.bin." in t
    assert set(files_of(sub)) == {"gates.py", "optim.py", "logreg.py"}


def test_zip_with_too_many_entries_is_refused(subs: Path) -> None:
    zipped(subs / "jon.zip", {f"junk/{i}.txt": "x" for i in range(60)})
    sub = one(subs, Limits(max_entries=50))
    assert sub.error == "the zip file holds too many files"
    assert sub.notes == ("jon.zip holds 60 entries, over the limit of 50; it was not unpacked.",)


def test_a_lying_size_header_does_not_get_past_the_cap(subs: Path) -> None:
    big = b"# " + b"x" * 5000 + b"\n"
    raw = bytearray(zipped(subs / "kim.zip", {"activations.py": big}).read_bytes())
    cd = raw.index(b"PK\x01\x02")  # central directory: claim the file is 100 bytes long
    raw[cd + 24:cd + 28] = (100).to_bytes(4, "little")
    (subs / "kim.zip").write_bytes(bytes(raw))
    sub = one(subs, Limits(max_file_bytes=1000))
    # zipfile stops at the declared size; the checksum then fails: never more than the cap is read
    assert "activations.py could not be read (BadZipFile: Bad CRC-32" in text(sub)
    assert sub.files == ()


def test_not_a_zip_is_a_student_with_an_error(subs: Path) -> None:
    (subs / "lea.zip").write_bytes(b"this is not a zip at all")
    sub = one(subs)
    assert sub.error == "the zip file could not be opened"
    assert text(sub).startswith("lea.zip is not a readable zip file (BadZipFile")


def test_encrypted_entries_are_named(subs: Path) -> None:
    raw = bytearray(zipped(subs / "max.zip", {"activations.py": SOL["activations.py"]}).read_bytes())
    for sig, flag_at in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        i = raw.index(sig)
        raw[i + flag_at] |= 1
    (subs / "max.zip").write_bytes(bytes(raw))
    assert "activations.py is encrypted (a password-protected zip)" in text(one(subs))


@pytest.mark.parametrize(("data", "message"), [
    (b"", "activations.py is empty"),
    (b"  \n\n", "activations.py is empty"),
    (b"\x7fELF\x02\x01\x01\0\0\0", "activations.py is not a text file (it holds binary data)"),
    ("# сигмоида\ndef sigmoid(x):\n    return x\n".encode("cp1251"),
     "activations.py is not UTF-8 text (byte 0xf1 on line 1); save it with the UTF-8 encoding"),
])
def test_unusable_python_files_are_named(subs: Path, data: bytes, message: str) -> None:
    write_files(subs / "ned", {**SOL, "activations.py": data})
    sub = one(subs)
    assert f"{message}: sigmoid, sigmoid_grad, relu, relu_grad, tanh_grad, softmax could not be " \
           f"graded." in text(sub)
    assert "activations.py" not in files_of(sub) and "gates.py" in files_of(sub)


def test_declared_encodings_and_bom_are_accepted() -> None:
    assert text_problem("a.py", "# -*- coding: cp1251 -*-\n# сигмоида\n".encode("cp1251")) == ""
    assert text_problem("a.py", b"\xef\xbb\xbfx = 1\n") == ""
    assert "has a coding line Python does not accept" in text_problem("a.py", b"# -*- coding: klingon -*-\n")
    assert "is not UTF-8 text (byte 0xff on line 3)" in text_problem("a.py", b"x = 1\ny = 2\n# \xff\n")


def test_file_over_the_size_limit_in_a_folder(subs: Path) -> None:
    write_files(subs / "oli", {**SOL, "optim.py": SOL["optim.py"] + "#" * 3000 + "\n"})
    sub = one(subs, Limits(max_file_bytes=2048))
    assert "optim.py is 3.4 KB, over the 2 KB limit for one file: sgd_step could not be graded." in text(sub)


def test_duplicate_ids_grade_neither_and_name_both(subs: Path) -> None:
    write_files(subs / "pat", SOL)
    zipped(subs / "pat.zip", SOL)
    (subs / "pat.py").write_text("x = 1\n")
    subs_, skipped = discover(subs, A)
    (sub,) = subs_
    assert sub.error == "more than one submission for this id"
    assert sub.notes == ("There is more than one submission for pat: pat/, pat.py, pat.zip. None of "
                         "them was graded; your TA has to keep exactly one.",)
    assert sub.files == ()
    assert skipped == ["pat: more than one submission (pat/, pat.py, pat.zip); none graded"]


def test_unexpected_file_names(subs: Path) -> None:
    zipped(subs / "quinn.zip", {
        "hw07/Activations.py": SOL["activations.py"],  # wrong case: used, with a note
        "hw07/gates.py": SOL["gates.py"], "hw07/gates (1).py": "broken(\n",  # browser copy: ignored
        "hw07/optim copy.py": SOL["optim.py"],  # Finder copy, no original: used
        "hw07/logreg.py": SOL["logreg.py"], "old/logreg.py": "x = 1\n",  # a second copy elsewhere
        "hw07/utils.py": "K = 1\n", "hw07/notes.txt": "hi", "hw07/hw07.ipynb": "{}",
        "__MACOSX/hw07/._gates.py": b"\0\1", "hw07/.DS_Store": b"\0", "hw07/__pycache__/x.pyc": b"\0",
    })
    sub = one(subs)
    assert sub.notes == (
        "hw07/Activations.py was graded as activations.py (the file name must be exactly activations.py).",
        "hw07/gates (1).py was not graded: hw07/gates.py was.",
        "hw07/optim copy.py was graded as optim.py (the file name must be exactly optim.py).",
        "logreg.py is in your submission more than once (hw07/logreg.py, old/logreg.py); graded: "
        "hw07/logreg.py.",
        "Files that are not part of the assignment were not graded (your files may import them): utils.py.",
        "Not used: hw07/notes.txt.",
        'hw07/hw07.ipynb is JSON but not a Jupyter notebook (it has no "nbformat" field).',
    )
    assert files_of(sub) == {**{n: t.encode() for n, t in SOL.items()}, "utils.py": b"K = 1\n"}


def test_zip_inside_a_zip_is_unpacked_once(subs: Path) -> None:
    inner = io.BytesIO()
    with zipfile.ZipFile(inner, "w") as z:
        for n, t in SOL.items():
            z.writestr(f"hw07/{n}", t)
    zipped(subs / "rae.zip", {"hw07.zip": inner.getvalue()})
    sub = one(subs)
    assert sub.notes == ("hw07.zip (a zip inside your submission) was unpacked.",)
    assert set(files_of(sub)) == set(FILES)


def test_entries_that_are_not_submissions(subs: Path) -> None:
    write_files(subs / "sam", SOL)
    (subs / "roster.csv").write_text("id\n")
    (subs / "activations.py").write_text(SOL["activations.py"])
    (subs / ".DS_Store").write_bytes(b"\0")
    (subs / "tia.rar").write_bytes(b"Rar!")
    (subs / "uma.tar.gz").write_bytes(b"\x1f\x8b")
    got, skipped = discover(subs, A)
    assert [s.student_id for s in got] == ["sam", "tia", "uma"]
    assert got[1].error == "not a folder, a .zip or a .py file"
    assert got[1].notes == ("tia.rar: this kind of file cannot be graded (submit a folder, a .zip or .py "
                            "files).",)
    assert skipped == [
        "activations.py: a file of the assignment, not a student (SUBMISSIONS must hold one entry per "
        "student, not one student's files); skipped",
        "roster.csv: not a folder, a .zip or a .py file; skipped",
    ]


# -- end to end: a class of bad input is graded, every student gets a row and a clear message

@pytest.fixture
def course(tmp_path: Path) -> Path:
    return make_course(tmp_path / "course", due=HW07_LATE, hidden=TINY_TESTS)


def test_a_class_of_bad_input_is_graded_with_clear_messages(subs: Path, course: Path, tmp_path: Path,
                                                            capsys) -> None:
    write_files(subs / "good", SOL)
    zipped(subs / "trav.zip", {"../../evil.py": "x = 1\n", **SOL})
    zipped(subs / "link.zip", {n: t for n, t in SOL.items() if n != "activations.py"},
           links={"activations.py": "/etc/passwd"})
    write_files(subs / "bin", {**SOL, "activations.py": b"\0\1\2"})
    write_files(subs / "dup", SOL)
    zipped(subs / "dup.zip", SOL)
    (subs / "junk.zip").write_bytes(b"PK\x03\x04 truncated")
    (subs / "one.py").write_text(SOL["activations.py"] + SOL["optim.py"])
    out = tmp_path / "out"
    code = main(["grade", str(subs), "--assignment", "hw07", "--out", str(out), "--course", str(course),
                 "--jobs", "2", "--no-progress"])
    printed = capsys.readouterr()
    assert code == 0, printed.err
    assert "Traceback" not in printed.out + printed.err
    rows = {line.split(",")[0]: line.split(",")[1:3] for line in
            (out / "grades.csv").read_text().splitlines()[1:]}
    assert rows == {"bin": ["1", "3"], "dup": ["0", "3"], "good": ["3", "3"], "junk": ["0", "3"],
                    "link": ["1", "3"], "one": ["3", "3"], "trav": ["3", "3"]}
    expect = {
        "trav": "the entry '../../evil.py' points outside the submission",
        "link": "activations.py is a symbolic link; links are not accepted",
        "bin": "activations.py is not a text file (it holds binary data)",
        "dup": "There is more than one submission for dup: dup/, dup.zip.",
        "junk": "junk.zip is not a readable zip file",
        "one": "one.py was graded as one module holding every function",
    }
    for sid, message in expect.items():
        doc = json.loads((out / sid / "results.json").read_text())
        assert message in doc["output"], sid
        assert message in (out / sid / "feedback.md").read_text(), sid
        assert "Traceback" not in json.dumps(doc)
    assert "could not grade dup: more than one submission for this id" in printed.out
    assert "could not grade junk: the zip file could not be opened" in printed.out
    assert not (out / ".work").exists()  # the vetted copies are gone once the run is done


# -- grader misconfiguration: exit status 2 and one clear line

def grade(args: list[str], capsys) -> tuple[int, list[str]]:
    code = main(["grade", *args, "--no-progress"])
    err = capsys.readouterr().err.strip().splitlines()
    return code, err


def test_misconfiguration_is_one_line(subs: Path, course: Path, tmp_path: Path, capsys) -> None:
    write_files(subs / "ann", SOL)
    c = ["--course", str(course)]
    out = str(tmp_path / "out")
    cases = {
        "unknown assignment 'hw99'": [str(subs), "--assignment", "hw99", "--out", out, *c],
        "is not a folder": [str(tmp_path / "nowhere"), "--assignment", "hw07", "--out", out, *c],
        "--jobs must be at least 1": [str(subs), "--assignment", "hw07", "--out", out, "--jobs", "0", *c],
        "must be kept apart": [str(subs), "--assignment", "hw07", "--out", str(subs / "out"), *c],
    }
    (tmp_path / "a-file").write_text("x")
    cases["cannot write results into"] = [str(subs), "--assignment", "hw07", "--out",
                                          str(tmp_path / "a-file" / "out"), *c]
    for message, args in cases.items():
        code, err = grade(args, capsys)
        assert code == 2 and len(err) == 1 and err[0].startswith("autograder grade: "), (message, err)
        assert message in err[0], (message, err)
    shutil.rmtree(course / "reference" / "hw07" / "tests")
    code, err = grade([str(subs), "--assignment", "hw07", "--out", out, *c], capsys)
    assert code == 2 and len(err) == 1 and "tests is missing" in err[0], err


def test_unreadable_submissions_folder_is_one_line(subs: Path, course: Path, tmp_path: Path, capsys,
                                                   monkeypatch) -> None:
    real = os.scandir

    def scandir(path="."):
        if Path(path) == subs:
            raise PermissionError(13, "Permission denied", str(path))
        return real(path)

    monkeypatch.setattr(os, "scandir", scandir)
    code, err = grade([str(subs), "--assignment", "hw07", "--out", str(tmp_path / "out"),
                       "--course", str(course)], capsys)
    assert code == 2 and err == [f"autograder grade: {subs}: Permission denied"]


def test_broken_hidden_tests_are_one_line(subs: Path, course: Path, tmp_path: Path, capfd) -> None:
    write_files(subs / "ann", SOL)
    (course / "reference/hw07/tests/test_broken.py").write_text("def test_x(:\n")
    code = main(["grade", str(subs), "--assignment", "hw07", "--out", str(tmp_path / "out"), "--course",
                 str(course), "--jobs", "1", "--no-progress"])
    err = capfd.readouterr().err.strip().splitlines()  # the grading process's stderr included
    assert code == 2 and len(err) == 1, err
    assert err[0].startswith(f"autograder grade: the tests in {course / 'reference/hw07/tests'} could not "
                             f"be run (pytest exit code 4); details in ")
    log = Path(err[0].rsplit("details in ", 1)[1])
    assert "SyntaxError" in log.read_text() and not (tmp_path / "out" / "grades.csv").exists()
