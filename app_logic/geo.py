"""The region's map: the 24 countries coloured by an outcome, as an ECharts map option.

Boundaries: Natural Earth 1:110m admin-0 (public domain), simplified and shipped as
``app_logic/data/lac_countries_110m.geojson`` (source, licence and processing in ``app_logic/data/SOURCES.md``).
ECharts (shipped with ``solara-assets``) draws it in the browser, offline. The outcomes come from the profiles:

* **homicide rate**: the published rate per 100,000 the profile is calibrated to (the midpoint where sources
  differ; ``model/profiles.py`` targets, with their sources);
* **members per 1,000 youths**: group members aged 10-29 per 1,000 people of that age at the start: the posterior
  median of ``member_prevalence`` in a calibrated profile, else the profile's pre-calibration value;
* **the comparison's effect**: homicides averted per 100,000 population a year by the top-ranked option, for the
  country of the run (the others were not run).
"""

from __future__ import annotations

import json
import math
from functools import lru_cache
from importlib import resources

import numpy as np

from recruitsim.model.profiles import COUNTRY_CODES, get_profile

MAP_NAME = "lac"
METRICS = {"homicide_rate": "Homicide rate", "members": "Members per 1,000 youths"}
EFFECT = "effect"
NO_DATA = "#D9D9D9"
SCALES = {"homicide_rate": ["#FFF5EB", "#FDBE85", "#FD8D3C", "#D94701", "#7F2704"],
          "members": ["#F2F0F7", "#CBC9E2", "#9E9AC8", "#756BB1", "#54278F"],
          EFFECT: ["#E5F5E0", "#A1D99B", "#41AB5D", "#006D2C"]}


@lru_cache(maxsize=1)
def geojson() -> dict:
    """The shipped boundaries (29 features: the 24 profiles and 5 neighbours for context)."""
    text = resources.files("recruitsim.app_logic").joinpath("data", "lac_countries_110m.geojson").read_text(encoding="utf-8")
    return json.loads(text)


@lru_cache(maxsize=1)
def country_values() -> dict[str, dict[str, tuple[float, str]]]:
    """{metric: {iso3: (value, where it comes from)}} for the 24 profiles."""
    from recruitsim.model import posteriors

    hom, mem = {}, {}
    for iso in COUNTRY_CODES:
        prof = get_profile(iso)
        t = prof.targets["homicide_rate"]
        where = f"published {t.low:g}-{t.high:g}" if t.low != t.high else "published"
        hom[iso] = (t.observed, f"{where} ({t.source})")
        draws = [posteriors.draw(iso, r) for r in range(20)] if posteriors.is_calibrated(iso) else []
        draws = [d for d in draws if d and "member_prevalence" in d]
        if draws:
            mem[iso] = (1000 * float(np.median([d["member_prevalence"] for d in draws])), "calibrated (posterior median)")
        else:
            mem[iso] = (1000 * float(prof.overrides["member_prevalence"]), "not calibrated: the profile's starting value")
    return {"homicide_rate": hom, "members": mem}


def effect_value(country: str, homicides_averted: float, years: int) -> float:
    """Homicides averted (over the run, discounted) as a rate per 100,000 population a year."""
    return homicides_averted / max(years, 1) / get_profile(country).population * 1e5


def _item(name: str, value: float | None, tip: str, bold: bool) -> dict:
    item: dict = {"name": name, "value": None if value is None or not math.isfinite(value) else round(value, 2),
                  "tooltip": {"formatter": tip.replace("{", "(").replace("}", ")")}}
    if bold:
        item["itemStyle"] = {"borderColor": "#000000", "borderWidth": 2}
    return item


def map_option(metric: str, highlight: str | None = None, effect: tuple[float, str] | None = None) -> dict:
    """The ECharts option of the map of ``metric`` (``METRICS`` or ``EFFECT`` with ``effect`` = (value, what))."""
    names = {f["properties"]["iso3"]: f["properties"]["name"] for f in geojson()["features"]}
    profiled = {f["properties"]["iso3"] for f in geojson()["features"] if f["properties"]["profile"]}
    data, values = [], []
    for iso, name in names.items():
        bold = iso == highlight
        if iso not in profiled:
            data.append(_item(name, None, f"{name}: no recruitsim profile", False))
        elif metric == EFFECT:
            if bold and effect is not None:
                values.append(effect[0])
            v = effect[0] if bold and effect is not None else None
            data.append(_item(name, v, f"{name}: {effect[1]}" if v is not None else f"{name}: not in this run", bold))
        else:
            v, where = country_values()[metric][iso]
            values.append(v)
            unit = "per 100,000 a year" if metric == "homicide_rate" else "members per 1,000 youths"
            data.append(_item(name, v, f"{name}: {v:.3g} {unit}; {where}", bold))
    return {
        "animation": False,
        "tooltip": {"trigger": "item"},
        "visualMap": {"type": "piecewise", "pieces": pieces(values, SCALES[metric]), "left": 8, "bottom": 8,
                      "itemWidth": 14, "itemHeight": 12, "textStyle": {"fontSize": 11}, "text": [_legend(metric), ""],
                      "selectedMode": False, "inverse": True, "showLabel": True},
        "series": [{"type": "map", "map": MAP_NAME, "nameProperty": "name", "roam": False, "selectedMode": False,
                    "aspectScale": 0.9, "layoutCenter": ["55%", "50%"], "layoutSize": "95%",
                    "itemStyle": {"areaColor": NO_DATA, "borderColor": "#FFFFFF", "borderWidth": 0.6},
                    "emphasis": {"label": {"show": False}, "itemStyle": {"areaColor": "#FFE082"}},
                    "data": data}],
    }


def _nice(x: float) -> float:
    """2 significant figures (bin edges people read)."""
    if x <= 0 or not math.isfinite(x):
        return 0.0
    digits = 1 - int(math.floor(math.log10(x)))
    return round(x, digits)


def pieces(values: list[float], colours: list[str]) -> list[dict]:
    """Bins with about as many countries in each (quantiles, rounded edges), one colour each, lowest first."""
    v = np.asarray([x for x in values if math.isfinite(x)], float)
    if v.size == 0:
        return [{"min": 0, "max": 1, "label": "no data", "color": NO_DATA}]
    k = min(len(colours), max(1, len(set(v.round(6)))))
    edges = sorted({_nice(e) for e in np.quantile(v, np.linspace(0, 1, k + 1)[1:-1])} - {0.0})
    bounds = [None, *edges, None]
    out = []
    for i in range(len(bounds) - 1):
        lo, hi = bounds[i], bounds[i + 1]
        piece: dict = {"color": colours[round(i * (len(colours) - 1) / max(len(bounds) - 2, 1))]}
        if lo is not None:
            piece["gte"] = lo
        if hi is not None:
            piece["lt"] = hi
        piece["label"] = f"{lo:g} - {hi:g}" if lo is not None and hi is not None else (
            f"under {hi:g}" if hi is not None else f"{lo:g} or more" if lo is not None else f"{_nice(float(v.max())):g}")
        out.append(piece)
    return out


def _legend(metric: str) -> str:
    return {"homicide_rate": "homicides per 100,000", "members": "members per 1,000 youths",
            EFFECT: "homicides averted per 100,000 a year"}[metric]
