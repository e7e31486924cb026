"""Calibration targets: the observed figures each profile must reproduce, with their sources.

``calibration/targets.csv`` is the table the calibration reads. It is *generated* from the project's
copy of the evidence (``model/data/country_targets.csv``, tags expanded in ``model/data/SOURCES.md``)
by ``python -m calibration.targets --write``; a test checks that the committed file is up to date.
Every row carries its source tags. Rules:

* **Ranges, not picks.** Where sources conflict (e.g. Mexico's homicide rate: InSight 19.3, INEGI and
  UNODC 25.6) the target is the range ``[low, high]`` spanned by the sources; the conflicting figures
  read in the CSV's ``homicide_other_sources_and_conflicts`` column are listed in ``EXTRA`` below.
* **Tolerance.** Each target has a tolerance that scales its contribution to the ABC distance: 10% in
  log terms for rates and counts (statistics offices revise by that much; data years differ), 2 to 4
  percentage points for shares. It only weighs the targets against each other; whether a target is
  *covered* is judged on the range itself.
* **Regional fallbacks.** The only country figure of the male share of homicide victims in the data
  is Costa Rica's (92%, CR360_2024). Elsewhere the regional 91% (PARLAM2025) is used as a fallback
  target with a wider tolerance and is flagged ``kind = regional_fallback``, following the profiles'
  rule that a missing country figure falls back to the regional one. Nothing else falls back: group
  share, membership and the male 15-29 rate are targets only where they were observed.
* **A status quo that holds still.** Every profile also has two ``kind = stationarity`` rows: the
  yearly log change of members and of youth homicides over the fit window must lie within +-2%
  (``STATIONARITY``). They are conditions, not observations (GUESS band).
* **Inputs are not targets.** Youth unemployment, NEET and secondary completion enter the profiles as
  inputs matched by construction (``model/profiles.py``); the fit reports show them as checks.
"""

from __future__ import annotations

import csv
import io
import math
import re
import sys
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path

from recruitsim.model.profiles import (
    COUNTRY_CODES,
    DISPLACEMENT_SHARE,
    MEMBERSHIP_ESTIMATES,
    REGIONAL,
    all_codes,
    get_profile,
)

#: How each statistic is compared: "log" (relative error, for rates and counts) or "abs" (shares).
SCALES = {
    "homicide_rate": "log",
    "incarceration_rate": "log",
    "male_15_29_homicide_rate": "log",
    "members": "log",
    "male_share_victims": "abs",
    "group_share_homicides": "abs",
    "firearm_share": "abs",
    "members_trend": "abs",
    "homicide_trend": "abs",
    "displaced_per_year": "log",
    "displaced_stock": "log",
}
TOLERANCE = {"log": 0.10, "abs": 0.02}
FALLBACK_TOLERANCE = {"male_share_victims": 0.04}

#: Share of a group's members aged 10-29 (the model's ages): a range, since it is not measured.
#: HTI_UNICEF2024 says 30-50% of Haiti's gang members are children (under 18); the profiles use 0.7.
MEMBERS_YOUTH_SHARE = (0.6, 0.8)

#: Figures for the same quantity from other sources, read in the ``*_other_sources_and_conflicts`` and
#: related columns of country_targets.csv: (profile, target) -> [(value, source tag, note)].
EXTRA: dict[tuple[str, str], list[tuple[float, str, str]]] = {
    ("GTM", "homicide_rate"): [(15.6, "STATISTA2025", "2,869 murdered in 2024 (PNC count) / 18.41 M; UNODC forensic count 4,189")],
    ("HND", "homicide_rate"): [(26.8, "HND_SEPOL2024", "police/SEPOL final 2024")],
    ("CRI", "homicide_rate"): [(17.2, "OIJ2024", "880 homicides in 2024 / 5.13 M")],
    ("COL", "homicide_rate"): [(25.2, "CO_POLICE2024", "13,341 homicides in 2024 / 52.89 M")],
    ("VEN", "homicide_rate"): [(7.5, "OVV2023", "OVV criminal homicides 2023 (excludes deaths in police operations)")],
    ("ECU", "homicide_rate"): [(38.76, "ECU_POLICE2024", "National Police 2024")],
    ("BRA", "homicide_rate"): [(18.2, "BR_SINESP2024", "Sinesp 2024 (FBSP 22.8 is 2023 and includes police killings: not used)")],
    ("JAM", "homicide_rate"): [(40.1, "JAM_OBS2025", "1,139 murders in 2024 / 2.84 M")],
    ("TTO", "homicide_rate"): [(46.0, "STATISTA2025", "Statista 2024 ranking")],
    ("DOM", "homicide_rate"): [(12.0, "INSIGHT2024", "1,374 homicides in 2024 / 11.43 M (UNODC counts 1,042)")],
    ("SLV", "incarceration_rate"): [(1659.0, "WPB_LATER", "later WPB figure: 109,519 prisoners")],
}

#: Targets read from text cells of the CSV (firearm and group-linked shares, male share): value ranges.
SHARES: dict[tuple[str, str], tuple[float, float, str, str]] = {
    ("HND", "firearm_share"): (0.70, 0.76, "HND_SS_PNUD2024", "70% in 2023; 76% average 2013 to Jul 2024"),
    ("CRI", "firearm_share"): (0.78, 0.80, "NACION2024; CR360_2024", "78% Jan-Apr 2024; 8 in 10 in 2023"),
    ("JAM", "firearm_share"): (0.84, 0.84, "JCF2023", "84% by gun, Jan-Sep 2023"),
    ("BLZ", "firearm_share"): (0.90, 0.90, "INFOSEGURA2023", "about 9 in 10, 2023 Q1"),
    ("CRI", "group_share_homicides"): (0.70, 0.70, "OIJ2024; CR360_2024", "70% 'ajustes de cuentas' (score settling, often OC/drug-linked)"),
    ("JAM", "group_share_homicides"): (0.66, 0.75, "JCF2023; 7NEWSBZ2022", "66% gang-related Jan-Sep 2023; about 75% in 2021"),
    ("TTO", "group_share_homicides"): (0.60, 0.60, "TT_JACOB", "about 60% of murders gang-related (c.2017-19)"),
    ("CRI", "male_share_victims"): (0.92, 0.92, "CR360_2024", "92% of victims male, 2023"),
}

#: Displacement by violence: people of all ages displaced per year (a flow, counting every movement as
#: IDMC does) and living displaced (a stock), from ``model.profiles.DISPLACEMENT_SHARE`` (annual share of
#: the population, one source each) and, for Haiti, IOM's DTM rounds. Where there is one source the range
#: is x/1.5 around it (GUESS band: registers count differently and years differ).
DISPLACEMENT_BAND = 1.5
DISPLACEMENT_HAITI = {
    "displaced_per_year": (155_000, 889_000, "IOM_DTM2023; IDMC_GRID2025",
                           "IOM DTM: more than half of the 310,000 displaced in Dec 2023 fled in 2023 (so > 155,000 that "
                           "year); IDMC: 889,000 displacements in 2024"),
    "displaced_stock": (310_000, 1_300_000, "IOM_DTM2023; IOM_DTM2024; PARLAM2025",
                        "IOM DTM: 310,000 (Dec 2023), 578,074 (Jun 2024), 1,041,000 (Dec 2024); primer: over 1.3 million"),
}


def _displacement(iso: str) -> list[Target]:
    if iso == "HTI":
        return [_make(iso, name, *row) for name, row in DISPLACEMENT_HAITI.items()]
    if iso not in DISPLACEMENT_SHARE:
        return []
    share, src = DISPLACEMENT_SHARE[iso]
    flow = share * get_profile(iso).population
    return [_make(iso, "displaced_per_year", flow / DISPLACEMENT_BAND, flow * DISPLACEMENT_BAND, src,
                  f"{share:.2%} of the population a year = {flow:,.0f}; x/{DISPLACEMENT_BAND:g} (GUESS band, one source)")]


REGIONAL_TARGETS = [
    # name, low, high, source, note
    ("homicide_rate", 18.0, 20.2, "VOZ_IDB; INSIGHT2024",
     "UNODC via IDB 18 (data year ~2021); InSight 2024 median of country rates 20.2 (UNODC Americas 15 includes North America)"),
    ("incarceration_rate", 240.0, 305.0, "IDB_PRISON2017; WPB2016_JT", "240 (2014); 305 (2016)"),
    ("male_share_victims", 0.91, 0.91, "PARLAM2025", "91% of victims are men and boys"),
    ("male_15_29_homicide_rate", 53.6, 53.6, "PARLAM2025", "males 15-29, per 100,000 (not independently verified)"),
    ("group_share_homicides", 0.45, 0.55, "UNODC_GSH2023; PARLAM2025", "about half of homicides linked to organised crime"),
    ("firearm_share", 0.65, 0.75, "PARLAM2025; UNODC_GSH2011",
     "~70% by firearm; 'just over half' in UNODC GSH2023 is the global figure and is not used"),
]

#: Stationarity of the status quo: with no policy change, members and youth homicides change by at most
#: this much a year (log change, slope over the fit window). Not an observation: a condition a baseline
#: must meet so that policy effects are measured against a world that holds still (GUESS band; observed
#: homicide and incarceration trajectories replace it where the calibration gains them).
STATIONARITY = (-0.02, 0.02)
STATIONARITY_NOTE = ("no-policy status quo holds its level: yearly log change within +-2% over the fit window "
                     "(GUESS band, a condition rather than an observation)")


def _stationarity(profile: str) -> list[Target]:
    lo, hi = STATIONARITY
    return [_make(profile, name, lo, hi, "GUESS", STATIONARITY_NOTE, kind="stationarity")
            for name in ("members_trend", "homicide_trend")]


COLUMNS = ("profile", "target", "observed", "low", "high", "scale", "tolerance", "kind", "source", "note")


@dataclass(frozen=True)
class Target:
    """One observed figure (``low == high``) or range of figures a profile is calibrated to."""

    profile: str
    name: str
    low: float
    high: float
    scale: str  # "log" or "abs"
    tolerance: float
    kind: str  # "observed" or "regional_fallback"
    source: str
    note: str = ""

    @property
    def observed(self) -> float | list[float]:
        """The figure, or ``[low, high]`` where sources conflict."""
        return self.low if self.low == self.high else [self.low, self.high]

    @property
    def is_range(self) -> bool:
        return self.low != self.high

    def error(self, value: float) -> float:
        """How far ``value`` lies outside the target range, in tolerance units (0 inside)."""
        if value is None or not math.isfinite(value):
            return math.inf
        if self.scale == "log":
            if value <= 0:
                return math.inf
            gap = max(0.0, math.log(self.low / value), math.log(value / self.high))
        else:
            gap = max(0.0, self.low - value, value - self.high)
        return gap / self.tolerance

    def overlaps(self, lo: float, hi: float) -> bool:
        """Does the interval ``[lo, hi]`` overlap the observed value or range?"""
        return bool(lo <= self.high and hi >= self.low)


# ---- building the table from the evidence -----------------------------------------------------------
def _num(text: str | None) -> float | None:
    if not text:
        return None
    m = re.search(r"\d[\d,]*\.?\d*", text)
    return float(m.group(0).replace(",", "")) if m else None


def _rows() -> dict[str, dict[str, str]]:
    with resources.files("recruitsim.model.data").joinpath("country_targets.csv").open(encoding="utf-8") as f:
        return {r["iso3"]: r for r in csv.DictReader(f)}


def _make(profile, name, low, high, source, note="", kind="observed") -> Target:
    scale = SCALES[name]
    tol = FALLBACK_TOLERANCE.get(name, TOLERANCE[scale]) if kind == "regional_fallback" else TOLERANCE[scale]
    return Target(profile, name, float(low), float(high), scale, tol, kind, source, note)


def build() -> list[Target]:
    """All targets of all profiles, from the evidence (the content of targets.csv)."""
    rows = _rows()
    out = [_make(REGIONAL, *t) for t in REGIONAL_TARGETS] + _stationarity(REGIONAL)
    for iso in sorted(COUNTRY_CODES):
        r = rows[iso]
        # homicide rate: the two columns plus the conflicting figures of other sources
        vals = [(_num(r["homicide_rate_per_100k"]), r["homicide_rate_src"], r["homicide_rate_year"]),
                (_num(r["homicide_rate_unodc"]), r["homicide_rate_unodc_src"], r["homicide_rate_unodc_year"])]
        vals += [(v, tag, note) for v, tag, note in EXTRA.get((iso, "homicide_rate"), [])]
        vals = list({(v[0], v[1]): v for v in vals if v[0] is not None}.values())  # one entry per (value, source)
        lo, hi = min(v[0] for v in vals), max(v[0] for v in vals)
        tags = "; ".join(dict.fromkeys(v[1] for v in vals))
        notes = "; ".join(f"{v[1]} {v[0]:g} ({v[2]})" for v in vals)
        out.append(_make(iso, "homicide_rate", lo, hi, tags, notes))
        # incarceration
        inc = _num(r["incarceration_rate_per_100k"])
        if inc is not None:
            vals = [(inc, r["incarceration_src"], "WPB list as of Feb 2024")] + EXTRA.get((iso, "incarceration_rate"), [])
            out.append(_make(iso, "incarceration_rate", min(v[0] for v in vals), max(v[0] for v in vals),
                             "; ".join(v[1] for v in vals), "; ".join(f"{v[1]} {v[0]:g} ({v[2]})" for v in vals)))
        # shares read from text cells
        for name in ("male_share_victims", "group_share_homicides", "firearm_share"):
            if (iso, name) in SHARES:
                lo, hi, src, note = SHARES[(iso, name)]
                out.append(_make(iso, name, lo, hi, src, note))
            elif name == "male_share_victims":
                out.append(_make(iso, name, 0.91, 0.91, "PARLAM2025 (regional)",
                                 "no country figure: regional 91% used as a fallback", kind="regional_fallback"))
        # membership (members aged 10-29 = youth share x published estimate of all ages)
        if iso in MEMBERSHIP_ESTIMATES:
            lo, hi, src = MEMBERSHIP_ESTIMATES[iso]
            a, b = MEMBERS_YOUTH_SHARE
            out.append(_make(iso, "members", a * lo, b * hi, src,
                             f"published {lo:,.0f}-{hi:,.0f} members of all ages x {a:g}-{b:g} aged 10-29 (GUESS)"))
        out.extend(_displacement(iso))
        out.extend(_stationarity(iso))
    return out


def to_csv(targets: list[Target]) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(COLUMNS)
    for t in targets:
        obs = f"{t.low:g}" if not t.is_range else f"{t.low:g}-{t.high:g}"
        w.writerow([t.profile, t.name, obs, f"{t.low:g}", f"{t.high:g}", t.scale, f"{t.tolerance:g}", t.kind, t.source, t.note])
    return buf.getvalue()


# ---- reading the committed table ------------------------------------------------------------------
@cache
def load() -> dict[str, list[Target]]:
    """The committed targets.csv, by profile code (every profile present, possibly with few targets)."""
    text = resources.files("recruitsim.calibration").joinpath("targets.csv").read_text(encoding="utf-8")
    out: dict[str, list[Target]] = {code: [] for code in all_codes()}
    for r in csv.DictReader(io.StringIO(text)):
        out.setdefault(r["profile"], []).append(Target(
            r["profile"], r["target"], float(r["low"]), float(r["high"]), r["scale"], float(r["tolerance"]),
            r["kind"], r["source"], r["note"]))
    return out


def for_profile(code: str) -> list[Target]:
    return load()[code.upper()]


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    text = to_csv(build())
    if "--write" in argv:
        path = Path(__file__).with_name("targets.csv")
        path.write_text(text, encoding="utf-8")
        print(f"wrote {path} ({text.count(chr(10)) - 1} targets)")
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
