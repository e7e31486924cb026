"""Organisation labels on a country's groups in a regional run: which of its groups are transnational.

A country model's groups carry an organisation label (``model.group_organisation``, -1 = a local or national
group; ``model/groups.py``). Alone, every group is local. In a regional run each country's groups are labelled
once, after its burn-in, from ``member_share`` in ``region/data/organisations.csv`` (the share of the country's
group members, free and in custody, in the organisation's groups; sources in SOURCES.md):

* the organisations listing the country are taken in order of their share (largest first; ties: row order);
* for each, the country's groups not yet labelled are taken largest first (ties: lower group id), and a group
  gets the label if adding its members brings the labelled share closer to the target; one that would overshoot
  more than it helps is skipped, and a smaller one may still fit.

So the labelled share is within half a group's share of the target (with the default 6 groups of about 1/6 of
the members each, an organisation with a share under about 0.08 gets no group there; more groups, ``n_groups``,
give finer shares). No random draw: the labels follow from the seed through the groups' sizes only, and they
change nothing by themselves (a policy with ``organisations`` reads them: intelligence sharing; and shared
leadership counts the labelled groups' leaders only, ``region.organisations``). Labels stay fixed for the run;
the groups' sizes, and so the labelled share, move with the run (both are reported).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .organisations import organisations


def shares_for(country: str) -> tuple[tuple[int, float], ...]:
    """(label, member share) of each organisation listing ``country``; an organisation's label is its row in
    organisations.csv, from 0."""
    return tuple((i, o.member_share(country)) for i, o in enumerate(organisations()) if country in o.countries)


def assign(members: np.ndarray, shares: Sequence[tuple[int, float]]) -> np.ndarray:
    """Labels (-1: local) of groups with ``members`` members each, by the rule above."""
    members = np.asarray(members, dtype=float)
    labels = np.full(members.size, -1, np.int16)
    total = members.sum()
    if total <= 0:
        return labels
    order = np.lexsort((np.arange(members.size), -members))  # largest first, ties to the lower id
    for label, target in sorted(shares, key=lambda x: (-x[1], x[0])):
        got = 0.0
        for g in order:  # a handful of groups (n_groups <= 30), never agents
            share = members[g] / total
            if labels[g] < 0 and members[g] > 0 and abs(got + share - target) < abs(got - target):
                labels[g] = label
                got += share
    return labels


def group_members(model) -> np.ndarray:
    """Simulated members of each group (free and in custody)."""
    members = model.pop.members()
    return np.bincount(model.pop.group[members].astype(np.int64), minlength=len(model.group_list))


def label_groups(model, shares: Sequence[tuple[int, float]]) -> None:
    """Set ``model.group_organisation`` from the groups' members now."""
    model.group_organisation[:] = assign(group_members(model), shares)


def members_by_label(model, n_labels: int) -> np.ndarray:
    """Members (national scale) of each organisation's groups, label by label, then of the local groups."""
    lab = model.group_organisation.astype(np.int64)
    where = np.where(lab >= 0, lab, n_labels)
    return np.bincount(where, weights=group_members(model), minlength=n_labels + 1) * model.scale


def arrests_by_label(model, n_labels: int) -> np.ndarray:
    """This month's arrests (simulated) of members (row 0) and leaders (row 1) of each label's groups, then the
    local groups' (last column)."""
    lab = model.group_organisation.astype(np.int64)
    where = np.where(lab >= 0, lab, n_labels)
    return np.stack([np.bincount(where, weights=model.member_arrests, minlength=n_labels + 1),
                     np.bincount(where, weights=model.leader_arrests, minlength=n_labels + 1)])


def leaders_by_label(model, n_labels: int) -> list[tuple[float, float]]:
    """For each label: (leader-arrest index, share arrested this month) over the leaders of its groups here.

    The index is the mean of the active policies' multiplier on their arrest risk (1 with none); the share is this
    month's arrests of those groups' leaders over their leaders now. (1, 0) for a label with no leader here."""
    pop = model.pop
    members = pop.members()
    leaders = members[pop.leader[members]]
    lab = model.group_organisation.astype(np.int64)
    own = lab[pop.group[leaders].astype(np.int64)]
    mult = np.broadcast_to(model.effect("arrest_member", leaders) * model.effect("leader_arrest", leaders), leaders.shape)
    ok = own >= 0
    n = np.bincount(own[ok], minlength=n_labels)
    index = np.bincount(own[ok], weights=mult[ok], minlength=n_labels)
    arrested = np.bincount(lab[lab >= 0], weights=model.leader_arrests[lab >= 0], minlength=n_labels)
    return [(float(index[j] / n[j]), float(arrested[j] / n[j])) if n[j] > 0 else (1.0, 0.0) for j in range(n_labels)]


def summary(model, start: np.ndarray, arrests: np.ndarray, country: str) -> dict[str, dict[str, float]]:
    """Per organisation listing ``country`` (and ``local``): groups, members at the start (after the burn-in) and at
    the end (national scale) and their shares of all members, the organisation's target share, and the arrests of
    its groups' members and leaders per year over the run (``arrests``: the monthly ``arrests_by_label`` summed,
    simulated; national scale here)."""
    orgs = organisations()
    end = members_by_label(model, len(orgs))
    per_year = arrests * model.scale * 12.0 / max(model.months, 1)
    lab = model.group_organisation
    out = {}
    for j, o in enumerate([*orgs, None]):
        if o is not None and country not in o.countries:
            continue
        groups = int(np.count_nonzero(lab == j)) if o is not None else int(np.count_nonzero(lab < 0))
        block = _block(groups, start, end, j) | {"member_arrests_per_year": float(per_year[0, j]),
                                                 "leader_arrests_per_year": float(per_year[1, j])}
        if o is not None:
            block["member_share_target"] = o.member_share(country)
        out["local" if o is None else o.name] = block
    return out


def _block(groups: int, start: np.ndarray, end: np.ndarray, j: int) -> dict[str, float]:
    share = lambda v: float(v[j] / v.sum()) if v.sum() > 0 else 0.0  # noqa: E731
    return {"groups": groups, "members_start": float(start[j]), "members_end": float(end[j]),
            "member_share_start": share(start), "member_share_end": share(end)}
