"""The app's regional view, the showing part: the map of the region with its cocaine routes, and the tables.

Pure functions of a :class:`~recruitsim.app_logic.region_run.RegionSnapshot` (data in, dicts and frames out),
tested without a browser. The map is an ECharts option: the Natural Earth countries of ``app_logic/geo.py``
as a ``geo`` component, the simulated countries shaded by an outcome (the others grey), and one line per
route through its countries' centroids (``region/maps.py``), its width proportional to the tonnes a year on
it at the end of the run, on the same scale in the baseline and the scenario views. Figures are means over
the paired replicates; the differences keep each replicate's pair, so their range is shown.
"""

from __future__ import annotations

import html
import math

import numpy as np
import pandas as pd

from recruitsim.model.profiles import get_profile
from recruitsim.region.maps import PLACES
from recruitsim.region.routes import routes

from . import geo as G
from .region_run import RegionSnapshot, paired

#: what a country can be shaded by: key -> (label, unit)
OUTCOMES = {"tonnes": ("Cocaine through it", "tonnes a year"), "revenue_factor": ("Groups' revenue factor", "1 = baseline revenue"),
            "homicides": ("Homicides", "a year"), "recruits": ("Recruits", "youths joining a year")}
VIEWS = {"scenario": "Scenario", "baseline": "Baseline", "change": "Change (scenario − baseline)"}
W_MIN, W_MAX = 1.0, 14.0  # route widths in pixels
MORE, FEWER, SAME = "#D95F02", "#1F78B4", "#525252"
SEQUENTIAL = {"tonnes": ["#D9F0D3", "#A6DBA0", "#74C476", "#31A354", "#006D2C"],
              "homicides": G.SCALES["members"], "recruits": G.SCALES["members"]}
DIVERGING = ["#2166AC", "#92C5DE", "#F7F7F7", "#F4A582", "#B2182B"]  # less ... more
#: where a market's routes end on the map: US-bound from Mexico at the south-west border, the rest by sea
ENTRY = {("USA", "MEX"): (-104.0, 31.6), ("USA", None): (-80.4, 27.0), ("EUR", None): PLACES["EUR"]}
SEA = "#EAF1F7"
SAME_WITHIN = 0.001  # a route whose flow moved by less than 0.1% reads "about the same"


# ---- means over the paired replicates ------------------------------------------------------------------
def mean_figures(snap: RegionSnapshot, side: str) -> dict[str, dict[str, float]]:
    """Per country, the mean over the paired replicates of ``side``'s last-year figures."""
    reps = paired(snap)
    out = {}
    for c in snap.settings.countries:
        keys = snap.outcomes[(side, reps[0])].countries[c]
        out[c] = {k: float(np.mean([snap.outcomes[(side, r)].countries[c][k] for r in reps])) for k in keys}
    return out


def route_table(snap: RegionSnapshot) -> pd.DataFrame:
    """One row per route: its countries, destination, tonnes a year at the end (baseline, scenario), change."""
    reps = paired(snap)
    rows = []
    for r in routes():
        b = float(np.mean([snap.outcomes[("baseline", i)].routes[r.name] for i in reps]))
        s = float(np.mean([snap.outcomes[("scenario", i)].routes[r.name] for i in reps]))
        rows.append({"route": r.name, "countries": "-".join(r.countries), "destination": r.destination, "baseline": b,
                     "scenario": s, "change": s - b, "change_pct": (s / b - 1.0) * 100 if b > 0 else 0.0})
    return pd.DataFrame(rows)


def country_flows(tonnes: dict[str, float], countries: tuple[str, ...]) -> dict[str, dict[str, float]]:
    """Per country: tonnes a year arriving (routes through it from elsewhere) and leaving (every route through it)."""
    out = {}
    for c in countries:
        arriving = sum(tonnes[r.name] for r in routes() if c in r.via)
        leaving = sum(tonnes[r.name] for r in routes() if c in r.countries)
        out[c] = {"tonnes_in": float(arriving), "tonnes_out": float(leaving)}
    return out


# ---- the map -------------------------------------------------------------------------------------------
def width(tonnes: float, top: float) -> float:
    """Line width of ``tonnes`` a year when the largest flow shown is ``top`` (proportional, plus a hairline)."""
    return round(W_MIN + (W_MAX - W_MIN) * max(tonnes, 0.0) / top, 2) if top > 0 else W_MIN


def _points(route, europe: tuple[float, float] | None = None) -> list[tuple[float, float]]:
    last = route.via[-1] if route.via else route.source
    end = ENTRY.get((route.destination, last), ENTRY[(route.destination, None)])
    if route.destination == "EUR" and europe is not None:
        end = europe
    return [PLACES[c] for c in route.countries] + [end]


ZOOMS = {"corridor": "Zoom: these countries", "region": "All of Latin America"}


def view_box(countries: tuple[str, ...], pad: float = 7.0, east: float = 14.0) -> list[list[float]]:
    """The map's frame around ``countries`` (ECharts ``boundingCoords``: [[west, north], [east, south]]), with
    room to the east for the exit to Europe, at least 36 x 30 degrees."""
    xs, ys = [PLACES[c][0] for c in countries], [PLACES[c][1] for c in countries]
    x0, x1, y0, y1 = min(xs) - pad, max(xs) + east, min(ys) - pad, max(ys) + pad + 3  # north: room for the US markets
    grow_x, grow_y = max(0.0, 36 - (x1 - x0)) / 2, max(0.0, 30 - (y1 - y0)) / 2
    return [[x0 - grow_x, y1 + grow_y], [x1 + grow_x, y0 - grow_y]]


def europe_exit(box: list[list[float]] | None) -> tuple[float, float]:
    """Where Europe-bound routes leave the map: off its east edge (the whole map), or at the frame's east edge."""
    if box is None:
        return (-37.0, 12.0)  # east of Brazil's tip, where the whole map ends
    (_, north), (east, south) = box
    return (east - 1.0, min(max(15.0, south + 3.0), north - 3.0))


def slots() -> dict[str, int]:
    """A lateral slot per route (0, +1, -1, +2, ...) so that routes sharing a stretch are drawn side by side."""
    seg = lambda p, q: tuple(sorted((p, q)))  # noqa: E731
    used: dict[tuple, set[int]] = {}
    out = {}
    order = [0, *(k for i in range(1, len(routes()) + 1) for k in (i, -i))]
    for r in sorted(routes(), key=lambda r: -r.share):
        pts = _points(r)
        segments = [seg(a, b) for a, b in zip(pts, pts[1:])]
        taken = set().union(*(used.get(s, set()) for s in segments))
        out[r.name] = next(k for k in order if k not in taken)
        for s in segments:
            used.setdefault(s, set()).add(out[r.name])
    return out


def offset_path(points: list[tuple[float, float]], shift: float) -> list[list[float]]:
    """``points`` moved ``shift`` degrees to the left of the direction of travel (joints: the mean of both sides)."""
    moved: list[list[list[float]]] = [[] for _ in points]
    for i, (a, b) in enumerate(zip(points, points[1:])):
        dx, dy = b[0] - a[0], b[1] - a[1]
        n = math.hypot(dx, dy) or 1.0
        nx, ny = -dy / n * shift, dx / n * shift
        moved[i].append([a[0] + nx, a[1] + ny])
        moved[i + 1].append([b[0] + nx, b[1] + ny])
    return [[round(float(np.mean([p[0] for p in m])), 3), round(float(np.mean([p[1] for p in m])), 3)] for m in moved]


def scale_top(table: pd.DataFrame, view: str) -> float:
    """The flow drawn at full width: the largest change, or the largest route in either run (one scale for both)."""
    return float(table["change"].abs().max()) if view == "change" else float(table[["baseline", "scenario"]].to_numpy().max())


def route_lines(table: pd.DataFrame, view: str, spacing: float = 0.55, europe: tuple[float, float] | None = None) -> list[dict]:
    """One line per route: name, path, tonnes shown, width and colour. ``view``: "scenario" or "baseline" (width
    proportional to its tonnes, on one scale for both) or "change" (width proportional to the change)."""
    by_name = {r.name: r for r in routes()}
    lane = slots()
    top = scale_top(table, view)
    out = []
    for row in table.itertuples():
        shown = row.change if view == "change" else getattr(row, view)
        moved = abs(row.change_pct) >= SAME_WITHIN * 100
        colour = SAME if view == "baseline" or not moved else MORE if row.change > 0 else FEWER
        out.append({"name": row.route, "tonnes": float(shown), "width": width(abs(shown), top), "colour": colour,
                    "coords": offset_path(_points(by_name[row.route], europe), lane[row.route] * spacing),
                    "tip": f"{row.route} ({row.countries} → {row.destination}): {row.baseline:,.0f} t/yr at baseline, "
                           f"{row.scenario:,.0f} in the scenario ({row.change:+,.0f}, {row.change_pct:+.1f}%)"})
    return out


def country_values(snap: RegionSnapshot, metric: str, view: str) -> dict[str, float]:
    """Each simulated country's figure of ``metric`` in ``view`` (the change: scenario minus baseline)."""
    if view == "change":
        b, s = mean_figures(snap, "baseline"), mean_figures(snap, "scenario")
        return {c: s[c][metric] - b[c][metric] for c in snap.settings.countries}
    figures = mean_figures(snap, view)
    return {c: figures[c][metric] for c in snap.settings.countries}


def fmt(v: float, metric: str, signed: bool = False) -> str:
    """A figure as the map and tables write it: revenue factors to 3 decimals, the rest to 3 significant figures."""
    if v is None or not math.isfinite(v):
        return "–"
    if metric == "revenue_factor":
        return f"{v:+.3f}" if signed else f"{v:.3f}"
    r = float(f"{v:.3g}")
    text = f"{abs(r):,.0f}" if abs(r) >= 10 else f"{abs(r):,.3g}"
    return ("+" if r > 0 and signed else "−" if r < 0 else "") + text


def diverging_pieces(values: list[float], centre: float, metric: str) -> list[dict]:
    """Five bins around ``centre``: much less, less, about the same, more, much more (edges rounded)."""
    m = max((abs(v - centre) for v in values), default=0.0)
    if m <= 0:
        return [{"min": centre - 1, "max": centre + 1, "label": f"{fmt(centre, metric)} (no change)", "color": DIVERGING[2]}]
    a, b = m / 10, m / 2
    signed = centre == 0
    edges = [centre - b, centre - a, centre + a, centre + b]
    label = lambda v: fmt(v, metric, signed)  # noqa: E731
    return [{"lt": edges[0], "label": f"below {label(edges[0])}", "color": DIVERGING[0]},
            {"gte": edges[0], "lt": edges[1], "label": f"{label(edges[0])} to {label(edges[1])}", "color": DIVERGING[1]},
            {"gte": edges[1], "lte": edges[2], "label": f"about {label(centre)}", "color": DIVERGING[2]},
            {"gt": edges[2], "lte": edges[3], "label": f"{label(edges[2])} to {label(edges[3])}", "color": DIVERGING[3]},
            {"gt": edges[3], "label": f"above {label(edges[3])}", "color": DIVERGING[4]}]


def _pieces(values: dict[str, float], metric: str, view: str) -> list[dict]:
    if view == "change":
        return diverging_pieces(list(values.values()), 0.0, metric)
    if metric == "revenue_factor":
        return diverging_pieces(list(values.values()), 1.0, metric)
    return G.pieces(list(values.values()), SEQUENTIAL[metric])


def legend_title(metric: str, view: str) -> str:
    label, unit = OUTCOMES[metric]
    return f"{label}, {unit}" + (" (scenario − baseline)" if view == "change" else f" ({VIEWS[view].lower()})")


def _regions(values: dict[str, float], metric: str, view: str, tonnes: dict[str, float]) -> list[dict]:
    """The map series' data: the simulated countries with their figure, the others grey (no value)."""
    iso_of = {f["properties"]["name"]: f["properties"]["iso3"] for f in G.geojson()["features"]}
    data = []
    for name, iso in iso_of.items():
        if iso in values:
            tip = f"{name}: {fmt(values[iso], metric, view == 'change')} — {legend_title(metric, view)}"
            data.append({"name": name, "value": round(values[iso], 4), "tooltip": {"formatter": _safe(tip)}})
        else:
            through = f"; {tonnes[iso]:,.0f} t/yr of cocaine cross it (scenario)" if tonnes.get(iso, 0) > 0 else ""
            data.append({"name": name, "value": None, "tooltip": {"formatter": _safe(f"{name}: not simulated{through}")}})
    return data


def _safe(text: str) -> str:
    """ECharts reads {a} in a formatter as a template: write braces as parentheses."""
    return text.replace("{", "(").replace("}", ")")


LINE_SERIES = {MORE: "Route: more than at baseline", FEWER: "Route: less than at baseline",
               SAME: "Route: about the same (within 0.1%)"}


def _line_series(lines: list[dict], view: str) -> list[dict]:
    """The routes as ``lines`` series on the map, one series per colour (the key names them, ``route_key``);
    the widest drawn first, so thin routes stay visible on top. Then an arrowhead at each route's market."""
    names = {**LINE_SERIES, SAME: "Route (baseline)" if view == "baseline" else LINE_SERIES[SAME]}
    out = []
    for colour, name in names.items():
        mine = [ln for ln in sorted(lines, key=lambda x: -x["width"]) if ln["colour"] == colour]
        data = [{"name": ln["name"], "coords": ln["coords"], "lineStyle": {"width": ln["width"]},
                 "tooltip": {"formatter": _safe(ln["tip"])}} for ln in mine]
        if data or (view != "baseline" and colour != SAME):
            out.append({"type": "lines", "name": name, "coordinateSystem": "geo", "polyline": True, "z": 3, "data": data,
                        "lineStyle": {"color": colour, "opacity": 0.8, "cap": "round"}, "itemStyle": {"color": colour}})
    heads = [{"coords": [_along(ln["coords"][-2], ln["coords"][-1], 0.8), ln["coords"][-1]], "symbolSize": 6 + ln["width"],
              "lineStyle": {"color": ln["colour"], "width": ln["width"], "opacity": 0.8}} for ln in lines]
    out.append({"type": "lines", "name": "arrowheads", "coordinateSystem": "geo", "z": 3, "silent": True,
                "symbol": ["none", "arrow"], "data": heads, "tooltip": {"show": False}})
    return out


def _along(a: list[float], b: list[float], f: float) -> list[float]:
    return [a[0] + f * (b[0] - a[0]), a[1] + f * (b[1] - a[1])]


#: which side of its dot a country's label goes (neighbours' labels apart); the rest to the right
LABEL_SIDE = {"GTM": "left", "SLV": "bottom", "HND": "top", "CRI": "left", "PAN": "bottom", "HTI": "left", "JAM": "bottom",
              "ECU": "left", "PER": "left", "VEN": "top", "TTO": "bottom", "BLZ": "top"}
UNIT_SHORT = {"tonnes": " t/yr", "revenue_factor": "", "homicides": "", "recruits": ""}


def _labels(values: dict[str, float], metric: str, view: str, europe: tuple[float, float]) -> list[dict]:
    """Each simulated country's code and figure at its centroid, and the two markets."""
    points = [{"name": f"{c} {fmt(v, metric, view == 'change')}{UNIT_SHORT[metric]}", "value": list(PLACES[c]),
               "label": {"position": LABEL_SIDE.get(c, "right")}} for c, v in values.items()]
    markets = [{"name": "US market (via Mexico)", "value": list(ENTRY[("USA", "MEX")])},
               {"name": "US market (by sea)", "value": list(ENTRY[("USA", None)])},
               {"name": "to Europe →", "value": list(europe), "label": {"position": "top"}}]
    text = {"show": True, "formatter": "{b}", "fontSize": 13, "fontWeight": "bold", "color": "#111111",
            "textBorderColor": "#FFFFFF", "textBorderWidth": 3, "position": "right", "distance": 5}
    return [{"type": "scatter", "coordinateSystem": "geo", "z": 5, "symbolSize": 7, "silent": True, "data": points,
             "itemStyle": {"color": "#111111"}, "label": text, "tooltip": {"show": False}, "labelLayout": {"moveOverlap": "shiftY"}},
            {"type": "scatter", "coordinateSystem": "geo", "z": 5, "symbol": "diamond", "symbolSize": 11, "silent": True,
             "data": markets, "itemStyle": {"color": "#7F0000"}, "tooltip": {"show": False},
             "label": {**text, "fontWeight": "normal", "fontStyle": "italic", "color": "#7F0000"}}]


def _key_row(y: int, stroke: str, w: float, text: str) -> list[dict]:
    return [{"type": "line", "shape": {"x1": 0, "y1": y, "x2": 44, "y2": y}, "style": {"stroke": stroke, "lineWidth": w}},
            {"type": "text", "x": 54, "y": y - 7, "style": {"text": text, "font": "12px sans-serif", "fill": "#222222"}}]


def route_key(table: pd.DataFrame, view: str) -> dict:
    """The key to the routes, in the chart's top right corner: three sample widths with their tonnes a year, then
    what the colours mean (one ECharts ``graphic`` group)."""
    scale = scale_top(table, view)
    samples = [G._nice(scale * f) for f in (1.0, 0.5, 0.1)] if scale > 0 else []
    unit = "t/yr change" if view == "change" else "t/yr"
    title = "Routes: width = change in tonnes a year" if view == "change" else "Routes: width = tonnes a year at the end"
    children = [{"type": "text", "x": 0, "y": 0, "style": {"text": title, "font": "bold 12px sans-serif", "fill": "#222222"}}]
    y = 26
    for t in samples:
        children += _key_row(y, SAME, width(t, scale), f"{t:,.0f} {unit}")
        y += 20
    colours = {SAME: "Route (baseline)"} if view == "baseline" else LINE_SERIES
    for colour, text in colours.items():
        children += _key_row(y, colour, 5, text.removeprefix("Route: "))
        y += 20
    box = {"type": "rect", "shape": {"x": -8, "y": -8, "width": 262, "height": y - 4}, "style": {"fill": "rgba(255,255,255,0.9)"}}
    return {"type": "group", "right": 12, "top": 12, "z": 100, "children": [box, *children]}


def map_option(snap: RegionSnapshot, metric: str = "tonnes", view: str = "scenario", zoom: str = "corridor") -> dict:
    """The ECharts option of the regional map: countries shaded by ``metric`` in ``view``, the routes on top;
    ``zoom``: framed on the simulated countries ("corridor") or the whole map ("region")."""
    values = country_values(snap, metric, view)
    table = route_table(snap)
    tonnes = dict(zip(table["route"], table["scenario"]))
    through = {c: v["tonnes_out"] for c, v in country_flows(tonnes, tuple(PLACES)).items()}
    box = view_box(snap.settings.countries) if zoom == "corridor" else None
    europe = europe_exit(box)
    series = [{"type": "map", "geoIndex": 0, "name": legend_title(metric, view), "data": _regions(values, metric, view, through)},
              *_line_series(route_lines(table, view, europe=europe), view), *_labels(values, metric, view, europe)]
    geo = {"map": G.MAP_NAME, "nameProperty": "name", "roam": False, "aspectScale": 0.9, "top": 64, "bottom": 8, "left": 8,
           "right": 8, "silent": False, "itemStyle": {"areaColor": G.NO_DATA, "borderColor": "#FFFFFF", "borderWidth": 0.6},
           "emphasis": {"label": {"show": False}, "itemStyle": {"areaColor": "#FFE082"}}}
    if box is not None:
        geo["boundingCoords"] = box
    return {
        "animation": False,
        "tooltip": {"trigger": "item"},
        "geo": geo,
        "visualMap": {"type": "piecewise", "seriesIndex": 0, "pieces": _pieces(values, metric, view), "left": 8, "bottom": 8,
                      "itemWidth": 14, "itemHeight": 12, "textStyle": {"fontSize": 12}, "text": [legend_title(metric, view), ""],
                      "selectedMode": False, "inverse": True, "showLabel": True, "backgroundColor": "rgba(255,255,255,0.9)",
                      "padding": 6, "z": 100},
        "backgroundColor": SEA,
        "graphic": [route_key(table, view)],
        "series": series,
    }


# ---- the tables ----------------------------------------------------------------------------------------
#: the columns of the country table: key -> (heading, what it is); additive ones are summed for the region
COLUMNS = {"recruits": ("Recruits a year", "youths (10-29) joining a group in the last year of the run, national"),
           "members": ("Members", "group members aged 10-29 at the end, national"),
           "homicides": ("Homicides a year", "expected homicides of all ages in the last year (low-noise), national"),
           "homicide_rate": ("Homicides per 100,000", "the region's: its homicides over its population"),
           "tonnes_in": ("Cocaine arriving, t/yr", "on routes from the countries before it, at the end of the run"),
           "tonnes_out": ("Cocaine leaving, t/yr", "every route that starts in or crosses it (its own production included)"),
           "route_share": ("Share of the trade", "of the cocaine leaving the Andes, the % that crosses it"),
           "revenue_factor": ("Groups' revenue factor", "their revenue relative to baseline at the end (1 = baseline)"),
           "programme_cost": ("Programme cost, USD m/yr", "the scenario's policies in the country, last year")}
ADDITIVE = ("recruits", "members", "homicides", "programme_cost")


def country_table(snap: RegionSnapshot, side: str) -> pd.DataFrame:
    """One row per simulated country (``side``'s figures, means over the paired replicates), then the region:
    the sum of the countries' national counts, its homicide rate; flows do not add up (a tonne crossing three
    countries counts in each), so the region's flow cells are empty and the total leaving the Andes is
    :func:`total_tonnes`."""
    figures = mean_figures(snap, side)
    tonnes = dict(zip(route_table(snap)["route"], route_table(snap)[side]))
    flows = country_flows(tonnes, snap.settings.countries)
    total = sum(tonnes.values())
    rows = []
    for c in snap.settings.countries:
        f = figures[c]
        rows.append({"country": c, "name": get_profile(c).name, **{k: f[k] for k in ("recruits", "members", "homicides", "homicide_rate")},
                     **flows[c], "route_share": flows[c]["tonnes_out"] / total * 100 if total > 0 else 0.0,
                     "revenue_factor": f["revenue_factor"], "programme_cost": f["programme_cost"] / 1e6})
    df = pd.DataFrame(rows)
    region = {"country": "REGION", "name": f"The {len(rows)} countries (sum)", **{k: float(df[k].sum()) for k in ADDITIVE}}
    population = sum(get_profile(c).population for c in snap.settings.countries)
    region["homicide_rate"] = region["homicides"] / population * 1e5
    return pd.concat([df, pd.DataFrame([region])], ignore_index=True)


def total_tonnes(snap: RegionSnapshot, side: str) -> float:
    """Cocaine leaving the Andes at the end of the run, t/yr (mean over the paired replicates)."""
    return float(np.mean([snap.outcomes[(side, r)].total_tonnes for r in paired(snap)]))


#: the differences shown: key -> (heading, format key)
DIFFERENCES = {"homicides": "Homicides a year", "recruits": "Recruits a year", "tonnes_out": "Cocaine through it, t/yr",
               "revenue_factor": "Groups' revenue factor", "programme_cost": "Programme cost, USD m/yr"}


def _replicate_rows(snap: RegionSnapshot, r: int) -> pd.DataFrame:
    """Scenario minus baseline in replicate ``r``, per country and for the region (sums of the additive ones)."""
    side = {}
    for name in ("baseline", "scenario"):
        out = snap.outcomes[(name, r)]
        flows = country_flows(out.routes, snap.settings.countries)
        side[name] = pd.DataFrame({c: {**out.countries[c], **flows[c], "programme_cost": out.countries[c]["programme_cost"] / 1e6}
                                   for c in snap.settings.countries}).T[list(DIFFERENCES)]
    d = side["scenario"] - side["baseline"]
    d.loc["REGION"] = [d[k].sum() if k in ADDITIVE else np.nan for k in DIFFERENCES]
    return d.assign(replicate=r)


def difference_table(snap: RegionSnapshot) -> pd.DataFrame:
    """Per country and for the region: the mean over the paired replicates of scenario minus baseline, and the
    lowest and highest replicate (``_lo``, ``_hi``), and who gains or loses in words (:func:`verdict`)."""
    reps = paired(snap)
    long = pd.concat([_replicate_rows(snap, r) for r in reps])
    g = long.drop(columns="replicate").astype(float).groupby(level=0, sort=False)
    mean, lo, hi = g.mean(), g.min(), g.max()
    base = {c: v["tonnes_out"] for c, v in country_table(snap, "baseline").set_index("country").iterrows()}
    rows = []
    for c in [*snap.settings.countries, "REGION"]:
        row = {"country": c, "name": get_profile(c).name if c != "REGION" else f"The {len(snap.settings.countries)} countries (sum)"}
        for k in DIFFERENCES:
            row.update({k: mean.loc[c, k], f"{k}_lo": lo.loc[c, k], f"{k}_hi": hi.loc[c, k]})
        row["verdict"] = verdict(row, len(reps), base.get(c))
        rows.append(row)
    return pd.DataFrame(rows)


def clear(row: dict, key: str, n: int) -> int:
    """+1 / -1 when every paired replicate moved ``key`` the same way (and there are at least two), else 0."""
    lo, hi = row[f"{key}_lo"], row[f"{key}_hi"]
    if n < 2 or not (math.isfinite(lo) and math.isfinite(hi)):
        return 0
    return 1 if lo > 0 else -1 if hi < 0 else 0


def verdict(row: dict, n: int, tonnes_baseline: float | None) -> str:
    """Who gains, who loses, in words: the trade through the country, its homicides, what it pays."""
    parts = []
    if tonnes_baseline and abs(row["tonnes_out"]) >= SAME_WITHIN * tonnes_baseline:
        parts.append(f"{'gains' if row['tonnes_out'] > 0 else 'loses'} trade ({fmt(row['tonnes_out'], 'tonnes', True)} t/yr)")
    h = clear(row, "homicides", n)
    parts.append("more homicides" if h > 0 else "fewer homicides" if h < 0 else "no clear change in homicides")
    if row["programme_cost"] > 0.005:
        parts.append(f"pays USD {row['programme_cost']:,.0f} m/yr" if row["programme_cost"] >= 1 else
                     f"pays USD {row['programme_cost']:.2f} m/yr")
    return "; ".join(parts)


def basis(snap: RegionSnapshot) -> str:
    """What the figures rest on, in one sentence (replicates, scale, horizon)."""
    s = snap.settings
    n = snap.replicates_done
    scale = ", ".join(f"{c} 1:{get_profile(c).youth_population / s.agents:,.0f}" for c in s.countries)
    partial = "" if n == s.replicates else f" (of {s.replicates} asked)"
    return (f"These results rest on {n} paired replicate{'s' if n != 1 else ''}{partial} of {s.agents:,} simulated youths per "
            f"country (one simulated youth stands for this many real ones: {scale}), {s.years} year{'s' if s.years != 1 else ''} after a "
            f"{s.burn_in:g}-year burn-in, seed {s.seed}. Figures: the last year of the run, national; flows at the end. "
            + ("With one replicate there is no range, so no change is called clear. " if n < 2 else
               f"In brackets: the lowest and highest of the {n} replicates; a change is clear only when all of them agree in sign. ")
            + "A small demonstration of the mechanism, not an estimate.")


# ---- the tables as HTML (the page's .rs-table style) ---------------------------------------------------
def _cell(key: str, v) -> str:
    if v is None or (isinstance(v, float) and not math.isfinite(v)):
        return ""
    if key == "route_share":
        return f"{v:.1f}%"
    if key == "programme_cost":
        return f"{v:,.1f}" if v else "0"
    return fmt(v, "revenue_factor" if key == "revenue_factor" else key)


def _head(cells: list[tuple[str, str]]) -> str:
    return "<tr>" + "".join(f'<th><span class="rs-help" title="{html.escape(t)}">{html.escape(h)}</span></th>' for h, t in cells) + "</tr>"


def country_html(snap: RegionSnapshot) -> str:
    """The country table: each cell "baseline → scenario"; the region's row last (sums; flows left empty)."""
    b, s = country_table(snap, "baseline"), country_table(snap, "scenario")
    rows = []
    for (_, rb), (_, rs) in zip(b.iterrows(), s.iterrows()):
        cls = ' class="rs-region-total"' if rb["country"] == "REGION" else ""
        cells = [f"<td>{html.escape(str(rb['name']))}</td>"]
        for k in COLUMNS:
            x, y = _cell(k, rb[k]), _cell(k, rs[k])
            cells.append(f'<td class="num rs-col-{k}">{x if x == y else f"{x} → {y}"}</td>')
        rows.append(f"<tr{cls}>{''.join(cells)}</tr>")
    head = _head([("Country", "ISO3 profile"), *COLUMNS.values()])
    return f'<table class="rs-table rs-region-table"><thead>{head}</thead><tbody>{"".join(rows)}</tbody></table>'


def _range(row, key: str, n: int) -> str:
    if n < 2:
        return ""
    lo, hi = row[f"{key}_lo"], row[f"{key}_hi"]
    unit = "revenue_factor" if key == "revenue_factor" else key
    return f'<span class="rs-range">[{fmt(lo, unit, True)}, {fmt(hi, unit, True)}]</span>'


def difference_html(snap: RegionSnapshot) -> str:
    """Scenario minus baseline per country: mean over the paired replicates, [lowest, highest], who gains or loses."""
    d, n = difference_table(snap), snap.replicates_done
    rows = []
    for _, r in d.iterrows():
        cls = ' class="rs-region-total"' if r["country"] == "REGION" else ""
        cells = [f"<td>{html.escape(str(r['name']))}</td>"]
        for k in DIFFERENCES:
            v = r[k]
            shown = "" if not math.isfinite(v) else (f"{v:+,.2f}" if k == "programme_cost" else
                                                      fmt(v, "revenue_factor" if k == "revenue_factor" else k, True))
            cells.append(f'<td class="num rs-diff-{k}">{shown} {_range(r, k, n) if math.isfinite(v) else ""}</td>')
        cells.append(f'<td class="rs-verdict">{html.escape(r["verdict"])}</td>')
        rows.append(f"<tr{cls}>{''.join(cells)}</tr>")
    head = _head([("Country", ""), *((h, "scenario minus baseline") for h in DIFFERENCES.values()), ("Who gains, who loses", "")])
    return f'<table class="rs-table rs-region-diff"><thead>{head}</thead><tbody>{"".join(rows)}</tbody></table>'


def routes_html(snap: RegionSnapshot) -> str:
    """Every route: its countries, the tonnes a year on it at the end (baseline, scenario) and the change."""
    t = route_table(snap).sort_values("baseline", ascending=False)
    rows = "".join(f"<tr><td>{html.escape(r.route)}</td><td>{html.escape(r.countries)} → {r.destination}</td>"
                   f'<td class="num">{r.baseline:,.0f}</td><td class="num">{r.scenario:,.0f}</td>'
                   f'<td class="num">{r.change:+,.1f} ({r.change_pct:+.1f}%)</td></tr>' for r in t.itertuples())
    head = _head([("Route", ""), ("Countries → market", ""), ("Baseline, t/yr", ""), ("Scenario, t/yr", ""), ("Change", "")])
    return f'<table class="rs-table rs-region-routes"><thead>{head}</thead><tbody>{rows}</tbody></table>'


# ---- captions ------------------------------------------------------------------------------------------
def map_caption(snap: RegionSnapshot) -> str:
    b, s = total_tonnes(snap, "baseline"), total_tonnes(snap, "scenario")
    return (f"Schematic routes between country centroids (region/data/routes.csv): width proportional to the tonnes a year "
            f"on the route at the end of the run (the same scale in the baseline and scenario views; in the change view, "
            f"to the change); orange: more than at baseline, blue: less. Cocaine leaving the Andes: {b:,.0f} t/yr at baseline, "
            f"{s:,.0f} in the scenario. Simulated countries are shaded and labelled with the chosen figure (mean of "
            f"{snap.replicates_done} paired replicate{'s' if snap.replicates_done != 1 else ''}); grey: not simulated (their "
            "routes still carry flow and re-route). Hover a route or a country for its figures. Boundaries: Natural Earth "
            "1:110m (public domain); Europe is off the map to the east.")


def table_caption(snap: RegionSnapshot) -> str:
    b, s = total_tonnes(snap, "baseline"), total_tonnes(snap, "scenario")
    return (f"National figures, the last year of the run (mean of {snap.replicates_done} paired replicate"
            f"{'s' if snap.replicates_done != 1 else ''} of {snap.settings.agents:,} simulated youths per country); one figure "
            "where baseline and scenario agree. The region's row adds up the countries' recruits, members, homicides and "
            "programme costs; its homicide rate is over their combined population. Flows do not add up over countries (a "
            f"tonne crossing three countries counts in each): {b:,.0f} t/yr leave the Andes at baseline, {s:,.0f} in the scenario. "
            "Hover a heading for its definition.")


def difference_caption(snap: RegionSnapshot) -> str:
    n = snap.replicates_done
    spread = ("In brackets: the lowest and highest of the paired replicates; a change is called clear only when every "
              "replicate moves the same way." if n >= 2 else "One replicate: no range, so no change is called clear.")
    return (f"Scenario minus baseline, mean of {n} paired replicate{'s' if n != 1 else ''} (replicate r of both: the same "
            f"random numbers, posterior draw and effect set), {snap.settings.agents:,} simulated youths per country. {spread} "
            "Trade: the change in tonnes a year crossing the country (shown when it moved by 0.1% or more). Few replicates "
            "of small models: a demonstration of the mechanism, not an estimate; for a sound comparison with costs, benefits "
            "and intervals run recruitsim compare --corridor NAME --replicates 6 or more.")
