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
and what is allowed, and so do settings a policy's delivery level does not use (``LEVEL_FIELDS``:
area policies choose cells by violence, so no ``targeting``, ``duration`` or ``fade``; national
policies act everywhere, so none of ``coverage``, ``budget``, ``targeting``, ``duration``, ``fade``),
``duration`` that is not a whole number of months, an empty file, and files that are not regular
files or are larger than ``MAX_FILE_BYTES`` (a scenario is a few hundred bytes; ``/dev/zero`` or a
FIFO would be read forever). Other top-level tables (such as ``[design]`` for sweeps) are read by the tools
that use them and must be declared in ``EXTRA_TABLES``.
"""

from __future__ import annotations

import difflib
import math
import os
import stat
import tomllib
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from recruitsim.model.params import PARAMETERS, ParameterError, check_value
from recruitsim.model.policies import KINDS, TARGETING, Policy

POLICY_FIELDS = {"kind", "name", "start", "end", "coverage", "budget", "targeting"}
#: regional targeting of a policy (read by ``recruitsim.region``; refused by single-country commands):
#: ``countries`` = ISO3 codes the policy acts in, ``route`` = the trafficking route an interdiction acts on
REGION_FIELDS = {"countries", "route"}
#: policy fields set by ``recruitsim.region`` only (never read from a file): ``organisations`` = the organisation
#: labels of the groups whose members the policy reaches (``model.policies.Policy.organisations``)
INTERNAL_FIELDS = {"organisations"}
#: the optional ``[region]`` table of a regional scenario (flow-model settings, read by ``recruitsim.region``)
REGION_TABLE = "region"
#: settings each delivery level reads (model/policies.py): the others are refused, not ignored
_DELIVERY = {"coverage", "budget", "targeting", "duration", "fade"}
LEVEL_FIELDS = {"individual": _DELIVERY, "area": {"coverage", "budget"}, "national": set()}
MAX_FILE_BYTES = 1_000_000
MAX_NAME = 200
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
            settings = {k: v for k, v in spec.items()
                        if (k not in POLICY_FIELDS or k == "coverage") and k not in REGION_FIELDS | INTERNAL_FIELDS}
            fields = {k: v for k, v in spec.items() if (k in POLICY_FIELDS and k != "coverage") or k in INTERNAL_FIELDS}
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
    if not text.strip():
        raise ScenarioError(f"empty scenario name; give a library name ({', '.join(names())}) or a .toml path")
    if "\0" in text:
        raise ScenarioError("scenario name contains a NUL character")
    p = Path(text)
    if p.suffix == ".toml" or isinstance(name_or_path, Path) or "/" in text or "\\" in text:
        return load_file(p)
    path = library_dir() / f"{text}.toml"
    if text not in names():
        try:
            here = p.exists()
        except (OSError, ValueError):
            here = False
        hint = f" (to use the file '{text[:200]}', give its path: ./{text[:200]})" if here else ""
        text = text if len(text) <= 200 else text[:200] + "..."
        raise ScenarioError(f"unknown scenario '{text}'{hint}; the library has: {', '.join(names())}")
    return load_file(path)


def load_file(path: str | Path) -> Scenario:
    path = Path(path)
    where = str(path) if len(str(path)) <= 300 else str(path)[:300] + "..."
    try:
        # O_NONBLOCK: opening a FIFO must not wait for a writer; it is refused below as not a regular file
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
        try:
            st = os.fstat(fd)
            if not stat.S_ISREG(st.st_mode):
                raise ScenarioError(f"{where}: not a regular file; give a .toml scenario file")
            if st.st_size > MAX_FILE_BYTES:
                raise ScenarioError(f"{where}: {st.st_size:,} bytes is too large for a scenario file "
                                    f"(limit {MAX_FILE_BYTES:,})")
            raw = os.read(fd, MAX_FILE_BYTES + 1)
        finally:
            os.close(fd)
    except ScenarioError:
        raise
    except FileNotFoundError:
        raise ScenarioError(f"{where}: file not found") from None
    except IsADirectoryError:
        raise ScenarioError(f"{where}: is a directory; give a .toml scenario file") from None
    except OSError as e:
        raise ScenarioError(f"{where}: cannot read ({e.strerror or e})") from None
    except ValueError as e:  # e.g. an embedded NUL in the path
        raise ScenarioError(f"{where}: not a usable path ({e})") from None
    if not raw.strip():
        raise ScenarioError(f"{where}: the file is empty; a scenario needs at least a description "
                            f"(see docs/sweeps.md); the baseline is 'baseline'")
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as e:
        raise ScenarioError(f"{where}: not UTF-8 text (byte {e.start}); save the file as UTF-8") from None
    except tomllib.TOMLDecodeError as e:
        raise ScenarioError(f"{where}: not valid TOML ({' '.join(str(e).split())})") from None
    except RecursionError:
        raise ScenarioError(f"{where}: not valid TOML (nested too deeply)") from None
    return parse(data, where, default_name=path.stem)


def parse(data: dict[str, Any], where: str, default_name: str = "scenario") -> Scenario:
    allowed = {"name", "description", "params", "policy", REGION_TABLE, *EXTRA_TABLES}
    for key in data:
        if key not in allowed:
            raise ScenarioError(f"{where}: unknown key '{key}'{_hint(key, allowed)}; allowed: {', '.join(sorted(allowed))}")
    name = data.get("name", default_name)
    desc = data.get("description", "")
    for key, val in (("name", name), ("description", desc)):
        if not isinstance(val, str):
            raise ScenarioError(f"{where}: '{key}' must be a string, got {type(val).__name__}")
    if not name.strip():
        raise ScenarioError(f"{where}: 'name' must not be empty")
    if len(name) > MAX_NAME:
        raise ScenarioError(f"{where}: 'name' is {len(name):,} characters long; the limit is {MAX_NAME}")
    if any(ord(c) < 32 or ord(c) == 127 for c in name):
        raise ScenarioError(f"{where}: 'name' must not contain control characters (tabs, new lines, ...)")
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
    extra = {k: data[k] for k in (*sorted(EXTRA_TABLES), REGION_TABLE) if k in data}
    if REGION_TABLE in extra and not isinstance(extra[REGION_TABLE], dict):
        raise ScenarioError(f"{where}: '[{REGION_TABLE}]' must be a table of setting = value")
    return Scenario(name, desc, dict(params), specs, where, extra)


_LEVEL_WHY = {"individual": "enrols youths", "area": "acts in the most violent cells, re-chosen each year",
              "national": "acts everywhere"}


def _finite(v: Any) -> bool:
    """A number that converts to a finite float (not NaN, not inf, not a 400-digit integer)."""
    try:
        return math.isfinite(float(v))
    except (OverflowError, ValueError, TypeError):
        return False


def _show(v: Any) -> str:
    r = repr(v)
    return r if len(r) <= 40 else r[:20] + "..." + f" ({len(r)} characters)"


def check_horizon(sc: Scenario, months: int, where: str = "") -> None:
    """Refuse a policy that starts at or after the end of the run (it would silently do nothing)."""
    for i, spec in enumerate(sc.policy_specs):
        start = int(spec.get("start", 0))
        if start >= months:
            raise ScenarioError(f"{where or sc.source or sc.name}: policy[{i}] ('{spec.get('name', spec['kind'])}') starts at "
                                f"month {start}, at or after the end of the {months}-month horizon (--years); "
                                f"it would never act")


def is_regional(sc: Scenario) -> bool:
    """Does the scenario target countries or routes, or set the regional flow model (``[region]``)?"""
    return REGION_TABLE in sc.extra or any(REGION_FIELDS & set(spec) for spec in sc.policy_specs)


def check_runnable(sc: Scenario, command: str, regional: bool = False) -> None:
    """``run``, ``compare``, ``app``: refuse the tables they do not read (``[design]``, ``[sweep]``), and
    regional targeting (``countries``, ``route``, ``[region]``) unless the run is regional."""
    if not regional and is_regional(sc):
        raise ScenarioError(f"{sc.source or sc.name}: a regional scenario (policies with 'countries' or 'route', or a "
                            f"'[{REGION_TABLE}]' table) runs with several countries: recruitsim {command} --countries "
                            f"ISO3,ISO3,... or --corridor NAME")
    for table in sorted(t for t in sc.extra if t != REGION_TABLE):
        raise ScenarioError(f"{sc.source or sc.name}: '[{table}]' is read by `recruitsim sweep` only; `recruitsim {command}` "
                            f"would ignore it (remove the table, or run: recruitsim sweep {sc.source or sc.name})")


def _policy_spec(p: Any, where: str) -> dict[str, Any]:
    if not isinstance(p, dict):
        raise ScenarioError(f"{where}: each [[policy]] must be a table")
    kind = p.get("kind")
    if not isinstance(kind, str) or kind not in KINDS:
        raise ScenarioError(f"{where}: 'kind' must be one of {', '.join(KINDS)}, got {kind!r}")
    k = KINDS[kind]
    allowed = POLICY_FIELDS | set(k.params) | REGION_FIELDS
    _check_region_fields(p, kind, where)
    for key, v in p.items():
        if key in REGION_FIELDS:
            continue
        if key not in allowed:
            raise ScenarioError(f"{where}: unknown key '{key}' for a {kind} policy{_hint(key, allowed)}; "
                                f"allowed: {', '.join(sorted(allowed))}")
        if key in _DELIVERY and key not in LEVEL_FIELDS[k.level]:
            usable = sorted(LEVEL_FIELDS[k.level]) or ["none"]
            raise ScenarioError(f"{where}: '{key}' is not used by {kind} policies ({k.level} level: "
                                f"{_LEVEL_WHY[k.level]}); delivery settings it uses: {', '.join(usable)}")
        if key in ("kind", "name", "targeting"):
            if not isinstance(v, str):
                raise ScenarioError(f"{where}: '{key}' must be a string")
            if key == "targeting" and v not in TARGETING:
                raise ScenarioError(f"{where}: 'targeting' must be one of {', '.join(TARGETING)}, got '{v}'")
            continue
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not _finite(v):
            what = {"start": "a whole month in [0, 1200]", "end": "a whole month in [0, 1200]",
                    "budget": "a number of USD per year in [0, 1e12]"}.get(key)
            if what is None:
                what = "a number in [{:g}, {:g}]".format(*k.params[key].bounds)
            raise ScenarioError(f"{where}: '{key}' must be {what}, got {_show(v)}")
        if key in ("start", "end"):
            if v < 0 or v > 1200 or int(v) != v:
                raise ScenarioError(f"{where}: '{key}' must be a whole month in [0, 1200], got {_show(v)}")
        elif key == "budget":
            if not 0 <= v <= 1e12:
                raise ScenarioError(f"{where}: 'budget' must be in [0, 1e12] USD per year, got {_show(v)}")
        else:
            prm = k.params[key]
            lo, hi = prm.bounds  # policy effects: the evidence's 90% interval or a wider design range
            if not lo <= v <= hi:
                raise ScenarioError(f"{where}: '{key}' = {_show(v)} is outside its allowed range [{lo:g}, {hi:g}]")
            if key == "duration" and int(v) != v:
                raise ScenarioError(f"{where}: 'duration' must be a whole number of months in [{lo:g}, {hi:g}], "
                                    f"got {v!r}")
    if "end" in p and p["end"] <= p.get("start", 0):
        raise ScenarioError(f"{where}: 'end' ({p['end']}) must be after 'start' ({p.get('start', 0)})")
    if "budget" in p and "coverage" in p:
        raise ScenarioError(f"{where}: give either 'coverage' or 'budget', not both")
    return dict(p)


def _check_region_fields(p: dict[str, Any], kind: str, where: str) -> None:
    """``countries``: a non-empty list of known ISO3 codes; ``route``: a name (checked against the route
    network by ``recruitsim.region``), for interdiction policies only."""
    from recruitsim.model.profiles import COUNTRY_CODES

    if "countries" in p:
        c = p["countries"]
        if not isinstance(c, list) or not c or not all(isinstance(x, str) for x in c):
            raise ScenarioError(f"{where}: 'countries' must be a non-empty list of ISO3 codes, e.g. [\"PAN\", \"CRI\"]")
        bad = [x for x in c if x.strip().upper() not in COUNTRY_CODES]
        if bad:
            raise ScenarioError(f"{where}: unknown country '{bad[0]}' in 'countries'; use ISO3 codes of: {', '.join(sorted(COUNTRY_CODES))}")
        if len({x.strip().upper() for x in c}) != len(c):
            raise ScenarioError(f"{where}: 'countries' lists a country twice")
    if "route" in p:
        if kind != "interdiction":
            raise ScenarioError(f"{where}: 'route' is for interdiction policies only (a {kind} policy acts inside countries)")
        if not isinstance(p["route"], str) or not p["route"].strip():
            raise ScenarioError(f"{where}: 'route' must be a route name (list them: recruitsim routes)")
