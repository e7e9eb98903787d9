"""``autograder submit`` and ``autograder login``: the student's side of the service (httpx).

The token comes from ``AUTOGRADER_TOKEN`` or from what ``autograder login`` saved (one token per
server, in ``$XDG_CONFIG_HOME/autograder/tokens.json``, mode 0600).
"""

from __future__ import annotations

import json
import os
import sys
import time
import tomllib
from pathlib import Path

from autograder.course import i18n
from autograder.course.i18n import N_, _
from autograder.course.kinds import Status

ENV = "AUTOGRADER_TOKEN"
STATUS = {"queued": N_("queued"), "grading": N_("grading"), "graded": N_("graded"), "failed": N_("failed")}
SHOWN = 12  # failed tests printed in full


class ClientError(Exception):
    """Something the student has to fix (no token, no files, the server refused): one line."""


def config_file() -> Path:
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "autograder" / "tokens.json"


def saved_tokens() -> dict[str, str]:
    try:
        doc = json.loads(config_file().read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(doc, dict):
        return {}
    return {k: v for k, v in doc.items() if isinstance(k, str) and isinstance(v, str)}


def save_token(server: str, token: str) -> Path:
    path = config_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    tokens = saved_tokens()
    tokens[server.rstrip("/")] = token
    tmp = path.with_name(f".{path.name}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        json.dump(tokens, f, indent=2)
    os.replace(tmp, path)
    return path


def client_lang() -> str:
    """The student's language: AUTOGRADER_LANG, else the locale (LC_ALL, LC_MESSAGES, LANG), else English."""
    for var in ("AUTOGRADER_LANG", "LC_ALL", "LC_MESSAGES", "LANG"):
        tag = os.environ.get(var, "")[:2].lower()
        if tag:
            return tag if tag in i18n.LANGS else i18n.DEFAULT
    return i18n.DEFAULT


def token_for(server: str) -> str:
    token = os.environ.get(ENV) or saved_tokens().get(server.rstrip("/"), "")
    if not token:
        raise ClientError(_("no API token: set {env} or run `autograder login --server {server}`").format(
            env=ENV, server=server))
    return token


def collect(paths: list[Path]) -> tuple[list[Path], str | None]:
    """The files to send, and the assignment name when a folder's assignment.toml tells it.

    A folder: the assignment's files found in it (from its assignment.toml), else its ``.py`` files;
    a notebook in it is sent when none of those is there. Files are sent as given."""
    files: list[Path] = []
    name = None
    for p in paths or [Path(".")]:
        if p.is_dir():
            wanted: list[str] = []
            toml = p / "assignment.toml"
            if toml.is_file():
                try:
                    doc = tomllib.loads(toml.read_text(encoding="utf-8"))
                    name, wanted = doc.get("name"), list(doc.get("files", {}))
                except (tomllib.TOMLDecodeError, UnicodeDecodeError, OSError):
                    pass
            found = [p / w for w in wanted if (p / w).is_file()] or sorted(p.glob("*.py"))
            if not found:
                found = sorted(p.glob("*.ipynb"))[:1]
            if not found:
                raise ClientError(_("{path}: no .py files or notebook to submit").format(path=p))
            files += found
        elif p.is_file():
            files.append(p)
        else:
            raise ClientError(_("{path}: no such file or folder").format(path=p))
    return files, name


def _error(resp) -> str:
    try:
        return resp.json()["error"]
    except (ValueError, KeyError, TypeError):
        return resp.text[:200]


def submit(paths: list[Path], server: str, assignment: str | None, wait: bool = True, timeout: float = 900.0,
           out=sys.stdout, poll: float = 1.0) -> int:
    """Send the files, print the receipt, wait for the grade; 0 when graded (in the student's language)."""
    lang = client_lang()
    with i18n.language(lang):
        return _submit(paths, server, assignment, wait, timeout, out, poll, lang)


def _submit(paths: list[Path], server: str, assignment: str | None, wait: bool, timeout: float, out,
            poll: float, lang: str) -> int:
    import httpx

    files, found_name = collect(paths)
    assignment = assignment or found_name
    if not assignment:
        raise ClientError(_("which assignment? pass --assignment NAME (or submit from the assignment "
                            "folder)"))
    server = server.rstrip("/")
    headers = {"Authorization": f"Bearer {token_for(server)}", "Accept-Language": lang}
    with httpx.Client(base_url=server, headers=headers, timeout=60.0) as http:
        parts = [("files", (f.name, f.read_bytes())) for f in files]
        try:
            resp = http.post(f"/api/v1/assignments/{assignment}/submissions", files=parts)
        except httpx.HTTPError as exc:
            raise ClientError(_("cannot reach {server}: {error}").format(server=server, error=exc)) from None
        if resp.status_code != 202:
            wait = resp.headers.get("Retry-After")
            extra = _(" (try again in {seconds} s)").format(seconds=wait) if wait else ""
            raise ClientError(_("the server refused the submission ({status}): {error}{retry}").format(
                status=resp.status_code, error=_error(resp), retry=extra))
        doc = resp.json()
        print(_("submitted {files} for {assignment}").format(
            files=", ".join(f.name for f in files), assignment=assignment), file=out)
        print(_("receipt: id {id}, sha256 {sha256}, received {time}").format(
            id=doc["id"], sha256=doc["receipt"]["sha256"], time=doc["receipt"]["received_at"]), file=out)
        if not wait:
            return 0
        deadline = time.monotonic() + timeout
        last = ""
        while True:
            try:
                resp = http.get(f"/api/v1/submissions/{doc['id']}")
            except httpx.HTTPError as exc:
                raise ClientError(_("lost the server while waiting: {error}").format(error=exc)) from None
            if resp.status_code == 429:
                time.sleep(float(resp.headers.get("Retry-After", "5")))
                continue
            if resp.status_code != 200:
                raise ClientError(_("cannot read the submission ({status}): {error}").format(
                    status=resp.status_code, error=_error(resp)))
            s = resp.json()
            line = _(STATUS.get(s["status"], s["status"]))
            if s.get("queue_position") is not None:
                line += _(" (position {n} in the queue)").format(n=s["queue_position"] + 1)
            if line != last and out.isatty():
                print(f"\r{line:<60}", end="", file=out, flush=True)
            last = line
            if s["status"] in ("graded", "failed"):
                if out.isatty():
                    print(file=out)
                print(summary(s), file=out)
                return 0 if s["status"] == "graded" else 1
            if time.monotonic() > deadline:
                raise ClientError(_("not graded after {seconds} s; see it later with its id {id}").format(
                    seconds=f"{timeout:g}", id=doc["id"]))
            time.sleep(poll)


def summary(s: dict) -> str:
    r = s.get("results") or {}
    x = r.get("extra_data", {})
    if s["status"] == "failed":
        return _("the grader failed on this submission ({error}); it does not count against your attempts: "
                 "submit again or tell your TA").format(error=x.get("error", ""))
    lines = [_("score: {score} / {max_score}").format(score=f"{s['score']:g}",
                                                      max_score=f"{s['max_score']:g}")]
    if x.get("late_penalty"):
        lines.append(_("late: {days} day(s), -{penalty} (raw score {raw})").format(
            days=x["late_days"], penalty=f"{x['late_penalty']:g}", raw=f"{x['raw_score']:g}"))
    for ex_id, score, mx, _core in x.get("exercises", []):
        lines.append(f"  {ex_id:<26} {score:g} / {mx:g}")
    if r.get("output"):
        lines += ["", r["output"]]
    failed = [t for t in r.get("tests", []) if t.get("status") != Status.PASSED and t.get("output")]
    lines += [f"- {t['name']}: {t['output']}" for t in failed[:SHOWN]]
    if len(failed) > SHOWN:
        lines.append(_("... and {n} more failed tests").format(n=len(failed) - SHOWN))
    if r.get("tests_hidden"):
        lines.append(_("({n} test details are not shown yet)").format(n=r["tests_hidden"]))
    return "\n".join(lines)


def login(server: str, token: str | None) -> Path:
    """Check ``token`` (asked for when not given) against ``server`` and save it."""
    import getpass

    import httpx

    server = server.rstrip("/")
    lang = client_lang()
    with i18n.language(lang):
        token = token or getpass.getpass(_("API token for {server} (from your TA or the portal): ").format(
            server=server)).strip()
        try:
            resp = httpx.get(f"{server}/api/v1/me", timeout=30,
                             headers={"Authorization": f"Bearer {token}", "Accept-Language": lang})
        except httpx.HTTPError as exc:
            raise ClientError(_("cannot reach {server}: {error}").format(server=server, error=exc)) from None
        if resp.status_code != 200:
            raise ClientError(_("the server did not accept the token ({status}): {error}").format(
                status=resp.status_code, error=_error(resp)))
    return save_token(server, token)
