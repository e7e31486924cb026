"""An in-model randomised trial of mentoring (Becoming a Man), next to the published effect.

**What it checks, and what it does not.** The mentoring policy's effects on offending are *set from*
this same trial (HELLER_QJE2017, ``model/data/policy_effects.csv``). Agreement therefore shows that the
model delivers the effect it was given once the policy acts through eligibility, delivery, offending,
joining and policing (a consistency check of the mechanism), not that the model is validated: a
validation must compare with something the model was not given.

Design, in each replicate (one model run with the calibrated posterior draw of that replicate):

1. Run the burn-in. At month 0 take every boy the ``mentoring`` policy deems eligible
   (``Policy.eligible``: boys 14-17, free, in school, in a group-controlled or poor household).
2. Randomise them: a share ``share`` (default half) to the program, the rest to control, within
   blocks of neighbourhood x group membership (the Chicago trials randomised within schools; a few
   members dominate violent arrests, so an unblocked draw that puts more of them in one arm moves the
   violent-arrest effect by +-10 points). The program arm is enrolled for ``months`` (default 12, the
   program year); the policy is given coverage 0 so it enrols nobody else (no contamination).
3. Follow both arms through the program year (intention to treat: boys stay in their arm whatever
   happens to them) and compare arrests per boy, total and for violent crime.

Outcome measure. Each month, for every boy in the trial, the model's own arrest probability given the
state (``model.policing``) and the violent share of that risk are summed. This is the expected number
of arrests (a Rao-Blackwellised count: same mean as counting arrests, far less noise) and it carries
every way the program acts: lower offending, fewer boys joining groups (members are arrested more),
fewer dropouts. It uses the state at the start of each month and last month's policing intensity.

The effect is the ratio of arrests per boy, program over control, minus 1. Its 90% interval is a
bootstrap over replicates (each replicate = a posterior draw + a seed), so it carries parameter
uncertainty. Published (Heller et al., QJE 2017, HELLER_QJE2017): total arrests -28% to -35% during
the program, violent-crime arrests -45% to -50% (study 1: -44%).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from recruitsim.model import Policy, RecruitmentModel, policing
from recruitsim.model.population import COMPLETED, ENROLLED, TERTIARY
from recruitsim.model.streams import replicate_seed

CHECKS = ("consistency check, not validation: the mentoring policy's effects are set from this same trial "
          "(HELLER_QJE2017), so agreement shows the model delivers the effect it was given")

PUBLISHED = {
    "source": "Heller et al., QJE 132(1), 2017 (HELLER_QJE2017): Becoming a Man, Chicago RCTs, during the program year",
    "total_arrests": [-0.35, -0.28],
    "violent_arrests": [-0.50, -0.45],
}


def mapped_effect(params: dict[str, float] | None = None) -> dict[str, float]:
    """The effect the policy mapping implies for a non-member boy (offending channels only)."""
    from recruitsim.model.params import Params
    from recruitsim.model.policies import KINDS

    P = Params(params or {})
    e = KINDS["mentoring"].effects
    from recruitsim.model import offending

    v = P.offend_violent / offending.reference(P, False)  # violent share of a non-member's offences
    total = v * e["offending_violent"] + (1 - v) * e["offending_other"]
    return {"total_arrests": total - 1.0, "violent_arrests": e["offending_violent"] - 1.0}


def blocked_assignment(rng: np.random.Generator, block: np.ndarray, share: float) -> np.ndarray:
    """Randomise within blocks: in each block a random ``share`` (rounded at random) goes to the program."""
    order = np.lexsort((rng.random(block.size), block))
    b = block[order]
    starts = np.flatnonzero(np.r_[True, b[1:] != b[:-1]])
    sizes = np.diff(np.r_[starts, b.size])
    rank = np.arange(b.size) - np.repeat(starts, sizes)
    quota = np.floor(share * sizes + rng.random(sizes.size)).astype(np.int64)
    out = np.zeros(block.size, bool)
    out[order] = rank < np.repeat(quota, sizes)
    return out


def run_arm_totals(task: tuple[str, int, int, int, int, float, dict[str, float]]) -> dict[str, Any]:
    """One replicate: (country, replicate, agents, seed, months, share, params) -> per-arm totals."""
    country, replicate, agents, seed, months, share, params = task
    policy = Policy("mentoring", name="trial", start=0, end=months, settings={"coverage": 0.0, "duration": float(months)})
    model = RecruitmentModel(country, n_agents=agents, years=months / 12.0, burn_in_years=5, params=params,
                             policies=[policy], rng=replicate_seed(seed, replicate), collect=False, draw=None)
    pol = model.policies[0]
    pop = model.pop
    idx = np.arange(pop.n)
    elig = idx[pol.eligible(model, idx)]
    rng = np.random.default_rng([int(seed), int(replicate), 20170101])
    program = blocked_assignment(rng, pop.hood[elig].astype(np.int64) * 2 + (pop.group[elig] >= 0), share)
    treated, control = elig[program], elig[~program]
    pol.until[treated] = months
    pol.ever[treated] = True
    cohort = np.concatenate([treated, control])
    order = np.argsort(cohort)
    cohort_sorted = cohort[order]
    arm = np.concatenate([np.ones(treated.size, bool), np.zeros(control.size, bool)])[order]
    arrests = np.zeros(cohort.size)
    violent = np.zeros(cohort.size)
    offences = np.zeros((cohort.size, 3))
    custody = np.zeros(cohort.size)
    for _ in range(months):
        cache: dict = {}
        police = model.hoods.flat("policing").copy()
        p = policing._arrest_probability(model, cohort_sorted, police, cache)
        arrests += p
        violent += p * cache["violent_part"]
        offences += cache["offences"]
        custody += pop.alive[cohort_sorted] & (pop.prison_left[cohort_sorted] > 0)
        model.step()
    joined = pop.group[cohort_sorted] >= 0
    school = pop.school[cohort_sorted]
    schooled = pop.alive[cohort_sorted] & np.isin(school, (ENROLLED, COMPLETED, TERTIARY))
    extra = {f"{name}_{a}": float(x[sel].sum()) for a, sel in (("program", arm), ("control", ~arm))
             for name, x in (("offences_violent", offences[:, 0]), ("offences_property", offences[:, 1]),
                             ("offences_drug", offences[:, 2]), ("custody_months", custody), ("schooled", schooled))}
    return extra | {
        "replicate": replicate,
        "n_program": int(arm.sum()), "n_control": int((~arm).sum()),
        "arrests_program": float(arrests[arm].sum()), "arrests_control": float(arrests[~arm].sum()),
        "violent_program": float(violent[arm].sum()), "violent_control": float(violent[~arm].sum()),
        "members_program": int(joined[arm].sum()), "members_control": int(joined[~arm].sum()),
    }


def _effect(rows: list[dict], a: str) -> float:
    tp = sum(r[f"{a}_program"] for r in rows) / sum(r["n_program"] for r in rows)
    tc = sum(r[f"{a}_control"] for r in rows) / sum(r["n_control"] for r in rows)
    return tp / tc - 1.0 if tc > 0 else float("nan")


def summarise(rows: list[dict], boot: int = 2000, seed: int = 0) -> dict[str, Any]:
    rng = np.random.default_rng(seed)
    out: dict[str, Any] = {"replicates": len(rows), "boys": sum(r["n_program"] + r["n_control"] for r in rows),
                           "per_replicate": rows}
    for key, a in (("total_arrests", "arrests"), ("violent_arrests", "violent"), ("members", "members")):
        est = _effect(rows, a)
        per = np.array([_effect([r], a) for r in rows])
        if len(rows) > 1:
            bs = [_effect([rows[i] for i in rng.integers(0, len(rows), len(rows))], a) for _ in range(boot)]
            lo, hi = np.nanquantile(bs, [0.05, 0.95])
        else:
            lo = hi = est
        out[key] = {"effect": est, "low": float(lo), "high": float(hi),
                    "replicate_range": [float(np.nanmin(per)), float(np.nanmax(per))]}
    return out


def run_trial(country: str, engine, replicates: int = 20, agents: int = 100_000, seed: int = 1, months: int = 12,
              share: float = 0.5) -> dict[str, Any]:
    """Run the trial on an open ``scenarios.engine.Engine``; one replicate per task."""
    from recruitsim.model.posteriors import draw, is_calibrated

    tasks = [(country, r, agents, seed, months, share, draw(country, r) or {}) for r in range(replicates)]
    rows = [res for _, res in engine.map(run_arm_totals, tasks)]
    rows.sort(key=lambda r: r["replicate"])
    out = summarise(rows)
    out.update({"country": country, "agents": agents, "months": months, "share": share, "seed": seed,
                "calibrated": is_calibrated(country), "mapped": mapped_effect(draw(country, 0) or {})})
    return out


def format_result(res: dict[str, Any]) -> str:
    def pct(x: float) -> str:
        return f"{100 * x:+.0f}%"

    lines = [
        f"In-model trial of mentoring, {res['country']} ({'calibrated posterior' if res['calibrated'] else 'uncalibrated defaults'}): "
        f"{res['boys']:,} eligible boys 14-17 over {res['replicates']} replicates, {res['share']:.0%} randomised to the "
        f"program for {res['months']} months ({res['agents']:,} agents each)",
        "",
        f"What this checks: {CHECKS}.",
        "",
        f"{'outcome (program vs control)':32s} {'model effect':>12s} {'90% interval':>16s} {'input (trial)':>14s}",
    ]
    for key, label in (("total_arrests", "arrests, all"), ("violent_arrests", "arrests, violent crime")):
        r, pub = res[key], PUBLISHED[key]
        lines.append(f"{label:32s} {pct(r['effect']):>12s} {pct(r['low']) + ' to ' + pct(r['high']):>16s} "
                     f"{pct(pub[1]) + ' to ' + pct(pub[0]):>14s}")
    m = res["members"]
    lines.append(f"{'group members at the end':32s} {pct(m['effect']):>12s} {pct(m['low']) + ' to ' + pct(m['high']):>16s} "
                 f"{'not measured':>14s}")
    mp = res["mapped"]
    lines += ["", f"Policy mapping for a non-member boy: arrests {pct(mp['total_arrests'])}, violent {pct(mp['violent_arrests'])}. "
              f"Published: {PUBLISHED['source']}."]
    return "\n".join(lines)

