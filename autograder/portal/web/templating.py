"""The pages' Jinja2 environments: autoescape always on, one environment per language with that
language's catalogues (the engine's, autograder.course.i18n), undefined names an error."""

from __future__ import annotations

from datetime import UTC, datetime, tzinfo
from functools import cache
from pathlib import Path

from jinja2 import Environment, PackageLoader, StrictUndefined

from autograder.course import i18n
from autograder.render.report import num


def when(t: datetime | None, tz: tzinfo | None = None) -> str:
    """'2026-12-01 23:59 (UTC+03:00)': minutes, and the offset it is shown in."""
    if t is None:
        return ""
    t = (t if t.tzinfo else t.replace(tzinfo=UTC)).astimezone(tz or UTC)
    off = t.strftime("%z")
    return t.strftime("%Y-%m-%d %H:%M") + f" (UTC{off[:3]}:{off[3:]})"


def iso(t: datetime | None) -> str:
    if t is None:
        return ""
    return (t if t.tzinfo else t.replace(tzinfo=UTC)).astimezone(UTC).isoformat(timespec="seconds")


@cache
def catalogue(lang: str, folders: tuple[Path, ...] = ()):
    """The catalogues for ``lang`` (read once): the assignments' public ones in ``folders`` (their
    titles), then the engine's. Never the hidden tests' catalogue: feedback arrives translated."""
    return i18n.translations(lang, folders)


@cache
def environment(lang: str, folders: tuple[Path, ...] = ()) -> Environment:
    env = Environment(
        loader=PackageLoader("autograder.portal.web", "templates"),
        autoescape=True,
        undefined=StrictUndefined,
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.install_gettext_translations(catalogue(lang, folders), newstyle=True)  # type: ignore[attr-defined]
    env.filters.update(num=num, iso=iso, t=catalogue(lang, folders).gettext)  # t: a text known at run time
    env.globals.update(lang=lang, langs=i18n.LANGS)
    return env
