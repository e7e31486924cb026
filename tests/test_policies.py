"""Each policy moves the outcome it acts on in the expected direction (in-model, CRN-paired vs baseline).

The experiment (``policy_runs`` in conftest) runs baseline and one scenario per policy kind with the
same 8 replicate seeds. Per run, flows are totals over the horizon and stocks/rates final-year means
(``scenarios.summary.per_run``). For each (policy, outcome) pair, the paired differences from
baseline must point the expected way with a t statistic beyond 4 (one-sided p < 0.003 with 7 degrees
of freedom) and in at least 7 of the 8 replicates.
"""

from __future__ import annotations

import numpy as np
import pytest

from recruitsim.model.policies import KINDS

from .conftest import POLICY_DOSES

# policy kind -> [(outcome, expected sign of scenario - baseline)]
EXPECTED = {
    # recruits: groups refill with more effort what mentoring withholds (measured -3%, t = -2.8): not checked
    "mentoring": [("arrests_violent", -1), ("arrests", -1), ("offences_violent", -1), ("dropouts", -1)],
    "schooling": [("dropouts", -1), ("completion_rate_20_24", +1), ("enrolment_rate_12_17", +1)],
    "jobs": [("neet_rate_15_24", -1), ("employment_rate_15_29", +1)],
    "family_violence": [("home_violence_rate", -1)],
    "mass_policing": [("incarcerated", +1), ("recruits_prison", +1), ("arrests", +1)],
    # members: groups refill the vacancies arrests open (effort adapts) and jailed members stay members,
    # so focused deterrence moves membership little and its sign is not fixed (measured -2.4%, t = -1.9)
    "focused_deterrence": [("arrests_member", +1), ("incarcerated_members", +1)],
    "hotline": [("arrests_member", +1)],
    "interdiction": [("recruits", -1), ("members", -1), ("mean_demand", -1)],
}


def test_every_policy_kind_is_tested():
    assert set(EXPECTED) == set(KINDS) == set(POLICY_DOSES)


def paired(runs, scenario: str, outcome: str) -> np.ndarray:
    a = runs.loc[scenario][outcome]
    b = runs.loc["baseline"][outcome]
    return (a - b.loc[a.index]).to_numpy(float)


@pytest.mark.parametrize("kind,outcome,sign", [(k, o, s) for k, checks in EXPECTED.items() for o, s in checks])
def test_policy_moves_its_outcome(policy_runs, kind, outcome, sign):
    _, runs = policy_runs
    d = paired(runs, kind, outcome)
    assert d.size == 8
    se = d.std(ddof=1) / np.sqrt(d.size)
    t = d.mean() / se if se > 0 else np.inf * np.sign(d.mean())
    base = runs.loc["baseline"][outcome].mean()
    msg = f"{kind} on {outcome}: paired mean {d.mean():.4g} ({100 * d.mean() / base:+.2f}%), t = {t:.2f}, diffs {d}"
    assert sign * t > 4, msg
    assert np.count_nonzero(np.sign(d) == sign) >= 7, msg


@pytest.mark.parametrize("kind", list(POLICY_DOSES))
def test_policy_costs_are_counted(policy_runs, kind):
    """A policy in the scenario costs money every month it runs; baseline has no policy cost."""
    df, runs = policy_runs
    own = df[df["scenario"] == kind]
    assert (own[f"cost_{kind}"] > 0).all()
    assert (runs.loc["baseline"]["policy_cost"] == 0).all()
    assert (runs.loc[kind]["policy_cost"] > 0).all()


def test_policies_leave_unrelated_processes_alone(policy_runs):
    """Family-violence prevention has no channel into labour: with CRN, NEET moves by well under
    0.1 percentage point (only through knock-on effects), against the jobs programme's ~4 points."""
    _, runs = policy_runs
    fv = np.abs(paired(runs, "family_violence", "neet_rate_15_24")).max()
    jobs = np.abs(paired(runs, "jobs", "neet_rate_15_24")).min()
    assert fv < 0.001 < 0.01 < jobs
