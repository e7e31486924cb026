"""What a sweep runs: named scenarios, and designs over parameter ranges (grid, Latin hypercube, Sobol).

A sweep is a list of *arms*, each a fully resolved scenario with a unique label (the ``scenario``
column of the results). Named scenarios are arms as they are. A scenario file with a ``[design]``
table is the base of a design: each design point is the base scenario with some model parameters
and/or policy settings set to the point's values::

    description = "Mentoring under uncertain peer influence"
    [[policy]]
    kind = "mentoring"
    coverage = 0.3

    [design]
    method = "lhs"          # "grid" | "lhs" (Latin hypercube) | "sobol" (scrambled Sobol')
    points = 32             # lhs / sobol: number of points (sobol: a power of 2)
    levels = 3              # grid: levels of a factor that gives only a range (default 3)
    seed = 0                # lhs / sobol: seed of the design itself (default 0; not the simulation seed)
    scramble = true         # sobol: Owen scrambling (default true)

    [design.factors]        # model parameters by name, policy settings as "<policy name>.<key>"
    recruit_or_peers = [1.5, 6.0]                                  # a range [low, high]
    recruit_base_odds = { low = 5e-5, high = 8e-4, scale = "log" }  # sampled uniformly in log
    "mentoring.coverage" = { values = [0.1, 0.3, 0.5] }             # grid only: explicit levels
    "mentoring.duration" = { low = 6, high = 24, levels = 4 }       # whole-number keys are rounded

Ranges must lie inside the parameter's allowed range (``recruitsim params --markdown``, or the policy
kind's table in ``model/policies.py``). Point ``i`` is labelled ``<name>@<i>`` (zero-padded).

Paired differences. Every arm is compared with a *reference* run of the baseline in the same
replicate (common random numbers). When a design varies model parameters, the baseline is run at
each distinct combination of those parameter values too (labelled ``baseline@<i>``, ``i`` the first
point with those values), so that a point's difference is the policy effect under the same
parameters, not the parameter change.

A ``[sweep]`` table in the sweep file may give the sweep's defaults (command-line options win)::

    [sweep]
    scenarios = ["mentoring", "jobs"]   # named scenarios to run besides the file's own
    baseline = "baseline"               # reference scenario for paired differences
    country = "HND"
    replicates = 20
    agents = 50000
    years = 10
    burn_in = 5
    seed = 1
"""

from __future__ import annotations

import copy
import itertools
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from recruitsim.model.params import PARAMETERS
from recruitsim.model.policies import KINDS

from . import library
from .library import Scenario, ScenarioError
from .store import slug

METHODS = ("grid", "lhs", "sobol")
DESIGN_KEYS = {"method", "points", "levels", "seed", "scramble", "factors"}
FACTOR_KEYS = {"low", "high", "levels", "values", "scale"}
SWEEP_KEYS = {"scenarios": list, "baseline": str, "country": str, "replicates": int, "agents": int,
              "years": float, "burn_in": float, "seed": int}
MAX_POINTS = 100_000
INTEGER_POLICY_KEYS = {"start", "end", "duration"}


@dataclass(frozen=True)
class Factor:
    """One dimension of a design: a model parameter or a policy setting, with its range."""

    name: str
    low: float
    high: float
    policy: str | None = None  # policy name for a policy setting
    key: str = ""  # parameter name, or the policy's key
    levels: int | None = None
    values: tuple[float, ...] | None = None
    log: bool = False
    integer: bool = False

    def grid(self, default_levels: int) -> list[float]:
        if self.values is not None:
            vals = list(self.values)
        else:
            n = self.levels or default_levels
            vals = list((np.geomspace if self.log else np.linspace)(self.low, self.high, n))
        return list(dict.fromkeys(self.fix(v) for v in vals))

    def scale(self, u: np.ndarray) -> np.ndarray:
        """Map points of [0, 1) to the factor's range (uniformly, or uniformly in log; whole numbers
        equally likely for integer factors)."""
        if self.integer and not self.log:
            lo, hi = math.ceil(self.low), math.floor(self.high)
            return np.minimum(np.floor(lo + np.asarray(u) * (hi - lo + 1)), hi).astype(float)
        if self.log:
            out = np.exp(np.log(self.low) + u * (np.log(self.high) - np.log(self.low)))
        else:
            out = self.low + u * (self.high - self.low)
        return np.array([self.fix(v) for v in out])

    def fix(self, v: float) -> float:
        v = float(v)
        if self.integer:
            return float(min(max(round(v), math.ceil(self.low)), math.floor(self.high)))
        return min(max(v, self.low), self.high)


@dataclass
class Design:
    method: str
    factors: list[Factor]
    points: np.ndarray  # (n_points, n_factors)
    where: str

    @property
    def param_factors(self) -> list[int]:
        return [j for j, f in enumerate(self.factors) if f.policy is None]


@dataclass
class Arm:
    """One scenario variant of a sweep, run for every replicate."""

    label: str
    scenario: Scenario  # resolved; scenario.name == label
    point: int = -1
    factors: dict[str, float] = field(default_factory=dict)
    reference: str | None = None  # label of the arm it is compared with (None: it is a reference)

    def definition(self) -> dict[str, Any]:
        """What determines the arm's results (stored in the sweep manifest)."""
        return {"label": self.label, "point": self.point, "reference": self.reference,
                "factors": self.factors, "params": self.scenario.params, "policies": self.scenario.policy_specs}


@dataclass
class Plan:
    arms: list[Arm]
    baseline: str  # label of the plain baseline arm
    design: Design | None = None
    defaults: dict[str, Any] = field(default_factory=dict)  # from the file's [sweep] table
    source: str = ""

    @property
    def factor_names(self) -> list[str]:
        return [f.name for f in self.design.factors] if self.design else []

    def arm(self, label: str) -> Arm:
        return next(a for a in self.arms if a.label == label)


# ---- parsing ---------------------------------------------------------------------------------------
def _number(v: Any) -> bool:
    """A finite number (not NaN or inf, and not an integer too large for a float)."""
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        return False
    try:
        return math.isfinite(float(v))
    except OverflowError:
        return False


def _bounds(name: str, base: Scenario, where: str) -> tuple[float, float, str | None, str, bool]:
    """Allowed range of a factor: (low, high, policy name, key, integer)."""
    if "." not in name:
        if name not in PARAMETERS:
            raise ScenarioError(f"{where}: unknown factor '{name}': not a model parameter (see `recruitsim params`) "
                                f"and not '<policy name>.<setting>'")
        p = PARAMETERS[name]
        return p.low, p.high, None, name, p.integer
    pname, key = name.split(".", 1)
    spec = next((s for s in base.policy_specs if s.get("name", s["kind"]) == pname), None)
    if spec is None:
        have = ", ".join(s.get("name", s["kind"]) for s in base.policy_specs) or "none"
        raise ScenarioError(f"{where}: factor '{name}': no policy named '{pname}' in this file (policies: {have})")
    kind = KINDS[spec["kind"]]
    allowed = {"start": (0, 1200), "end": (1, 1200), "budget": (0, 1e12)}
    allowed.update({k: p.bounds for k, p in kind.params.items()})
    if key not in allowed:
        raise ScenarioError(f"{where}: factor '{name}': '{key}' is not a numeric setting of a {spec['kind']} policy; "
                            f"allowed: {', '.join(sorted(allowed))}")
    if key == "budget" and "coverage" in spec:
        raise ScenarioError(f"{where}: factor '{name}': policy '{pname}' sets 'coverage'; remove it to vary 'budget'")
    if key == "coverage" and "budget" in spec:
        raise ScenarioError(f"{where}: factor '{name}': policy '{pname}' sets 'budget'; remove it to vary 'coverage'")
    if key in library._DELIVERY and key not in library.LEVEL_FIELDS[kind.level]:
        raise ScenarioError(f"{where}: factor '{name}': '{key}' is not used by {spec['kind']} policies ({kind.level} level); "
                            f"delivery settings it uses: {', '.join(sorted(library.LEVEL_FIELDS[kind.level])) or 'none'}")
    lo, hi = allowed[key]
    return float(lo), float(hi), pname, key, key in INTEGER_POLICY_KEYS


def _factor(name: str, spec: Any, base: Scenario, where: str, method: str) -> Factor:
    w = f"{where}: [design.factors] '{name}'"
    lo_ok, hi_ok, policy, key, integer = _bounds(name, base, f"{where}: [design.factors]")
    rng_txt = f"[{lo_ok:g}, {hi_ok:g}]"
    if isinstance(spec, list):
        spec = {"low": spec[0], "high": spec[1]} if len(spec) == 2 else {"bad": spec}
        if "bad" in spec:
            raise ScenarioError(f"{w} must be [low, high] or a table with low/high or values, got {spec['bad']!r}")
    if not isinstance(spec, dict):
        raise ScenarioError(f"{w} must be [low, high] or a table with keys {', '.join(sorted(FACTOR_KEYS))}, got {spec!r}")
    for k in spec:
        if k not in FACTOR_KEYS:
            raise ScenarioError(f"{w}: unknown key '{k}'; allowed: {', '.join(sorted(FACTOR_KEYS))}")
    scale = spec.get("scale", "linear")
    if scale not in ("linear", "log"):
        raise ScenarioError(f"{w}: 'scale' must be one of linear, log, got {scale!r}")
    values = None
    if "values" in spec:
        if method != "grid":
            raise ScenarioError(f"{w}: 'values' is for method = \"grid\" only; give low and high for {method}")
        if "low" in spec or "high" in spec or "levels" in spec:
            raise ScenarioError(f"{w}: give either 'values' or 'low'/'high'(/'levels'), not both")
        vals = spec["values"]
        if not isinstance(vals, list) or not vals or not all(_number(v) for v in vals):
            raise ScenarioError(f"{w}: 'values' must be a non-empty list of numbers in {rng_txt}, got {library._show(vals)}")
        for v in vals:
            if not lo_ok <= v <= hi_ok:
                raise ScenarioError(f"{w}: value {v!r} is outside the allowed range {rng_txt}")
        values = tuple(float(v) for v in vals)
        low, high = min(values), max(values)
    else:
        for k in ("low", "high"):
            if k not in spec:
                raise ScenarioError(f"{w}: missing '{k}' (the range must lie in {rng_txt})")
            if not _number(spec[k]):
                raise ScenarioError(f"{w}: '{k}' must be a number in {rng_txt}, got {library._show(spec[k])}")
        low, high = float(spec["low"]), float(spec["high"])
        if not (lo_ok <= low < high <= hi_ok):
            raise ScenarioError(f"{w}: range [{low:g}, {high:g}] must have low < high inside the allowed range {rng_txt}")
    levels = spec.get("levels")
    if levels is not None:
        if method != "grid":
            raise ScenarioError(f"{w}: 'levels' is for method = \"grid\" only")
        if isinstance(levels, bool) or not isinstance(levels, int) or not 2 <= levels <= 1000:
            raise ScenarioError(f"{w}: 'levels' must be a whole number in [2, 1000], got {levels!r}")
    if scale == "log" and low <= 0:
        raise ScenarioError(f"{w}: scale = \"log\" needs low > 0, got {low:g}")
    return Factor(name, low, high, policy, key, levels, values, scale == "log", integer)


def parse_design(table: Any, base: Scenario, where: str) -> Design:
    """Validate a ``[design]`` table and compute its points."""
    if not isinstance(table, dict):
        raise ScenarioError(f"{where}: 'design' must be a table ([design])")
    for k in table:
        if k not in DESIGN_KEYS:
            raise ScenarioError(f"{where}: [design] unknown key '{k}'; allowed: {', '.join(sorted(DESIGN_KEYS))}")
    method = table.get("method")
    if method not in METHODS:
        raise ScenarioError(f"{where}: [design] 'method' must be one of {', '.join(METHODS)}, got {method!r}")
    factors_t = table.get("factors")
    if not isinstance(factors_t, dict) or not factors_t:
        raise ScenarioError(f"{where}: [design] needs a [design.factors] table of name = [low, high]")

    def whole(key: str, default: int, lo: int, hi: int) -> int:
        v = table.get(key, default)
        if isinstance(v, bool) or not isinstance(v, int) or not lo <= v <= hi:
            raise ScenarioError(f"{where}: [design] '{key}' must be a whole number in [{lo:,}, {hi:,}], got {library._show(v)}")
        return v

    levels = whole("levels", 3, 2, 1000)
    seed = whole("seed", 0, 0, 2**63 - 1)
    scramble = table.get("scramble", True)
    if not isinstance(scramble, bool):
        raise ScenarioError(f"{where}: [design] 'scramble' must be true or false, got {scramble!r}")
    factors = [_factor(n, s, base, where, method) for n, s in factors_t.items()]
    if method == "grid":
        for k in ("points", "scramble"):
            if k in table:
                raise ScenarioError(f"{where}: [design] '{k}' is not used by method = \"grid\" (use levels or values)")
        axes = [f.grid(levels) for f in factors]
        n = math.prod(len(a) for a in axes)
        if n > MAX_POINTS:
            raise ScenarioError(f"{where}: [design] the grid has {n:,} points; the limit is {MAX_POINTS:,}")
        pts = np.array(list(itertools.product(*axes)), float)
    else:
        if "points" not in table:
            raise ScenarioError(f"{where}: [design] method = \"{method}\" needs 'points' (a whole number)")
        n = whole("points", 0, 1, MAX_POINTS)
        if "levels" in table:
            raise ScenarioError(f"{where}: [design] 'levels' is for method = \"grid\" only")
        from scipy.stats import qmc

        d = len(factors)
        if method == "lhs":
            if "scramble" in table:
                raise ScenarioError(f"{where}: [design] 'scramble' is for method = \"sobol\" only")
            u = qmc.LatinHypercube(d, rng=np.random.default_rng(seed)).random(n)
        else:
            if n & (n - 1):
                raise ScenarioError(f"{where}: [design] 'points' must be a power of 2 for sobol "
                                    f"(e.g. {1 << max(n.bit_length() - 1, 0)} or {1 << n.bit_length()}), got {n}")
            u = qmc.Sobol(d, scramble=scramble, rng=np.random.default_rng(seed)).random_base2(int(math.log2(n)))
        pts = np.column_stack([f.scale(u[:, j]) for j, f in enumerate(factors)])
    return Design(method, factors, pts, where)


def _apply(base: Scenario, factors: list[Factor], values: np.ndarray, label: str, where: str) -> Scenario:
    sc = copy.deepcopy(base)
    sc.name = label
    sc.extra = {}
    for f, v in zip(factors, values, strict=True):
        val: float | int = int(v) if f.integer else float(v)
        if f.policy is None:
            sc.params[f.key] = val
        else:
            spec = next(s for s in sc.policy_specs if s.get("name", s["kind"]) == f.policy)
            spec[f.key] = val
    for i, spec in enumerate(sc.policy_specs):  # e.g. a start factor beyond the file's end
        library._policy_spec(spec, f"{where}: point {label}: policy[{i}]")
    return sc


def design_arms(base: Scenario, design: Design, baseline: Scenario) -> list[Arm]:
    """Arms of a design, each with its reference arm (baseline at the same parameter values)."""
    n = len(design.points)
    width = len(str(max(n - 1, 0)))
    pf = design.param_factors
    arms: list[Arm] = []
    refs: dict[tuple, Arm] = {}
    for i, row in enumerate(design.points):
        label = f"{base.name}@{i:0{width}d}"
        ref_label = baseline.name
        if pf:
            key = tuple(row[j] for j in pf)
            if key not in refs:
                fs = [design.factors[j] for j in pf]
                ref = Arm(f"{baseline.name}@{i:0{width}d}", _apply(baseline, fs, row[pf], f"{baseline.name}@{i:0{width}d}",
                                                                  design.where),
                          i, {f.name: float(v) for f, v in zip(fs, row[pf], strict=True)}, None)
                refs[key] = ref
                arms.append(ref)
            ref_label = refs[key].label
        sc = _apply(base, design.factors, row, label, design.where)
        arms.append(Arm(label, sc, i, {f.name: float(v) for f, v in zip(design.factors, row, strict=True)}, ref_label))
    return arms


def parse_sweep_table(table: Any, where: str) -> dict[str, Any]:
    if not isinstance(table, dict):
        raise ScenarioError(f"{where}: 'sweep' must be a table ([sweep])")
    out: dict[str, Any] = {}
    for k, v in table.items():
        if k not in SWEEP_KEYS:
            raise ScenarioError(f"{where}: [sweep] unknown key '{k}'; allowed: {', '.join(SWEEP_KEYS)}")
        typ = SWEEP_KEYS[k]
        ok = (isinstance(v, list) and all(isinstance(x, str) for x in v)) if typ is list else (
            isinstance(v, str) if typ is str else (_number(v) and (typ is float or int(v) == v)))
        if not ok:
            kind = {list: "a list of scenario names", str: "a string", int: "a whole number", float: "a number"}[typ]
            raise ScenarioError(f"{where}: [sweep] '{k}' must be {kind}, got {library._show(v)}")
        out[k] = v
    return out


def plan(file: str | Path | None = None, scenarios: list[str] | None = None, baseline: str | None = None) -> Plan:
    """Resolve what a sweep runs. With neither a file nor scenario names: the whole library."""
    defaults: dict[str, Any] = {}
    base = design = None
    where = ""
    if file is not None:
        where = str(file)
        base = library.load(file)  # a path, or a library name
        if "sweep" in base.extra:
            defaults = parse_sweep_table(base.extra["sweep"], where)
        if "design" in base.extra:
            design = parse_design(base.extra["design"], base, where)
    names = list(scenarios or [_near(n, file) for n in defaults.get("scenarios", [])])
    if file is None and not names:
        names = library.names()
    ref = library.load(baseline or (_near(defaults["baseline"], file) if "baseline" in defaults else "baseline"))
    if "design" in ref.extra:
        raise ScenarioError(f"{ref.source}: the baseline cannot have a [design] table")
    named: list[Scenario] = []
    for nm in names:
        sc = library.load(nm)
        if "design" in sc.extra:
            raise ScenarioError(f"{sc.source}: has a [design] table; pass it as the sweep FILE, not with --scenario")
        named.append(sc)
    if base is not None and design is None and not (defaults.get("scenarios") and not base.policy_specs and not base.params):
        named.append(base)  # the file is a scenario too (unless it only lists scenarios to sweep)
    arms: list[Arm] = []
    if design is not None:
        arms = design_arms(base, design, ref)
    needs_plain = bool(named) or any(a.reference == ref.name for a in arms)
    plain = [Arm(ref.name, ref)] if needs_plain else []
    for sc in named:
        if sc.name != ref.name or _definition(sc) != _definition(ref):
            plain.append(Arm(sc.name, sc, reference=ref.name))
    arms = plain + arms
    seen: dict[str, Arm] = {}
    for a in arms:
        key = slug(a.label)
        if key in seen:
            same = "named" if seen[key].label == a.label else f"named '{seen[key].label}' and"
            raise ScenarioError(f"{a.scenario.source or where}: two scenarios of the sweep are {same} '{a.label}' "
                                f"(also {seen[key].scenario.source}); give one a distinct 'name'")
        seen[key] = a
    return Plan(arms, ref.name, design, defaults, where)


def _near(name: str, file: str | Path | None) -> str:
    """A .toml path in a sweep file's [sweep] table is relative to that file."""
    if file is not None and name.endswith(".toml") and not Path(name).is_absolute():
        near = Path(file).parent / name
        if near.exists():
            return str(near)
    return name


def _definition(sc: Scenario) -> tuple:
    return (repr(sorted(sc.params.items())), repr(sc.policy_specs))
