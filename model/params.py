"""Every model parameter: its default, allowed range, unit, meaning and source.

This table is the single source of truth. ``docs/parameters.md`` is generated from it
(``recruitsim params --markdown``) and a test checks that the two agree. Country profiles override a
few inputs; calibration replaces the uncertain ones with posterior draws. Odds ratios ("or_") multiply
odds, so probabilities stay in [0, 1] by construction. Rates "per month" are monthly probabilities.

Source tags are expanded in ``model/data/SOURCES.md`` and ``docs/EVIDENCE.md``. ``GUESS`` marks a
documented guess that calibration or future evidence should replace; its range is deliberately wide.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class Param:
    name: str
    default: float
    low: float
    high: float
    unit: str
    process: str
    meaning: str
    source: str
    integer: bool = False
    #: how the value is uncertain: "point" (a fixed value or design choice), "lognormal(mu=..,sigma=..)",
    #: "uniform(a,b)"; policy parameters take it from model/data/policy_effects.csv
    distribution: str = "point"
    #: evidence grade of a policy parameter: A LAC RCT, B RCT elsewhere or strong LAC quasi-experiment,
    #: C meta-analysis of weaker designs, D expert guess (None: not graded)
    grade: str | None = None
    #: source tags (model/data/SOURCES.md); empty: read them from ``source``
    sources: tuple[str, ...] = ()
    #: values a scenario, sweep or setting may give it, if wider than [low, high] (policy parameters: [low, high]
    #: is the evidence's 90% interval; a scenario may still ask "what if it has no effect?")
    allowed: tuple[float, float] | None = None

    @property
    def bounds(self) -> tuple[float, float]:
        """The values a scenario may set: ``allowed`` or, if not given, ``[low, high]``."""
        return self.allowed if self.allowed is not None else (self.low, self.high)

    @property
    def tags(self) -> tuple[str, ...]:
        """The source tags: ``sources`` or, for model parameters, the tags named in ``source``."""
        if self.sources:
            return self.sources
        words = re.findall(r"\b[A-Z][A-Z0-9_]{2,}\b", self.source)
        return tuple(dict.fromkeys(w for w in words if w == "GUESS" or w in defined_tags()))


@lru_cache(maxsize=1)
def defined_tags() -> frozenset[str]:
    """The source tags listed in model/data/SOURCES.md."""
    text = (Path(__file__).resolve().parent / "data" / "SOURCES.md").read_text(encoding="utf-8")
    return frozenset(re.findall(r"^\| ([A-Z][A-Z0-9_]+) \|", text, re.M))


def _p(name, default, low, high, unit, process, meaning, source, integer=False) -> Param:
    return Param(name, default, low, high, unit, process, meaning, source, integer)


PARAMETERS: dict[str, Param] = {
    p.name: p
    for p in [
        # --- setup: population, places, groups (country inputs are overridden by profiles) ---
        _p("peer_degree", 8, 2, 20, "ties", "setup", "Peer ties per youth (similar age, mostly same neighbourhood)",
           "GUESS (school friendship nominations typically 5-10)", True),
        _p("peer_age_window", 12, 2, 48, "months", "setup", "Largest age difference of a peer tie (ties spread uniformly within it)",
           "GUESS (friends mostly within one or two school grades)", True),
        _p("peer_local_share", 0.85, 0.3, 1.0, "share", "setup", "Share of peer ties inside the own neighbourhood; the rest go to adjacent ones",
           "GUESS (ties are mostly local: DESIGN)"),
        _p("sibling_mean", 2.0, 1.0, 5.0, "youths", "setup", "Mean number of simulated youths (10-29) per family",
           "GUESS"),
        _p("n_groups", 6, 1, 30, "groups", "setup", "Number of criminal groups", "GUESS (e.g. TT 134 gangs, JAM 389, SLV 3 maras: groups here are coalitions)", True),
        _p("territory_share", 0.35, 0.05, 0.9, "share", "setup", "Share of neighbourhoods under group control at the start",
           "GUESS (HTI_UNICEF2024: gangs control ~85% of Port-au-Prince)"),
        _p("poverty_rate", 0.29, 0.03, 0.7, "share", "setup", "Share of youths in poor households",
           "GUESS (ECLAC Social Panorama: ~29% of LAC population poor, 2022; not in project data)"),
        _p("poverty_segregation", 1.0, 0.0, 2.5, "sd (logit)", "setup", "Spread of neighbourhood poverty (sd of logit poverty across neighbourhoods)",
           "GUESS"),
        _p("school_enrolled_at_10", 0.97, 0.8, 1.0, "share", "schooling", "Share of 10-year-olds enrolled in school on entry",
           "GUESS (near-universal primary enrolment in LAC)"),
        _p("completion_rate", 0.658, 0.2, 0.97, "share", "schooling", "Share of 20-24 year-olds with completed secondary (matched by construction)",
           "CEPAL_SEC2021"),
        _p("tertiary_entry", 0.4, 0.05, 0.85, "share", "schooling", "Share of secondary completers who go on to tertiary education (to age 23)",
           "GUESS (LAC gross tertiary enrolment ~50%)"),
        _p("neet_rate", 0.20, 0.04, 0.5, "share", "labour", "Share of 15-24 year-olds neither in school nor employed (matched by construction)",
           "WB_WDI_ILO_2026 (regional: population-weighted mean of country rows)"),
        _p("home_violence_prevalence", 0.30, 0.05, 0.7, "share", "home_violence", "Share of youths exposed to serious violence at home (equilibrium)",
           "PARLAM2025; UNICEF_LAC2022 (2 in 3 children face violent discipline: upper bound)"),
        _p("home_violence_cessation", 0.02, 0.003, 0.1, "per month", "home_violence", "Monthly probability that exposure to home violence ends",
           "GUESS"),
        _p("adult_kin_member_share", 0.03, 0.0, 0.15, "share", "setup", "Share of youths with an adult (30+) relative in a group",
           "GUESS (PARLAM2025: relatives in crime raise joining)"),
        _p("member_prevalence", 0.010, 0.0005, 0.06, "members per youth", "groups", "Members among youths 10-29 at the start; sets the groups' initial capacity",
           "GUESS (PROTON-OC 30 per 10,000 agents; US youth ~2%: Pyrooz & Sweeten 2015; country estimates in data)"),
        # --- schooling ---
        _p("dropout_or_poverty", 1.8, 1.0, 3.5, "odds ratio", "schooling", "Dropout odds ratio for youths in poor households", "GUESS"),
        _p("dropout_or_home_violence", 1.3, 1.0, 2.5, "odds ratio", "schooling", "Dropout odds ratio for youths exposed to home violence", "GUESS"),
        _p("dropout_or_member", 2.5, 1.0, 6.0, "odds ratio", "schooling", "Dropout odds ratio for group members", "GUESS"),
        # --- labour ---
        _p("job_loss", 0.03, 0.005, 0.1, "per month", "labour", "Monthly probability that an employed youth loses the job",
           "GUESS (high youth job turnover in LAC)"),
        _p("job_or_record", 0.6, 0.2, 1.0, "odds ratio", "labour", "Job-finding odds ratio for youths with a prison record (record penalty)",
           "GUESS (record penalties in hiring audit studies)"),
        _p("job_or_member", 0.5, 0.1, 1.0, "odds ratio", "labour", "Job-finding odds ratio for group members", "GUESS"),
        _p("job_or_completed", 1.5, 1.0, 3.0, "odds ratio", "labour", "Job-finding odds ratio for completed secondary", "GUESS"),
        # --- recruitment ---
        _p("recruit_base_odds", 0.0002, 1e-6, 0.01, "odds per month", "recruitment",
           "Monthly odds of joining for a boy 14-17 with no risk factor, a group present and demand 1", "GUESS (calibrated)"),
        _p("recruit_age_10_13", 0.4, 0.05, 1.0, "odds ratio", "recruitment", "Joining odds at 10-13 relative to 14-17",
           "GUESS (HTI_UNICEF2024: many child recruits; joining peaks early teens)"),
        _p("recruit_age_18_24", 0.4, 0.2, 1.2, "odds ratio", "recruitment", "Joining odds at 18-24 relative to 14-17", "GUESS"),
        _p("recruit_age_25_29", 0.15, 0.05, 0.8, "odds ratio", "recruitment", "Joining odds at 25-29 relative to 14-17", "GUESS"),
        _p("recruit_or_female", 0.12, 0.03, 0.4, "odds ratio", "recruitment", "Joining odds ratio for girls and young women",
           "GUESS (PARLAM2025: young men are the majority of recruits)"),
        _p("recruit_or_neet", 1.30, 1.0, 2.5, "odds ratio", "recruitment", "Joining odds ratio for youths 15+ neither in school nor employed",
           "PROTON-OC (unemployed 1.30; Calderoni et al. 2021)"),
        _p("recruit_or_dropout", 1.5, 1.0, 3.0, "odds ratio", "recruitment", "Joining odds ratio for school dropouts",
           "PROTON-OC (education 0.94 -> 1.06 lower bound); GUESS upper"),
        _p("recruit_or_home_violence", 1.5, 1.0, 3.0, "odds ratio", "recruitment", "Joining odds ratio for youths exposed to home violence",
           "PARLAM2025 (qualitative); GUESS size"),
        _p("recruit_or_relatives", 1.45, 1.0, 3.5, "odds ratio", "recruitment", "Joining odds ratio for youths with a relative in a group",
           "PROTON-OC (>50% of family criminal 1.45)"),
        _p("recruit_or_peers", 3.28, 1.0, 8.0, "odds ratio per unit share", "recruitment",
           "Joining odds multiplier when all peers are members (raised to the member share of peers)",
           "PROTON-OC (>50% of friends criminal 1.81; 1.81^2 for a full share)"),
        _p("recruit_or_prior_prison", 1.62, 1.0, 3.0, "odds ratio", "recruitment", "Joining odds ratio after a prior incarceration",
           "PROTON-OC (criminal history 1.62)"),
        _p("recruit_or_poverty", 1.3, 1.0, 2.5, "odds ratio", "recruitment", "Joining odds ratio for youths in poor households",
           "PARLAM2025 (qualitative); GUESS size"),
        _p("recruit_or_presence", 4.0, 1.0, 15.0, "odds ratio", "recruitment", "Joining odds ratio when a group controls the neighbourhood",
           "GUESS"),
        _p("demand_elasticity", 1.5, 0.0, 3.0, "elasticity", "recruitment",
           "How strongly recruitment odds follow a group's capacity/active-members ratio", "GUESS"),
        _p("demand_max", 4.0, 1.0, 10.0, "multiplier", "recruitment", "Ceiling of the demand multiplier on joining odds", "GUESS"),
        # --- groups ---
        _p("leader_share", 0.05, 0.01, 0.2, "share", "groups", "Share of members who are leaders", "GUESS"),
        _p("territory_elasticity", 0.5, 0.0, 2.0, "elasticity", "groups", "Elasticity of group revenue (and capacity) to territory", "GUESS"),
        _p("market_growth", 0.0, -0.2, 0.2, "per year", "groups", "Growth of illicit revenue per territory per year", "GUESS"),
        _p("leader_disruption", 0.3, 0.0, 1.5, "elasticity", "groups", "Elasticity of group capacity to the share of its leaders still free",
           "GUESS (focused deterrence / leader targeting: Braga et al. 2018)"),
        _p("takeover_ratio", 1.5, 1.05, 4.0, "ratio", "groups", "Local strength a rival needs, relative to the owner, to take a neighbourhood", "GUESS"),
        _p("takeover_prob", 0.05, 0.0, 0.3, "per month", "groups", "Monthly probability that a neighbourhood a rival can take changes hands", "GUESS"),
        _p("influence_spill", 0.5, 0.0, 1.0, "share", "groups",
           "Weight of each adjacent neighbourhood a group holds, relative to the cell itself, in its local strength there", "GUESS"),
        _p("territory_rate", 0.05, 0.0, 0.5, "per month", "groups",
           "Cells a group gains (or gives up) per month, per cell held and per unit gap between its workforce and what its territory needs",
           "GUESS"),
        _p("effort_adaptation", 0.1, 0.0, 0.5, "elasticity per month", "groups",
           "How fast a group's recruiting effort adapts to a lasting gap between capacity and workforce (groups refill vacancies)",
           "GUESS (PRIETOCURIEL2023: cartels recruit 350-370 a week to replace losses; FISCALIA_CO2025: growth despite >3,000 captures)"),
        _p("prison_member_weight", 0.5, 0.0, 1.0, "share", "groups",
           "Share of a free member's worth to the group that an imprisoned member keeps (imprisoned members stay members)",
           "GUESS (ESTADAO2018; BBC2006: PCC prisoners stay members, pay no dues; SENASP2012_GAZETA: 46-75% of PCC members in prison)"),
        _p("prison_command", 0.5, 0.0, 1.0, "share", "groups",
           "Share of command an imprisoned leader keeps (orders from prison); the rest counts as a removal for succession conflict",
           "GUESS (BBC2006: PCC orders from cells; LESSING2010_SAS; qualitative)"),
        # --- violence and homicide ---
        _p("member_homicide", 0.0009, 0.0001, 0.005, "per month", "violence", "Monthly homicide risk of a free member away from rival borders",
           "GUESS (calibrated to homicide rate and group-linked share)"),
        _p("conflict_multiplier", 3.0, 0.0, 12.0, "multiplier", "violence", "Extra member risk per unit of rival conflict in the neighbourhood", "GUESS"),
        _p("bystander_homicide", 1.4e-5, 0.0, 1e-4, "per month", "violence", "Monthly group-linked homicide risk of a non-member per unit neighbourhood violence",
           "GUESS (calibrated)"),
        _p("presence_violence", 0.3, 0.0, 1.0, "index", "violence", "Violence index of a controlled neighbourhood without rival conflict", "GUESS"),
        _p("background_homicide", 2.7e-5, 1e-6, 1e-4, "per month", "violence", "Monthly non-group homicide risk of a man 20-24 (interpersonal, other)",
           "GUESS (calibrated; PARLAM2025 male 15-29 rate 53.6 per 100k)"),
        _p("homicide_or_female", 0.10, 0.02, 0.4, "risk ratio", "violence", "Homicide risk of girls and women relative to males",
           "PARLAM2025 (91% of victims male)"),
        _p("homicide_age_10_14", 0.08, 0.0, 0.5, "risk ratio", "violence", "Homicide risk at 10-14 relative to 20-24", "GUESS"),
        _p("homicide_age_15_19", 0.7, 0.2, 1.2, "risk ratio", "violence", "Homicide risk at 15-19 relative to 20-24", "GUESS"),
        _p("homicide_age_25_29", 0.95, 0.5, 1.5, "risk ratio", "violence", "Homicide risk at 25-29 relative to 20-24", "GUESS"),
        _p("adult_homicide_ratio", 1.4, 0.5, 3.0, "ratio", "violence", "Homicides of people outside 10-29 per homicide of a youth 10-29",
           "GUESS (PARLAM2025: male 15-29 rate 53.6 of a 20.2 total)"),
        _p("adult_male_share", 0.90, 0.75, 0.97, "share", "violence", "Male share of adult (30+) homicide victims", "PARLAM2025 (91% overall)"),
        _p("firearm_share_group", 0.85, 0.4, 0.98, "share", "violence", "Share of group-linked homicides by firearm", "JCF2023 (84% by gun); GUESS"),
        _p("firearm_share_other", 0.55, 0.2, 0.9, "share", "violence", "Share of other homicides by firearm", "PARLAM2025 (~70% overall); GUESS"),
        _p("succession_conflict", 0.5, 0.0, 2.0, "index", "violence",
           "Extra conflict in a group's territory after it loses 10% or more of its leaders in a month "
           "(proportionally less for fewer), decaying with succession_halflife",
           "GUESS anchored on CALDERON2015 (+36.5% drug violence for 6 months) and LINDO_PADILLA2015 (+80% homicide for 12+ months)"),
        _p("succession_halflife", 6.0, 1.0, 24.0, "months", "violence", "Half-life of succession conflict after leaders are removed",
           "GUESS (CALDERON2015: 6 months; LINDO_PADILLA2015: 12+ months)"),
        # --- trafficking and sexual exploitation ---
        _p("trafficking_hazard", 1.5e-4, 0.0, 2e-3, "per month", "trafficking", "Monthly risk for a girl 12-17 in a group-controlled neighbourhood",
           "GUESS (PARLAM2025: trafficking where groups operate)"),
        _p("trafficking_or_women", 0.29, 0.05, 1.0, "risk ratio", "trafficking", "Risk of women 18-29 relative to girls 12-17",
           "GLOTIP2024_RADIOVICTORIA; PARLAM2025 (C. America & Caribbean victims 52% girls, 30% women; per age-year); South America 0.82 (GLOTIP2018) in profiles"),
        _p("trafficking_or_male", 0.115, 0.0, 0.5, "risk ratio", "trafficking", "Risk of boys and men 12-29 relative to girls 12-17",
           "PARLAM2025 (C. America & Caribbean 18% male victims; per age-year); South America 0.19 (GLOTIP2018) in profiles"),
        _p("trafficking_or_poverty", 1.5, 1.0, 3.0, "risk ratio", "trafficking", "Risk ratio for youths in poor households", "GUESS"),
        _p("trafficking_sexual_share", 0.62, 0.5, 0.9, "share", "trafficking", "Share of trafficking victims exploited sexually",
           "GLOTIP2024_RADIOVICTORIA (C. America & Caribbean 62%); TRACK4TIP2024; GLOTIP2018 (South America 58%, C. America 87%)"),
        _p("trafficking_duration", 12, 1, 60, "months", "trafficking", "Mean months a victim stays exploited", "GUESS", True),
        # --- displacement ---
        _p("displacement_rate", 0.002, 0.0001, 0.1, "per month", "displacement", "Monthly probability that a family leaves, per unit violence above threshold",
           "GUESS (PARLAM2025: >1.3 million displaced in Haiti)"),
        _p("displacement_threshold", 0.2, 0.0, 1.0, "index", "displacement", "Neighbourhood violence index above which families flee", "GUESS"),
        _p("displacement_return", 0.02, 0.005, 0.06, "per month", "displacement",
           "Monthly probability that a displaced family goes back to its home cell (whatever its violence; it may flee again)",
           "GUESS; the high end is from IOM_DTM2013 (Haiti's post-earthquake camps: 1.5 M to 172,000 in 38 months, about 0.057 a month, "
           "with rental subsidies); protracted conflict displacement (Colombia) is far slower; fitted in HTI (displaced stock target)"),
        # --- offences, offenders and victims ---
        _p("offend_violent", 0.008, 0.001, 0.05, "per month", "offending",
           "Monthly probability of a violent non-lethal offence (assault, threats, violent robbery) by a non-member man 18-20 without risk factors",
           "GUESS (NOTES 1c: violent ~25% of offences; LAPOP2014 17% of adults victimised a year)"),
        _p("offend_property", 0.02, 0.002, 0.1, "per month", "offending",
           "Monthly probability of a property or extortion offence by a non-member man 18-20 without risk factors",
           "GUESS (NOTES 1c: property/extortion ~60% of offences; ENVIPE2024 fraud 21%, robbery 20%, extortion 16%)"),
        _p("offend_drug", 0.006, 0.0, 0.05, "per month", "offending",
           "Monthly probability of a drug-market offence by a non-member man 18-20 without risk factors (no direct victim)",
           "GUESS (NOTES 1c: ~15%; drug crimes 20-21% of prisoners in Brazil and Peru)"),
        _p("offend_or_female", 0.10, 0.05, 0.2, "risk ratio", "offending", "Offending of girls and young women relative to males",
           "GUESS (WFIL2012: 5% of prisoners female; ICESI_ENSI6: 8.3% of denounced offenders female)"),
        _p("offend_or_risk", 1.5, 1.0, 3.0, "risk ratio", "offending", "Offending ratio for youths in poor households or NEET (15+)", "GUESS"),
        _p("offend_member_violent", 4.0, 2.0, 8.0, "risk ratio", "offending", "Violent offending of members relative to non-members",
           "GUESS (PYROOZ_TURANOVIC_WU2016: r = .227; PROTON-OC OR 4.5)"),
        _p("offend_member_property", 2.5, 1.5, 4.0, "risk ratio", "offending", "Property/extortion offending of members relative to non-members",
           "GUESS (PYROOZ_TURANOVIC_WU2016)"),
        _p("offend_member_drug", 8.0, 3.0, 20.0, "risk ratio", "offending", "Drug-market offending of members relative to non-members",
           "GUESS (PYROOZ_TURANOVIC_WU2016; RODRIGUEZ_JMP2023)"),
        _p("victim_male_share_violent", 0.62, 0.5, 0.7, "share", "offending", "Male share of victims of violent non-lethal offences",
           "FORENSIS2008; FORENSIS2006 (Colombia medico-legal injuries 60-64% male)"),
        _p("victim_male_share_property", 0.52, 0.4, 0.65, "share", "offending", "Male share of victims of property and extortion offences",
           "GUESS (ENVIPE2019: men victimised more for most personal crimes)"),
        _p("victim_adult_ratio", 1.2, 0.5, 2.5, "ratio", "offending",
           "Victims outside 10-29 per youth victim of violent and property offences (population share x relative risk)",
           "GUESS (NOTES 1f: 30+ victimised at 1-1.5x their population share relative to youths; not found for LAC)"),
        _p("perpetrator_adult_share", 0.3, 0.0, 0.7, "share", "offending",
           "Share of non-group homicides of youths committed by someone 30+ (not simulated)",
           "GUESS (NOTES 1f: perpetrators' age not found in LAC)"),
        # --- policing, arrest, sentencing, prison ---
        _p("policing_violence_response", 1.0, 0.0, 4.0, "elasticity", "policing", "How much policing intensity rises with neighbourhood violence", "GUESS"),
        _p("arrest_member", 0.012, 0.001, 0.06, "per month", "policing",
           "Monthly arrest probability of a free member man 18-20 at policing intensity 1 at his baseline offending (sets the arrest probability per offence)",
           "GUESS (PROTON-OC 30 arrests per 10,000 per year; calibrated to incarceration)"),
        _p("arrest_nonmember", 0.0010, 0.0, 0.01, "per month", "policing",
           "Monthly arrest probability of a non-member man 18-20 without risk factors at policing intensity 1 (sets the arrest probability per offence)",
           "GUESS (calibrated to incarceration)"),
        _p("arrest_or_juvenile", 0.5, 0.0, 1.0, "risk ratio", "policing", "Arrest probability per offence of non-members 12-17 relative to 18-29", "GUESS"),
        _p("homicide_clearance", 0.35, 0.02, 0.6, "share", "policing", "Probability that a homicide's perpetrator is arrested (author identified and charged)",
           "SOUDAPAZ2023 (Brazil 35%, 32-44%); IMPUNIDADCERO2019 (Mexico 2-11% convicted); UNODC_GSH2019_VIA_IG (Americas 43%)"),
        _p("leader_detection", 0.3, 0.02, 1.0, "risk ratio", "policing", "Arrest risk of leaders relative to rank-and-file members",
           "GUESS (leaders are insulated)"),
        _p("custody_member", 0.7, 0.2, 1.0, "share", "policing", "Share of arrested members sent to prison or pretrial detention",
           "GUESS (pretrial detention widespread: Petrich et al. 2021)"),
        _p("custody_nonmember", 0.45, 0.1, 1.0, "share", "policing", "Share of arrested non-members sent to prison or pretrial detention", "GUESS"),
        _p("sentence_member", 30.0, 6.0, 120.0, "months", "policing", "Mean months in custody of a member", "GUESS"),
        _p("sentence_nonmember", 12.0, 2.0, 60.0, "months", "policing", "Mean months in custody of a non-member", "GUESS"),
        _p("sentence_juvenile", 0.5, 0.1, 1.0, "ratio", "policing", "Custody length of 12-17 year-olds relative to adults", "GUESS"),
        _p("prison_recruitment", 0.02, 0.0, 0.3, "per month", "policing",
           "Monthly joining probability of a non-member inmate when all fellow inmates are members (scales with the member share)",
           "PARLAM2025 (prisons are recruiting grounds); GUESS size"),
        _p("adult_prisoner_ratio", 1.2, 0.4, 3.0, "ratio", "policing", "Prisoners aged 30+ per prisoner aged 18-29", "GUESS"),
        # --- desistance ---
        _p("desistance", 0.015, 0.002, 0.05, "per month", "desistance", "Monthly probability that a free member 10-24 leaves the group",
           "Pyrooz & Sweeten 2015 (US: ~36% annual turnover, upper bound); GUESS for LAC"),
        _p("desistance_or_age_25", 1.5, 1.0, 3.0, "risk ratio", "desistance", "Exit risk at 25-29 relative to younger members", "GUESS"),
        _p("desistance_or_employed", 1.5, 1.0, 3.0, "risk ratio", "desistance", "Exit risk of employed members", "GUESS"),
        _p("desistance_or_leader", 0.3, 0.05, 1.0, "risk ratio", "desistance", "Exit risk of leaders", "GUESS"),
    ]
}


class ParameterError(ValueError):
    """A parameter name is unknown, or its value is of the wrong type or out of its range."""


def check_value(name: str, value: Any, where: str = "parameters") -> float:
    """Validate one parameter value and return it as a number (int for integer parameters)."""
    if name not in PARAMETERS:
        raise ParameterError(f"{where}: unknown parameter '{name}'")
    p = PARAMETERS[name]
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ParameterError(f"{where}: '{name}' must be a number in [{p.low:g}, {p.high:g}], got {value!r}")
    if value != value or not (p.low <= value <= p.high):
        shown = repr(value) if len(repr(value)) <= 40 else f"{repr(value)[:20]}... ({len(repr(value))} digits)"
        raise ParameterError(f"{where}: '{name}' = {shown} is outside its allowed range [{p.low:g}, {p.high:g}]")
    if p.integer:
        if int(value) != value:
            raise ParameterError(f"{where}: '{name}' must be a whole number in [{p.low:g}, {p.high:g}], got {value!r}")
        return int(value)
    return float(value)


class Params:
    """Parameter values with attribute access. Unknown names and out-of-range values raise."""

    __slots__ = ("_values",)

    def __init__(self, overrides: dict[str, Any] | None = None, where: str = "parameters", **kw: Any):
        values = {k: p.default for k, p in PARAMETERS.items()}
        for k, v in {**(overrides or {}), **kw}.items():
            values[k] = check_value(k, v, where)
        object.__setattr__(self, "_values", values)

    def __getattr__(self, name: str) -> Any:
        try:
            return self._values[name]
        except KeyError:
            raise AttributeError(name) from None

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("Params are read-only; use replace()")

    def replace(self, where: str = "parameters", **kw: Any) -> Params:
        return Params({**self._values, **kw}, where=where)

    def as_dict(self) -> dict[str, Any]:
        return dict(self._values)

    def __getstate__(self):
        return self._values

    def __setstate__(self, state):
        object.__setattr__(self, "_values", state)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Params) and self._values == other._values

    def __repr__(self) -> str:
        changed = {k: v for k, v in self._values.items() if v != PARAMETERS[k].default}
        return f"Params({changed})"


def markdown_table() -> str:
    """The parameter provenance table (docs/parameters.md)."""
    lines = [
        "| name | process | meaning | default | range | unit | source |",
        "|---|---|---|---|---|---|---|",
    ]
    for p in PARAMETERS.values():
        lines.append(
            f"| `{p.name}` | {p.process} | {p.meaning} | {p.default:g} | {p.low:g} – {p.high:g} | {p.unit} | {p.source} |"
        )
    return "\n".join(lines) + "\n"
