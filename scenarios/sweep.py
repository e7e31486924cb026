"""``recruitsim sweep``: many scenarios x replicates, with common random numbers, into a resumable store.

    recruitsim sweep [FILE.toml] [--scenario NAME ...] --country C --replicates R --agents N --years Y
                     --seed S --out DIR [--workers W | --dask-local W | --scheduler ADDRESS]

What runs (``designs.plan``): the named scenarios (``--scenario``, repeatable; a library name or a
``.toml`` path), the scenario FILE, or, if FILE has a ``[design]`` table, its grid / Latin hypercube /
Sobol points (format: ``scenarios/designs.py`` and ``docs/sweeps.md``). With neither, the whole
library. The baseline (``--baseline``, default ``baseline``) is always run as the reference of the
paired differences.

How: every (scenario, replicate) *unit* of replicate ``r`` uses the seed ``replicate_seed(seed, r)``
(common random numbers). Units that share a burn-in (same replicate and model parameters) are run
together: one burn-in, then a copy of the model per scenario (``runner.run_group``; bit-identical to
separate runs, ``--no-burn-in-reuse`` turns it off). Tasks go to an ``Engine`` (local processes by
default, all cores; or Dask); each finished unit is written atomically to the store
(``scenarios/store.py``). Running the same command again skips finished units, so a sweep killed
in any way resumes to exactly the dataset of an uninterrupted run; the store's manifest refuses a
resume with other settings. At the end, the summary (``scenarios/summary.py``) is printed and
written to ``DIR/_summary.csv``.
"""

from __future__ import annotations

import json
import math
import sys
import time
import traceback
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from recruitsim.model import effects as effect_sets
from recruitsim.model.model import MAX_AGENTS

from . import library, provenance, store, summary
from .designs import Arm, Plan
from .engine import Engine
from .progress import Progress
from .runner import Unit, run_group, run_unit

DEFAULTS: dict[str, Any] = {"country": "LAC", "replicates": 10, "agents": 50_000, "years": 10.0, "burn_in": 5.0, "seed": 1}
LIMITS: dict[str, tuple[float, float]] = {"replicates": (1, 100_000), "agents": (100, MAX_AGENTS), "years": (1 / 12, 100),
                                          "burn_in": (0, 100), "seed": (0, 2**62)}
EXAMPLES = """examples:
  recruitsim sweep --out results/library                                  # the whole library, 10 replicates
  recruitsim sweep --scenario mentoring,jobs --country HND --replicates 20 --out results/hnd --workers 2
  recruitsim sweep scenarios/sweeps/mentoring_coverage.toml --out results/grid --dask-local 2
  recruitsim sweep scenarios/sweeps/mentoring_uncertainty.toml --dry-run --out results/lhs
"""
MAX_GROUP = 8  # scenarios sharing one burn-in in one task (bounds the work lost to a crash)


class SweepError(Exception):
    """A sweep could not finish (a run failed); finished units stay on disk."""


@dataclass(frozen=True)
class Settings:
    country: str = "LAC"
    replicates: int = 10
    agents: int = 50_000
    years: float = 10.0
    burn_in: float = 5.0
    seed: int = 1


def resolve_settings(cli: dict[str, Any], plan: Plan) -> Settings:
    """Command-line values win over the file's ``[sweep]`` table, which wins over the defaults."""
    from recruitsim.model.profiles import get_profile

    out = {}
    for k, default in DEFAULTS.items():
        v = cli.get(k)
        if v is None and k in plan.defaults:
            v = plan.defaults[k]
            if k == "country":
                try:
                    v = get_profile(v).iso3
                except KeyError:
                    raise library.ScenarioError(f"{plan.source}: [sweep] 'country': unknown country '{v}'") from None
            else:
                lo, hi = LIMITS[k]
                if not lo <= v <= hi:
                    raise library.ScenarioError(f"{plan.source}: [sweep] '{k}' = {v!r} is outside [{lo:g}, {hi:g}]")
        out[k] = default if v is None else v
    for k in ("replicates", "agents", "seed"):
        out[k] = int(out[k])
    for k in ("years", "burn_in"):
        out[k] = float(out[k])
    return Settings(**out)


# ---- units and tasks --------------------------------------------------------------------------------
def make_units(plan: Plan, st: Settings) -> list[tuple[Arm, Unit]]:
    """All (arm, unit) pairs, replicate by replicate."""
    return [(arm, Unit(arm.scenario, r, st.country, st.agents, st.years, st.burn_in, st.seed, {}, arm.point))
            for r in range(st.replicates) for arm in plan.arms]


def make_tasks(units: list[Unit], workers: int, reuse: bool = True, max_group: int = MAX_GROUP) -> list[tuple[Unit, ...]]:
    """Group units that share a burn-in into tasks of at most ``max_group``, split further so that
    there are at least 2 tasks per worker when possible. Without ``reuse``, one unit per task."""
    if not reuse:
        return [(u,) for u in units]
    groups: dict[str, list[Unit]] = {}
    for u in units:
        groups.setdefault(u.burn_in_key(), []).append(u)
    tasks: list[list[Unit]] = []
    for g in groups.values():
        k = math.ceil(len(g) / max_group)
        size = math.ceil(len(g) / k)
        tasks.extend(g[i:i + size] for i in range(0, len(g), size))
    while len(tasks) < 2 * workers:
        i = max(range(len(tasks)), key=lambda j: len(tasks[j]), default=None)
        if i is None or len(tasks[i]) < 2:
            break
        t = tasks.pop(i)
        half = (len(t) + 1) // 2
        tasks[i:i] = [t[:half], t[half:]]
    return [tuple(t) for t in tasks]


def run_task(units: tuple[Unit, ...]) -> list[pd.DataFrame]:
    """What a worker runs: a group of units (one burn-in) or a single unit."""
    try:
        return run_group(units) if len(units) > 1 else [run_unit(units[0])]
    except Exception as e:
        names = ", ".join(u.scenario_name for u in units)
        raise RuntimeError(f"run of {names} (replicate {units[0].replicate}) failed: {type(e).__name__}: {e}") from e


def output_columns(country: str, arms: list[Arm]) -> list[str]:
    """The store's columns after the ids: the model's outputs, then each policy's own columns.

    Found by running one month of a 100-agent model per distinct policy (a few hundredths of a second).
    """
    from recruitsim.model import RecruitmentModel
    from recruitsim.model.policies import Policy

    def probe(policies: list[Policy]) -> list[str]:
        m = RecruitmentModel(country, n_agents=100, years=1 / 12, burn_in_years=0, policies=policies, rng=0, collect=False, draw=None)
        return list(m.run().columns)

    base = probe([])
    extra: list[str] = []
    seen: set[tuple[str, str]] = set()
    for arm in arms:
        for spec in arm.scenario.policy_specs:
            key = (spec["kind"], spec.get("name", spec["kind"]))
            if key not in seen:
                seen.add(key)
                extra.extend(c for c in probe([Policy(kind=key[0], name=key[1])]) if c not in base and c not in extra)
    return base + extra


def manifest(plan: Plan, st: Settings, columns: list[str]) -> dict[str, Any]:
    # the policy effects mode is part of the settings: a --point-effects sweep never resumes a drawn one
    m = {"format": store.FORMAT, "code": store.code_version(), "posteriors": store.posterior_fingerprint(st.country),
         "settings": {**asdict(st), "baseline": plan.baseline, "effects": effect_sets.mode()},
         "arms": [a.definition() for a in plan.arms], "factors": plan.factor_names, "columns": columns,
         "design": None if plan.design is None else {"method": plan.design.method, "source": plan.source},
         "versions": provenance.versions()}
    return json.loads(provenance.dumps(m))


def design_table(plan: Plan) -> pd.DataFrame:
    rows = [{"scenario": a.label, "point": a.point, "reference": a.reference or "", "description": a.scenario.description,
             **a.factors} for a in plan.arms]
    return pd.DataFrame(rows).reindex(columns=["scenario", "point", "reference", "description", *plan.factor_names])


# ---- progress -----------------------------------------------------------------------------------------

# ---- the sweep -----------------------------------------------------------------------------------------
@dataclass
class Result:
    units: int
    skipped: int
    ran: int
    seconds: float
    complete: bool
    summary: pd.DataFrame | None
    engine: str


def run_sweep(plan: Plan, st: Settings, out: str | Path, engine: dict[str, Any] | None = None, *, reuse: bool = True,
              progress: bool = True, summarise: bool = True, log: Callable[[str], Any] | None = None) -> Result:
    """Run (or resume) a sweep into ``out``. Raises ``store.StoreError`` for an unusable directory and
    ``SweepError`` if a run fails; KeyboardInterrupt propagates. Finished units are on disk either way."""
    log = log or (lambda msg: print(msg, file=sys.stderr, flush=True))
    engine = engine or {}
    columns = output_columns(st.country, plan.arms)
    pairs = make_units(plan, st)
    arm_of = {a.label: a for a in plan.arms}
    names = {store.unit_file(a.label, u.replicate) for a, u in pairs}
    with store.Store(out) as db:
        resumed = db.open(manifest(plan, st, columns), names, log)
        try:
            db.write_csv(store.DESIGN, design_table(plan))
        except OSError as e:
            raise store.StoreError(f"--out: cannot write to '{db.path}' ({e.strerror or e})") from None
        done = db.done()
        todo = [u for a, u in pairs if store.unit_file(a.label, u.replicate) not in done]
        skipped = len(pairs) - len(todo)
        what = f"{len(plan.arms)} scenario{'s' * (len(plan.arms) > 1)} x {st.replicates} replicate{'s' * (st.replicates > 1)}"
        log(f"sweep: {what} = {len(pairs)} runs of {st.agents:,} agents x {st.years:g} years ({st.country}, seed {st.seed})"
            + (f"; resuming: {skipped} already done" if resumed else "") + f"; store: {db.path}")
        tic = time.perf_counter()
        desc = "nothing to run"
        if not todo:
            log(f"sweep: all {len(pairs)} runs are already done")
        else:
            with Engine(**engine) as eng:
                desc = eng.description
                tasks = make_tasks(todo, eng.workers, reuse)
                log(f"sweep: {len(todo)} runs in {len(tasks)} tasks on {desc}"
                    + (" (burn-in shared by the scenarios of a task)" if reuse and len(tasks) < len(todo) else ""))
                bar = Progress(len(pairs), skipped, progress)
                try:
                    for task, dfs in eng.map(run_task, tasks):
                        for unit, df in zip(task, dfs, strict=True):
                            arm = arm_of[unit.scenario_name]
                            db.write_unit(arm.label, unit.replicate,
                                          store.conform(df, columns, arm.factors, plan.factor_names,
                                                        arm.point if plan.design is not None else None))
                        bar.update(len(task))
                except (KeyboardInterrupt, store.StoreError):
                    raise
                except OSError as e:  # the store cannot be written (e.g. the disk is full)
                    n = len(db.done() & names)
                    raise store.StoreError(f"--out: cannot write to '{db.path}' ({e.strerror or e}); {n} of {len(pairs)} "
                                           f"runs are on disk; free space and rerun the same command to resume") from None
                except Exception as e:
                    log_path = db.path / store.ERRORS
                    try:
                        log_path.write_text("".join(traceback.format_exception(e)))
                        where = f"traceback in {log_path}"
                    except OSError as e2:
                        where = f"no traceback written: {e2.strerror or e2}"
                    n = len(db.done() & names)
                    raise SweepError(f"{e} ({n} of {len(pairs)} runs are on disk; {where}; "
                                     f"rerun the same command to resume)") from e
                finally:
                    bar.close()
        seconds = time.perf_counter() - tic
        summ = None
        complete = len(db.done() & names) == len(pairs)
        if complete:
            (db.path / store.ERRORS).unlink(missing_ok=True)  # from an earlier, failed attempt
        if complete and summarise:
            df = db.read()
            summ = summary.summarise(df, {a.label: a.reference for a in plan.arms}, plan.factor_names)
            try:
                db.write_csv(store.SUMMARY, summ)
            except OSError as e:
                raise store.StoreError(f"--out: all {len(pairs)} runs are on disk but the summary could not be written to "
                                       f"'{db.path}' ({e.strerror or e}); free space and rerun the same command") from None
        return Result(len(pairs), skipped, len(todo), seconds, complete, summ, desc)
