"""The report's SVG plots: well-formed, escaped, deterministic, drawn to the numbers."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import replace

import numpy as np
import pytest

from autograder.render.plots import Plots, histogram_counts, integer_ticks, label, legend_layout
from autograder.render.report import environment
from autograder.reports.analysis import ClassStats, ExerciseStats, ItemStats, ScoreStats

SVG = "{http://www.w3.org/2000/svg}"
HOSTILE = "<script>alert(1)</script>&"


def stats(scores: list[float], items: list[ItemStats] | None = None) -> ClassStats:
    n = len(scores)
    score = ScoreStats(n, 10.0, float(np.mean(scores)) if n else 0.0, float(np.median(scores)) if n else 0.0,
                       0.0, min(scores, default=0.0), max(scores, default=0.0))
    ex = (ExerciseStats("sigmoid", True, 4.0, n, 3.0, 4.0, n // 2),
          ExerciseStats(HOSTILE, False, 6.0, n, 0.0, 0.0, 0))
    items = items if items is not None else [
        ItemStats("t.py::a", "a", "sigmoid", 1.0, n, n // 2, 0.5, ()),
        ItemStats("t.py::b", HOSTILE, "sigmoid", 1.0, n, 1, -0.6, ("negative-discrimination",)),
        ItemStats("t.py::c", "c", "sigmoid", 1.0, n, n, None, ("all-pass",))]
    return ClassStats("hw07", tuple(scores), score, ex, tuple(items), (), (), ())


def draw(s: ClassStats) -> dict[str, str]:
    p = Plots(s, -0.2, environment())
    return {"histogram": str(p.histogram("score", "students", "mean", "median")),
            "exercises": str(p.exercises("percent", HOSTILE, "full")),
            "items": str(p.items("pass rate", "discrimination", "flagged", "undefined"))}


def test_ticks_and_labels():
    assert integer_ticks(0) == [0, 1]
    assert integer_ticks(7) == [0, 2, 4, 6, 8]
    assert integer_ticks(20) == [0, 5, 10, 15, 20]
    assert integer_ticks(1234) == [0, 500, 1000, 1500]
    assert [label(x) for x in (2.0, 2.5, 83.3333, -0.5, -0.0)] == ["2", "2.5", "83.33", "−0.5", "0"]


def test_histogram_counts_match_numpy_including_the_top_edge():
    rng = np.random.default_rng(7)
    scores = [float(x) for x in rng.integers(0, 41, 500) / 4] + [10.0, 0.0]
    edges = [10 * i / 10 for i in range(11)]
    assert histogram_counts(tuple(scores), edges) == np.histogram(scores, bins=edges)[0].tolist()


def test_legend_wraps_inside_the_plot():
    at, top = legend_layout(["x" * 10, "y" * 10], 50, 600)
    assert [y for _x, y in at] == [8, 8] and top == 32
    at, top = legend_layout(["x" * 60, "y" * 60], 50, 600)
    assert at[0][1] < at[1][1] and at[1][0] == at[0][0] and top == 48


def test_each_plot_is_well_formed_svg_with_every_label_escaped():
    for name, svg in draw(stats([1.0, 5.0, 7.5, 10.0, 10.0])).items():
        assert "<script>" not in svg
        root = ET.fromstring(svg)  # parses as XML: the escaping held
        assert root.tag == f"{SVG}svg" and root.get("id") == f"plot-{name}" and root.get("class") == "plot"
        texts = "".join(root.itertext())
        if name == "exercises":
            assert HOSTILE in texts  # shown as text, not markup
        w, h = float(root.get("width")), float(root.get("height"))
        for el in root.iter():
            for attr in ("x", "y", "cx", "cy"):
                if el.get(attr) is not None and el.tag != f"{SVG}g":
                    bound = w if attr in ("x", "cx") else h
                    assert -10 <= float(el.get(attr)) <= bound + 10, (name, el.tag)


def test_bars_are_drawn_to_the_counts_and_the_drawing_is_deterministic():
    s = stats([0.5, 9.5, 9.9, 10.0])
    svg = draw(s)
    assert svg == draw(s)  # byte for byte
    bars = ET.fromstring(svg["histogram"]).find(f"{SVG}g[@class='bars']")
    heights = [(float(r.get("height")), r.find(f"{SVG}title").text) for r in bars]
    assert [n for _h, n in heights] == ["1", "3"]
    assert heights[1][0] == pytest.approx(3 * heights[0][0], abs=0.05)


def test_scatter_marks_each_kind_and_keys_only_the_kinds_present():
    svg = ET.fromstring(draw(stats([1.0, 2.0]))["items"])
    points = svg.find(f"{SVG}g[@class='points']")
    assert [el.tag.removeprefix(SVG) for el in points] == ["circle", "rect", "circle"]
    assert points[2].get("fill") == "none"  # undefined discrimination: a ring
    legend = "".join(svg.find(f"{SVG}g[@class='legend']").itertext())
    assert "flagged" in legend and "undefined" in legend
    plain = ET.fromstring(draw(stats([1.0, 2.0], [
        ItemStats("t.py::a", "a", "sigmoid", 1.0, 2, 1, 0.5, ())]))["items"])
    assert "".join(plain.find(f"{SVG}g[@class='legend']").itertext()).strip() == ""


def test_an_empty_class_still_draws():
    for svg in draw(replace(stats([]), items=())).values():
        ET.fromstring(svg)
