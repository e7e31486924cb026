"""The recruitment / desistance / arrest core written the plain Mesa way: one ``mesa.Agent`` per youth,
activated with ``model.agents.shuffle_do("step")``. Used by ``model_speed.py`` for the speed ratio.

It mirrors ``model/recruitment.py``, ``model/desistance.py`` and the arrest part of ``model/policing.py``
(same risk factors, odds ratios and hazards from ``model.params``), on a population drawn from a real
``RecruitmentModel`` so the two versions start from the same people.
"""

from __future__ import annotations

import math

import mesa

from recruitsim.model import RecruitmentModel
from recruitsim.model.population import DROPPED, ENROLLED, TERTIARY


class Youth(mesa.Agent):
    def __init__(self, model, male, age_m, hood, family, poor, school, employed, hv, kin, group, prior):
        super().__init__(model)
        self.male, self.age_m, self.hood, self.family, self.poor = male, age_m, hood, family, poor
        self.school, self.employed, self.hv, self.kin, self.group, self.prior = school, employed, hv, kin, group, prior
        self.peers: list[Youth] = []
        self.prison_left = 0

    def step(self) -> None:
        m, P = self.model, self.model.p
        r = m.random.random()
        if self.prison_left > 0:
            self.prison_left -= 1
            if self.prison_left == 0:
                self.prior += 1
            return
        if self.group < 0:  # recruitment
            neet = self.school not in (ENROLLED, TERTIARY) and not self.employed and self.age_m >= 180
            band = 0 if self.age_m < 168 else 1 if self.age_m < 216 else 2 if self.age_m < 300 else 3
            odds = P.recruit_base_odds * m.age_or[band]
            if not self.male:
                odds *= P.recruit_or_female
            if neet:
                odds *= P.recruit_or_neet
            if self.school == DROPPED:
                odds *= P.recruit_or_dropout
            if self.hv:
                odds *= P.recruit_or_home_violence
            if self.kin or m.family_members.get(self.family, 0) > 0:
                odds *= P.recruit_or_relatives
            if self.peers:
                share = sum(1 for p in self.peers if p.group >= 0) / len(self.peers)
                odds *= P.recruit_or_peers ** share
            if self.prior > 0:
                odds *= P.recruit_or_prior_prison
            if self.poor:
                odds *= P.recruit_or_poverty
            group = m.hood_group[self.hood]
            if m.controlled[self.hood]:
                odds *= P.recruit_or_presence
            if r < odds / (1 + odds) and group >= 0:
                self.group = group
                m.family_members[self.family] = m.family_members.get(self.family, 0) + 1
                m.recruits += 1
                return
            p_arrest = P.arrest_nonmember * (1.0 if self.male else P.offend_or_female)  # arrests follow offending
        else:  # desistance
            p_exit = P.desistance * (P.desistance_or_age_25 if self.age_m >= 300 else 1.0)
            if self.employed:
                p_exit *= P.desistance_or_employed
            if r < p_exit:
                self.group = -1
                m.family_members[self.family] -= 1
                return
            p_arrest = P.arrest_member
        if m.random.random() < p_arrest:  # arrest and custody
            custody = P.custody_member if self.group >= 0 else P.custody_nonmember
            if m.random.random() < custody:
                mean = P.sentence_member if self.group >= 0 else P.sentence_nonmember
                self.prison_left = 1 + int(math.log(1.0 - m.random.random()) / math.log(1.0 - 1.0 / mean))


class MesaCore(mesa.Model):
    """One Python object per youth; the same three processes, agent by agent."""

    def __init__(self, n_agents: int = 10_000, rng: int = 1):
        super().__init__(rng=rng)
        src = RecruitmentModel("LAC", n_agents=n_agents, years=1, burn_in_years=0, rng=rng, collect=False)
        pop, P = src.pop, src.p
        self.p = P
        self.age_or = [P.recruit_age_10_13, 1.0, P.recruit_age_18_24, P.recruit_age_25_29]
        self.hood_group = [int(g) for g in src.hood_group]
        self.controlled = [bool(c >= 0) for c in src.hoods.flat("control")]
        ages = pop.age_months(0)
        youths = [Youth(self, bool(pop.male[i]), int(ages[i]), int(pop.hood[i]), int(pop.family[i]), bool(pop.poor[i]),
                        int(pop.school[i]), bool(pop.employed[i]), bool(pop.home_violence[i]), bool(pop.adult_kin[i]),
                        int(pop.group[i]), int(pop.prior_prison[i])) for i in range(n_agents)]
        A = src.net.peers
        for i, y in enumerate(youths):
            y.peers = [youths[j] for j in A.indices[A.indptr[i]:A.indptr[i + 1]]]
        self.family_members: dict[int, int] = {}
        for y in youths:
            if y.group >= 0:
                self.family_members[y.family] = self.family_members.get(y.family, 0) + 1
        self.recruits = 0

    def step(self) -> None:
        self.agents_by_type[Youth].shuffle_do("step")
