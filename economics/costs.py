"""Cost and value inputs of the economic evaluation, in one currency and price year: 2024 US dollars.

Every figure comes from ``economics/data/costs.csv`` (copied from the project's evidence base, with
source tags expanded in ``model/data/SOURCES.md`` and ``docs/economics.md``) and is converted here:

* **Local currency** is turned into US dollars at the official exchange rate of the figure's own price
  year (``economics/data/conversion.csv``), then
* **brought to 2024 prices** with the US CPI-U (annual averages): ``x 313.689 / CPI(year)``.

So a Chilean prison cost of CLP 983,424 a month in 2022 is 983,424 x 12 / 873.31 CLP per USD x
313.689 / 292.655 = USD 14,484 per prisoner-year (2024). Each quantity is a ``Range`` (central, low,
high); the probabilistic analysis draws it from a triangular distribution on the log scale with its
mode at the central value (so ranges that span an order of magnitude are not skewed upwards).

Country lookups fall back to the regional (``LAC``) value where the country has no figure of its own,
and say so in ``CostAssumptions.notes``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .tables import Range, _csv, regional_gni, valuation_rows  # noqa: F401 (re-exported)

BASE_YEAR = 2024
CURRENCY = "USD"
REGIONAL = "LAC"
#: Where a country's prison cost rests on few figures, its range is widened to at least this share
#: either side of the central value (average vs marginal cost, exchange-rate timing): ASSUMPTION.
MIN_PRISON_SPREAD = 0.25


@dataclass(frozen=True)
class ProgramCost:
    """How a policy kind's simulated cost columns are priced: price-year factor and uncertainty."""

    kind: str
    unit_cost: float  # the model's default unit cost, in the price year below
    unit: str
    price_year: int
    to_base: float  # multiplier from the price year to 2024 USD
    multiplier: Range  # uncertainty of the unit cost, relative to the central value (central 1)
    source: str


@dataclass(frozen=True)
class CostAssumptions:
    """All prices and values for one country, in 2024 USD."""

    country: str
    prison_year: Range  # USD per prisoner-year
    vsl: Range  # USD per statistical life
    programs: dict[str, ProgramCost] = field(default_factory=dict)
    notes: tuple[str, ...] = ()
    deadweight: Range = Range(0.0, 0.0, 0.0, "not counted")  # USD of deadweight loss per USD of net public cost
    #: uncertain price components of the other outcomes (``economics.prices``) and fixed parameters
    components: dict[str, Range] = field(default_factory=dict)
    fixed: dict[str, float] = field(default_factory=dict)

    def describe(self) -> list[tuple[str, str, str]]:
        """(item, value, source) rows for reports."""
        def rng(r: Range, unit: str = "") -> str:
            return f"{_money(r.central)} ({_money(r.low)}-{_money(r.high)}){unit}"
        rows = [
            ("Currency and price year", f"{CURRENCY} {BASE_YEAR} (local currency at the price year's exchange rate, then US CPI-U)",
             "IMF_IFS_FX; BLS_CPIU"),
            ("Cost per prisoner-year (average; the marginal share below applies)", rng(self.prison_year), self.prison_year.source),
            ("Value of a statistical life", rng(self.vsl), self.vsl.source),
            ("Deadweight cost of taxation per USD of net public cost",
             f"{self.deadweight.central:.2f} ({self.deadweight.low:.2f}-{self.deadweight.high:.2f})", self.deadweight.source),
        ]
        for k, r in self.components.items():
            label = COMPONENT_LABELS.get(k, k)
            text = f"{r.central:.2f} ({r.low:.2f}-{r.high:.2f})" if r.high <= 1.0 else rng(r)
            rows.append((label, text, r.source))
        for p in self.programs.values():
            rows.append((f"Unit cost: {p.kind}", f"{_money(p.unit_cost * p.to_base)} {p.unit} "
                         f"(x{p.multiplier.low:.2g}-x{p.multiplier.high:.2g})", f"{p.source} ({p.price_year} USD)"))
        return rows


COMPONENT_LABELS = {
    "victim_violent": "Victim cost per violent non-lethal offence", "victim_property": "Victim cost per property / extortion offence",
    "victim_drug": "Third-party cost per drug-market offence", "police": "Police cost per arrest", "court": "Court cost per case",
    "case_share": "Court cases per arrest", "prison_marginal_share": "Marginal / average cost of a custody-year",
    "earnings_base": "Base annual earnings (low-skill young adult)", "completion_premium": "Earnings premium of secondary completion",
    "employment_rate": "Share of working years employed", "idp_year": "Cost per displaced person-year",
}


def _money(x: float) -> str:
    if x >= 1e9:
        return f"{x / 1e9:.3g}bn"
    if x >= 1e6:
        return f"{x / 1e6:.3g}m"
    return f"{x:,.0f}"


# ---- data ------------------------------------------------------------------------------------
def cost_rows(category: str | None = None) -> list[dict[str, str]]:
    """Rows of ``economics/data/costs.csv`` (optionally of one category)."""
    return [r for r in _csv("costs.csv") if category is None or r["category"] == category]


def cpi(year: int) -> float:
    """US CPI-U annual average (1982-84 = 100)."""
    for r in _csv("conversion.csv"):
        if r["kind"] == "cpi" and int(r["year"]) == int(year):
            return float(r["value"])
    raise KeyError(f"no US CPI for {year} in economics/data/conversion.csv")


def fx(currency: str, year: int) -> float:
    """Local currency units per US dollar, annual average of ``year``."""
    if currency == "USD":
        return 1.0
    for r in _csv("conversion.csv"):
        if r["kind"] == "fx" and r["currency"] == currency and int(r["year"]) == int(year):
            return float(r["value"])
    raise KeyError(f"no {currency} exchange rate for {year} in economics/data/conversion.csv")


def to_base(amount: float, currency: str, year: int) -> float:
    """``amount`` of ``currency`` at ``year`` prices, in 2024 US dollars."""
    return amount / fx(currency, year) * cpi(BASE_YEAR) / cpi(year)


_PER_YEAR = {"per inmate-month": 12.0, "per inmate-day": 365.0, "per inmate-year": 1.0}


# ---- lookups ---------------------------------------------------------------------------------
def prison_costs(country: str) -> tuple[Range, list[str]]:
    """Cost per prisoner-year in 2024 USD for a country (regional fallback) and notes."""
    rows = cost_rows("prison")
    by_country: dict[str, list[tuple[float, str, str]]] = {}
    for r in rows:
        v = to_base(float(r["central"]) * _PER_YEAR[r["unit"]], r["currency"], int(r["price_year"]))
        by_country.setdefault(r["key"], []).append((v, r["use"], r["source_tag"]))

    def summarise(items):
        central = next(v for v, use, _ in items if use == "central")
        values = [v for v, _, _ in items]
        low = min(min(values), central * (1 - MIN_PRISON_SPREAD))
        high = max(max(values), central * (1 + MIN_PRISON_SPREAD))
        src = "; ".join(dict.fromkeys(s for _, _, s in items))
        return Range(central, low, high, src)

    if country in by_country:
        return summarise(by_country[country]), []
    centrals = sorted(summarise(v).central for v in by_country.values())
    mid = float(np.median(centrals))
    src = "median of " + ", ".join(sorted(by_country)) + " (" + "; ".join(
        dict.fromkeys(s for v in by_country.values() for _, _, s in v)) + ")"
    note = (f"No prison cost for {country}: regional value used (median of the {len(centrals)} countries with data, "
            f"range = their lowest to highest)") if country != REGIONAL else (
        f"Regional prison cost = median of the {len(centrals)} countries with data, range = their lowest to highest")
    return Range(mid, min(centrals), max(centrals), src), [note]


def vsl_transfer(country: str) -> Range | None:
    """The VSL transferred from the US by income (ROBINSON2019), 2024 USD; None without GNI per capita.

    ``VSL_c = VSL_US x (y_c / y_US) ** e``, at least ``20 x y_c``: central e = 1.5 (the reference case), high
    end e = 1.0 (VISCUSI_MASTERMAN2017, MASTERMAN_VISCUSI2018), low end the floor ``20 x y_c``. The
    reference pair (US VSL 9.4 m, US GNI per capita 57,900) and the GNI per capita (constant 2015 US$)
    are taken as 2015 dollars and brought to 2024 with the CPI-U.
    """
    gni = valuation_rows("gni_pc").get(country)
    if country == REGIONAL:
        gni = {"central": regional_gni(), "source_tag": "DERIVED(population-weighted mean of the listed countries)"}
    if gni is None:
        return None
    ref = valuation_rows("vsl_transfer")
    us_vsl, us_y = float(ref["us_vsl"]["central"]), float(ref["us_gni_pc"]["central"])
    e_mid, e_high = float(ref["elasticity"]["central"]), float(ref["elasticity"]["low"])
    floor_k = float(ref["floor_multiple"]["central"])
    y = float(gni["central"])
    year = int(ref["us_vsl"]["price_year"])
    floor = floor_k * y

    def at(e: float) -> float:
        return to_base(max(us_vsl * (y / us_y) ** e, floor), "USD", year)

    src = "; ".join(dict.fromkeys([ref["us_vsl"]["source_tag"], ref["elasticity"]["source_tag"], gni["source_tag"], "BLS_CPIU"]))
    return Range(at(e_mid), to_base(floor, "USD", year), at(e_high), f"DERIVED({src})")


def deadweight() -> Range:
    """Deadweight cost of taxation per USD of net public cost (WSIPP-style), central and range."""
    r = valuation_rows("deadweight")["deadweight"]
    return Range(float(r["central"]), float(r["low"]), float(r["high"]), r["source_tag"])


def vsl(country: str) -> tuple[Range, list[str]]:
    """Value of a statistical life in 2024 USD.

    Where the country's GNI per capita is in ``valuation.csv``: the US VSL transferred by income
    (``vsl_transfer``). Otherwise the country's own study, else the regional value (each end of the range
    a separate study converted from its own price year), and a note says it is not income-adjusted.
    """
    transferred = vsl_transfer(country)
    if transferred is not None:
        notes = [f"VSL for {country} transferred from the US by income (ROBINSON2019): 9.4 m x (GNI per capita / 57,900)^1.5, "
                 f"at least 20 x GNI per capita; range 20 x GNI per capita to elasticity 1.0"]
        own = [to_base(float(r["central"]), r["currency"], int(r["price_year"])) for r in cost_rows("vsl") if r["key"] == country]
        if own:  # a conflicting local estimate widens the range (sources that disagree are recorded as a range)
            lo, hi = min(transferred.low, *own), max(transferred.high, *own)
            notes.append(f"{country}'s own VSL estimates in costs.csv ({_money(min(own))}-{_money(max(own))}) are not the central "
                         f"value (the income transfer is) but widen its range to {_money(lo)}-{_money(hi)}")
            transferred = Range(transferred.central, lo, hi, f"{transferred.source}; range with "
                                + "; ".join(dict.fromkeys(r["source_tag"] for r in cost_rows("vsl") if r["key"] == country)))
        return transferred, notes
    rows = [r for r in cost_rows("vsl") if r["key"] == country]
    if not rows:
        life, _ = vsl(REGIONAL)
        return life, [f"No GNI per capita for {country} in economics/data/valuation.csv: the region's VSL is used "
                      f"(for a low-income country it overstates; set --vsl)"]
    v = {r["use"]: to_base(float(r["central"]), r["currency"], int(r["price_year"])) for r in rows}
    src = "; ".join(dict.fromkeys(r["source_tag"] for r in rows))
    return Range(v["central"], v["low"], v["high"], src), [
        f"No GNI per capita for {country} in economics/data/valuation.csv: VSL not income-adjusted, its own study kept"]


def program_costs(country: str = REGIONAL) -> tuple[dict[str, ProgramCost], list[str]]:
    """Unit costs of each policy kind for ``country``, and a note.

    The figures in ``costs.csv`` are LAC (regional) costs. Most of a programme's cost is local staff pay, so
    for a country with a GNI per capita in ``valuation.csv`` the cost is transferred by income:
    ``cost_c = cost_LAC x f ** e`` with ``f`` = GNI per capita / the region's (``tables.regional_gni``) and ``e`` in
    [0.5, 1] (central 0.75; ASSUMPTION, the same range the LAC base used from US costs). The uncertainty of
    ``e`` widens the cost's range. The regional profile and countries without a GNI figure keep f = 1.
    """
    from .prices import earnings_factor

    f, _ = earnings_factor(country)  # 1 for the region and for countries without a GNI figure (the US included)
    e = valuation_rows("program_transfer")["elasticity"]
    e_mid, e_lo, e_hi = float(e["central"]), float(e["low"]), float(e["high"])
    mid = f ** e_mid
    spread = (min(f ** e_lo, f ** e_hi) / mid, max(f ** e_lo, f ** e_hi) / mid)
    out = {}
    for r in cost_rows("program"):
        central, low, high = float(r["central"]), float(r["low"]), float(r["high"])
        year = int(r["price_year"])
        src = r["source_tag"] if f == 1.0 else f"{r['source_tag']}; x (GNI ratio)^e (ASSUMPTION)"
        out[r["key"]] = ProgramCost(r["key"], central, r["unit"], year, to_base(1.0, "USD", year) * mid,
                                    Range(1.0, low / central * spread[0], high / central * spread[1], src), src)
    lo, hi = sorted((f ** e_lo, f ** e_hi))
    note = [] if f == 1.0 else [
        f"programme unit costs for {country}: LAC base x (GNI per capita ratio {f:.2f})^{e_mid:g} = x{mid:.2f}, "
        f"range x{lo:.2f}-x{hi:.2f} (elasticity {e_lo:g}-{e_hi:g}, ASSUMPTION)"]
    return out, note


def assumptions(country: str = REGIONAL, *, vsl_central: float | None = None, prison_cost: float | None = None,
                deadweight_central: float | None = None) -> CostAssumptions:
    """The cost assumptions for ``country`` (``USA``: US prices, for the Chicago trial); overrides replace a
    central value and scale its range (0: not counted)."""
    from . import prices

    dw = deadweight()
    if deadweight_central is not None:
        dw = dw.scaled(deadweight_central / dw.central, "user") if deadweight_central > 0 else Range(0.0, 0.0, 0.0, "user: not counted")
    if country == prices.US:
        prison, n1, life, n2 = prices.us_prison(), ["US prices (economics/data/prices.csv)"], prices.us_vsl(), []
    else:
        prison, n1 = prison_costs(country)
        life, n2 = vsl(country)
    if vsl_central is not None:
        life = life.scaled(vsl_central / life.central, "user (--vsl)") if life.central else Range(vsl_central, vsl_central, vsl_central, "user")
    if prison_cost is not None:
        prison = prison.scaled(prison_cost / prison.central, "user")
    comp, fixed, n3 = prices.components(country, life, prison)
    progs, n4 = program_costs(country)
    return CostAssumptions(country, prison, life, progs, tuple(n1 + n2 + n3 + n4), dw, comp, fixed)
