"""The portal's HTML pages (the portal-pages issue fills this in): ``router`` is included by
``autograder.portal.app.create_app`` at the site root; templates live in ``templates/``."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
