"""What a regional run reports: each country's usual run keys, the flows, and the region's totals.

``summary(result)`` is what ``recruitsim run --countries ... --json`` prints::

    {"countries": {"GTM": {...the keys of `recruitsim run --json`..., "seed": ..., "flows": {...},
                           "migration": {...} or null,
                           "organisations": {"maras": {"groups": 3, "members_start": ..., "members_end": ...,
                                                       "member_share_start": ..., "member_share_end": ...,
                                                       "member_share_target": 0.5}, ..., "local": {...}}}, ...},
     "flows": {"coupled": true, "routes": {...}, "countries": {...}, "prices": {...}, "total_tonnes": {...}},
     "region": {"countries": [...], "recruits_per_year": ..., "homicides_per_year": ..., ...}}
"""

from __future__ import annotations

from typing import Any

import numpy as np

from recruitsim.model.profiles import get_profile

from .flows import FlowModel
from .simulation import RegionalResult

#: run keys that add up over countries (national counts)
ADDITIVE = ("agents", "recruits_per_year", "members", "homicides_per_year", "violent_offences_per_year",
            "property_offences_per_year", "drug_offences_per_year", "displaced_per_year", "trafficking_victims_per_year")


def _tonnes(res: RegionalResult) -> tuple[np.ndarray, np.ndarray]:
    """Baseline route tonnes and per-country tonnes (the flow model's equilibrium with no added cost)."""
    fm = FlowModel(res.network, res.plan.flow)
    return fm.flow0 * fm.p.production_tonnes, fm.country_tonnes()


def flows_summary(res: RegionalResult) -> dict[str, Any]:
    net, f = res.network, res.flows
    route_t0, country_t0 = _tonnes(res)
    last = f.iloc[-1] if len(f) else None
    coupled = res.plan.coupled and last is not None
    total0 = float(route_t0.sum())
    routes = {}
    for r, t0 in zip(net.routes, route_t0):
        end = float(last[f"route_{r.name}"]) if coupled else float(t0)
        routes[r.name] = {"source": r.source, "via": list(r.via), "destination": r.destination, "tonnes_baseline": float(t0),
                          "tonnes_end": end, "share_baseline": float(t0) / total0,
                          "share_end": end / float(last["total_tonnes"]) if coupled else float(t0) / total0}
    countries = {}
    for c, t0 in zip(net.countries, country_t0):
        rf = f[f"revenue_factor_{c}"] if len(f) else None
        countries[c] = {"tonnes_baseline": float(t0), "tonnes_end": float(last[f"tonnes_{c}"]) if coupled else float(t0),
                        "routes": [r.name for r in net.routes if c in r.countries],
                        "revenue_factor_mean": float(rf.mean()) if rf is not None else 1.0,
                        "revenue_factor_end": float(rf.iloc[-1]) if rf is not None else 1.0}
    prices = {s: float(last[f"price_{s}"]) if coupled else 1.0 for s in net.sources}
    return {"coupled": res.plan.coupled, "transnational": res.plan.transnational,
            "shared_leadership": res.plan.shared_leadership, "border_security": dict(res.plan.borders),
            "unit": "tonnes of cocaine per year (share of Andean production x production_tonnes)",
            "parameters": {k: float(v) for k, v in vars(res.plan.flow).items()},
            "interdiction": [{"name": i.name, "countries": list(i.countries), "route": i.route, "start": i.start, "end": i.end}
                             for i in res.plan.interdictions],
            "total_tonnes": {"baseline": total0, "end": float(last["total_tonnes"]) if coupled else total0},
            "prices": prices, "routes": routes, "countries": countries}


def region_totals(res: RegionalResult) -> dict[str, Any]:
    out: dict[str, Any] = {"countries": list(res.plan.countries), "scenario": res.plan.name, "coupled": res.plan.coupled}
    sums = {k: 0.0 for k in ADDITIVE}
    population = youth = 0.0
    for c, d in res.countries.items():
        s = d["summary"]
        for k in ADDITIVE:
            sums[k] += float(s[k])
        prof = get_profile(c)
        population += prof.population
        youth += prof.youth_population
    out.update(sums)
    out["agents"] = int(sums["agents"])
    out["population"] = population
    out["homicide_rate_per_100k"] = sums["homicides_per_year"] / population * 1e5
    out["member_prevalence_per_1000_youth"] = sums["members"] / youth * 1e3
    out["seconds"] = round(res.seconds, 3)
    out["country_seconds"] = {c: d["summary"]["seconds"] + d["summary"]["setup_seconds"] for c, d in res.countries.items()}
    out["peak_memory_mb"] = {c: d["summary"]["peak_memory_mb"] for c, d in res.countries.items()}
    return out


def migration_summary(res: RegionalResult, country: str) -> dict[str, Any] | None:
    """Last year's youths arriving and leaving, and what became of the arrivals (people at national scale);
    None without migration."""
    mig, f = res.plan.migration, res.flows
    if mig is None or f"arrivals_{country}" not in f:
        return None
    last = f.tail(12)
    end = f.iloc[-1]
    per_month_in, per_month_out = mig.monthly(country)
    return {"arrivals_per_year": float(last[f"arrivals_{country}"].sum()),
            "departures_per_year": float(last[f"departures_{country}"].sum()),
            "expected_arrivals_per_year": 12 * per_month_in, "expected_departures_per_year": 12 * per_month_out,
            "arrivals_recruited_per_year": float(last[f"arrived_recruits_{country}"].sum()),
            "arrivals_trafficked_per_year": float(last[f"arrived_trafficked_new_{country}"].sum()),
            "arrived_youths_end": float(end[f"arrived_stock_{country}"]),
            "arrived_members_end": float(end[f"arrived_members_{country}"]),
            "people_per_year": mig.by_partner(country), "unit": "youths aged 10-29 (people per year: all ages)"}


def summary(res: RegionalResult) -> dict[str, Any]:
    flows = flows_summary(res)
    countries = {}
    for c, d in res.countries.items():
        countries[c] = {**d["summary"], "calibrated": d.get("calibrated"), "seed": d["seed"], "flows": flows["countries"][c],
                        "migration": migration_summary(res, c), "organisations": d.get("organisations")}
    region = region_totals(res)
    region["migration"] = _region_migration(countries)
    region["intelligence_sharing"] = list(res.plan.intelligence)
    region["border_security"] = sorted(res.plan.borders)
    return {"countries": countries, "flows": flows, "region": region}


def _organisation_lines(countries: dict[str, dict[str, Any]]) -> list[str]:
    """Members of each organisation's groups at the end (share of the country's members), where it has groups."""
    out = []
    for c, d in countries.items():
        blocks = {k: v for k, v in (d.get("organisations") or {}).items() if k != "local" and v["groups"] > 0}
        if blocks:
            out.append(f"{c:8s} " + "; ".join(f"{k} {v['groups']} groups {v['members_end']:,.0f} members "
                                              f"({v['member_share_end']:.2f}, target {v['member_share_target']:.2f})"
                                              for k, v in blocks.items()))
    return ["\ntransnational groups (members at the end, share of the country's members):", *out] if out else []


def _region_migration(countries: dict[str, dict[str, Any]]) -> dict[str, float] | None:
    blocks = [d["migration"] for d in countries.values() if d["migration"] is not None]
    if not blocks:
        return None
    keys = ("arrivals_per_year", "departures_per_year", "arrivals_recruited_per_year", "arrivals_trafficked_per_year",
            "arrived_youths_end", "arrived_members_end")
    return {k: float(sum(b[k] for b in blocks)) for k in keys}


def text(res: RegionalResult) -> str:
    """A short table per country and the flows, for the terminal."""
    s = summary(res)
    lines = [f"Regional run '{res.plan.name}' ({'coupled by cocaine flows' if res.plan.coupled else 'not coupled'}), "
             f"last year's national figures", f"{'country':8s} {'recruits':>10s} {'members':>10s} {'homicides':>10s} "
             f"{'hom./100k':>9s} {'t/yr base':>10s} {'t/yr end':>10s} {'revenue':>8s}"]
    for c, d in s["countries"].items():
        f = d["flows"]
        lines.append(f"{c:8s} {d['recruits_per_year']:10,.0f} {d['members']:10,.0f} {d['homicides_per_year']:10,.0f} "
                     f"{d['homicide_rate_per_100k']:9.1f} {f['tonnes_baseline']:10,.0f} {f['tonnes_end']:10,.0f} "
                     f"{f['revenue_factor_end']:8.3f}")
    r = s["region"]
    lines.append(f"{'region':8s} {r['recruits_per_year']:10,.0f} {r['members']:10,.0f} {r['homicides_per_year']:10,.0f} "
                 f"{r['homicide_rate_per_100k']:9.1f}")
    if res.plan.migration is not None:
        lines.append(f"\n{'country':8s} {'arrivals':>10s} {'departures':>10s} {'arr. recruited':>14s} {'arr. trafficked':>15s} "
                     f"{'arrived (end)':>13s}   youths 10-29, last year")
        for c, d in s["countries"].items():
            m = d["migration"]
            lines.append(f"{c:8s} {m['arrivals_per_year']:10,.0f} {m['departures_per_year']:10,.0f} "
                         f"{m['arrivals_recruited_per_year']:14,.0f} {m['arrivals_trafficked_per_year']:15,.0f} "
                         f"{m['arrived_youths_end']:13,.0f}")
    lines += _organisation_lines(s["countries"])
    fl = s["flows"]
    lines.append(f"\ncocaine leaving the Andes: {fl['total_tonnes']['baseline']:,.0f} t/yr at baseline, "
                 f"{fl['total_tonnes']['end']:,.0f} at the end; source prices (1 = baseline): "
                 + ", ".join(f"{k} {v:.3f}" for k, v in fl["prices"].items()))
    moved = sorted(fl["routes"].items(), key=lambda kv: -abs(kv[1]["tonnes_end"] - kv[1]["tonnes_baseline"]))[:6]
    if res.plan.coupled and any(abs(v["tonnes_end"] - v["tonnes_baseline"]) > 1e-9 for _, v in moved):
        lines.append("routes that moved most (t/yr, baseline -> end): " + "; ".join(
            f"{k} {v['tonnes_baseline']:,.0f} -> {v['tonnes_end']:,.0f}" for k, v in moved))
    lines.append(f"\n{r['agents']:,.0f} agents in {r['seconds']:.1f} s")
    return "\n".join(lines)
