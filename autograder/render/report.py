"""report.html: the class report, one self-contained file (inline CSS, JS and SVG plots; no network).

Only formatting happens here: the numbers come from ``autograder.reports.analysis`` and
``autograder.reports.similarity``. Every word the reader sees is in ``templates/report.html.j2``, marked for
translation with ``_()`` (jinja2's i18n extension with the engine's catalogue of the active language,
autograder.course.i18n), plot labels included: the template calls the plot functions with its own words.
"""

from __future__ import annotations

import base64
import gettext
import hashlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup

from autograder.course import i18n
from autograder.render.plots import Plots

if TYPE_CHECKING:  # values only: render sits below reports (pyproject's import-linter layers)
    from autograder.reports.analysis import ClassStats
    from autograder.reports.similarity import Similarity

NAMES_SHOWN = 12  # members of a similar group named in the report; the rest are counted


@dataclass(frozen=True)
class ReportInput:
    """What the report shows; ``similarity`` is None when the submitted files were not available."""

    title: str
    stats: ClassStats
    similarity: Similarity | None
    negative_threshold: float
    similarity_threshold: float
    kgram: int  # tokens per fragment in the similarity measure
    lang: str = "en"


def environment(translations: gettext.NullTranslations | None = None) -> Environment:
    """The template environment; ``translations``: the catalogue chain (default: the active language's,
    autograder.course.i18n)."""
    env = Environment(loader=PackageLoader("autograder.render", "templates"), autoescape=True,
                      undefined=StrictUndefined, extensions=["jinja2.ext.i18n"],
                      trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)
    env.install_gettext_translations(  # type: ignore[attr-defined]
        translations if translations is not None else i18n.translations(i18n.current()), newstyle=True)
    env.filters.update(num=num, pct=pct, r2=r2)
    return env


def num(x: float | None) -> str:
    """Points: 2 -> '2', 2.5 -> '2.5', 83.3333 -> '83.33'."""
    return "" if x is None else f"{round(x, 2):g}"


def pct(rate: float) -> str:
    """A rate 0..1 as a whole percentage (the template adds the sign)."""
    return f"{round(100 * rate):d}"


def r2(x: float | None) -> str:
    return "" if x is None else f"{x:+.2f}".replace("+0.00", "0.00").replace("-0.00", "0.00")


def _script(env: Environment) -> tuple[Markup, str]:
    """The inline script and its CSP hash: the page runs this script and nothing else."""
    js = env.get_template("report.js").render()
    digest = base64.b64encode(hashlib.sha256(js.encode("utf-8")).digest()).decode("ascii")
    return Markup(js), Markup(f"'sha256-{digest}'")


def report_html(data: ReportInput, env: Environment | None = None,
                plots: Callable[[ClassStats, float, Environment], Plots] = Plots) -> str:
    return "".join(report_html_parts(data, env, plots))


def report_html_parts(data: ReportInput, env: Environment | None = None,
                      plots: Callable[[ClassStats, float, Environment], Plots] = Plots) -> Iterator[str]:
    """``report_html`` in pieces as the template makes them (a large class's page is never one string)."""
    env = env or environment()
    script, script_hash = _script(env)
    s = data.stats
    yield from env.get_template("report.html.j2").generate(
        title=data.title, lang=data.lang, stats=s, similarity=data.similarity, script=script,
        script_hash=script_hash, plots=plots(s, data.negative_threshold, env),
        negative_threshold=data.negative_threshold, similarity_threshold=data.similarity_threshold,
        kgram=data.kgram, names_shown=NAMES_SHOWN,
        flagged=[i for i in s.items if i.flags], problem_ids={p.student_id for p in s.problems})
