"""The scenario library: named policy packages in TOML files, validated on load.

The library is the set of ``scenarios/*.toml`` files, one scenario each, named by the file stem
(``baseline`` included). A scenario file (in the library, or any path) holds::

    description = "CBT mentoring for 30% of eligible boys 14-17"
    [params]                 # optional model-parameter overrides (names: docs/parameters.md)
    recruit_or_neet = 1.5
    [[policy]]               # zero or more policies
    kind = "mentoring"       # mentoring | schooling | jobs | family_violence | mass_policing |
                             # focused_deterrence | hotline | interdiction
    name = "bam"             # optional, defaults to the kind
    start = 0                # first month after the burn-in (default 0)
    end = 60                 # month it stops (default: the horizon)
    coverage = 0.3           # share of the eligible (or of cells, for area policies)
    budget = 5e6             # or: USD per year, instead of coverage
    targeting = "risk"       # risk | geographic | universal
    offending_violent = 0.5  # any effect size or cost of the kind (ranges in docs/parameters.md)

Anything unknown, of the wrong type or out of range raises ``ScenarioError`` naming the file, the key
and what is allowed. Other top-level tables (such as ``[design]`` for sweeps) are read by the tools
that use them and must be declared in ``EXTRA_TABLES``.
"""

from __future__ import annotations

import difflib
import tomllib
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from recruitsim.model.params import PARAMETERS, ParameterError, check_value
from recruitsim.model.policies import KINDS, TARGETING, Policy

POLICY_FIELDS = {"kind", "name", "start", "end", "coverage", "budget", "targeting"}
EXTRA_TABLES: set[str] = {"design", "sweep"}  # read by scenarios.sweep


class ScenarioError(ValueError):
    """A scenario file or name is invalid; the message names the file, the key and what is allowed."""


def _hint(key: str, allowed) -> str:
    close = difflib.get_close_matches(key, list(allowed), n=1, cutoff=0.75)
    return f" (did you mean '{close[0]}'?)" if close else ""


@dataclass
class Scenario:
    name: str
    description: str = ""
    params: dict[str, float] = field(default_factory=dict)
    policy_specs: list[dict[str, Any]] = field(default_factory=list)
    source: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    def policies(self) -> list[Policy]:
        """Fresh Policy objects (each model run needs its own)."""
        out = []
        for spec in self.policy_specs:
            settings = {k: v for k, v in spec.items() if k not in POLICY_FIELDS or k == "coverage"}
            fields = {k: v for k, v in spec.items() if k in POLICY_FIELDS and k != "coverage"}
            out.append(Policy(settings=settings, **fields))
        return out


def library_dir() -> Path:
    return Path(str(resources.files("recruitsim.scenarios")))


def names() -> list[str]:
    """Names of the scenarios in the library, baseline first."""
    found = sorted(p.stem for p in library_dir().glob("*.toml"))
    return ["baseline", *[n for n in found if n != "baseline"]]


def load(name_or_path: str | Path) -> Scenario:
    """A library scenario by name, or a scenario file by path.

    A bare name (no ``.toml`` suffix, no folder) always means the library, so a file or folder of the
    same name in the current directory never silently replaces a library scenario; files are named by
    their path (``./x.toml``, ``dir/x``) or their ``.toml`` suffix.
    """
    text = str(name_or_path)
    p = Path(text)
    if p.suffix == ".toml" or isinstance(name_or_path, Path) or "/" in text or "\\" in text:
        return load_file(p)
    path = library_dir() / f"{text}.toml"
    if not path.exists():
        hint = f" (to use the file '{text}', give its path: ./{text})" if p.exists() else ""
        raise ScenarioError(f"unknown scenario '{text}'{hint}; the library has: {', '.join(names())}")
    return load_file(path)


def load_file(path: str | Path) -> Scenario:
    path = Path(path)
    where = str(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ScenarioError(f"{where}: file not found") from None
    except OSError as e:
        raise ScenarioError(f"{where}: cannot read ({e.strerror})") from None
    except tomllib.TOMLDecodeError as e:
        raise ScenarioError(f"{where}: not valid TOML ({e})") from None
    return parse(data, where, default_name=path.stem)


def parse(data: dict[str, Any], where: str, default_name: str = "scenario") -> Scenario:
    allowed = {"name", "description", "params", "policy", *EXTRA_TABLES}
    for key in data:
        if key not in allowed:
            raise ScenarioError(f"{where}: unknown key '{key}'{_hint(key, allowed)}; allowed: {', '.join(sorted(allowed))}")
    name = data.get("name", default_name)
    desc = data.get("description", "")
    for key, val in (("name", name), ("description", desc)):
        if not isinstance(val, str):
            raise ScenarioError(f"{where}: '{key}' must be a string, got {type(val).__name__}")
    params = data.get("params", {})
    if not isinstance(params, dict):
        raise ScenarioError(f"{where}: 'params' must be a table of parameter = number")
    for k, v in params.items():
        try:
            check_value(k, v, where=f"{where}: params")
        except ParameterError as e:
            extra = f"{_hint(k, PARAMETERS)}; the names are listed by `recruitsim params`" if k not in PARAMETERS else ""
            raise ScenarioError(f"{e}{extra}") from None
    raw = data.get("policy", [])
    if not isinstance(raw, list):
        raise ScenarioError(f"{where}: 'policy' must be an array of tables ([[policy]])")
    specs = [_policy_spec(p, f"{where}: policy[{i}]") for i, p in enumerate(raw)]
    seen = set()
    for s in specs:
        nm = s.get("name", s["kind"])
        if nm in seen:
            raise ScenarioError(f"{where}: two policies are named '{nm}'; give each a distinct 'name'")
        seen.add(nm)
    extra = {k: data[k] for k in EXTRA_TABLES if k in data}
    return Scenario(name, desc, dict(params), specs, where, extra)


def _policy_spec(p: Any, where: str) -> dict[str, Any]:
    if not isinstance(p, dict):
        raise ScenarioError(f"{where}: each [[policy]] must be a table")
    kind = p.get("kind")
    if kind not in KINDS:
        raise ScenarioError(f"{where}: 'kind' must be one of {', '.join(KINDS)}, got {kind!r}")
    k = KINDS[kind]
    allowed = POLICY_FIELDS | set(k.params)
    for key, v in p.items():
        if key not in allowed:
            raise ScenarioError(f"{where}: unknown key '{key}' for a {kind} policy{_hint(key, allowed)}; "
                                f"allowed: {', '.join(sorted(allowed))}")
        if key in ("kind", "name", "targeting"):
            if not isinstance(v, str):
                raise ScenarioError(f"{where}: '{key}' must be a string")
            if key == "targeting" and v not in TARGETING:
                raise ScenarioError(f"{where}: 'targeting' must be one of {', '.join(TARGETING)}, got '{v}'")
            continue
        if isinstance(v, bool) or not isinstance(v, (int, float)) or v != v:
            what = {"start": "a whole month in [0, 1200]", "end": "a whole month in [0, 1200]",
                    "budget": "a number of USD per year in [0, 1e12]"}.get(key)
            if what is None:
                what = "a number in [{:g}, {:g}]".format(*k.params[key].bounds)
            raise ScenarioError(f"{where}: '{key}' must be {what}, got {v!r}")
        if key in ("start", "end"):
            if int(v) != v or v < 0 or v > 1200:
                raise ScenarioError(f"{where}: '{key}' must be a whole month in [0, 1200], got {v!r}")
        elif key == "budget":
            if not 0 <= v <= 1e12:
                raise ScenarioError(f"{where}: 'budget' must be in [0, 1e12] USD per year, got {v!r}")
        else:
            lo, hi = k.params[key].bounds  # policy effects: the evidence's 90% interval or a wider design range
            if not lo <= v <= hi:
                raise ScenarioError(f"{where}: '{key}' = {v!r} is outside its allowed range [{lo:g}, {hi:g}]")
    if "end" in p and p["end"] <= p.get("start", 0):
        raise ScenarioError(f"{where}: 'end' ({p['end']}) must be after 'start' ({p.get('start', 0)})")
    if "budget" in p and "coverage" in p:
        raise ScenarioError(f"{where}: give either 'coverage' or 'budget', not both")
    return dict(p)
