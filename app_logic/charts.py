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


OPTION_COLOURS = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#8C564B", "#000000"]


def colours(names: list[str]) -> dict[str, str]:
    """The same colour for an option in every chart; the baseline grey."""
    return {"baseline": BASELINE_COLOUR, **{n: OPTION_COLOURS[i % len(OPTION_COLOURS)] for i, n in enumerate(names)}}


def trend_option(band: pd.DataFrame | dict, metric: str, labels: dict[str, str], years: int) -> dict:
    """The baseline (grey, dashed) and every option by year: the median across replicates (the table gives the
    intervals of the differences, which are what matter; bands of eight overlapping levels would hide them)."""
    factor, unit = SCALE.get(metric, (1.0, CHART_METRICS[metric][1]))
    lookup = band if isinstance(band, dict) else band_lookup(band)
    col = colours([n for n in labels if n != "baseline"])
    series, has_data = [], False
    for name, label in labels.items():
        by_year = lookup.get((metric, name), {})
        med = [_round(by_year[y][0] / factor) if y in by_year else None for y in range(1, years + 1)]
        has_data |= any(v is not None for v in med)
        base = name == "baseline"
        series.append({"name": label, "type": "line", "data": med, "symbolSize": 4, "z": 2 if base else 3,
                       "lineStyle": {"color": col[name], "width": 3 if base else 2, "type": "dashed" if base else "solid"},
                       "itemStyle": {"color": col[name]}})
    option = {
        "animation": False,
        "grid": {"left": 52, "right": 16, "top": 28, "bottom": 44 + 17 * len(labels)},
        "legend": {"data": list(labels.values()), "bottom": 0, "orient": "vertical", "left": 52,
                   "textStyle": {"fontSize": 10}, "itemWidth": 16, "itemHeight": 8},
        "tooltip": {"trigger": "axis", "valueFormatter": None},
        "xAxis": {"type": "category", "data": [str(y) for y in range(1, years + 1)], "name": "Year after the policies start",
                  "nameLocation": "middle", "nameGap": 22, "boundaryGap": False},
        "yAxis": {"type": "value", "name": unit, "nameLocation": "end", "nameGap": 10, "scale": True,
                  "nameTextStyle": {"fontSize": 11, "align": "left", "color": "#555555"}},
        "series": series,
    }
    del option["tooltip"]["valueFormatter"]
    if not has_data:
        option["title"] = {"text": "Waiting for the first replicate…", "left": "center", "top": "middle",
                           "textStyle": {"color": "#999999", "fontSize": 13, "fontWeight": "normal"}}
    return option


def plane_option(table: pd.DataFrame, cloud: pd.DataFrame, labels: dict[str, str]) -> dict:
    """The cost-effectiveness plane: homicides averted (x) against extra public cost (y) for every option, a
    cloud of samples (replicates x economic draws) around each mean, and the efficiency frontier through the
    baseline and the options on it (figures from ``recruitsim.economics.cea``, nothing recomputed)."""
    names = [n for n in table["name"] if n != "baseline"]
    col = colours(names)
    series = []
    for name in names:
        c = cloud[cloud["scenario"] == name]
        r = table[table["name"] == name].iloc[0]
        series.append({"name": labels.get(name, name), "type": "scatter", "symbolSize": 4, "itemStyle": {"color": col[name],
                       "opacity": 0.25}, "data": [[_round(x), _round(y / 1e6)] for x, y in zip(c["effect"], c["cost"], strict=True)],
                       "tooltip": {"show": False}, "silent": True})
        series.append({"name": labels.get(name, name), "type": "scatter", "symbolSize": 13, "z": 5,
                       "itemStyle": {"color": col[name], "borderColor": "#000", "borderWidth": 1},
                       "data": [{"value": [_round(r["homicides_averted"]), _round(r["incremental_cost"] / 1e6)],
                                 "name": labels.get(name, name)}]})
    front = table[table["on_frontier"].astype(bool) | (table["name"] == "baseline")].sort_values("incremental_cost")
    series.append({"name": "Efficiency frontier", "type": "line", "symbol": "none", "z": 4,
                   "lineStyle": {"color": "#000", "width": 1.5, "type": "dotted"},
                   "data": [[_round(a), _round(b / 1e6)] for a, b in zip(front["homicides_averted"], front["incremental_cost"],
                                                                          strict=True)]})
    return {
        "animation": False,
        "grid": {"left": 70, "right": 20, "top": 20, "bottom": 48 + 18 * math.ceil((len(names) + 1) / 2)},
        "legend": {"data": [*[labels.get(n, n) for n in names], "Efficiency frontier"], "bottom": 0, "textStyle": {"fontSize": 10}},
        "tooltip": {"trigger": "item", "formatter": "{b}: homicides averted, extra cost (USD M) = {c}"},
        "xAxis": {"type": "value", "name": "Homicides averted (discounted, over the run)", "nameLocation": "middle", "nameGap": 26,
                  "axisLine": {"onZero": False}},
        "yAxis": {"type": "value", "name": "Extra public cost, USD million", "nameLocation": "middle", "nameGap": 56,
                  "axisLine": {"onZero": False}},
        "series": series,
    }


def _grid_data(values: np.ndarray, names: list[str]) -> list[dict]:
    side_y, side_x = values.shape
    out = []
    for i in range(side_y):
        for j in range(side_x):
            v = float(values[i, j])
            out.append({"value": [j, side_y - 1 - i, v if np.isfinite(v) else None], "name": names[i * side_x + j]})
    return out


def group_names(control: np.ndarray) -> dict[int, str]:
    """Readable group names by territory: "Group A (largest)", "Group B", ... (the model's groups are numbered,
    not named); ``control`` is the reference layer (the baseline's), so every map uses the same names."""
    c = np.asarray(control).ravel()
    held = np.bincount(c[c >= 0].astype(int)) if (c >= 0).any() else np.zeros(0, int)
    order = sorted((g for g in range(held.size) if held[g] > 0), key=lambda g: (-held[g], g))
    names = {g: f"Group {chr(65 + i) if i < 26 else i + 1}" for i, g in enumerate(order)}
    if order:
        names[order[0]] += " (largest)"
    return names


def group_legend(names: dict[int, str]) -> list[tuple[str, str]]:
    """(label, colour) of "no group" and each named group, in letter order (one HTML legend for every map)."""
    order = sorted(names, key=lambda g: names[g])
    return [("no group", NO_GROUP), *[(names[g], GROUP_COLOURS[g % len(GROUP_COLOURS)]) for g in order]]


def _group(names: dict[int, str], g: int) -> str:
    return names.get(g, f"Group {g + 1}")


def _cell_names(layers: dict[str, np.ndarray], groups: dict[int, str]) -> list[str]:
    control, violence = layers["control"], layers["violence"]
    conflict = layers.get("conflict", np.zeros_like(violence))
    out = []
    for i in range(control.shape[0]):
        for j in range(control.shape[1]):
            g = int(control[i, j])
            who = f"controlled by {_group(groups, g)}" if g >= 0 else "no group in control"
            extra = ", contested by a rival" if conflict[i, j] > 0 else ""
            out.append(f"Neighbourhood row {i + 1}, column {j + 1}: {who}{extra}; violence {violence[i, j]:.2f}")
    return out


def map_option(layers: dict[str, np.ndarray], what: str, title: str, n_groups: int, vmax: float = 1.0,
               groups: dict[int, str] | None = None) -> dict:
    """One neighbourhood map: ``what`` = "control" (which group holds each cell) or "violence" (index).
    ``groups``: the groups' names (``group_names`` of the baseline's layer; default: this layer's)."""
    control = np.asarray(layers["control"])
    side_y, side_x = control.shape
    groups = group_names(control) if groups is None else groups
    names = _cell_names(layers, groups)
    axis = {"type": "category", "show": False}
    base = {
        "animation": False,
        "title": {"text": title, "left": 4, "top": 0, "textStyle": {"fontSize": 11, "fontWeight": "normal", "lineHeight": 15}},
        "tooltip": {"trigger": "item", "formatter": "{b}"},
        "grid": {"left": 4, "right": 4, "top": 40, "bottom": 6 if what == "control" else 44, "containLabel": False},
        "xAxis": {**axis, "data": list(range(side_x))},
        "yAxis": {**axis, "data": list(range(side_y))},
    }
    if what == "control":
        n = max(1, int(n_groups))
        present = {int(g) for g in np.unique(control) if g >= 0}
        order = sorted((g for g in range(n) if g in present), key=lambda g: (g not in groups, _group(groups, g)))
        pieces = [{"value": -1, "label": "no group", "color": NO_GROUP}]
        pieces += [{"value": g, "label": _group(groups, g), "color": GROUP_COLOURS[g % len(GROUP_COLOURS)]} for g in order]
        data = _grid_data(control.astype(float), names)
        visual = {"type": "piecewise", "pieces": pieces, "show": False}  # the page draws one legend for both maps
    else:
        data = _grid_data(np.asarray(layers["violence"], float), names)
        visual = {"type": "continuous", "min": 0, "max": _round(max(vmax, 1e-6)), "calculable": False,
                  "orient": "horizontal", "left": "center", "bottom": 0, "itemHeight": 120, "itemWidth": 12,
                  "text": ["more violent", "calm"], "textStyle": {"fontSize": 10},
                  "inRange": {"color": ["#EEEBEA", "#FCBBA1", "#FB6A4A", "#CB181D", "#67000D"]}}
    return {**base, "visualMap": visual,
            "series": [{"type": "heatmap", "data": data, "itemStyle": {"borderColor": "#FFFFFF", "borderWidth": 1},
                        "emphasis": {"itemStyle": {"borderColor": "#000000", "borderWidth": 1}}}]}
