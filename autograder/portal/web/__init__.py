"""The portal's HTML pages: students hand in and read their feedback in a browser; TAs follow the class,
download grades, grant extensions and regrade with a preview.

Server-rendered (Jinja2, autoescape on), plain forms, one small script for the live status
(``static/status.js``), one stylesheet; every asset is served by the app (no CDN, no build step) under
a strict Content-Security-Policy. Modules:

- ``auth`` — argon2 passwords, server-side sessions, CSRF tokens, invites, sign-in throttling;
- ``tables`` — their tables (revision ``0002_pages`` of the service's migrations);
- ``backend`` / ``service_backend`` — what the pages ask of the submission service, and the answers
  from its tables and rules;
- ``feedback_view`` — results.json -> the feedback page (the likely mistake once per exercise);
- ``regrade`` — regrade preview and publish (graded by the dispatcher through ``claim_item``);
- ``auth_pages``, ``student_pages``, ``ta_pages`` — the handlers; ``common`` — what they share;
- ``lang``, ``templating`` — the language (the user's choice, else Accept-Language) and the templates.

``router`` is what ``autograder.portal.app.create_app`` includes (through ``autograder.portal.pages``).
"""

from __future__ import annotations

from importlib import resources

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from autograder.portal.web import auth_pages, student_pages, ta_pages
from autograder.portal.web.common import PagesConfig, etag, secure_headers

STATIC = {"portal.css": "text/css; charset=utf-8", "status.js": "text/javascript; charset=utf-8",
          "favicon.svg": "image/svg+xml"}
_assets: dict[str, bytes] = {}


def static(request: Request) -> Response:
    name = request.path_params["name"]
    if name not in STATIC:
        return Response("not found", status_code=404, media_type="text/plain")
    if name not in _assets:
        _assets[name] = resources.files("autograder.portal.web").joinpath("static", name).read_bytes()
    data = _assets[name]
    tag = etag(data)
    if request.headers.get("if-none-match") == tag:
        response = Response(status_code=304)
    else:
        response = Response(data, media_type=STATIC[name])
    response.headers["ETag"] = tag
    secure_headers(response, request, private=False)
    response.headers["Cache-Control"] = "public, max-age=300"
    return response


ROUTES = [
    ("/", auth_pages.home, ["GET"]),
    ("/signin", auth_pages.signin_page, ["GET"]),
    ("/signin", auth_pages.signin, ["POST"]),
    ("/signout", auth_pages.signout, ["POST"]),
    ("/invite/{token}", auth_pages.invite_page, ["GET"]),
    ("/invite/{token}", auth_pages.invite, ["POST"]),
    ("/lang", auth_pages.choose_language, ["POST"]),
    ("/static/{name}", static, ["GET"]),
    ("/a", student_pages.assignments, ["GET"]),
    ("/a/{assignment}", student_pages.assignment, ["GET"]),
    ("/a/{assignment}/submit", student_pages.submit, ["POST"]),
    ("/s/{sid}", student_pages.receipt, ["GET"]),
    ("/s/{sid}/status.json", student_pages.status, ["GET"]),
    ("/s/{sid}/feedback", student_pages.feedback, ["GET"]),
    ("/ta", ta_pages.overview, ["GET"]),
    ("/ta/{assignment}", ta_pages.class_page, ["GET"]),
    ("/ta/{assignment}/students/{student}", ta_pages.student_page, ["GET"]),
    ("/ta/{assignment}/report", ta_pages.class_report, ["GET"]),
    ("/ta/{assignment}/{fmt:grades_fmt}.csv", ta_pages.download, ["GET"]),
    ("/ta/{assignment}/extensions", ta_pages.extensions_page, ["GET"]),
    ("/ta/{assignment}/extensions", ta_pages.set_extension, ["POST"]),
    ("/ta/{assignment}/regrade", ta_pages.regrade_page, ["GET"]),
    ("/ta/{assignment}/regrade", ta_pages.start_regrade, ["POST"]),
    ("/ta/{assignment}/regrade/{rid}", ta_pages.regrade_page, ["GET"]),
    ("/ta/{assignment}/regrade/{rid}/{action}", ta_pages.decide, ["POST"]),
]


def make_router() -> APIRouter:
    from starlette.convertors import Convertor, register_url_convertor

    class GradesFormat(Convertor):
        regex = "grades|moodle|canvas"

        def convert(self, value: str) -> str:
            return value

        def to_string(self, value: str) -> str:
            return value

    register_url_convertor("grades_fmt", GradesFormat())
    router = APIRouter(include_in_schema=False)
    for path, endpoint, methods in ROUTES:
        router.add_route(path, endpoint, methods=methods, include_in_schema=False)
    return router


router = make_router()

__all__ = ["PagesConfig", "router"]
