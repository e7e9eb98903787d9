"""The class report's three plots as inline SVG: geometry here, markup in ``templates/plots.svg.j2``.

Three fixed chart types (a histogram, paired horizontal bars, a scatter) do not need a plotting library:
drawing them directly keeps the report's cost in milliseconds (matplotlib's import and SVG backend
took most of a class-of-one run) and the output byte-stable. Every label comes from the report's
template (translated there); Jinja escapes it.
"""

from __future__ import annotations

import bisect
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

from jinja2 import Environment
from markupsafe import Markup

if TYPE_CHECKING:  # values only: render sits below reports (pyproject's import-linter layers)
    from autograder.reports.analysis import ClassStats

INK, ACCENT, WARN, MUTED = "#1f2933", "#2563a8", "#b42318", "#9aa5b1"
WIDTH = 640  # SVG user units; the page scales the plot (svg.plot in the report's CSS)
LEFT, RIGHT, BOTTOM = 56, 16, 44  # margins around the plotting area; the top one holds the legend
CHAR = 6.6  # estimated width of a legend character at 11 px (Cyrillic included), for the layout only
ROW = 16  # legend row height


@dataclass(frozen=True)
class Scale:
    """Maps data values ``lo..hi`` onto pixels ``a..b`` (b < a for a y axis)."""

    lo: float
    hi: float
    a: float
    b: float

    def __call__(self, x: float) -> float:
        span = self.hi - self.lo or 1.0
        return round(self.a + (x - self.lo) / span * (self.b - self.a), 2)


@dataclass(frozen=True)
class Tick:
    at: float  # pixel
    label: str


@dataclass(frozen=True)
class Frame:
    """The plotting area of one figure: its size, axes' ticks and labels."""

    name: str
    width: int
    height: int
    x0: float
    x1: float
    y0: float  # bottom pixel
    y1: float  # top pixel
    xticks: tuple[Tick, ...]
    yticks: tuple[Tick, ...]
    xlabel: str
    ylabel: str


def legend_layout(texts: list[str], x0: float, x1: float) -> tuple[list[tuple[float, float]], int]:
    """Where each legend entry starts (swatch, then text), wrapped into rows within x0..x1, and the
    top margin the rows need."""
    at, x, y = [], x0 + 10, 8
    for text in texts:
        width = 20 + CHAR * len(text)
        if at and x + width > x1:
            x, y = x0 + 10, y + ROW
        at.append((round(x, 2), y))
        x += width + 24
    return at, y + ROW + 8


def label(x: float) -> str:
    """A tick label: 2 -> '2', 2.5 -> '2.5', -0.5 -> '−0.5' (a real minus sign, as typeset)."""
    text = f"{round(x, 2):g}"
    return text.replace("-", "\N{MINUS SIGN}") if text != "-0" else "0"


def integer_ticks(top: int, most: int = 6) -> list[int]:
    """0..top (at least 1) in steps of 1, 2 or 5 times a power of ten, at most ``most`` steps."""
    top = max(1, top)
    for power in range(0, 12):
        for m in (1, 2, 5):
            step = m * 10 ** power
            if math.ceil(top / step) <= most:
                return list(range(0, step * math.ceil(top / step) + 1, step))
    raise ValueError(top)  # pragma: no cover - 10**12 students


def histogram_counts(scores: tuple[float, ...], edges: list[float]) -> list[int]:
    """Students per bin; bins are half-open except the last, which includes its right edge."""
    counts = [0] * (len(edges) - 1)
    for s in scores:
        i = min(max(bisect.bisect_right(edges, s) - 1, 0), len(counts) - 1)
        counts[i] += 1
    return counts


@dataclass(frozen=True)
class Key:
    """One legend entry: its text, its swatch's kind (a template macro) and colour, and where it starts."""

    text: str
    swatch: str  # "line", "box", "square", "ring"
    color: str
    x: float
    y: float
    dash: str = ""


class Plots:
    """Plot functions the template calls with its own labels; each returns inline SVG."""

    def __init__(self, stats: ClassStats, negative_threshold: float, env: Environment):
        self.stats = stats
        self.negative_threshold = negative_threshold
        self.svg = env.get_template("plots.svg.j2").module

    @staticmethod
    def _keys(entries: list[tuple[str, str, str, str]], left: float) -> tuple[tuple[Key, ...], int]:
        """The legend's entries (text, swatch, colour, dash) laid out, and the top margin they need."""
        at, top = legend_layout([e[0] for e in entries], left, WIDTH - RIGHT)
        return tuple(Key(t, sw, c, x, y, d) for (t, sw, c, d), (x, y) in zip(entries, at, strict=True)), top

    @staticmethod
    def _frame(name: str, height: int, top: int, x: Scale, xticks: list[float], y: Scale | None,
               yticks: list[tuple[float, str]], xlabel: str, ylabel: str, left: int = LEFT) -> Frame:
        return Frame(name, WIDTH, height, left, WIDTH - RIGHT, height - BOTTOM, top,
                     tuple(Tick(x(t), label(t)) for t in xticks),
                     tuple(Tick(y(v) if y else v, text) for v, text in yticks), xlabel, ylabel)

    def histogram(self, xlabel: str, ylabel: str, mean: str, median: str) -> Markup:
        s = self.stats.score
        top_score = s.max_score or 1.0
        edges = [top_score * i / 10 for i in range(11)]
        counts = histogram_counts(self.stats.scores, edges)
        marks = [(f"{mean} {label(s.mean)}", s.mean, INK, "6 3"),
                 (f"{median} {label(s.median)}", s.median, WARN, "2 3")] if s.n else []
        keys, top = self._keys([(t, "line", c, d) for t, _v, c, d in marks], LEFT)
        height = 230 + top
        x = Scale(0, top_score, LEFT, WIDTH - RIGHT)
        yt = integer_ticks(max(counts, default=0))
        y = Scale(0, yt[-1], height - BOTTOM, top)
        frame = self._frame("histogram", height, top, x, edges, y, [(v, str(v)) for v in yt], xlabel, ylabel)
        bars = [(x(lo) + 0.5, y(c), round(x(hi) - x(lo) - 1, 2), round(y(0) - y(c), 2), c)
                for lo, hi, c in zip(edges, edges[1:], counts, strict=False) if c]
        lines = [(x(v), c, d) for _t, v, c, d in marks]
        return self.svg.histogram(frame, bars, lines, keys, ACCENT)

    def exercises(self, xlabel: str, mean: str, full: str) -> Markup:
        ex = self.stats.exercises
        row = 28
        left = min(220, 16 + 7 * max((len(e.id) for e in ex), default=4))
        keys, top = self._keys([(mean, "box", ACCENT, ""), (full, "box", MUTED, "")], left)
        height = top + BOTTOM + row * max(1, len(ex))
        x = Scale(0, 100, left, WIDTH - RIGHT)
        bar = round(row / 2 - 4, 2)
        rows = []
        for i, e in enumerate(ex):
            y = top + i * row + 3
            m = 100 * e.mean / e.max_score if e.max_score else 0.0
            f = 100 * e.full_rate
            rows.append((e.id, round(y + row / 2 - 3, 2), y, round(x(m) - x(0), 2), label(m),
                         round(y + bar + 1, 2), round(x(f) - x(0), 2), label(f)))
        frame = self._frame("exercises", height, top, x, [0, 20, 40, 60, 80, 100], None, [], xlabel, "", left)
        return self.svg.exercises(frame, rows, bar, keys, ACCENT, MUTED)

    def items(self, xlabel: str, ylabel: str, flagged: str, undefined: str) -> Markup:
        t = self.negative_threshold
        points = []
        for i in self.stats.items:
            d = i.discrimination
            points.append(("none" if d is None else ("bad" if d < t else "ok"), i.pass_rate, d, i.name))
        entries = [(flagged, "square", WARN, "")] if any(p[0] == "bad" for p in points) else []
        entries += [(undefined, "ring", INK, "")] if any(p[0] == "none" for p in points) else []
        keys, top = self._keys(entries, LEFT)
        height = 270 + top
        x = Scale(-3, 103, LEFT, WIDTH - RIGHT)
        y = Scale(-1.05, 1.05, height - BOTTOM, top)
        frame = self._frame("items", height, top, x, [0, 20, 40, 60, 80, 100], y,
                            [(v, label(v)) for v in (-1, -0.5, 0, 0.5, 1)], xlabel, ylabel)
        marks = [(kind, x(100 * rate), y(0.0 if d is None else d), name, label(100 * rate),
                  "" if d is None else label(d)) for kind, rate, d, name in points]
        colors = {"ok": ACCENT, "bad": WARN, "none": INK, "zero": MUTED}
        return self.svg.items(frame, marks, y(0), y(max(-1.05, min(1.05, t))), keys, colors)
