"""The portal's pages, in process over real HTTP (uvicorn on 127.0.0.1, a dispatcher with real grading
processes): CSRF on every form POST, one student never sees another's pages (guessed ids included),
every text a student controls is escaped, security headers and cookies, sessions rotated at sign-in,
sign-in throttling, one-time invites, the language, and the feedback page's likely mistake said once.
"""

from __future__ import annotations

import re
import secrets
import shutil

import pytest
from portal_pages_support import (
    PASSWORD,
    ROOT,
    STUDENT_FILES,
    Browserless,
    LivePortal,
    copy_course,
)

from autograder.portal.web import auth
from autograder.portal.web.feedback_view import feedback_view, strip_mistake
from autograder.portal.web.lang import from_accept_language

CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; "
       "form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
EVIL = '<script>alert("x")</script>'  # bob's display name
EVIL_FILE = "<img src=x onerror=alert(2)>.py"  # a file name (no "/": a name keeps its last component)
EVIL_ERROR = "<img src=x onerror=alert(1)>"  # what bob's code raises: the feedback quotes it


@pytest.fixture(scope="module")
def portal(tmp_path_factory):
    course = copy_course(tmp_path_factory.mktemp("course"))
    p = LivePortal(course, tmp_path_factory.mktemp("data"))
    try:
        p.add_user("alice", name="Alice")
        p.add_user("bob", name=EVIL)
        p.add_user("ta1", role="ta", name="Tess")
        yield p
    finally:
        p.stop()


@pytest.fixture(scope="module")
def alice(portal):
    b = Browserless(portal)
    assert b.accept_invite(portal.invite("alice")).status_code == 303
    return b


@pytest.fixture(scope="module")
def bob(portal):
    b = Browserless(portal)
    assert b.accept_invite(portal.invite("bob")).status_code == 303
    return b


@pytest.fixture(scope="module")
def ta(portal):
    b = Browserless(portal)
    assert b.accept_invite(portal.invite("ta1")).status_code == 303
    return b


@pytest.fixture(scope="module")
def graded(portal, alice, bob, tmp_path_factory):
    """alice: the four files of mul_no_swap; bob: an extra file whose name is HTML, and a mul_backward
    that raises an exception whose message is HTML."""
    r = alice.submit(ROOT / "tests" / "submissions" / "mul_no_swap")
    assert r.status_code == 303, r.text
    a_sub = r.headers["location"]
    folder = tmp_path_factory.mktemp("bob")
    for n in STUDENT_FILES:
        shutil.copy(ROOT / "tests" / "submissions" / "solution" / n, folder / n)
    gates = folder / "gates.py"
    gates.write_text(gates.read_text(encoding="utf-8") + f"\n\ndef mul_backward(dout, cache):\n"
                     f"    raise ValueError({EVIL_ERROR!r})\n", encoding="utf-8")
    bob.get("/a/hw07")
    files = [("files", (n, (folder / n).read_bytes())) for n in STUDENT_FILES]
    files.append(("files", (EVIL_FILE, b"x = 1\n")))
    r = bob.post("/a/hw07/submit", {"csrf": bob.csrf}, files=files)
    assert r.status_code == 303, r.text
    b_sub = r.headers["location"]
    assert alice.wait_graded(a_sub)["status"] == "graded"
    assert bob.wait_graded(b_sub)["status"] == "graded"
    return a_sub, b_sub


def test_pages_have_the_security_headers(portal, alice, graded):
    for path in ("/signin", "/a/hw07", graded[0], graded[0] + "/feedback", "/static/portal.css",
                 graded[0] + "/status.json", "/s/" + "0" * 32):
        r = alice.get(path)
        h = r.headers
        assert h["content-security-policy"] == CSP, path
        assert h["x-content-type-options"] == "nosniff", path
        assert h["x-frame-options"] == "DENY", path
        assert h["referrer-policy"] == "no-referrer", path
        assert h["cross-origin-opener-policy"] == "same-origin", path
        if not path.startswith("/static") and r.status_code == 200:
            assert h["cache-control"] == "no-store", path
    assert alice.get("/static/status.js").headers["content-type"].startswith("text/javascript")
    assert alice.get("/static/../app.py").status_code == 404
    assert alice.get("/static/secret.py").status_code == 404


def test_session_cookie_is_httponly_samesite_and_rotated_at_signin(portal):
    b = Browserless(portal)
    b.get("/signin")
    pre = b.http.cookies.get("ag_csrf")
    assert pre and b.csrf == pre
    planted = "planted-by-an-attacker-0123456789abcdef"
    b.http.cookies.set("ag_session", planted, domain="127.0.0.1", path="/")
    r = b.post("/signin", {"csrf": b.csrf, "user_id": "alice", "password": PASSWORD})
    assert r.status_code == 303 and r.headers["location"] == "/a"
    cookie = next(c for c in r.headers.get_list("set-cookie") if c.startswith("ag_session="))
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Secure" not in cookie
    first = cookie.split(";")[0].split("=", 1)[1]
    assert first != planted and len(first) >= 40
    assert b.get("/a/hw07").status_code == 200
    # signing in again (from a signed-in browser) starts a new session and ends the old one
    r = b.post("/signin", {"csrf": b.csrf, "user_id": "alice", "password": PASSWORD})
    assert r.status_code == 303
    second = b.http.cookies.get("ag_session")
    assert second and second != first
    old = Browserless(portal)
    old.http.cookies.set("ag_session", first, domain="127.0.0.1", path="/")
    assert old.get("/a/hw07", follow_redirects=False).status_code == 303  # to the sign-in page
    assert b.get("/a/hw07", follow_redirects=False).status_code == 200
    assert b.post("/signout", {"csrf": b.csrf}).status_code == 303
    assert b.get("/a/hw07", follow_redirects=False).status_code == 303


def test_https_cookies_are_secure_with_host_prefix_and_hsts(portal):
    b = Browserless(portal, https=True)
    r = b.get("/signin")
    assert r.headers["strict-transport-security"].startswith("max-age=")
    assert any(c.startswith("__Host-ag_csrf=") and "Secure" in c and "SameSite=strict" in c
               for c in r.headers.get_list("set-cookie"))
    b.http.cookies.set("__Host-ag_csrf", b.csrf)
    r = b.post("/signin", {"csrf": b.csrf, "user_id": "alice", "password": PASSWORD})
    assert r.status_code == 303
    cookie = next(c for c in r.headers.get_list("set-cookie") if c.startswith("__Host-ag_session="))
    assert "Secure" in cookie and "HttpOnly" in cookie and "Path=/" in cookie


def test_every_form_post_needs_the_sessions_csrf_token(portal, alice, bob, ta, graded):
    """Each form of the pages, posted without a token and with another session's token: 400, nothing
    done. (The upload is checked with valid files, so only the token is missing.)"""
    ta.get("/ta/hw07")
    alice.get("/a/hw07")
    solution = ROOT / "tests" / "submissions" / "solution"
    files = [("files", (n, (solution / n).read_bytes())) for n in STUDENT_FILES]
    forms = [
        (alice, "/signout", {}), (alice, "/lang", {"lang": "ru"}),
        (ta, "/ta/hw07/extensions", {"student_id": "alice", "until": "2026-12-20T23:59"}),
        (ta, "/ta/hw07/regrade", {}), (ta, "/ta/hw07/regrade/1/publish", {}),
        (ta, "/ta/hw07/regrade/1/discard", {}),
    ]
    for who, path, data in forms:
        for token in ("", bob.csrf, "x" * 43):
            r = who.post(path, {**data, "csrf": token} if token else data)
            assert r.status_code == 400, (path, token, r.status_code)
            assert "security token" in r.text
    for token in ("", bob.csrf):
        r = alice.post("/a/hw07/submit", {"csrf": token} if token else {}, files=files)
        assert r.status_code == 400, r.text
    anon = Browserless(portal)
    anon.get("/signin")
    assert anon.post("/signin", {"user_id": "alice", "password": PASSWORD}).status_code == 400
    r = anon.post("/signin", {"csrf": bob.csrf, "user_id": "alice", "password": PASSWORD})
    assert r.status_code == 400
    link = portal.invite("bob")
    path = link.removeprefix(portal.url)
    anon.get(path)
    r = anon.post(path, {"password": "a new password 123", "password2": "a new password 123"})
    assert r.status_code == 400
    # nothing happened: alice is still signed in, no extension, no regrade, no new submission
    assert alice.get("/a/hw07", follow_redirects=False).status_code == 200
    assert "lang" not in alice.http.cookies
    assert "No extensions." in ta.get("/ta/hw07/extensions").text
    assert ta.get("/ta/hw07/regrade/1").status_code == 404
    page = alice.get("/a/hw07").text
    assert page.count('href="/s/') == 1, "an upload without a token was stored"
    # and with the right token, the same form works
    assert alice.post("/lang", {"csrf": alice.csrf, "lang": "en", "back": "/a/hw07"}).status_code == 303
    assert alice.http.cookies.get("ag_lang") == "en"


def test_a_student_never_sees_another_students_pages(portal, alice, bob, graded):
    a_sub, b_sub = graded
    for suffix in ("", "/feedback", "/status.json"):
        assert bob.get(a_sub + suffix).status_code == 404
        assert alice.get(b_sub + suffix).status_code == 404
        assert alice.get(a_sub + suffix).status_code == 200
    for guess in (secrets.token_hex(16), "1", "0" * 32, "../" + a_sub.rsplit("/", 1)[1], "%2e%2e"):
        assert bob.get(f"/s/{guess}/feedback").status_code == 404
    # a student sees none of the TA's pages: the same 404 as for a page that does not exist
    for path in ("/ta", "/ta/hw07", "/ta/hw07/students/alice", "/ta/hw07/report", "/ta/hw07/grades.csv",
                 "/ta/hw07/moodle.csv", "/ta/hw07/extensions", "/ta/hw07/regrade"):
        r = bob.get(path)
        assert r.status_code == 404 and "Alice" not in r.text and "92" not in r.text, path
    assert bob.post("/ta/hw07/regrade", {"csrf": bob.csrf}).status_code == 404
    # and without signing in: the sign-in page
    anon = Browserless(portal)
    r = anon.get(a_sub + "/feedback", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/signin")
    assert anon.get(a_sub + "/status.json").status_code == 404
    # the history lists only one's own submissions
    assert a_sub in alice.get("/a/hw07").text and b_sub not in alice.get("/a/hw07").text


def test_every_text_a_student_controls_is_escaped(portal, bob, ta, graded):
    b_sub = graded[1]
    pages = {"receipt": bob.get(b_sub), "feedback": bob.get(b_sub + "/feedback"),
             "assignment": bob.get("/a/hw07"), "class": ta.get("/ta/hw07"),
             "student": ta.get("/ta/hw07/students/bob"), "ta feedback": ta.get(b_sub + "/feedback"),
             "report": ta.get("/ta/hw07/report")}
    for name, r in pages.items():
        assert r.status_code == 200, name
        for raw in (EVIL, EVIL_FILE, EVIL_ERROR):
            assert raw not in r.text, (name, raw)
    escaped_file = "&lt;img src=x onerror=alert(2)&gt;.py"
    assert escaped_file in pages["receipt"].text  # the file name, as uploaded
    assert escaped_file in pages["feedback"].text  # and in the note that it was not used
    assert "mul_backward raised ValueError: &lt;img src=x onerror=alert(1)&gt;" in pages["feedback"].text
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in pages["class"].text  # bob's name
    assert "script-src 'sha256-" in pages["report"].headers["content-security-policy"]


def test_signin_is_throttled(portal):
    portal.add_user("carol")
    link = portal.invite("carol")
    c = Browserless(portal)
    assert c.accept_invite(link).status_code == 303
    bad = Browserless(portal)
    for _ in range(auth.MAX_USER_FAILURES):
        assert bad.signin("carol", "wrong password!").status_code == 401
    r = bad.signin("carol", PASSWORD)  # even the right password waits now
    assert r.status_code == 429 and int(r.headers["retry-after"]) > 60
    r = Browserless(portal).signin("nobody-at-all", "whatever it is")
    assert r.status_code == 401 and "wrong" in r.text


def test_an_invite_works_once(portal):
    portal.add_user("dave")
    link = portal.invite("dave")
    first, second = Browserless(portal), Browserless(portal)
    second.get(link.removeprefix(portal.url))
    assert first.accept_invite(link).status_code == 303
    path = link.removeprefix(portal.url)
    evil = "an attacker's pass"
    r = second.post(path, {"csrf": second.csrf, "password": evil, "password2": evil})
    assert r.status_code == 404
    assert Browserless(portal).signin("dave", "an attacker's pass").status_code == 401
    assert Browserless(portal).signin("dave").status_code == 303
    short = Browserless(portal)
    short.get(portal.invite("dave").removeprefix(portal.url))
    r = short.post(portal.invite("dave").removeprefix(portal.url), {"csrf": short.csrf, "password": "short",
                                                                    "password2": "short"})
    assert r.status_code in (404, 422)


def test_feedback_says_the_likely_mistake_once_per_exercise(alice, graded):
    page = alice.get(graded[0] + "/feedback").text
    assert page.count("Likely mistake: no swap") == 1
    assert page.count('class="mistake"') == 1  # only mul_backward has one
    section = page.split('class="mistake"', 1)[1].split("</section>", 1)[0]
    assert "Likely mistake" not in section.split("</p>", 1)[1]  # not again in the tests' texts
    assert '<h1>' in page and 'id="score">92 / 100<' in page


def test_feedback_view_strips_the_sentence_the_engine_appended():
    t = "{message} Likely mistake: {mistake}."
    assert strip_mistake("dx is wrong. Likely mistake: no swap.", "no swap", t) == "dx is wrong."
    assert strip_mistake("dx is wrong.", "no swap", t) == "dx is wrong."
    assert feedback_view({}).exercises == ()  # a document is never trusted to be whole
    doc = {"score": 1, "tests": [{"name": "a", "status": "failed", "score": 0, "max_score": 1, "tags": ["e"],
                                  "output": "A. Likely mistake: m."},
                                 {"name": "b", "status": "failed", "score": 0, "max_score": 2, "tags": ["e"],
                                  "output": "B. Likely mistake: m."}],
           "extra_data": {"exercises": [["e", 1, 4, True]], "mistakes": ["m", "m"], "max_score": 4}}
    (e,) = feedback_view(doc).exercises
    assert e.mistakes == ("m",) and [t.message for t in e.failed] == ["A.", "B."] and e.failed[1].lost == 2


def test_the_language_is_the_users_choice_else_the_browsers(portal):
    assert from_accept_language("ru-RU,ru;q=0.9,en;q=0.8") == "ru"
    assert from_accept_language("de-DE,en;q=0.5,ru;q=0.4") == "en"
    assert from_accept_language("fr") is None
    b = Browserless(portal)
    r = b.get("/signin", headers={"Accept-Language": "ru-RU,ru;q=0.9"})
    assert '<html lang="ru">' in r.text and "Войти" in r.text
    assert b.post("/lang", {"csrf": b.csrf, "lang": "en", "back": "/signin"}).status_code == 303
    r = b.get("/signin", headers={"Accept-Language": "ru-RU,ru;q=0.9"})
    assert '<html lang="en">' in r.text and "Sign in" in r.text


def test_signin_goes_on_only_to_a_local_page(portal):
    for target, lands in (("/a/hw07", "/a/hw07"), ("//evil.example/x", "/a"), ("https://evil.example/", "/a"),
                          ("/\\evil.example", "/a")):
        b = Browserless(portal)
        b.get("/signin?next=" + target)
        r = b.post("/signin", {"csrf": b.csrf, "user_id": "alice", "password": PASSWORD, "next": target})
        assert r.status_code == 303 and r.headers["location"] == lands, target


def test_users_invite_names_an_unknown_user(portal, capsys):
    from autograder.cli import main

    assert main(["users", "invite", "nobody", *portal.data_args()]) == 2
    assert "no user 'nobody'" in capsys.readouterr().err


def test_a_ta_grants_and_removes_an_extension(portal, alice, ta, graded):
    assert alice.get("/a/hw07").text.count("2026-12-01 23:59 (UTC+03:00)") == 1
    ta.get("/ta/hw07/extensions")
    r = ta.post("/ta/hw07/extensions", {"csrf": ta.csrf, "student_id": "alice", "until": "2026-12-20T23:59"})
    assert r.status_code == 303
    assert "2026-12-20 23:59 (UTC+03:00)" in alice.get("/a/hw07").text
    assert "2026-12-20 23:59 (UTC+03:00)" in ta.get("/ta/hw07/extensions").text
    r = ta.post("/ta/hw07/extensions", {"csrf": ta.csrf, "student_id": "ghost", "until": "2026-12-20T23:59"})
    assert r.status_code == 422 and "There is no student ghost." in r.text
    r = ta.post("/ta/hw07/extensions", {"csrf": ta.csrf, "student_id": "alice", "until": "next friday"})
    assert r.status_code == 422
    r = ta.post("/ta/hw07/extensions", {"csrf": ta.csrf, "student_id": "alice", "remove": "1"})
    assert r.status_code == 303
    assert "2026-12-20" not in alice.get("/a/hw07").text


def test_the_ta_downloads_and_the_class_report(ta, graded):
    grades = ta.get("/ta/hw07/grades.csv")
    assert grades.headers["content-disposition"] == 'attachment; filename="hw07-grades.csv"'
    lines = grades.text.splitlines()
    assert lines[0].startswith("student_id,score,max_score,sigmoid,") and lines[1].startswith("alice,92,100,")
    canvas = ta.get("/ta/hw07/canvas.csv").text.splitlines()
    assert canvas[0] == "Student,ID,SIS User ID,SIS Login ID,Section,hw07" and canvas[1].endswith(",100")
    assert any(row.startswith("Alice,,alice,") and row.endswith(",92") for row in canvas[2:])
    report = ta.get("/ta/hw07/report")
    assert report.status_code == 200 and 'id="class-size">2<' in report.text
    assert ta.get("/ta/hw07/other.csv").status_code == 404


def test_attempts_left_and_the_time_of_the_next_one(tmp_path):
    course = copy_course(tmp_path / "course")
    toml = course / "assignments" / "hw07" / "assignment.toml"
    policy = "\n[portal]\nattempts = 1\nattempts_window_hours = 24\n"
    toml.write_text(toml.read_text(encoding="utf-8") + policy, encoding="utf-8")
    p = LivePortal(course, tmp_path / "data")
    try:
        p.add_user("erin")
        erin = Browserless(p)
        assert erin.accept_invite(p.invite("erin")).status_code == 303
        page = erin.get("/a/hw07").text
        assert 'id="attempts-left">1 / 1<' in page and 'id="next-attempt">now<' in page
        assert "1 attempts per 24 hours" in page
        r = erin.submit(ROOT / "tests" / "submissions" / "solution")
        assert r.status_code == 303
        page = erin.get("/a/hw07").text
        assert 'id="attempts-left">0 / 1<' in page and 'enctype="multipart/form-data"' not in page
        assert "No attempt is left for now." in page
        received = re.search(r'<time datetime="([^"]+)">', page.split('id="next-attempt"', 1)[1]).group(1)
        assert received > "2026"  # the time of the next attempt: 24 hours after the first
        # a second upload is refused with the time to wait, and nothing is stored
        files = [("files", (n, (ROOT / "tests" / "submissions" / "solution" / n).read_bytes()))
                 for n in STUDENT_FILES]
        r = erin.post("/a/hw07/submit", {"csrf": erin.csrf}, files=files)
        assert r.status_code == 429 and int(r.headers["retry-after"]) > 86000
        assert erin.get("/a/hw07").text.count('href="/s/') == 1
    finally:
        p.stop()
