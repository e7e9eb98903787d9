"""The HTTP API in process (httpx through FastAPI's TestClient), on SQLite and on a real PostgreSQL
server: statuses, JSON errors, who sees what, caps, rate limits, headers, policy."""

from __future__ import annotations

import hashlib
import io
import json
import zipfile

import pytest
import sqlalchemy as sa
from portal_support import PY, Portal, db_url, pg_server  # noqa: F401 - fixtures
from tiny_course import SOL

from autograder.intake.unpack import content_hash
from autograder.portal import auth
from autograder.portal.db.models import Token
from autograder.portal.settings import RateLimits, UploadLimits
from autograder.portal.storage import unpack


@pytest.fixture
def portal(tmp_path, db_url):  # noqa: F811
    p = Portal(tmp_path, db_url)
    yield p
    p.state.engine.dispose()


def test_submit_is_accepted_with_a_receipt_once_durable(portal):
    r = portal.submit()
    assert r.status_code == 202, r.text
    doc = r.json()
    assert doc["status"] == "queued" and len(doc["id"]) == 32
    want = content_hash([(n, d) for _f, (n, d) in PY])
    assert doc["receipt"]["sha256"] == want and doc["receipt"]["received_at"].endswith("+00:00")
    blobs = [p for p in (portal.settings.data / "blobs").rglob("*") if p.is_file() and p.parent.name != "tmp"]
    assert len(blobs) == 1 and unpack(blobs[0].read_bytes()) == [(n, d) for _f, (n, d) in PY]
    assert blobs[0].name == hashlib.sha256(blobs[0].read_bytes()).hexdigest()  # content-addressed
    s = portal.get(f"/api/v1/submissions/{doc['id']}").json()
    assert s["status"] == "queued" and s["queue_position"] == 0 and s["student_id"] == "alice"
    assert s["results"] is None and s["assignment"] == "hw07"
    second = portal.submit().json()
    assert portal.get(f"/api/v1/submissions/{second['id']}").json()["queue_position"] == 1
    mine = portal.get("/api/v1/assignments/hw07/submissions").json()
    assert [m["id"] for m in mine] == [second["id"], doc["id"]]  # newest first


def test_graded_result_and_the_student_view(portal):
    sid = portal.submit().json()["id"]
    portal.dispatch()
    s = portal.get(f"/api/v1/submissions/{sid}").json()
    assert s["status"] == "graded" and s["score"] == 2.0 and s["max_score"] == 100.0
    assert s["queue_position"] is None
    assert "test_ids" not in s["results"]["extra_data"]  # the student sees no hidden-test internals
    staff = portal.get(f"/api/v1/submissions/{sid}", who="tina").json()
    assert "test_ids" in staff["results"]["extra_data"]


def test_tokens_missing_bad_and_revoked_are_401(portal):
    assert portal.http.get("/api/v1/me").status_code == 401
    r = portal.http.get("/api/v1/me", headers={"Authorization": "Bearer nope"})
    assert r.status_code == 401 and r.json() == {"error": r.json()["error"]} and "token" in r.json()["error"]
    assert portal.get("/api/v1/me").json()["id"] == "alice"
    with portal.state.sessions() as db:
        assert auth.revoke(db, "alice") == 1
        db.commit()
    assert portal.get("/api/v1/me").status_code == 401
    assert portal.submit().status_code == 401


def test_tokens_are_random_and_stored_hashed(portal):
    with portal.state.sessions() as db:
        digests = db.execute(sa.select(Token.digest)).scalars().all()
        again = auth.new_token(db, "alice")
        db.commit()
    assert len(set(portal.tokens.values()) | {again}) == 4
    assert all(len(t) >= 40 for t in portal.tokens.values())
    for t in portal.tokens.values():
        assert t not in digests and auth.digest(t) in digests


def test_another_students_submission_is_404_and_a_ta_sees_it(portal):
    sid = portal.submit("alice").json()["id"]
    r = portal.get(f"/api/v1/submissions/{sid}", who="bob")
    assert r.status_code == 404 and r.json() == {"error": "no such submission"}
    assert portal.get("/api/v1/submissions/" + "0" * 32, who="bob").json() == r.json()  # same as none
    assert portal.get("/api/v1/assignments/hw07/submissions", who="bob").json() == []
    assert portal.get(f"/api/v1/submissions/{sid}", who="tina").status_code == 200


def test_grades_csv_is_for_staff_and_follows_the_contract(portal):
    assert portal.get("/api/v1/assignments/hw07/grades.csv").status_code == 403
    portal.submit("alice")
    portal.submit("bob", files=PY[:1])
    portal.dispatch()
    r = portal.get("/api/v1/assignments/hw07/grades.csv", who="tina")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    lines = r.text.splitlines()
    assert lines[0].startswith("student_id,score,max_score,sigmoid,")
    assert lines[0].endswith("raw_score,late_penalty,late_days,submitted_at")
    assert [ln.split(",")[:2] for ln in lines[1:]] == [["alice", "2"], ["bob", "1"]]


def test_unknown_assignment_is_404(portal):
    assert portal.submit(assignment="hw99").status_code == 404
    assert portal.submit(assignment="..").status_code == 404
    assert portal.get("/api/v1/assignments/hw99/submissions").status_code == 404


def _zip(files: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for n, d in files.items():
            zf.writestr(n, d)
    return buf.getvalue()


@pytest.mark.parametrize("files, why", [
    ([("files", (None, b"x"))], "no files"),
    ([("files", ("notes.txt", b"hello"))], "cannot be submitted"),
    ([("files", ("hw.zip", b"PK not a zip"))], "not a readable zip"),
    ([("files", ("a.ipynb", b"{}")), ("files", ("b.ipynb", b"{}"))], "alone"),
    ([("files", ("a.zip", _zip({"x.py": b"1"}))), ("files", ("x.py", b"1"))], "alone"),
    ([("other", ("x.py", b"1"))], "no files"),
])
def test_bad_uploads_are_422_with_a_json_error(portal, files, why):
    r = portal.submit(files=files)
    assert r.status_code == 422 and why in r.json()["error"]


def test_not_multipart_is_422(portal):
    r = portal.http.post("/api/v1/assignments/hw07/submissions", content=b"x", headers=portal.h("alice"))
    assert r.status_code == 422 and "multipart" in r.json()["error"]


def test_a_zip_and_a_notebook_are_accepted(portal):
    z = _zip({"hw07/activations.py": SOL["activations.py"].encode()})
    assert portal.submit(files=[("files", ("hw07.zip", z))]).status_code == 202
    assert portal.submit(files=[("files", ("hw07.ipynb", b'{"cells": []}'))]).status_code == 202


def test_file_names_are_never_used_as_paths(portal):
    files = [("files", ("../../escape.py", b"x = 1\n")), ("files", ("/etc/cron.d/evil.py", b"y = 2\n"))]
    sid = portal.submit(files=files).json()["id"]
    root = portal.settings.data.parent
    assert not (root / "escape.py").exists() and not list(root.rglob("escape.py"))
    assert not list(root.rglob("evil.py"))
    with portal.state.sessions() as db:
        from autograder.portal.db.models import Submission

        manifest = json.loads(db.get(Submission, sid).manifest)
    assert [m[0] for m in manifest["files"]] == ["escape.py", "evil.py"]


def test_uploads_over_the_caps_are_413_even_without_a_content_length(tmp_path, db_url):  # noqa: F811
    p = Portal(tmp_path, db_url, uploads=UploadLimits(max_bytes=20_000, max_files=3, max_file_bytes=10_000))
    big = [("files", ("activations.py", b"x = 1\n" * 3000))]
    r = p.submit(files=big)
    assert r.status_code == 413 and "limit" in r.json()["error"]
    many = [("files", (f"m{i}.py", b"x = 1\n")) for i in range(4)]
    assert p.submit(files=many).status_code == 413

    def body():  # chunked: the cap holds while the body streams in
        yield b"--b\r\nContent-Disposition: form-data; name=\"files\"; filename=\"a.py\"\r\n\r\n"
        for _ in range(100):
            yield b"#" * 1000
        yield b"\r\n--b--\r\n"

    r = p.http.post("/api/v1/assignments/hw07/submissions", content=body(),
                    headers={**p.h("alice"), "Content-Type": "multipart/form-data; boundary=b"})
    assert r.status_code == 413
    assert p.get("/api/v1/assignments/hw07/submissions").json() == []  # nothing half-stored
    p.state.engine.dispose()


def test_rate_limits_per_token_and_per_address_answer_429_with_retry_after(tmp_path, db_url):  # noqa: F811
    p = Portal(tmp_path, db_url, rates=RateLimits(per_token=3, per_address=6, window_seconds=60))
    codes = [p.get("/api/v1/me").status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    r = p.get("/api/v1/me")
    assert r.status_code == 429 and 1 <= int(r.headers["Retry-After"]) <= 60 and "token" in r.json()["error"]
    assert p.get("/api/v1/me", who="bob").status_code == 200  # another token still may
    r = p.get("/api/v1/me", who="tina")  # the 7th request from this address
    assert r.status_code == 429 and "address" in r.json()["error"] and int(r.headers["Retry-After"]) >= 1
    p.state.engine.dispose()


def test_security_headers_and_the_data_folder_is_never_served(portal):
    portal.submit()
    r = portal.get("/api/v1/me")
    assert r.headers["x-content-type-options"] == "nosniff" and r.headers["x-frame-options"] == "DENY"
    assert "default-src 'self'" in r.headers["content-security-policy"]
    assert r.headers["referrer-policy"] == "no-referrer" and r.headers["cache-control"] == "no-store"
    blob = next(p for p in (portal.settings.data / "blobs").rglob("*") if p.is_file())
    for path in ("/portal.sqlite", "/data/portal.sqlite", f"/blobs/{blob.parent.name}/{blob.name}",
                 f"/data/blobs/{blob.parent.name}/{blob.name}", "/api/v1/../portal.sqlite",
                 "/api/v1/submissions/..%2F..%2Fportal.sqlite", "/static/../portal.sqlite"):
        r = portal.get(path)
        assert r.status_code == 404, path
        assert r.headers["x-content-type-options"] == "nosniff"


def test_hard_close_refuses_uploads_unless_extended(tmp_path, db_url):  # noqa: F811
    p = Portal(tmp_path, db_url, toml_extra='\n[portal]\nclose = "2020-01-02T00:00:00+00:00"\n',
               due="2020-01-01T00:00:00+00:00")
    r = p.submit()
    assert r.status_code == 403 and "closed" in r.json()["error"] and "extension" in r.json()["error"]
    from autograder.portal.db.models import Extension

    with p.state.sessions() as db:
        from autograder.course.late import parse_time

        db.add(Extension(user_id="alice", assignment="hw07", until=parse_time("2099-01-01T00:00:00+00:00")))
        db.commit()
    assert p.submit().status_code == 202
    assert p.submit("bob").status_code == 403
    info = p.get("/api/v1/assignments/hw07").json()
    assert info["close"].startswith("2099") and info["due"].startswith("2099")
    p.dispatch()  # extended: no late penalty for alice
    sid = p.get("/api/v1/assignments/hw07/submissions").json()[0]["id"]
    assert p.get(f"/api/v1/submissions/{sid}").json()["results"]["extra_data"]["late_penalty"] == 0
    p.state.engine.dispose()


def test_late_policy_applies_to_the_receipt_time(tmp_path, db_url):  # noqa: F811
    p = Portal(tmp_path, db_url, due="2020-01-01T00:00:00+00:00")
    sid = p.submit().json()["id"]
    p.dispatch()
    x = p.get(f"/api/v1/submissions/{sid}").json()["results"]["extra_data"]
    assert x["late_days"] > 300 and x["late_penalty"] == 2.0  # capped at raw (0.3 * 100 > 2 points)
    assert x["submitted_at"].startswith("20") and x["submitted_at"] != ""
    p.state.engine.dispose()


def test_attempt_limit_per_window_is_visible_and_answers_429(tmp_path, db_url):  # noqa: F811
    p = Portal(tmp_path, db_url, toml_extra="\n[portal]\nattempts = 2\nattempts_window_hours = 24\n")
    assert p.get("/api/v1/assignments/hw07").json()["attempts"] == {
        "limit": 2, "used": 0, "window_hours": 24.0, "next_at": None}
    assert p.submit().status_code == 202 and p.submit().status_code == 202
    r = p.submit()
    assert r.status_code == 429 and "attempts" in r.json()["error"]
    assert 23 * 3600 < int(r.headers["Retry-After"]) <= 24 * 3600
    info = p.get("/api/v1/assignments/hw07").json()["attempts"]
    assert info["used"] == 2 and info["next_at"]
    assert p.submit("tina").status_code == 202  # staff are not limited
    p.state.engine.dispose()


def test_a_grader_failure_does_not_count_against_the_attempts(tmp_path, db_url):  # noqa: F811
    p = Portal(tmp_path, db_url, toml_extra="\n[portal]\nattempts = 1\n")
    sid = p.submit().json()["id"]
    p.dispatch(lose_all=True)  # both attempts lost: a grader failure
    s = p.get(f"/api/v1/submissions/{sid}").json()
    assert s["status"] == "failed" and s["score"] is None
    assert p.get("/api/v1/assignments/hw07").json()["attempts"]["used"] == 0
    assert p.submit().status_code == 202
    r = p.submit()
    assert r.status_code == 429 and r.headers["Retry-After"]
    lines = p.get("/api/v1/assignments/hw07/grades.csv", who="tina").text.splitlines()
    assert len(lines) == 1  # a failure is never a grade
    p.state.engine.dispose()


@pytest.mark.parametrize("setting, before, after", [("visible", True, True), ("after_due_date", False, True),
                                                    ("hidden", False, False)])
def test_hidden_test_details_follow_the_visibility_setting(tmp_path, db_url, setting, before, after):  # noqa: F811
    from autograder.portal import submissions as subs

    doc = {"score": 1, "output": "", "tests": [{"name": "t", "score": 1, "max_score": 1, "status": "passed",
                                                "output": "", "visibility": "visible"}],
           "extra_data": {"test_ids": ["x"], "raw_score": 1}}
    from datetime import UTC, datetime

    from autograder.portal.policy import PortalPolicy, tests_visible

    due = datetime(2026, 1, 1, tzinfo=UTC)
    p = PortalPolicy(test_visibility=setting)
    for at, want in ((datetime(2025, 12, 31, tzinfo=UTC), before), (datetime(2026, 1, 2, tzinfo=UTC), after)):
        view = subs.student_view(doc, tests_visible(p, due, at), at, due)
        assert (len(view["tests"]) == 1) is want and view["tests_hidden"] == (0 if want else 1)
        assert "test_ids" not in view["extra_data"]
    # the same setting through the API: [gradescope] test_visibility in assignment.toml
    q = Portal(tmp_path, db_url, toml_extra=f'\n[gradescope]\ntest_visibility = "{setting}"\n')
    sid = q.submit().json()["id"]
    q.dispatch()
    assert q.get(f"/api/v1/submissions/{sid}").json()["results"]["tests_hidden"] == 0  # the fake has no tests
    q.state.engine.dispose()


def test_errors_speak_the_callers_language(portal):
    ru = {**portal.h("bob"), "Accept-Language": "ru-RU,ru;q=0.9,en;q=0.5"}
    r = portal.http.get("/api/v1/submissions/" + "0" * 32, headers=ru)
    assert r.status_code == 404 and r.json() == {"error": "такой отправки нет"}
    r = portal.http.post("/api/v1/assignments/hw07/submissions", files=[("files", ("a.txt", b"x"))],
                         headers=ru)
    assert r.status_code == 422 and "такой файл отправить нельзя" in r.json()["error"]
    anonymous = portal.http.get("/api/v1/me", headers={"Accept-Language": "ru"})
    assert anonymous.json()["error"].startswith("нет API")
    assert portal.get("/api/v1/submissions/" + "0" * 32).json() == {"error": "no such submission"}
