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
import io
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup

from autograder.course import i18n

if TYPE_CHECKING:  # values only: render sits below reports (pyproject's import-linter layers)
    from autograder.reports.analysis import ClassStats
    from autograder.reports.similarity import Similarity

INK, ACCENT, WARN, MUTED = "#1f2933", "#2563a8", "#b42318", "#9aa5b1"
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


def _svg(fig, name: str) -> Markup:
    """The figure as inline SVG: text kept as text, stable ids unique to ``name``, no date."""
    import matplotlib

    buf = io.StringIO()
    with matplotlib.rc_context({"svg.fonttype": "none", "svg.hashsalt": name, "svg.id": f"plot-{name}"}):
        fig.savefig(buf, format="svg", metadata={"Date": None}, bbox_inches="tight")
    text = buf.getvalue()
    text = text[text.index("<svg"):]  # no XML declaration or DOCTYPE inside HTML
    # matplotlib numbers its groups figure_1, axes_1, ... in every file: make them unique in the page.
    text = re.sub(r'id="((?:figure|axes|patch|line2d|text|matplotlib\.axis|xtick|ytick|legend|'
                  r'PathCollection|BarContainer)_[0-9]+)"', rf'id="{name}-\1"', text)
    return Markup(text.replace('width="', 'class="plot" width="', 1))


def _figure(width: float, height: float):
    from matplotlib.figure import Figure  # the Agg/SVG canvases only: no GUI backend, no pyplot state

    fig = Figure(figsize=(width, height), dpi=100)
    ax = fig.subplots()
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    ax.tick_params(colors=INK, labelsize=9)
    return fig, ax


class Plots:
    """Plot functions the template calls with its own labels; each returns inline SVG."""

    def __init__(self, stats: ClassStats, negative_threshold: float):
        self.stats = stats
        self.negative_threshold = negative_threshold

    def histogram(self, xlabel: str, ylabel: str, mean: str, median: str) -> Markup:
        s = self.stats.score
        top = s.max_score or 1.0
        fig, ax = _figure(6.4, 2.6)
        edges = [top * i / 10 for i in range(11)]
        ax.hist(self.stats.scores, bins=edges, color=ACCENT, edgecolor="white", linewidth=1)
        if s.n:
            ax.axvline(s.mean, color=INK, linestyle="--", linewidth=1.5, label=f"{mean} {num(s.mean)}")
            ax.axvline(s.median, color=WARN, linestyle=":", linewidth=2, label=f"{median} {num(s.median)}")
            ax.legend(frameon=False, fontsize=9, loc="upper left")
        ax.set_xlim(0, top)
        ax.set_xticks(edges)
        ax.yaxis.get_major_locator().set_params(integer=True)
        ax.set_xlabel(xlabel, color=INK)
        ax.set_ylabel(ylabel, color=INK)
        return _svg(fig, "histogram")

    def exercises(self, xlabel: str, mean: str, full: str) -> Markup:
        ex = self.stats.exercises
        fig, ax = _figure(6.4, 0.6 + 0.32 * len(ex))
        ys = list(range(len(ex)))
        ax.barh([y - 0.2 for y in ys], [100 * e.mean / e.max_score if e.max_score else 0 for e in ex],
                height=0.38, color=ACCENT, label=mean)
        ax.barh([y + 0.2 for y in ys], [100 * e.full_rate for e in ex], height=0.38, color=MUTED,
                label=full)
        ax.set_yticks(ys, [e.id for e in ex])
        ax.invert_yaxis()
        ax.set_xlim(0, 100)
        ax.set_xlabel(xlabel, color=INK)
        ax.legend(frameon=False, fontsize=9, loc="lower left", bbox_to_anchor=(0, 1), ncols=2)
        return _svg(fig, "exercises")

    def items(self, xlabel: str, ylabel: str, flagged: str, undefined: str) -> Markup:
        fig, ax = _figure(6.4, 3.0)
        ok = [i for i in self.stats.items if i.discrimination is not None
              and i.discrimination >= self.negative_threshold]
        bad = [i for i in self.stats.items if i.discrimination is not None
               and i.discrimination < self.negative_threshold]
        none = [i for i in self.stats.items if i.discrimination is None]
        ax.axhline(0, color=MUTED, linewidth=0.8)
        ax.axhline(self.negative_threshold, color=WARN, linewidth=0.8, linestyle=":")
        ax.scatter([100 * i.pass_rate for i in ok], [i.discrimination for i in ok], s=22, color=ACCENT)
        if bad:
            ax.scatter([100 * i.pass_rate for i in bad], [i.discrimination for i in bad], s=36,
                       color=WARN, marker="s", label=flagged)
        if none:
            ax.scatter([100 * i.pass_rate for i in none], [0.0] * len(none), s=30, facecolors="none",
                       edgecolors=INK, marker="o", label=undefined)
        ax.set_xlim(-3, 103)
        ax.set_ylim(-1.05, 1.05)
        ax.set_xlabel(xlabel, color=INK)
        ax.set_ylabel(ylabel, color=INK)
        if bad or none:
            ax.legend(frameon=False, fontsize=9, loc="lower left")
        return _svg(fig, "items")


def _script(env: Environment) -> tuple[Markup, str]:
    """The inline script and its CSP hash: the page runs this script and nothing else."""
    js = env.get_template("report.js").render()
    digest = base64.b64encode(hashlib.sha256(js.encode("utf-8")).digest()).decode("ascii")
    return Markup(js), Markup(f"'sha256-{digest}'")


def report_html(data: ReportInput, env: Environment | None = None,
                plots: Callable[[ClassStats, float], Plots] = Plots) -> str:
    env = env or environment()
    script, script_hash = _script(env)
    s = data.stats
    return env.get_template("report.html.j2").render(
        title=data.title, lang=data.lang, stats=s, similarity=data.similarity, script=script,
        script_hash=script_hash, plots=plots(s, data.negative_threshold),
        negative_threshold=data.negative_threshold, similarity_threshold=data.similarity_threshold,
        kgram=data.kgram, names_shown=NAMES_SHOWN,
        flagged=[i for i in s.items if i.flags], problem_ids={p.student_id for p in s.problems})
