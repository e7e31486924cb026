"""What the flow calibration (``region.calibrate_flows``) found, and what it writes: per-route summaries, the
shares written to routes.csv (posterior medians, normalised within each source, with 90% intervals), the
posterior predictive of the seizures, the soundness checks that gate the writing, and the equilibrium checks
of the coupling at the shipped shares (the Caribbean shift, tonnes per country, ``interdiction_risk``).
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np

from .calibrate_flows import Posterior
from .flow_targets import FlowTarget, Seizure
from .routes import CORRIDORS, Network, route_priors

ROUTES_CSV = Path(__file__).parent / "data" / "routes.csv"
CARIBBEAN = ("DOM", "HTI", "JAM", "BHS")
ISTHMUS_AND_MEXICO = ("PAN", "CRI", "NIC", "HND", "SLV", "GTM", "MEX")
INFORMED = 0.8  # a route's share is informed by the targets when its 90% interval is below 0.8 of the prior's


def route_summary(post: Posterior) -> list[dict]:
    pri, out = route_priors(), []
    for i, r in enumerate(post.routes):
        p5, p50, p95 = np.quantile(post.prior.shares[:, i], (0.05, 0.5, 0.95))
        q5, q50, q95 = np.quantile(post.draws.shares[:, i], (0.05, 0.5, 0.95))
        old, lo, hi, _ = pri[r.name]
        out.append({"route": r.name, "source": r.source, "old": old, "guess_low": lo, "guess_high": hi,
                    "prior": (p5, p50, p95), "posterior": (q5, q50, q95), "width_ratio": (q95 - q5) / (p95 - p5)})
    return out


def written_shares(post: Posterior) -> dict[str, tuple[float, float, float]]:
    """Route -> (share, low, high): posterior medians normalised within each source and rounded to 0.001 (the
    largest share of a source absorbs the rounding), the 90% interval rounded outwards."""
    rows = {r["route"]: r for r in route_summary(post)}
    out = {}
    for s in post.sources:
        names = [r.name for r in post.routes if r.source == s]
        med = np.array([rows[n]["posterior"][1] for n in names])
        share = np.round(med / med.sum(), 3)
        k = int(np.argmax(share))
        share[k] = round(share[k] + 1.0 - share.sum(), 3)
        for n, v in zip(names, share):
            q5, _, q95 = rows[n]["posterior"]
            out[n] = (float(v), float(np.floor(q5 * 1000) / 1000), float(np.ceil(q95 * 1000) / 1000))
    return out


def predictive(post: Posterior, s: Seizure, seed: int = 0) -> tuple[float, float]:
    """The 90% posterior predictive interval of seizure ``s`` (tonnes)."""
    z = np.random.default_rng(seed).standard_normal(len(post.draws.tau))
    pred = np.exp(post.draws.log_q + np.log(post.seizure_tonnes(s)) + post.draws.tau * z)
    lo, hi = np.quantile(pred, (0.05, 0.95))
    return float(lo), float(hi)


def outside(v: float, t: FlowTarget) -> float:
    """How far ``v`` lies outside the target's range (0 inside)."""
    return max(t.low - v, 0.0, v - t.high)


def problems(post: Posterior, shares: dict, second: Posterior | None = None) -> list[str]:
    """Why the fit should not be written (empty: sound)."""
    out = []
    if not post.exponents or post.exponents[-1] < 1.0 or post.acceptance < 0.1:
        out.append(f"the sampler did not settle (exponent {post.exponents[-1] if post.exponents else 0:.3f}, "
                   f"acceptance {post.acceptance:.2f})")
    for t in post.targets:
        v = float(np.median(post.target_values(t)))
        if t.fitted and outside(v, t) > 3 * t.tolerance:
            out.append(f"flow target {t.name}: posterior median {v:.3g} is more than 3 tolerances outside [{t.low:g}, {t.high:g}]")
    for s in post.seizures:
        lo, hi = predictive(post, s)
        if s.high < lo or s.low > hi:
            out.append(f"seizures {s.country}: reported [{s.low:g}, {s.high:g}] t outside the predictive 90% [{lo:.3g}, {hi:.3g}]")
    out += [f"route {n}: share {v:g} outside its 90% interval [{lo:g}, {hi:g}]" for n, (v, lo, hi) in shares.items()
            if not lo <= v <= hi]
    if second is not None:
        gap = np.max(np.abs(np.median(post.draws.shares, axis=0) - np.median(second.draws.shares, axis=0)))
        if gap > 0.01:
            out.append(f"Monte Carlo error: the medians of two seeds differ by up to {gap:.4f} (> 0.01); use more draws")
    return out


def write_routes(shares: dict[str, tuple[float, float, float]], path: Path = ROUTES_CSV) -> None:
    """Write the calibrated ``share``, ``low``, ``high`` (sources ``CALIBRATED;`` + the prior's) into routes.csv."""
    with path.open(encoding="utf-8", newline="") as f:
        reader = csv.DictReader(f)
        fieldnames, rows = reader.fieldnames, list(reader)
    for r in rows:
        r["share"], r["low"], r["high"] = (f"{v:g}" for v in shares[r["route"]])
        r["sources"] = "CALIBRATED;" + r["prior_sources"]
    with path.open("w", encoding="utf-8", newline="") as f:
        w = csv.DictWriter(f, fieldnames=fieldnames, lineterminator="\n")
        w.writeheader()
        w.writerows(rows)


def caribbean_shift() -> dict:
    """The equilibrium with Mexico and the six isthmus countries each interdicting at the default: the share of
    US-bound cocaine through the Caribbean, US-bound tonnes and the Colombian price, before and after."""
    from .flows import FlowParams, added_costs, equilibrium

    net, P = Network(ISTHMUS_AND_MEXICO), FlowParams.from_settings()
    usa = np.array([r.destination == "USA" for r in net.routes])
    carib = usa & np.array([any(c in r.via for c in CARIBBEAN) for r in net.routes])
    out = {}
    for label, dc in (("before", np.zeros(len(net.routes))),
                      ("after", added_costs(net, P, dict.fromkeys(ISTHMUS_AND_MEXICO, 1), {}, {}))):
        flow, price = equilibrium(net, P, dc)
        out[label] = {"caribbean_share": float(flow[carib].sum() / flow[usa].sum()),
                      "usa_tonnes": float(flow[usa].sum() * P.production_tonnes),
                      "colombia_price": float(price[net.sources.index("COL")])}
    return out


def country_tonnes(countries: tuple[str, ...] = CORRIDORS["central_america_mexico"]) -> dict[str, float]:
    from .flows import FlowModel, FlowParams

    fm = FlowModel(Network(countries), FlowParams.from_settings())
    return dict(zip(countries, (float(v) for v in fm.country_tonnes())))


def point_tonnes(post: Posterior, shares: dict[str, tuple[float, float, float]]) -> np.ndarray:
    """Baseline tonnes per route (1 x routes) at ``shares`` and production.csv / parameters.csv's values."""
    from .routes import production, settings

    prod, total = production(), settings()["production_tonnes"].value
    return np.array([[shares[r.name][0] * prod[r.source][0] * total for r in post.routes]])


def _fmt(x: float) -> str:
    return f"{x:,.0f}" if x >= 100 else f"{x:.3g}"


def _routes_table(post: Posterior, shares: dict) -> list[str]:
    out = ["| route | old guess [GUESS range] | posterior median [90%] | written | informed (90% width / prior's) |",
           "|---|---|---|---|---|"]
    for r in route_summary(post):
        q5, q50, q95 = r["posterior"]
        tag = "yes" if r["width_ratio"] < INFORMED else "no"
        out.append(f"| `{r['route']}` | {r['old']:g} [{r['guess_low']:g}, {r['guess_high']:g}] | {q50:.3f} [{q5:.3f}, {q95:.3f}] "
                   f"| {shares[r['route']][0]:.3f} | {tag} ({r['width_ratio']:.2f}) |")
    return out


def _targets_table(post: Posterior, shares: dict) -> list[str]:
    from .calibrate_flows import target_value
    from .flow_targets import target_masks

    T0 = point_tonnes(post, shares)
    out = ["| fact | published [range] | tolerance | fitted | prior 90% | posterior 90% | at the written shares |",
           "|---|---|---|---|---|---|---|"]
    for t in post.targets:
        a, b = (np.quantile(post.target_values(t, prior=p), (0.05, 0.95)) for p in (True, False))
        v0 = float(target_value(T0, target_masks(t, post.routes))[0])
        out.append(f"| `{t.name}` ({t.sources.replace(';', ', ')}) | {_fmt(t.value)} [{_fmt(t.low)}, {_fmt(t.high)}] | {_fmt(t.tolerance)} "
                   f"| {'yes' if t.fitted else 'check'} | {_fmt(a[0])} - {_fmt(a[1])} | {_fmt(b[0])} - {_fmt(b[1])} | {_fmt(v0)} |")
    return out


def _seizures_table(post: Posterior, missing: tuple[str, ...]) -> list[str]:
    out = ["| country (year) | seized, t [range] | tonnes through, posterior median [90%] | seized / through | predictive 90% |",
           "|---|---|---|---|---|"]
    for s in post.seizures:
        q5, q50, q95 = np.quantile(post.seizure_tonnes(s), (0.05, 0.5, 0.95))
        lo, hi = predictive(post, s)
        out.append(f"| {s.country} ({s.years}) | {_fmt(s.tonnes)} [{_fmt(s.low)}, {_fmt(s.high)}] | {_fmt(q50)} [{_fmt(q5)}, {_fmt(q95)}] "
                   f"| {s.tonnes / q50:.3f} | {_fmt(lo)} - {_fmt(hi)} |")
    if missing:
        out.append(f"\nNo seizure figure found for: {', '.join(missing)} (recorded as missing in seizures.csv).")
    return out


def markdown(post: Posterior, shares: dict, missing: tuple[str, ...], seed: int) -> str:
    """The generated part of docs/region.md's calibration section."""
    q = np.quantile
    prod = "; ".join(f"{s} {q(post.draws.production[:, k], 0.5):.3f} [{q(post.draws.production[:, k], 0.05):.3f}, "
                     f"{q(post.draws.production[:, k], 0.95):.3f}]" for k, s in enumerate(post.sources))
    qb, tau, tonnes = (q(v, (0.05, 0.5, 0.95)) for v in (np.exp(post.draws.log_q), post.draws.tau, post.draws.tonnes))
    head = (f"Generated by `recruitsim region-calibrate --write` ({len(post.draws.tau):,} draws, seed {seed}; "
            f"{len(post.exponents)} tempering steps, final Metropolis acceptance {post.acceptance:.2f}; plain importance "
            f"sampling from the prior would keep {post.ess_prior:,.0f} effective draws of {len(post.draws.tau):,}).")
    nuisance = (f"Nuisance unknowns (posterior median [90%]): production shares {prod}; production {tonnes[1]:,.0f} "
                f"[{tonnes[0]:,.0f}, {tonnes[2]:,.0f}] t; regional interception rate q_bar {qb[1]:.3f} [{qb[0]:.3f}, {qb[2]:.3f}]; "
                f"spread of the countries' rates tau {tau[1]:.2f} [{tau[0]:.2f}, {tau[2]:.2f}] (a factor "
                f"{np.exp(tau[1]):.1f} either way for one standard deviation).")
    parts = [head, "", "**Route shares** (of the source's output):", "", *_routes_table(post, shares), "",
             "**Flow facts** (shares of the tonnes, or tonnes a year; 'at the written shares' uses production.csv's values):", "",
             *_targets_table(post, shares), "", "**Seizures** (tonnes a year):", "", *_seizures_table(post, missing), "", nuisance]
    return "\n".join(parts)


BEGIN, END = "<!-- flow-calibration:begin -->", "<!-- flow-calibration:end -->"


def update_docs(text: str, path: Path) -> bool:
    """Replace the generated block of ``path`` (between BEGIN and END); False if the markers are missing."""
    doc = path.read_text(encoding="utf-8")
    if BEGIN not in doc or END not in doc:
        return False
    head, rest = doc.split(BEGIN, 1)
    path.write_text(head + BEGIN + "\n" + text + "\n" + END + rest.split(END, 1)[1], encoding="utf-8")
    return True
