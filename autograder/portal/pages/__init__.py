"""The portal's HTML pages: ``router`` is included by ``autograder.portal.app.create_app`` at the site
root. They live in ``autograder.portal.web`` (templates in ``web/templates/``, static files in
``web/static/``)."""

from __future__ import annotations

from autograder.portal.web import router

__all__ = ["router"]
