"""The app's charts as ECharts options (plain dicts), drawn in the browser by ``solara.FigureEcharts``.

ECharts 5.4.0 ships with ``solara-assets``, so the charts work offline; drawing happens in the
browser, so an update costs the server only a small JSON message, and every point has a tooltip.
The functions here are pure (data in, dict out) and tested without a browser.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from .state import CHART_METRICS

BASELINE_COLOUR = "#555555"
SCENARIO_COLOUR = "#0072B2"  # blue: colour-blind safe next to grey
#: Group colours (Okabe-Ito first); "no group" is light grey.
GROUP_COLOURS = ["#E69F00", "#CC79A7", "#009E73", "#D55E00", "#56B4E9", "#F0E442", "#8C564B", "#7F7F7F",
                 "#BCBD22", "#17BECF", "#9467BD", "#FF9896"]
NO_GROUP = "#E6E6E6"

#: Large counts are drawn in thousands so the axis stays readable.
SCALE = {"recruits": (1e3, "thousand youths joining per year"), "members": (1e3, "thousand members (end of year)")}


def _round(v: float) -> float | None:
    """Three significant figures (the model's precision at app sizes); None for missing."""
    if v is None or not math.isfinite(v):
        return None
    if v == 0:
        return 0.0
    digits = max(0, 2 - int(math.floor(math.log10(abs(v)))))
    return round(float(v), digits)


def unit_of(metric: str) -> str:
    return SCALE.get(metric, (1.0, CHART_METRICS[metric][1]))[1]


def band_lookup(band: pd.DataFrame) -> dict[tuple[str, str], dict[int, tuple[float, float, float]]]:
    """``bands`` output as {(metric, scenario): {year: (median, lo, hi)}}: one pass, for fast chart building."""
    out: dict[tuple[str, str], dict[int, tuple[float, float, float]]] = {}
    if band.empty:
        return out
    for metric, sc, year, med, lo, hi in zip(band["metric"], band["scenario"], band["year"].astype(int),
                                             band["median"].astype(float), band["lo"].astype(float),
                                             band["hi"].astype(float), strict=True):
        out.setdefault((metric, sc), {})[year] = (med, lo, hi)
    return out


def trend_option(band: pd.DataFrame | dict, metric: str, scenario: str, scenario_label: str, years: int,
                 active: list[tuple[int, int]] | None = None) -> dict:
    """Baseline and scenario by year: median line and a shaded 10-90% band across replicates.

    ``band`` is :func:`recruitsim.app_logic.summary.bands` output (or its :func:`band_lookup`). ``active`` holds
    the (start, end) years of the scenario's policies, shaded when they do not cover the whole run.
    """
    factor, unit = SCALE.get(metric, (1.0, CHART_METRICS[metric][1]))
    years_axis = [str(y) for y in range(1, years + 1)]
    lookup = band if isinstance(band, dict) else band_lookup(band)
    fields = {"median": 0, "lo": 1, "hi": 2}

    def column(name: str, field: str) -> list[float | None]:
        by_year = lookup.get((metric, name), {})
        k = fields[field]
        return [_round(by_year[y][k] / factor) if y in by_year else None for y in range(1, years + 1)]

    series: list[dict] = []
    has_data = False
    for name, label, colour, dash in (("baseline", "Baseline", BASELINE_COLOUR, "dashed"),
                                      (scenario, scenario_label, SCENARIO_COLOUR, "solid")):
        med, lo, hi = column(name, "median"), column(name, "lo"), column(name, "hi")
        has_data |= any(v is not None for v in med)
        series.append({"name": label, "type": "line", "data": med, "symbolSize": 5, "z": 3,
                       "lineStyle": {"color": colour, "width": 2.5, "type": dash}, "itemStyle": {"color": colour}})
        # invisible lines carrying the band's edges (for the tooltip) ...
        for edge, vals in (("10%", lo), ("90%", hi)):
            series.append({"name": f"{label} {edge}", "type": "line", "data": vals, "symbol": "none",
                           "lineStyle": {"opacity": 0}, "silent": True})
    for name, label, colour in (("baseline", "Baseline", BASELINE_COLOUR), (scenario, scenario_label, SCENARIO_COLOUR)):
        lo, hi = column(name, "lo"), column(name, "hi")
        width = [None if a is None or b is None else _round(b - a) for a, b in zip(lo, hi, strict=True)]
        stack = f"band-{name}"
        # ... and the band itself: an invisible base plus a filled width, stacked
        series.append({"name": f"{label} band base", "type": "line", "data": lo, "stack": stack, "symbol": "none",
                       "lineStyle": {"opacity": 0}, "silent": True})
        series.append({"name": f"{label} band", "type": "line", "data": width, "stack": stack, "symbol": "none",
                       "lineStyle": {"opacity": 0}, "areaStyle": {"color": colour, "opacity": 0.18}, "silent": True})
    mark = []
    for start, end in active or []:
        if start > 0 or end < years:
            mark.append([{"xAxis": str(max(start + 1, 1))}, {"xAxis": str(min(end, years))}])
    if mark:
        series[3]["markArea"] = {"silent": True, "itemStyle": {"color": "rgba(0,114,178,0.06)"}, "data": mark}
    option = {
        "animation": False,
        "grid": {"left": 52, "right": 16, "top": 28, "bottom": 66},
        "legend": {"data": ["Baseline", scenario_label], "bottom": 0, "textStyle": {"fontSize": 11}},
        "tooltip": {"trigger": "axis",
                    "formatter": ("Year {b0}<br/>{a0}: <b>{c0}</b> (range {c1} to {c2})<br/>"
                                  "{a3}: <b>{c3}</b> (range {c4} to {c5})<br/>" + unit)},
        "xAxis": {"type": "category", "data": years_axis, "name": "Year after the policies start",
                  "nameLocation": "middle", "nameGap": 24, "boundaryGap": False},
        "yAxis": {"type": "value", "name": unit, "nameLocation": "end", "nameGap": 10,
                  "nameTextStyle": {"fontSize": 11, "align": "left", "color": "#555555"}},
        "series": series,
    }
    if not has_data:
        option["title"] = {"text": "Waiting for the first simulated year…", "left": "center", "top": "middle",
                           "textStyle": {"color": "#999999", "fontSize": 13, "fontWeight": "normal"}}
    return option


def _grid_data(values: np.ndarray, names: list[str]) -> list[dict]:
    side_y, side_x = values.shape
    out = []
    for i in range(side_y):
        for j in range(side_x):
            v = float(values[i, j])
            out.append({"value": [j, side_y - 1 - i, v if np.isfinite(v) else None], "name": names[i * side_x + j]})
    return out


def _cell_names(layers: dict[str, np.ndarray]) -> list[str]:
    control, violence = layers["control"], layers["violence"]
    conflict = layers.get("conflict", np.zeros_like(violence))
    out = []
    for i in range(control.shape[0]):
        for j in range(control.shape[1]):
            g = int(control[i, j])
            who = f"controlled by group {g + 1}" if g >= 0 else "no group in control"
            extra = ", contested by a rival" if conflict[i, j] > 0 else ""
            out.append(f"Neighbourhood row {i + 1}, column {j + 1}: {who}{extra}; violence {violence[i, j]:.2f}")
    return out


def map_option(layers: dict[str, np.ndarray], what: str, title: str, n_groups: int, vmax: float = 1.0) -> dict:
    """One neighbourhood map: ``what`` = "control" (which group holds each cell) or "violence" (index)."""
    control = np.asarray(layers["control"])
    side_y, side_x = control.shape
    names = _cell_names(layers)
    axis = {"type": "category", "show": False}
    base = {
        "animation": False,
        "title": {"text": title, "left": "center", "top": 0, "textStyle": {"fontSize": 12}},
        "tooltip": {"trigger": "item", "formatter": "{b}"},
        "grid": {"left": 8, "right": 8, "top": 26, "bottom": 58, "containLabel": False},
        "xAxis": {**axis, "data": list(range(side_x))},
        "yAxis": {**axis, "data": list(range(side_y))},
    }
    if what == "control":
        groups = max(1, int(n_groups))
        present = sorted({int(g) for g in np.unique(control) if g >= 0})
        pieces = [{"value": -1, "label": "no group", "color": NO_GROUP}]
        pieces += [{"value": g, "label": f"group {g + 1}", "color": GROUP_COLOURS[g % len(GROUP_COLOURS)]}
                   for g in range(groups) if g in present]
        data = _grid_data(control.astype(float), names)
        visual = {"type": "piecewise", "pieces": pieces, "orient": "horizontal", "left": "center", "bottom": 0,
                  "itemWidth": 12, "itemHeight": 12, "textStyle": {"fontSize": 10}, "selectedMode": False}
    else:
        data = _grid_data(np.asarray(layers["violence"], float), names)
        visual = {"type": "continuous", "min": 0, "max": _round(max(vmax, 1e-6)), "calculable": False,
                  "orient": "horizontal", "left": "center", "bottom": 0, "itemHeight": 120, "itemWidth": 12,
                  "text": ["more violent", "calm"], "textStyle": {"fontSize": 10},
                  "inRange": {"color": ["#EEEBEA", "#FCBBA1", "#FB6A4A", "#CB181D", "#67000D"]}}
    return {**base, "visualMap": visual,
            "series": [{"type": "heatmap", "data": data, "itemStyle": {"borderColor": "#FFFFFF", "borderWidth": 1},
                        "emphasis": {"itemStyle": {"borderColor": "#000000", "borderWidth": 1}}}]}
