"""Build ``app_logic/data/lac_countries_110m.geojson``, the app's country map, from Natural Earth (public domain).

Run by hand, once, at build time (the app only reads the GeoJSON it writes; nothing here is imported by it):

    pip download --no-deps -d /tmp/ne pyogrio==0.13.0          # its wheel carries Natural Earth 1:110m admin-0
    unzip -o /tmp/ne/pyogrio-*.whl 'pyogrio/tests/fixtures/naturalearth_lowres/*' -d /tmp/ne
    pip install pyshp shapely                                  # build-time only, not dependencies of recruitsim
    python tools/build_lac_map.py /tmp/ne/pyogrio/tests/fixtures/naturalearth_lowres/naturalearth_lowres

It keeps the 24 countries of ``model/profiles.py`` and, in grey for context, the region's other land (Cuba,
Puerto Rico, Suriname, French Guiana, the Falkland Islands), rounds coordinates to 0.01 degree (about 1 km,
finer than the 1:110m source) and simplifies each polygon with shapely (0.02 degree tolerance, topology kept).
"""

from __future__ import annotations

import csv
import json
import sys
from pathlib import Path

OUT = Path(__file__).resolve().parents[1] / "app_logic" / "data" / "lac_countries_110m.geojson"
CONTEXT = {"CUB": "Cuba", "PRI": "Puerto Rico", "SUR": "Suriname", "FLK": "Falkland Islands"}
TOLERANCE = 0.02


def french_guiana(shape_geom):
    """The part of France's multipolygon in South America."""
    from shapely.geometry import MultiPolygon

    parts = [p for p in getattr(shape_geom, "geoms", [shape_geom]) if -56 < p.centroid.x < -50 and 1 < p.centroid.y < 7]
    return MultiPolygon(parts) if parts else None


def rounded(geom) -> dict:
    from shapely.geometry import mapping

    def ring(coords):
        out = []
        for x, y in coords:
            pt = [round(x, 2), round(y, 2)]
            if not out or out[-1] != pt:
                out.append(pt)
        return out

    g = mapping(geom.simplify(TOLERANCE, preserve_topology=True))
    polys = g["coordinates"] if g["type"] == "MultiPolygon" else [g["coordinates"]]
    coords = [[ring(r) for r in poly] for poly in polys]
    coords = [p for p in coords if len(p[0]) >= 4]
    return {"type": "MultiPolygon", "coordinates": coords}


def profiles() -> dict[str, str]:
    """ISO3 -> name of the countries with a profile (``model/data/country_targets.csv``, as ``model/profiles.py``)."""
    path = Path(__file__).resolve().parents[1] / "model" / "data" / "country_targets.csv"
    with open(path, newline="", encoding="utf-8") as f:
        return {r["iso3"]: r["country"] for r in csv.DictReader(f) if r["iso3"] not in ("AMER", "LCN", "WLD")}


def main(source: str) -> None:
    import shapefile
    from shapely.geometry import shape

    names = profiles()
    features = []
    for sr in shapefile.Reader(source).shapeRecords():
        iso, geom = sr.record["iso_a3"], shape(sr.shape.__geo_interface__)
        if iso in names:
            props = {"iso3": iso, "name": names[iso], "profile": True}
        elif iso in CONTEXT:
            props = {"iso3": iso, "name": CONTEXT[iso], "profile": False}
        elif sr.record["name"] == "France" and (geom := french_guiana(geom)) is not None:
            props = {"iso3": "GUF", "name": "French Guiana (France)", "profile": False}
        else:
            continue
        features.append({"type": "Feature", "properties": props, "geometry": rounded(geom)})
    missing = set(names) - {f["properties"]["iso3"] for f in features}
    if missing:
        raise SystemExit(f"not in the source: {sorted(missing)}")
    features.sort(key=lambda f: f["properties"]["iso3"])
    OUT.write_text(json.dumps({"type": "FeatureCollection", "features": features}, separators=(",", ":")) + "\n")
    print(f"{OUT}: {len(features)} features, {OUT.stat().st_size:,} bytes")


if __name__ == "__main__":
    main(sys.argv[1])
