"""The pages' language: the user's choice (a cookie set from the language form), else the browser's
Accept-Language, else English. Only the languages that have catalogues (autograder.course.i18n)."""

from __future__ import annotations

from autograder.course.i18n import DEFAULT, LANGS

COOKIE = "ag_lang"


def from_accept_language(header: str | None) -> str | None:
    """The best supported language of an Accept-Language header ("ru-RU,ru;q=0.9,en;q=0.8" -> "ru")."""
    best, best_q = None, 0.0
    for i, part in enumerate((header or "")[:1000].split(",")):
        tag, _, params = part.strip().partition(";")
        lang = tag.strip().lower().split("-")[0]
        q = 1.0
        params = params.strip()
        if params.startswith("q="):
            try:
                q = float(params[2:])
            except ValueError:
                q = 0.0
        q -= i * 1e-6  # equal weights: the earlier one wins
        if lang in LANGS and q > best_q:
            best, best_q = lang, q
    return best


def negotiate(cookie: str | None, accept_language: str | None) -> str:
    if cookie in LANGS:
        return cookie
    return from_accept_language(accept_language) or DEFAULT
