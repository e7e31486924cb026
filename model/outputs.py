"""Monthly outputs: event counts gathered by the processes, stocks and rates computed at month end.

Every number is at national scale (agents x ``scale``) unless it is a rate or a share. Rates per
100,000 are annualised (monthly count x 12). ``COLUMNS`` documents each output; the model's
``DataCollector`` has one reporter per column and ``RecruitmentModel.results()`` returns them as a
tidy DataFrame, one row per month.
"""

from __future__ import annotations

from collections import defaultdict

import numpy as np

from .population import BAND_NAMES, ENROLLED, TERTIARY

SEXES = ("male", "female")

#: name -> (kind, meaning). kind: "flow" (per month), "stock" (end of month), "rate" or "share".
COLUMNS: dict[str, tuple[str, str]] = {
    "recruits": ("flow", "Youths who joined a group this month (outside and inside prison)"),
    "recruits_prison": ("flow", "Of which recruited inside prison"),
    "recruits_female": ("flow", "Of which girls and young women"),
    "desisted": ("flow", "Members who left their group"),
    "members": ("stock", "Group members aged 10-29"),
    "leaders": ("stock", "Group leaders aged 10-29"),
    **{f"members_{s}_{b}": ("stock", f"Members, {s}, aged {b.replace('_', '-')}") for s in SEXES for b in BAND_NAMES},
    "member_prevalence_per_1000": ("rate", "Members per 1,000 youths aged 10-29"),
    "homicides": ("flow", "Homicides of all ages (youth victims + adult victims by ratio)"),
    "homicides_youth": ("flow", "Homicide victims aged 10-29"),
    "homicides_adult": ("flow", "Homicide victims aged 30+ (adult_homicide_ratio x youth victims)"),
    **{f"homicides_{s}_{b}": ("flow", f"Homicide victims, {s}, aged {b.replace('_', '-')}") for s in SEXES for b in BAND_NAMES},
    "homicides_male": ("flow", "Male homicide victims, all ages"),
    "homicides_member": ("flow", "Victims who were group members"),
    "homicides_rival": ("flow", "Members killed by rival groups"),
    "homicides_bystander": ("flow", "Non-members killed in group violence"),
    "homicides_group_linked": ("flow", "Group-linked homicides, all ages"),
    "homicides_firearm": ("flow", "Homicides by firearm, all ages"),
    "homicide_rate": ("rate", "Homicides per 100,000 population per year"),
    "male_15_29_homicide_rate": ("rate", "Homicides of males 15-29 per 100,000 males 15-29 per year"),
    "male_share_victims": ("share", "Male share of homicide victims"),
    "firearm_share": ("share", "Share of homicides by firearm"),
    "group_share_homicides": ("share", "Share of homicides linked to groups"),
    "homicides_expected": ("flow", "Expected homicides of all ages given the month's state (sum of probabilities; low-noise)"),
    "homicides_youth_expected": ("flow", "Expected homicides of youths 10-29 given the state"),
    "homicides_male_expected": ("flow", "Expected male homicides, all ages, given the state"),
    "homicide_rate_expected": ("rate", "Expected homicides per 100,000 population per year (low-noise)"),
    "male_15_29_homicide_rate_expected": ("rate", "Expected homicides of males 15-29 per 100,000 males 15-29 per year"),
    "male_share_victims_expected": ("share", "Expected male share of homicide victims"),
    "group_share_homicides_expected": ("share", "Expected share of homicides linked to groups"),
    **{f"offences_{k}": ("flow", f"{label} offences by youths 10-29") for k, label in (
        ("violent", "Violent non-lethal"), ("property", "Property and extortion"), ("drug", "Drug-market"))},
    **{f"offences_{k}_member": ("flow", f"Of which by group members ({k})") for k in ("violent", "property", "drug")},
    **{f"offences_{k}_{s}_{b}": ("flow", f"{k.capitalize()} offences by offenders {s}, aged {b.replace('_', '-')}")
       for k in ("violent", "property", "drug") for s in SEXES for b in BAND_NAMES},
    "offences_violent_ordered": ("flow", "Of the violent offences, those ordered by imprisoned leaders (carried out by free members)"),
    "offences_homicide": ("flow", "Homicides of youth victims (each with a perpetrator, simulated or 30+)"),
    "homicides_by_member": ("flow", "Youth homicides perpetrated by a simulated group member"),
    "homicides_by_nonmember": ("flow", "Youth homicides perpetrated by a simulated non-member"),
    "homicides_by_outside": ("flow", "Youth homicides perpetrated by someone 30+ (not simulated)"),
    **{f"victims_{k}": ("flow", f"Victims of {k} offences by youths, all ages (one per offence)") for k in ("violent", "property")},
    **{f"victims_{k}_{s}": ("flow", f"Victims of {k} offences, {s}, all ages") for k in ("violent", "property") for s in ("male", "female")},
    **{f"victims_{k}_outside": ("flow", f"Victims of {k} offences aged outside 10-29 (not simulated)") for k in ("violent", "property")},
    **{f"victims_{k}_{s}_{b}": ("flow", f"Victims of {k} offences, {s}, aged {b.replace('_', '-')}")
       for k in ("violent", "property") for s in ("male", "female") for b in BAND_NAMES},
    "arrests": ("flow", "Arrests of youths (from offences: never more than offences)"),
    "arrests_homicide": ("flow", "Arrests of homicide perpetrators"),
    "arrests_member": ("flow", "Arrests of group members"),
    "arrests_violent": ("flow", "Arrests for violent crime"),
    "arrests_leader": ("flow", "Arrests of group leaders"),
    "admissions": ("flow", "Youths sent to prison or detention"),
    "releases": ("flow", "Youths released"),
    "incarcerated": ("stock", "Youths 10-29 in custody"),
    "incarcerated_members": ("stock", "Group members in custody"),
    "prisoners": ("stock", "Prisoners of all ages (18-29 in custody x (1 + adult_prisoner_ratio))"),
    "incarceration_rate": ("rate", "Prisoners per 100,000 population"),
    "enrolled_secondary": ("stock", "Youths enrolled in secondary school"),
    "enrolled_tertiary": ("stock", "Youths in tertiary education"),
    "enrolment_rate_12_17": ("share", "Share of 12-17 year-olds enrolled"),
    "completions": ("flow", "Secondary completions"),
    "dropouts": ("flow", "Secondary dropouts"),
    "completion_rate_20_24": ("share", "Share of 20-24 year-olds with completed secondary"),
    "employed": ("stock", "Employed youths"),
    "employment_rate_15_29": ("share", "Share of 15-29 year-olds employed"),
    "neet_rate_15_24": ("share", "Share of 15-24 year-olds not in education or employment"),
    "home_violence_rate": ("share", "Share of youths exposed to home violence"),
    "trafficked_new": ("flow", "New trafficking / sexual exploitation victims"),
    **{f"trafficked_{s}_{b}": ("flow", f"New trafficking victims, {s}, aged {b.replace('_', '-')}") for s in SEXES for b in BAND_NAMES},
    "trafficking_victims": ("stock", "Youths currently exploited"),
    "displaced": ("flow", "Youths displaced this month"),
    "displaced_people": ("flow", "People of all ages displaced this month (displaced youths' households: population / youths per youth)"),
    "displaced_people_female": ("flow", "Of which female (the displaced youths' sex mix)"),
    "returned_people": ("flow", "People of all ages whose displaced household went back home this month"),
    "displaced_stock_people": ("stock", "People of all ages living displaced (households with displaced youths) at the end of the month"),
    "trafficked_sexual": ("flow", "New trafficking victims exploited sexually (trafficking_sexual_share)"),
    "youths": ("stock", "Youths aged 10-29 alive"),
    "aged_out": ("flow", "Youths who turned 30 (leave the simulation)"),
    "aged_out_members": ("flow", "Members who turned 30"),
    "aged_out_inmates": ("flow", "Youths in custody who turned 30 (they leave the simulation)"),
    "entrants": ("flow", "New 10-year-olds entering the simulation"),
    "deaths": ("flow", "Youths 10-29 who died (homicide)"),
    "controlled_share": ("share", "Share of neighbourhoods under group control"),
    "contested_share": ("share", "Share of neighbourhoods with rival conflict (a rival holds an adjacent cell)"),
    "mean_demand": ("rate", "Mean demand multiplier of the groups (1 = at capacity)"),
}


def new_counters() -> defaultdict:
    return defaultdict(int)


def tally_by_sex_and_band(model, idx: np.ndarray, prefix: str) -> None:
    """Count youths ``idx`` into the month's counters ``{prefix}_male_{band}`` / ``{prefix}_female_{band}``."""
    pop, s = model.pop, model.stats
    male = pop.male[idx]
    band = np.minimum((pop.age_years(model.t, idx) - 10) // 5, 3)
    for b in range(4):
        s[f"{prefix}_male_{b}"] += np.count_nonzero(male & (band == b))
        s[f"{prefix}_female_{b}"] += np.count_nonzero(~male & (band == b))


def _count(arr_fn, slices) -> int:
    return sum(int(np.count_nonzero(arr_fn(s))) for s in slices)


def finish_month(model) -> dict[str, float]:
    """Turn this month's counters and the end-of-month state into the output row."""
    pop, P, s, t, sc = model.pop, model.p, model.stats, model.t, model.scale
    row: dict[str, float] = {}
    alive = pop.alive
    youths = int(np.count_nonzero(alive))
    members = pop.members()
    m_male = pop.male[members]
    m_band = np.minimum((pop.age_years(t, members) - 10) // 5, 3)

    row["recruits"] = (s["recruits"] + s["recruits_prison"]) * sc
    row["recruits_prison"] = s["recruits_prison"] * sc
    row["recruits_female"] = s["recruits_female"] * sc
    row["desisted"] = s["desisted"] * sc
    row["members"] = members.size * sc
    row["leaders"] = np.count_nonzero(pop.leader[members]) * sc
    for si, sex in enumerate(SEXES):
        sel = m_male if si == 0 else ~m_male
        for b, name in enumerate(BAND_NAMES):
            row[f"members_{sex}_{name}"] = np.count_nonzero(sel & (m_band == b)) * sc
    row["member_prevalence_per_1000"] = 1000.0 * members.size / max(youths, 1)

    youth_h = s["hom_youth"]
    adult_h = P.adult_homicide_ratio * youth_h
    total_h = youth_h + adult_h
    male_youth_h = sum(s[f"hom_male_{b}"] for b in range(4))
    row["homicides"] = total_h * sc
    row["homicides_youth"] = youth_h * sc
    row["homicides_adult"] = adult_h * sc
    for sex in SEXES:
        for b, name in enumerate(BAND_NAMES):
            row[f"homicides_{sex}_{name}"] = s[f"hom_{sex}_{b}"] * sc
    row["homicides_male"] = (male_youth_h + P.adult_male_share * adult_h) * sc
    row["homicides_member"] = s["hom_member"] * sc
    row["homicides_rival"] = s["hom_rival"] * sc
    row["homicides_bystander"] = s["hom_bystander"] * sc
    group_share = s["hom_group_linked"] / youth_h if youth_h else 0.0
    firearm_youth = s["hom_firearm"] / youth_h if youth_h else 0.0
    row["homicides_group_linked"] = s["hom_group_linked"] * (1 + P.adult_homicide_ratio) * sc
    row["homicides_firearm"] = s["hom_firearm"] * (1 + P.adult_homicide_ratio) * sc
    row["homicide_rate"] = total_h * sc * 12 / model.population * 1e5
    males_15_29 = _count(lambda sl: alive[sl] & pop.male[sl], pop.age_slices(t, 15, 29))
    male_15_29_h = sum(s[f"hom_male_{b}"] for b in (1, 2, 3))
    row["male_15_29_homicide_rate"] = male_15_29_h * 12 / max(males_15_29, 1) * 1e5
    row["male_share_victims"] = row["homicides_male"] / row["homicides"] if total_h else np.nan
    row["firearm_share"] = firearm_youth if youth_h else np.nan
    row["group_share_homicides"] = group_share if youth_h else np.nan

    ey = s["exp_youth"]
    e_adult = P.adult_homicide_ratio * ey
    e_male_youth = sum(s[f"exp_male_{b}"] for b in range(4))
    row["homicides_expected"] = (ey + e_adult) * sc
    row["homicides_youth_expected"] = ey * sc
    row["homicides_male_expected"] = (e_male_youth + P.adult_male_share * e_adult) * sc
    row["homicide_rate_expected"] = (ey + e_adult) * sc * 12 / model.population * 1e5
    row["male_15_29_homicide_rate_expected"] = sum(s[f"exp_male_{b}"] for b in (1, 2, 3)) * 12 / max(males_15_29, 1) * 1e5
    row["male_share_victims_expected"] = row["homicides_male_expected"] / row["homicides_expected"] if ey else np.nan
    row["group_share_homicides_expected"] = s["exp_group_linked"] / ey if ey else np.nan

    for k in ("violent", "property", "drug"):
        row[f"offences_{k}"] = s[f"off_{k}"] * sc
        row[f"offences_{k}_member"] = s[f"off_{k}_member"] * sc
    row["offences_violent_ordered"] = s["off_violent_ordered"] * sc
    for k in ("violent", "property", "drug"):
        for sex in SEXES:
            for b, name in enumerate(BAND_NAMES):
                row[f"offences_{k}_{sex}_{name}"] = s[f"off_{k}_{sex}_{b}"] * sc
    row["offences_homicide"] = youth_h * sc
    for k in ("member", "nonmember", "outside"):
        row[f"homicides_by_{k}"] = s[f"hom_perp_{k}"] * sc
    for k in ("violent", "property"):
        out, out_m = s[f"vic_{k}_outside"], s[f"vic_{k}_outside_male"]
        male = sum(s[f"vic_{k}_male_{b}"] for b in range(4))
        female = sum(s[f"vic_{k}_female_{b}"] for b in range(4))
        row[f"victims_{k}"] = (male + female + out) * sc
        row[f"victims_{k}_male"] = (male + out_m) * sc
        row[f"victims_{k}_female"] = (female + out - out_m) * sc
        row[f"victims_{k}_outside"] = out * sc
        for sex in SEXES:
            for b, name in enumerate(BAND_NAMES):
                row[f"victims_{k}_{sex}_{name}"] = s[f"vic_{k}_{sex}_{b}"] * sc
    for k in ("arrests", "arrests_homicide", "arrests_member", "arrests_violent", "arrests_leader", "admissions", "releases"):
        row[k] = s[k] * sc
    inmates = model.inmates
    adults_inside = np.count_nonzero(pop.age_months(t, inmates) >= 216)
    row["incarcerated"] = inmates.size * sc
    row["incarcerated_members"] = np.count_nonzero(pop.group[inmates] >= 0) * sc
    row["prisoners"] = adults_inside * (1 + P.adult_prisoner_ratio) * sc
    row["incarceration_rate"] = row["prisoners"] / model.population * 1e5

    school = pop.school
    row["enrolled_secondary"] = np.count_nonzero(alive & (school == ENROLLED)) * sc
    row["enrolled_tertiary"] = np.count_nonzero(alive & (school == TERTIARY)) * sc
    a12 = pop.age_slices(t, 12, 17)
    row["enrolment_rate_12_17"] = _count(lambda sl: alive[sl] & (school[sl] == ENROLLED), a12) / max(
        _count(lambda sl: alive[sl], a12), 1)
    row["completions"] = s["completions"] * sc
    row["dropouts"] = s["dropouts"] * sc
    a20 = pop.age_slices(t, 20, 24)
    row["completion_rate_20_24"] = _count(lambda sl: alive[sl] & ((school[sl] == 1) | (school[sl] == TERTIARY)), a20) / max(
        _count(lambda sl: alive[sl], a20), 1)
    row["employed"] = np.count_nonzero(pop.employed) * sc
    a15 = pop.age_slices(t, 15, 29)
    row["employment_rate_15_29"] = _count(lambda sl: pop.employed[sl], a15) / max(_count(lambda sl: alive[sl], a15), 1)
    a1524 = pop.age_slices(t, 15, 24)
    row["neet_rate_15_24"] = _count(
        lambda sl: alive[sl] & ~pop.employed[sl] & (school[sl] != ENROLLED) & (school[sl] != TERTIARY), a1524
    ) / max(_count(lambda sl: alive[sl], a1524), 1)
    row["home_violence_rate"] = np.count_nonzero(pop.home_violence & alive) / max(youths, 1)

    row["trafficked_new"] = s["trafficked_new"] * sc
    for sex in SEXES:
        for b, name in enumerate(BAND_NAMES):
            row[f"trafficked_{sex}_{name}"] = s[f"trafficked_{sex}_{b}"] * sc
    row["trafficking_victims"] = model.victims.size * sc
    row["displaced"] = s["displaced"] * sc
    per_youth = model.population / model.profile.youth_population  # people of all ages per youth in a household
    row["displaced_people"] = s["displaced"] * sc * per_youth
    row["displaced_people_female"] = s["displaced_female"] * sc * per_youth
    row["returned_people"] = s["returned"] * sc * per_youth
    row["displaced_stock_people"] = np.count_nonzero(pop.displaced & alive) * sc * per_youth
    row["trafficked_sexual"] = s["trafficked_sexual"] * sc
    row["youths"] = youths * sc
    row["aged_out"] = s["aged_out"] * sc
    row["aged_out_members"] = s["aged_out_members"] * sc
    row["aged_out_inmates"] = s["aged_out_inmates"] * sc
    row["entrants"] = s["entrants"] * sc
    row["deaths"] = s["hom_youth"] * sc
    control = model.hoods.flat("control")
    row["controlled_share"] = float(np.mean(control >= 0))
    row["contested_share"] = float(np.mean(model.rival_conflict > 0))
    active = [g.demand for g in model.group_list if not g.defunct]
    row["mean_demand"] = float(np.mean(active)) if active else 0.0
    for policy in model.policies:
        row.update(policy.month_outputs(model))
    return row


def run_summary(model, df, setup_seconds: float) -> dict:
    """The summary of one run that `recruitsim run --json` prints (last year's flows, end stocks, timing and
    this process's peak memory)."""
    import resource

    last = df.tail(12)
    hom = float(last["homicides"].sum())
    secs = model.step_seconds
    return {
        "country": model.profile.iso3,
        "agents": model.n_agents,
        "months": model.months,
        "burn_in_months": model.burn_in,
        "seconds": round(secs, 3),
        "setup_seconds": round(setup_seconds, 3),
        "agent_steps_per_second": model.n_agents * (model.months + model.burn_in) / max(secs, 1e-9),
        "peak_memory_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0,
        "scale": model.scale,
        "recruits_per_year": float(last["recruits"].sum()),
        "members": float(df["members"].iloc[-1]),
        "member_prevalence_per_1000_youth": float(df["member_prevalence_per_1000"].iloc[-1]),
        "homicide_rate_per_100k": hom / model.population * 1e5,
        "male_share_of_homicide_victims": float(last["homicides_male"].sum() / hom) if hom else None,
        "incarceration_rate_per_100k": float(last["incarceration_rate"].mean()),
        "median_age_at_joining": model.median_age_at_joining,
        "capped_events": dict(model.capped),
        "violent_offences_per_year": float(last["offences_violent"].sum()),
        "property_offences_per_year": float(last["offences_property"].sum()),
        "drug_offences_per_year": float(last["offences_drug"].sum()),
        "homicides_per_year": hom,
        "victims_by_sex": _victim_shares(last),
        "displaced_per_year": float(last["displaced_people"].sum()),
        "displaced_stock": float(df["displaced_stock_people"].iloc[-1]),
        "trafficking_victims_per_year": float(last["trafficked_new"].sum()),
    }


def _victim_shares(last) -> dict:
    """Female and male shares of the victims of violent non-lethal offences (all ages)."""
    total = float(last["victims_violent"].sum())
    if total <= 0:
        return {"female": None, "male": None}
    return {"female": float(last["victims_violent_female"].sum()) / total, "male": float(last["victims_violent_male"].sum()) / total}
