"""Unit prices of every outcome the model produces (2024 USD), from ``economics/data/prices.csv``.

Each row of ``prices.csv`` is one sourced figure (value, range, original figure and price year, the
conversion, the source tag and a status: READ, DERIVED, ASSUMPTION or GUESS). This module turns them
into the *components* of a country's prices, each a ``costs.Range`` drawn per replicate x economic draw:

* victim costs per offence (violent non-lethal, property and extortion, drug-market): US values
  (McCollister et al. 2010) transferred to the country with its VSL, ``victim_c = victim_US x VSL_c /
  VSL_ref`` (the reference case's income elasticity, the same as the VSL);
* police per arrest and court per case (WSIPP), scaled for a LAC country by its prison cost relative to
  the US average (a local public-sector unit-cost ratio), and the share of arrests that become a case;
* the marginal share of a custody-year's average cost (ASSUMPTION, no figure found);
* earnings: base annual earnings (LAC minimum wage, scaled by GNI per capita; US: Pew 2010), the
  secondary-completion premium, the employment rate, growth and working years after completion, and
  the split of an earnings gain between participants, taxpayers and others (WSIPP program 561);
* trafficking: cost per victim = 0.103 x VSL (UK Home Office ratio); displacement: IDMC cost per
  displaced person-year (the person-years are the model's own: ``cea`` and ``lifecourse``).

``unit_values`` combines component draws into the prices the benefit streams use.
"""

from __future__ import annotations

import numpy as np

from .tables import Range, _csv, regional_gni, valuation_rows

US = "USA"
#: Components drawn independently per economic draw (besides the VSL, the prison cost and the deadweight).
COMPONENTS = ("victim_violent", "victim_property", "victim_drug", "police", "court", "case_share", "prison_marginal_share",
              "earnings_base", "completion_premium", "employment_rate", "idp_year")
FIXED = ("earnings_growth", "working_years", "trafficking_ratio", "share_participants", "share_taxpayers", "share_others")


def price_rows() -> dict[tuple[str, str, str], dict[str, str]]:
    """Rows of ``prices.csv`` by (kind, key, scope)."""
    return {(r["kind"], r["key"], r["scope"]): r for r in _csv("prices.csv")}


def _range(row: dict[str, str], factor: float = 1.0, note: str = "") -> Range:
    src = row["source_tag"] + (f" [{row['status']}]" if row["status"] != "READ" else "") + note
    return Range(float(row["central"]) * factor, float(row["low"]) * factor, float(row["high"]) * factor, src)


def _row(kind: str, key: str, scope: str) -> dict[str, str]:
    rows = price_rows()
    for s in (scope, "ANY"):
        if (kind, key, s) in rows:
            return rows[(kind, key, s)]
    raise KeyError(f"no price {kind}/{key} for {scope} in economics/data/prices.csv")


def earnings_factor(country: str) -> tuple[float, str]:
    """Country income relative to the LAC base: GNI per capita / the region's (population-weighted) GNI per capita."""
    gni = valuation_rows("gni_pc")
    if country not in gni:
        return 1.0, f"earnings for {country}: LAC regional base (no GNI per capita in valuation.csv)"
    f = float(gni[country]["central"]) / regional_gni()
    return f, f"earnings for {country}: LAC base x GNI per capita / the region's population-weighted GNI per capita = x{f:.2f}"


def components(country: str, vsl: Range, prison_year: Range) -> tuple[dict[str, Range], dict[str, float], list[str]]:
    """Uncertain components (Ranges) and fixed parameters of ``country``'s prices, and notes.

    ``vsl`` and ``prison_year`` are the country's (already chosen) VSL and average prison cost: victim
    costs are transferred with the VSL at each end of its range, police and court costs with the prison cost.
    """
    us = country == US
    ref = float(_row("vsl", "transfer_reference", US)["central"])
    us_prison = float(_row("prison", "average_year", US)["central"])
    notes: list[str] = []
    out: dict[str, Range] = {}
    for k in ("violent", "property", "drug"):
        r = _row("victim_cost", k, US)
        if us:
            out[f"victim_{k}"] = _range(r)
        else:
            lo, mid, hi = vsl.low / ref, vsl.central / ref, vsl.high / ref
            out[f"victim_{k}"] = Range(float(r["central"]) * mid, float(r["low"]) * lo, float(r["high"]) * hi,
                                       f"DERIVED({r['source_tag']} x VSL_c / VSL_US)")
    jf = 1.0 if us else prison_year.central / us_prison
    if not us:
        notes.append(f"police and court costs: US (WSIPP) x {country}'s prison cost / US prison cost = x{jf:.3f} (no LAC per-arrest figure)")
    out["police"] = _range(_row("justice", "police_per_arrest", US), jf, "" if us else " x prison-cost ratio")
    out["court"] = _range(_row("justice", "court_per_case", US), jf, "" if us else " x prison-cost ratio")
    out["case_share"] = _range(_row("justice", "case_share", "ANY"))
    out["prison_marginal_share"] = _range(_row("prison", "marginal_share", "ANY"))
    if us:
        out["earnings_base"] = _range(_row("earnings", "annual_base", US))
    else:
        f, note = earnings_factor(country)
        out["earnings_base"] = _range(_row("earnings", "annual_base", "LAC"), f)
        notes.append(note)
    out["completion_premium"] = _range(_row("earnings", "completion_premium", "ANY"))
    out["employment_rate"] = _range(_row("earnings", "employment_rate", "ANY"))
    out["idp_year"] = _range(_row("displacement", "cost_per_idp_year", "ANY"))
    fixed = {"earnings_growth": float(_row("earnings", "growth", "ANY")["central"]),
             "working_years": float(_row("earnings", "working_years", "ANY")["central"]),
             "trafficking_ratio": float(_row("trafficking", "ratio_to_homicide", "GBR")["central"])}
    for who in ("participants", "taxpayers", "others"):
        fixed[f"share_{who}"] = float(_row("earnings", f"share_{who}", US)["central"])
    return out, fixed, notes


def us_vsl() -> Range:
    return _range(_row("vsl", "vsl", US))


def us_prison() -> Range:
    return _range(_row("prison", "average_year", US))


def us_program(kind: str) -> Range:
    return _range(_row("program", kind, US))


def unit_values(c: dict[str, np.ndarray], fixed: dict[str, float]) -> dict[str, np.ndarray]:
    """Prices of the streams from component values (arrays of draws, or 1-element arrays of central values).

    ``c`` also holds ``vsl`` and ``prison`` (average cost per prisoner-year).
    """
    return {
        "vsl": c["vsl"],
        "victim_violent": c["victim_violent"], "victim_property": c["victim_property"], "victim_drug": c["victim_drug"],
        "per_arrest": c["police"] + c["case_share"] * c["court"],
        "prison": c["prison"] * c["prison_marginal_share"],
        "earnings_year": c["earnings_base"] * c["employment_rate"],  # forgone earnings of a custody-year
        "wage_year": c["earnings_base"],  # earnings of an extra employed person-year
        "completion_year": c["earnings_base"] * c["completion_premium"] * c["employment_rate"],
        "trafficking": c["vsl"] * fixed["trafficking_ratio"],
        "displaced_year": c["idp_year"],  # per displaced person-year
    }
