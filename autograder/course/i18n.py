"""Student-facing text in English or Russian, from GNU gettext catalogues.

Messages are written in English in the sources, marked ``_("...")`` (translated where they are
composed) or ``N_("...")`` (constants: marked for extraction, translated where they are used), with
named placeholders filled after translation, so a translator can reorder them::

    fail(_("{what} is wrong on {on}: ...").format(what=what, on=on))

Three catalogues (domain ``<name>.mo`` under ``<folder>/<lang>/LC_MESSAGES/``), looked up in order:

- the hidden tests' one, ``reference/<assignment>/locale`` (domain ``assignment``): their titles,
  inputs and mistake names, which must not ship to students;
- the public one, ``assignments/<assignment>/locale`` (domain ``assignment``): the public tests and
  the assignment's title; it ships in the student bundle;
- the engine's, ``autograder/locale`` (domain ``autograder``): everything the engine says.

The .po files are kept with Babel (``make translations``: pybabel extract, update, compile); the
compiled .mo files are committed, so the self-check needs only the standard library's ``gettext``
(students install numpy and pytest, nothing else), and a test fails when a .mo is stale.
English is the source language: with ``en`` nothing is looked up and the text is the source's.

The active language (``--lang``, else the assignment's ``lang``, else English) is set for a block with
``language(...)`` and held in a ``contextvars.ContextVar``, not a module global: each thread and each
asyncio task sees its own, and a thread that needs the caller's language is started in a copy of the
caller's context (``contextvars.copy_context().run``). A new thread starts in English.
"""

from __future__ import annotations

import gettext
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path

LANGS = ("en", "ru")
DEFAULT = "en"
ENGINE_LOCALE = Path(__file__).resolve().parents[1] / "locale"
ENGINE_DOMAIN = "autograder"
ASSIGNMENT_DOMAIN = "assignment"  # the public and the hidden catalogue of an assignment

# (language, its catalogue chain); the default chain translates nothing (English is the source).
_ACTIVE: ContextVar[tuple[str, gettext.NullTranslations]] = ContextVar(
    "autograder_language", default=(DEFAULT, gettext.NullTranslations()))


def check_lang(lang: str) -> str:
    """``lang`` when it is a supported language; ValueError naming the choices otherwise."""
    if lang not in LANGS:
        raise ValueError(f"unknown language {lang!r} (choose one of {', '.join(LANGS)})")
    return lang


def mo_file(folder: Path, lang: str, domain: str) -> Path:
    return Path(folder) / lang / "LC_MESSAGES" / f"{domain}.mo"


def catalogues(lang: str, folders: Sequence[Path] = ()) -> list[Path]:
    """The compiled catalogues for ``lang`` that exist: ``folders`` (assignment catalogues, first
    wins), then the engine's."""
    if lang == DEFAULT:
        return []
    paths = [mo_file(f, lang, ASSIGNMENT_DOMAIN) for f in folders]
    paths.append(mo_file(ENGINE_LOCALE, lang, ENGINE_DOMAIN))
    return [p for p in paths if p.is_file()]


def translations(lang: str, folders: Sequence[Path] = ()) -> gettext.NullTranslations:
    """A fresh chain of the catalogues for ``lang`` (never gettext's shared cache, whose objects
    would collect each other's fallbacks)."""
    check_lang(lang)
    chain: gettext.NullTranslations = gettext.NullTranslations()
    for path in reversed(catalogues(lang, folders)):
        with open(path, "rb") as f:
            t = gettext.GNUTranslations(f)
        t.add_fallback(chain)
        chain = t
    return chain


def current() -> str:
    """The active language."""
    return _ACTIVE.get()[0]


def active() -> tuple[str, gettext.NullTranslations]:
    """The active language and its catalogues (hashable: a key for texts translated in it)."""
    return _ACTIVE.get()


@contextmanager
def language(lang: str, folders: Sequence[Path] = ()) -> Iterator[gettext.NullTranslations]:
    """Make ``lang`` (with the assignment catalogues in ``folders``) the active language inside the
    block, in this context only; the previous one comes back after it."""
    chain = translations(lang, folders)
    token = _ACTIVE.set((lang, chain))
    try:
        yield chain
    finally:
        _ACTIVE.reset(token)


def _(message: str) -> str:
    """``message`` in the active language (itself when it has no translation)."""
    return _ACTIVE.get()[1].gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    return _ACTIVE.get()[1].ngettext(singular, plural, n)


def N_(message: str) -> str:
    """Marks a constant for extraction; translate it with ``_`` where it is used."""
    return message


def docstring_title(doc: str | None) -> str:
    """The first line of a docstring: a test's title, the text the catalogues hold for it (extracted by
    ``autograder.devtools.i18n_extract``, shown translated by ``autograder.testkit.plugin.test_title``)."""
    lines = (doc or "").strip().splitlines()
    return lines[0].rstrip(".") if lines else ""
