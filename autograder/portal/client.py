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

ENV = "AUTOGRADER_TOKEN"
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


def token_for(server: str) -> str:
    token = os.environ.get(ENV) or saved_tokens().get(server.rstrip("/"), "")
    if not token:
        raise ClientError(f"no API token: set {ENV} or run `autograder login --server {server}`")
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
                raise ClientError(f"{p}: no .py files or notebook to submit")
            files += found
        elif p.is_file():
            files.append(p)
        else:
            raise ClientError(f"{p}: no such file or folder")
    return files, name


def _error(resp) -> str:
    try:
        return resp.json()["error"]
    except (ValueError, KeyError, TypeError):
        return resp.text[:200]


def submit(paths: list[Path], server: str, assignment: str | None, wait: bool = True, timeout: float = 900.0,
           out=sys.stdout, poll: float = 1.0) -> int:
    """Send the files, print the receipt, wait for the grade; 0 when graded."""
    import httpx

    files, found_name = collect(paths)
    assignment = assignment or found_name
    if not assignment:
        raise ClientError("which assignment? pass --assignment NAME (or submit from the assignment folder)")
    server = server.rstrip("/")
    headers = {"Authorization": f"Bearer {token_for(server)}"}
    with httpx.Client(base_url=server, headers=headers, timeout=60.0) as http:
        parts = [("files", (f.name, f.read_bytes())) for f in files]
        try:
            resp = http.post(f"/api/v1/assignments/{assignment}/submissions", files=parts)
        except httpx.HTTPError as exc:
            raise ClientError(f"cannot reach {server}: {exc}") from None
        if resp.status_code != 202:
            wait = resp.headers.get("Retry-After")
            extra = f" (try again in {wait} s)" if wait else ""
            raise ClientError(f"the server refused the submission ({resp.status_code}): "
                              f"{_error(resp)}{extra}")
        doc = resp.json()
        print(f"submitted {', '.join(f.name for f in files)} for {assignment}", file=out)
        print(f"receipt: id {doc['id']}, sha256 {doc['receipt']['sha256']}, received "
              f"{doc['receipt']['received_at']}", file=out)
        if not wait:
            return 0
        deadline = time.monotonic() + timeout
        last = ""
        while True:
            try:
                resp = http.get(f"/api/v1/submissions/{doc['id']}")
            except httpx.HTTPError as exc:
                raise ClientError(f"lost the server while waiting: {exc}") from None
            if resp.status_code == 429:
                time.sleep(float(resp.headers.get("Retry-After", "5")))
                continue
            if resp.status_code != 200:
                raise ClientError(f"cannot read the submission ({resp.status_code}): {_error(resp)}")
            s = resp.json()
            line = s["status"] + (f" (position {s['queue_position'] + 1} in the queue)"
                                  if s.get("queue_position") is not None else "")
            if line != last and out.isatty():
                print(f"\r{line:<60}", end="", file=out, flush=True)
            last = line
            if s["status"] in ("graded", "failed"):
                if out.isatty():
                    print(file=out)
                print(summary(s), file=out)
                return 0 if s["status"] == "graded" else 1
            if time.monotonic() > deadline:
                raise ClientError(f"not graded after {timeout:g} s; see it later with its id {doc['id']}")
            time.sleep(poll)


def summary(s: dict) -> str:
    r = s.get("results") or {}
    x = r.get("extra_data", {})
    if s["status"] == "failed":
        return (f"the grader failed on this submission ({x.get('error', '')}); it does not count against "
                f"your attempts: submit again or tell your TA")
    lines = [f"score: {s['score']:g} / {s['max_score']:g}"]
    if x.get("late_penalty"):
        lines.append(f"late: {x['late_days']} day(s), -{x['late_penalty']:g} (raw {x['raw_score']:g})")
    for ex_id, score, mx, _core in x.get("exercises", []):
        lines.append(f"  {ex_id:<26} {score:g} / {mx:g}")
    if r.get("output"):
        lines += ["", r["output"]]
    failed = [t for t in r.get("tests", []) if t.get("status") != "passed" and t.get("output")]
    lines += [f"- {t['name']}: {t['output']}" for t in failed[:SHOWN]]
    if len(failed) > SHOWN:
        lines.append(f"... and {len(failed) - SHOWN} more failed tests")
    if r.get("tests_hidden"):
        lines.append(f"({r['tests_hidden']} test details are not shown yet)")
    return "\n".join(lines)


def login(server: str, token: str | None) -> Path:
    """Check ``token`` (asked for when not given) against ``server`` and save it."""
    import getpass

    import httpx

    server = server.rstrip("/")
    token = token or getpass.getpass(f"API token for {server} (from your TA or the portal): ").strip()
    try:
        resp = httpx.get(f"{server}/api/v1/me", headers={"Authorization": f"Bearer {token}"}, timeout=30)
    except httpx.HTTPError as exc:
        raise ClientError(f"cannot reach {server}: {exc}") from None
    if resp.status_code != 200:
        raise ClientError(f"the server did not accept the token ({resp.status_code}): {_error(resp)}")
    return save_token(server, token)
