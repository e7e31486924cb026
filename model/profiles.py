"""Country profiles: the regional default ``LAC`` and 24 countries, built from sourced figures.

The figures come from ``model/data/country_targets.csv`` (copied from the project's evidence base,
source tags expanded in ``model/data/SOURCES.md``). A profile holds

* the country's size (population and the 10-29 share, which sets how many people an agent stands for),
* parameter overrides that make the synthetic population match the country *by construction*
  (secondary completion, NEET) plus pre-calibration heuristics (scaled violence, arrests, membership),
* calibration targets (homicide rate, incarceration, ...), each a range where sources conflict.

Where a country lacks a figure the regional value is used and the fallback is recorded.
"""

from __future__ import annotations

import csv
import math
import re
from dataclasses import dataclass, field
from functools import cache
from importlib import resources

from .params import Params

REGIONAL = "LAC"

#: Published membership estimates (members of all ages), read from the ``gang_membership_estimate``
#: column of country_targets.csv; (low, high, source tags).
#: Not used: HTI (SNDDR_LEFLORIDIEN ~3,000 armed men c.2019 predates the 2021-24 expansion; RLNEWS_2024
#: 4,000-5,000 is an anonymous source); ECU, VEN and PRY (one group each: Los Lobos 7,000-8,000,
#: Tren de Aragua 2,500-4,000, PCC in Paraguay 699), which would cap all groups at one group's size.
MEMBERSHIP_ESTIMATES: dict[str, tuple[float, float, str]] = {
    "BLZ": (900, 1_400, "IDB_BLZ_2019_WIKI (street gangs, 2019)"),
    "BRA": (48_157, 65_000, "MPSP_2016_BLOG; FBSP_2022_SPECIAL; VEJA_RADAR_2020 (PCC 18,157-35,000 + CV 30,000: "
                            "the two largest of 53 factions, so a floor)"),
    "COL": (16_770, 22_000, "SILLAVACIA_2024; BLU_2025 (armed groups in arms 2023; with support networks 2025)"),
    "CRI": (4_000, 4_000, "ESTADONACION_2024 (about 200 groups, members aged 15-45, 2023)"),
    "GTM": (15_000, 19_000, "TN8_2015"),
    "HND": (12_000, 36_000, "HND_INSIGHT_ASJ2015 (UNODC 12,000; police 25,000; USAID 36,000)"),
    "JAM": (3_900, 20_000, "SAS_JAM_2010 (2009 official 3,900; 'could be as high as 20,000')"),
    "MEX": (44_800, 185_000, "FEDNEWS_2023 (DEA: Sinaloa + CJNG 44,800, a floor); PRIETO_CURIEL_2023 "
                             "(160,000-185,000 in 2022, a model-based estimate)"),
    "SLV": (30_000, 118_000, "ELHERALDO_HN_2016; SLV_MJSP_AFP2024; SLV_PNC_CAT2022"),
    "TTO": (2_358, 2_484, "TTPS2019; TTGUARDIAN_2020"),
}
#: Share of group members aged 10-29 (the rest are older and outside the simulated ages).
MEMBERS_YOUTH_SHARE = 0.7  # GUESS; HTI_UNICEF2024: 30-50% of Haiti's gang members are children


@dataclass(frozen=True)
class Target:
    """An observed figure a profile should reproduce: a value, or a range where sources conflict."""

    name: str
    low: float
    high: float
    source: str

    @property
    def observed(self) -> float:
        return 0.5 * (self.low + self.high)


@dataclass(frozen=True)
class Profile:
    iso3: str
    name: str
    population: float
    youth_share: float  # share of the total population aged 10-29
    overrides: dict = field(default_factory=dict)
    targets: dict = field(default_factory=dict)
    fallbacks: tuple = ()
    sources: str = ""

    @property
    def youth_population(self) -> float:
        return self.population * self.youth_share

    def params(self, **extra) -> Params:
        return Params({**self.overrides, **extra}, where=f"profile {self.iso3}")


def _num(text: str | None) -> float | None:
    """The first number in a cell such as '~70 (ParlAmericas)' or '1086 (later ...)'."""
    if text is None:
        return None
    m = re.search(r"\d[\d,]*\.?\d*", text)
    return float(m.group(0).replace(",", "")) if m else None


@cache
def _rows() -> dict[str, dict[str, str]]:
    with resources.files("recruitsim.model.data").joinpath("country_targets.csv").open(encoding="utf-8") as f:
        return {r["iso3"]: r for r in csv.DictReader(f)}


COUNTRY_CODES: tuple[str, ...] = tuple(k for k in _rows() if k not in ("AMER", "LCN", "WLD"))
REGIONAL_HOMICIDE = 20.2  # INSIGHT2024 median of LAC country rates (PARLAM2025 quotes it)
REGIONAL_INCARCERATION = 305.0  # WPB2016_JT


def _weighted(col: str) -> float:
    """Population-weighted mean of a percentage column over the 24 countries that report it."""
    num = den = 0.0
    for iso in COUNTRY_CODES:
        r = _rows()[iso]
        v, pop = _num(r[col]), _num(r["population_total"])
        if v is not None and pop:
            num += v * pop
            den += pop
    return num / den


@cache
def _regional() -> Profile:
    lcn = _rows()["LCN"]
    youth_share = 2.0 * _weighted("share_pop_15_24_pct") / 100.0
    overrides = {
        "neet_rate": round(_weighted("neet_15_24_pct") / 100.0, 4),
        "completion_rate": _num(lcn["secondary_completed_20_24_pct"]) / 100.0,
    }
    targets = {
        "homicide_rate": Target("homicide_rate", 18.0, 20.2, "INSIGHT2024 (median 20.2); VOZ_IDB (UNODC 18)"),
        "incarceration_rate": Target("incarceration_rate", 240.0, 305.0, "WPB2016_JT (305, 2016); IDB_PRISON2017 (240, 2014)"),
        "male_share_victims": Target("male_share_victims", 0.91, 0.91, "PARLAM2025"),
        "male_15_29_homicide_rate": Target("male_15_29_homicide_rate", 53.6, 53.6, "PARLAM2025 (not independently verified)"),
        "group_share_homicides": Target("group_share_homicides", 0.45, 0.55, "UNODC_GSH2023; PARLAM2025 (about half)"),
        "firearm_share": Target("firearm_share", 0.55, 0.75, "PARLAM2025 (~70%); UNODC_GSH2011; UNODC_GSH2023"),
    }
    return Profile(REGIONAL, "Latin America and the Caribbean", float(_num(lcn["population_total"])), youth_share,
                   overrides, targets, (), lcn["sources"])


#: ISO3 codes of South America (UNODC GLOTIP subregion); the others are Central America & the Caribbean,
#: which in GLOTIP includes Mexico (no separate Mexican split found: NOTES 5).
SOUTH_AMERICA = frozenset({"ARG", "BOL", "BRA", "CHL", "COL", "ECU", "GUY", "PER", "PRY", "SUR", "URY", "VEN"})
#: Trafficking victims' split for South America (GLOTIP2018: women 0.51, girls 0.31, males 0.18; per
#: age-year as the regional defaults: women 0.51/12 over girls 0.31/6, males 0.18/18 over girls) and the
#: sexual-exploitation share (GLOTIP2018: 0.58).
SOUTH_AMERICA_TRAFFICKING = {"trafficking_or_women": 0.82, "trafficking_or_male": 0.19, "trafficking_sexual_share": 0.58}
#: Annual share of the population displaced by violence (NOTES 4), where a flow was found.
DISPLACEMENT_SHARE = {
    "HTI": (0.076, "IDMC_GRID2025 (889,000 in 2024)"), "COL": (0.0037, "UARIV2024"),
    "HND": (0.0015, "CIPPDV2019"), "SLV": (0.001, "MJSP_DIGESTYC2018"), "MEX": (0.001, "CMDPDH2018; ENVIPE2018_VIA_EXPANSION"),
}
#: Annual displaced share the default ``displacement_rate`` gives for LAC (measured: 50,000 agents, 2 years, seed 1)
DISPLACEMENT_REFERENCE = 0.0033


def _country(iso: str) -> Profile:
    r, reg = _rows()[iso], _regional()
    base = Params(reg.overrides)
    fallbacks = []
    pop = _num(r["population_total"])
    share = _num(r["share_pop_15_24_pct"])
    youth_share = 2.0 * share / 100.0 if share else reg.youth_share
    ov: dict[str, float] = {}

    def pct(col: str, key: str, default: float) -> None:
        v = _num(r[col])
        if v is None:
            fallbacks.append(key)
            ov[key] = default
        else:
            ov[key] = v / 100.0

    pct("neet_15_24_pct", "neet_rate", base.neet_rate)
    pct("secondary_completed_20_24_pct", "completion_rate", base.completion_rate)

    hom_values = [v for v in (_num(r["homicide_rate_per_100k"]), _num(r["homicide_rate_unodc"])) if v is not None]
    hom_lo, hom_hi = min(hom_values), max(hom_values)
    hom = 0.5 * (hom_lo + hom_hi)
    ratio = hom / REGIONAL_HOMICIDE
    # Pre-calibration heuristics: violence scales with the homicide rate, arrests with incarceration.
    ov["background_homicide"] = base.background_homicide * ratio
    ov["bystander_homicide"] = base.bystander_homicide * ratio
    inc = _num(r["incarceration_rate_per_100k"])
    if inc is not None:
        scale = inc / REGIONAL_INCARCERATION
        ov["arrest_member"] = min(0.06, base.arrest_member * scale)
        ov["arrest_nonmember"] = min(0.01, base.arrest_nonmember * scale)
    youth_pop = pop * youth_share
    if iso in MEMBERSHIP_ESTIMATES:
        lo, hi, src = MEMBERSHIP_ESTIMATES[iso]
        ov["member_prevalence"] = min(0.06, MEMBERS_YOUTH_SHARE * 0.5 * (lo + hi) / youth_pop)
    else:
        ov["member_prevalence"] = min(0.06, max(0.0005, base.member_prevalence * ratio**0.7))
    vd = _num(r["violent_discipline_1_14_pct"])
    if vd is not None:
        ov["home_violence_prevalence"] = base.home_violence_prevalence * vd / 66.0
    fa = _num(r["firearm_share_homicides_pct"])
    if fa is not None:
        ov["firearm_share_group"] = min(0.98, fa / 100.0 + 0.1)
        ov["firearm_share_other"] = max(0.2, fa / 100.0 - 0.2)

    if iso in SOUTH_AMERICA:
        ov.update(SOUTH_AMERICA_TRAFFICKING)
    if iso in DISPLACEMENT_SHARE:  # pre-calibration heuristic: the flow scales the rate
        ov["displacement_rate"] = min(0.1, base.displacement_rate * DISPLACEMENT_SHARE[iso][0] / DISPLACEMENT_REFERENCE)

    targets = {
        "homicide_rate": Target("homicide_rate", hom_lo, hom_hi, f"{r['homicide_rate_src']}; {r['homicide_rate_unodc_src']}"),
    }
    if inc is not None:
        targets["incarceration_rate"] = Target("incarceration_rate", inc, inc, r["incarceration_src"])
    if fa is not None:
        targets["firearm_share"] = Target("firearm_share", fa / 100 - 0.05, fa / 100 + 0.05, r["firearm_share_src"])
    gs = _num(r["oc_gang_share_homicides_pct"])
    if gs is not None:
        targets["group_share_homicides"] = Target("group_share_homicides", gs / 100 - 0.05, gs / 100 + 0.05, r["oc_gang_share_src"])
    if iso in MEMBERSHIP_ESTIMATES:
        lo, hi, src = MEMBERSHIP_ESTIMATES[iso]
        targets["members"] = Target("members", MEMBERS_YOUTH_SHARE * lo, MEMBERS_YOUTH_SHARE * hi, src)
    ov = {k: (round(v, 8) if isinstance(v, float) and not math.isnan(v) else v) for k, v in ov.items()}
    return Profile(iso, r["country"], float(pop), youth_share, ov, targets, tuple(fallbacks), r["sources"])


@cache
def get_profile(code: str) -> Profile:
    """The profile for ``LAC`` or a country's ISO3 code (case-insensitive)."""
    key = code.strip().upper()
    if key == REGIONAL:
        return _regional()
    if key not in COUNTRY_CODES:
        raise KeyError(f"unknown country '{code}'; use {REGIONAL} or one of: {', '.join(sorted(COUNTRY_CODES))}")
    return _country(key)


def all_codes() -> list[str]:
    return [REGIONAL, *sorted(COUNTRY_CODES)]
