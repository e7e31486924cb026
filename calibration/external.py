"""External checks: posterior predictions of quantities the fit never sees, against sourced figures.

**Detected victims of trafficking** (``calibration/data/trafficking_detected.csv``: UNODC's GLOTIP data
portal, releases of 2025 and 2023, and government figures quoted in the US State Department's Trafficking in
Persons reports, 2018-2022; tags in ``model/data/SOURCES.md``). Detected victims are those that authorities
identified in a year, a **lower bound** on the victims there are (they depend on how hard a country looks).
The model's comparable figure is ``trafficked_per_year``: new victims aged 10-29 per year over the
calibration window. Its 90% posterior predictive interval (the posterior draws and seeds the fit report
uses, ``REPLICATES`` of them) is compared with the largest count of any source and year:

* *consistent*: the whole interval is at or above the detected count. The comparison is conservative
  twice over: detected victims include ages 0-9 and 30+, which the model does not simulate, and
  victims detected in a year include people first exploited in earlier years. So a model that passes
  would also pass against the exact bound; a model below it would not necessarily be wrong.
* the ratio detected / median is the detection share the model implies (an upper bound on it). No
  sourced estimate of the undetected total exists for these countries, so the upper side is not checked.
* *consistent with nationals*: the same against the largest count of victims who were the country's
  nationals, where a source splits them (column ``nationals``). The simulated youths are the country's
  own population; victims trafficked in from abroad (most of those detected in Guyana and Trinidad and
  Tobago, mainly from Venezuela) belong to no simulated population.

**Victimisation** (``calibration/data/victimisation.csv``; Mexico only: no other country's survey publishes
the offenders' ages). INEGI's ENVIPE 2021 counted, for 2020, 14.64 million crimes against people aged 18+
in which the victim was present, 3.35 million of them by offenders aged 25 or under. Those 3.35 million
are a lower bound on the violent and property offences by youths 10-29 (``youth_offences_per_year``,
victims of any age): the bound leaves out offenders aged 26-29, crimes without the victim present and
victims under 18. It is not a tight bound: people aged 26-35 committed another 4.48 million, and the survey
counted 27.6 million crimes in all (including fraud, which the model does not simulate).

The regional profile (LAC) is compared with the sum over countries of the UNODC portal's figures in the
year where that sum is largest (a lower bound for the region: the countries without a figure count 0).

    python -m recruitsim.calibration.external                     # the table, from calibration/external.csv
    python -m recruitsim.calibration.external --run --workers 2   # simulate every profile, rewrite the file
    python -m recruitsim.calibration.external --run HND HTI       # only these profiles' rows

Each row records the sha256 of the posterior draws it simulated (``posteriors/<CODE>.csv``) and numpy's
SIMD level; ``tests/test_calibration_external.py`` fails when a shipped posterior has changed since its row
was simulated, so the check cannot go stale silently.
"""

from __future__ import annotations

import csv
import hashlib
import json
import sys
from collections import defaultdict
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

HERE = Path(__file__).parent
DATA = HERE / "data" / "trafficking_detected.csv"
VICTIMISATION = HERE / "data" / "victimisation.csv"
OFFENCE_BOUND = "crimes_offender_25_or_under"  # the victimisation row used as the lower bound
RESULT = HERE / "external.csv"
POSTERIORS = HERE / "posteriors"
REPLICATES = 30  # as the fit reports' posterior predictive checks
REGION_TAG = "UNODC_GLOTIP_DP2025"
FIELDS = ("profile", "replicates", "low", "median", "high", "detected", "year", "source", "consistent",
          "implied_detection_share", "nationals", "nationals_year", "nationals_source", "consistent_nationals",
          "offences_low", "offences_median", "offences_high", "offences_bound", "offences_year", "offences_source",
          "offences_consistent", "posterior_sha256", "numpy_simd")


@dataclass(frozen=True)
class Bound:
    """The largest detected count for a profile, with where it comes from; and the largest count of victims
    who were nationals of the country, where a source gives it (else None)."""

    profile: str
    detected: int
    year: int
    source: str
    nationals: int | None = None
    nationals_year: int | None = None
    nationals_source: str | None = None


def read_detected(path: Path = DATA) -> list[dict[str, Any]]:
    """The country-year rows of the detected-victims file (numeric counts only)."""
    with open(path, newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    return [{**r, "year": int(r["year"]), "detected": int(r["detected"]),
             "nationals": int(r["nationals"]) if r.get("nationals") else None} for r in rows]


def bounds(path: Path = DATA) -> dict[str, Bound]:
    """Each country's largest detected count (any source, any year), and the region's (see module doc)."""
    rows = read_detected(path)
    out: dict[str, Bound] = {}
    for r in sorted(rows, key=lambda r: (r["iso3"], -r["detected"], r["year"])):
        out.setdefault(r["iso3"], Bound(r["iso3"], r["detected"], r["year"], r["source_tag"]))
    for r in sorted((r for r in rows if r["nationals"] is not None), key=lambda r: (-r["nationals"], r["year"])):
        b = out[r["iso3"]]
        if b.nationals is None:
            out[r["iso3"]] = replace(b, nationals=r["nationals"], nationals_year=r["year"], nationals_source=r["source_tag"])
    per_year: dict[int, int] = defaultdict(int)
    for r in rows:
        if r["source_tag"] == REGION_TAG:
            per_year[r["year"]] += r["detected"]
    if per_year:
        year = max(per_year, key=lambda y: (per_year[y], y))
        out["LAC"] = Bound("LAC", per_year[year], year, f"{REGION_TAG} (sum of the countries)")
    return out


def offence_bounds(path: Path = VICTIMISATION) -> dict[str, dict[str, Any]]:
    """Per country, the victimisation survey's figures by name ({name: (value, year, source)})."""
    out: dict[str, dict[str, Any]] = defaultdict(dict)
    with open(path, newline="", encoding="utf-8") as f:
        for r in csv.DictReader(f):
            out[r["iso3"]][r["name"]] = (float(r["value"]), int(r["year"]), r["source_tag"])
    return {k: v for k, v in out.items() if OFFENCE_BOUND in v}


def posterior_sha256(code: str, root: Path = POSTERIORS) -> str:
    return hashlib.sha256((root / f"{code}.csv").read_bytes()).hexdigest()


def predict(code: str, engine, replicates: int = REPLICATES, root: Path = POSTERIORS) -> list[dict[str, float]]:
    """The calibration statistics of replicates 0..R-1: posterior draw r, seed ``replicate_seed(1, r)``."""
    import pandas as pd

    from .calibrate import predictive_tasks, run_by_position

    meta = json.loads((root / f"{code}.json").read_text(encoding="utf-8"))
    tasks = predictive_tasks(code, meta, pd.read_csv(root / f"{code}.csv"), replicates)
    return run_by_position(engine, tasks)


def _interval(values) -> tuple[float, float, float]:
    return tuple(float(np.quantile(np.asarray(values, float), q)) for q in (0.05, 0.5, 0.95))  # type: ignore[return-value]


def judge(code: str, values: np.ndarray, bound: Bound) -> dict[str, Any]:
    """A row of the check: the 90% interval against the bound."""
    low, median, high = _interval(values)
    return {"profile": code, "replicates": len(values), "low": round(low), "median": round(median),
            "high": round(high), "detected": bound.detected, "year": bound.year, "source": bound.source,
            "consistent": low >= bound.detected,
            "implied_detection_share": round(bound.detected / median, 4) if median > 0 else None,
            "nationals": bound.nationals, "nationals_year": bound.nationals_year,
            "nationals_source": bound.nationals_source,
            "consistent_nationals": None if bound.nationals is None else low >= bound.nationals}


def judge_offences(values: np.ndarray, bound: dict[str, Any] | None) -> dict[str, Any]:
    """The victimisation columns of a row (empty where the country has no survey figure)."""
    if bound is None:
        return {k: "" for k in FIELDS if k.startswith("offences_")}
    value, year, source = bound[OFFENCE_BOUND]
    low, median, high = _interval(values)
    return {"offences_low": round(low), "offences_median": round(median), "offences_high": round(high),
            "offences_bound": round(value), "offences_year": year, "offences_source": source,
            "offences_consistent": low >= value}


#: the result columns that hold text; the others are numbers or verdicts (empty: not applicable)
TEXT = {"profile", "source", "nationals_source", "offences_source", "posterior_sha256", "numpy_simd"}


def _typed(name: str, v: str) -> Any:
    if name in TEXT:
        return v
    if v in ("", "None"):
        return None
    if v in ("True", "False"):
        return v == "True"
    return float(v) if "." in v else int(v)


def read_rows(path: Path = RESULT) -> dict[str, dict[str, Any]]:
    """``RESULT``'s rows by profile, typed (numbers, True/False verdicts, None where not applicable)."""
    if not path.is_file():
        return {}
    with open(path, newline="", encoding="utf-8") as f:
        return {r["profile"]: {k: _typed(k, v) for k, v in r.items()} for r in csv.DictReader(f)}


def write_rows(rows: dict[str, dict[str, Any]], path: Path = RESULT) -> None:
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, FIELDS, lineterminator="\n")
        w.writeheader()
        for code in sorted(rows, key=lambda c: (c != "LAC", c)):
            w.writerow({k: rows[code][k] for k in FIELDS})


def run(codes: list[str], workers: int = 1, replicates: int = REPLICATES) -> dict[str, dict[str, Any]]:
    """Simulate ``codes`` and merge their rows into ``RESULT`` (the other rows are kept)."""
    from recruitsim.scenarios.engine import Engine
    from recruitsim.scenarios.provenance import simd_level

    b, ob = bounds(), offence_bounds()
    rows = read_rows()
    with Engine(workers=workers) as engine:
        for code in codes:
            stats = predict(code, engine, replicates)
            row = judge(code, np.array([x["trafficked_per_year"] for x in stats]), b[code])
            offences = judge_offences(np.array([x["youth_offences_per_year"] for x in stats]), ob.get(code))
            rows[code] = {**row, **offences, "posterior_sha256": posterior_sha256(code), "numpy_simd": simd_level()}
            write_rows(rows)  # after each profile: an interruption keeps what is done
            print(f"{code}: {row['low']:,}-{row['high']:,} new victims 10-29/yr vs {row['detected']:,} detected",
                  file=sys.stderr, flush=True)
    return rows


def table(rows: dict[str, dict[str, Any]]) -> str:
    """The Markdown table of ``RESULT`` and its summary line (what docs/calibration.md shows)."""
    lines = ["| profile | model: new victims 10-29 per year, 90% | detected (largest; year, source) | consistent | "
             "detected / model median | detected nationals (largest; year, source) | consistent with nationals |",
             "|---|---|---|---|---|---|---|"]

    def verdict(v: str) -> str:
        return "-" if v is None else "yes" if v else "**no**"

    for code, r in rows.items():
        nat = "-" if r["nationals"] is None else f"{r['nationals']:,} ({r['nationals_year']}, {r['nationals_source']})"
        lines.append(f"| {code} | {int(r['low']):,}-{int(r['high']):,} | {int(r['detected']):,} ({r['year']}, "
                     f"{r['source']}) | {verdict(r['consistent'])} | {float(r['implied_detection_share']):.3f} | {nat} | "
                     f"{verdict(r['consistent_nationals'])} |")
    shares = sorted(float(r["implied_detection_share"]) for r in rows.values())
    fails = [c for c, r in rows.items() if not r["consistent"]]
    rescued = [c for c in fails if rows[c]["consistent_nationals"]]
    lines += ["", f"{len(rows) - len(fails)} of {len(rows)} profiles at or above their largest detected count over the "
              f"whole 90% interval (below it: {', '.join(fails) or 'none'}; at or above the detected nationals: "
              f"{', '.join(rescued) or 'none'}); detected / model median {shares[0]:.3f}-{shares[-1]:.3f} "
              f"(median {float(np.median(shares)):.3f})"]
    return "\n".join(lines)


def victimisation_table(rows: dict[str, dict[str, Any]]) -> str:
    """The victimisation check's rows (countries with a survey figure) as a Markdown table."""
    ob = offence_bounds()
    lines = ["| profile | model: violent and property offences by youths 10-29 per year, 90% | lower bound: crimes with the "
             "victim present by offenders 25 or under (year, source) | consistent | crimes by offenders 26-35 | all crimes |",
             "|---|---|---|---|---|---|"]
    for code, r in rows.items():
        if r["offences_bound"] is None or code not in ob:
            continue
        other = ob[code]
        lines.append(f"| {code} | {int(r['offences_low']):,}-{int(r['offences_high']):,} | {int(r['offences_bound']):,} "
                     f"({r['offences_year']}, {r['offences_source']}) | "
                     f"{'yes' if r['offences_consistent'] else '**no**'} | "
                     f"{other['crimes_offender_26_35'][0]:,.0f} | {other['crimes'][0]:,.0f} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    import argparse

    from recruitsim.model.profiles import all_codes

    ap = argparse.ArgumentParser(prog="python -m recruitsim.calibration.external", description=__doc__.splitlines()[0])
    ap.add_argument("codes", nargs="*", help="with --run: profiles (default: all)")
    ap.add_argument("--run", action="store_true", help="simulate the profiles and rewrite their rows")
    ap.add_argument("--workers", type=int, default=1, help="with --run: local worker processes")
    args = ap.parse_args(sys.argv[1:] if argv is None else argv)
    codes = [c.upper() for c in args.codes] or list(all_codes())
    unknown = [c for c in codes if c not in set(all_codes())]
    if unknown or args.workers < 1:
        ap.error(f"unknown profile {', '.join(unknown)}" if unknown else "--workers must be at least 1")
    if args.run:
        run(codes, args.workers)
    rows = read_rows()
    if not rows:
        print(f"{RESULT}: no rows yet; run with --run", file=sys.stderr)
        return 2
    print(table(rows) + "\n\n" + victimisation_table(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
