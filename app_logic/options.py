"""The options a comparison ranks: library scenarios and the user's own packages, as scenario files.

An :class:`Option` is a scenario the way the command line reads it (``scenarios/library.py``): a name,
a description and ``[[policy]]`` tables. Library scenarios come from ``scenarios/*.toml`` (the
single-lever ones are the levers at their library coverage); own packages are built in the page or
uploaded as the same TOML file ``recruitsim compare --scenarios my.toml`` reads, and can be
downloaded as one. Settings travel in the page's URL (:func:`to_query` / :func:`from_query`), so a
link reproduces a run. Nothing here imports Solara.
"""

from __future__ import annotations

import base64
import json
import logging
import re
import tomllib
from dataclasses import dataclass
from functools import lru_cache
from typing import Any
from urllib.parse import parse_qs, urlencode

from recruitsim.scenarios import library

log = logging.getLogger("recruitsim.app")

#: What a default page compares, so Run works at once: a mentoring programme, an area policy of each kind
#: (prevention-minded and enforcement-minded) and the four prevention levers together.
DEFAULT_OPTIONS = ("mentoring", "focused_deterrence", "mass_policing", "prevention_package")
MAX_OPTIONS = 8
MAX_UPLOAD_BYTES = 20_000
#: Readable names of the library scenarios (the file stems are ids).
LIBRARY_LABELS = {
    "mentoring": "Mentoring / CBT (Becoming a Man), 30% of eligible boys",
    "schooling": "School support, 30% of poor secondary students",
    "jobs": "Employment programme, 20% of NEET youths",
    "family_violence": "Family-violence prevention, 30% of exposed children",
    "focused_deterrence": "Focused deterrence, 30% most violent neighbourhoods",
    "mass_policing": "Mass policing, 30% most violent neighbourhoods",
    "hotline": "Anonymous reporting hotline, nationwide",
    "interdiction": "Border interdiction, nationwide",
    "prevention_package": "Prevention package (mentoring, school, jobs, family)",
    "enforcement_package": "Enforcement package (policing, deterrence, interdiction)",
    "balanced_package": "Balanced package (mentoring, jobs, deterrence, hotline)",
}
_SAFE = re.compile(r"[^A-Za-z0-9_.+-]+")


@dataclass(frozen=True)
class Option:
    """One option: ``name`` is its id in the results (unique in a comparison), ``label`` what the page shows."""

    name: str
    label: str
    description: str
    specs_json: str  # the [[policy]] tables, as JSON (hashable, picklable)
    origin: str = "library"  # library | own

    @property
    def specs(self) -> list[dict[str, Any]]:
        return json.loads(self.specs_json)

    @property
    def kinds(self) -> list[str]:
        return [s["kind"] for s in self.specs]

    def scenario(self) -> library.Scenario:
        """The checked scenario (raises ``ScenarioError`` with a message for the page)."""
        return library.parse({"name": self.name, "description": self.description, "policy": self.specs}, self.label)

    def toml(self) -> str:
        """The option as a scenario file for ``recruitsim compare --scenarios FILE`` (and for upload here)."""
        return to_toml(self.label if self.origin == "own" else self.name, self.description or self.label, self.specs)


def _option(name: str, label: str, description: str, specs: list[dict], origin: str) -> Option:
    return Option(name, label, description, json.dumps(specs, sort_keys=True), origin)


@lru_cache(maxsize=1)
def catalogue() -> dict[str, Option]:
    """Library scenarios the page offers (baseline and broken or non-app files left out), by name."""
    out = {}
    for name in library.names():
        if name == "baseline":
            continue
        try:
            sc = library.load(name)
            library.check_runnable(sc, "app")
        except library.ScenarioError:  # a broken file must not break the page
            log.exception("scenario %s", name)
            continue
        if sc.params:
            continue  # model-parameter overrides are not part of an app comparison
        out[name] = _option(name, LIBRARY_LABELS.get(name, sc.description or name), sc.description, sc.policy_specs, "library")
    return out


def default_options() -> tuple[Option, ...]:
    cat = catalogue()
    return tuple(cat[n] for n in DEFAULT_OPTIONS if n in cat)


def own_option(label: str, specs: list[dict], description: str = "") -> Option:
    """An own package; checked like a scenario file (``ScenarioError`` on a bad setting)."""
    label = " ".join(str(label).split())[:80] or "My package"
    name = "own:" + (_SAFE.sub("_", label).strip("_")[:40] or "package")
    opt = _option(name, label, description or label, [dict(s) for s in specs], "own")
    opt.scenario()
    return opt


def unique(options: list[Option]) -> tuple[Option, ...]:
    """Options with distinct names (a second package of the same name gets " (2)")."""
    seen: dict[str, int] = {}
    out = []
    for o in options:
        n = seen.get(o.name, 0)
        seen[o.name] = n + 1
        if n:
            o = Option(f"{o.name}-{n + 1}", f"{o.label} ({n + 1})", o.description, o.specs_json, o.origin)
        out.append(o)
    return tuple(out)


# ---- scenario files ------------------------------------------------------------------------------
def _toml_value(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return f"{v:g}" if isinstance(v, float) else str(v)
    return json.dumps(str(v))  # a TOML basic string is JSON-compatible for these characters


def to_toml(name: str, description: str, specs: list[dict]) -> str:
    """A scenario file in the library's format (``scenarios/library.py``)."""
    lines = [f"name = {_toml_value(name)}", f"description = {_toml_value(description)}", ""]
    for s in specs:
        lines.append("[[policy]]")
        lines += [f"{k} = {_toml_value(v)}" for k, v in s.items()]
        lines.append("")
    return "\n".join(lines)


def from_upload(data: bytes, filename: str = "scenario.toml") -> Option:
    """An uploaded scenario file as an own option; ``ScenarioError`` saying what is wrong otherwise."""
    where = str(filename)[:100] or "upload"
    if len(data) > MAX_UPLOAD_BYTES:
        raise library.ScenarioError(f"{where}: {len(data):,} bytes is too large for a scenario file (limit {MAX_UPLOAD_BYTES:,})")
    try:
        parsed = tomllib.loads(data.decode("utf-8"))
    except UnicodeDecodeError:
        raise library.ScenarioError(f"{where}: not UTF-8 text; save the file as UTF-8") from None
    except tomllib.TOMLDecodeError as e:
        raise library.ScenarioError(f"{where}: not valid TOML ({' '.join(str(e).split())})") from None
    stem = re.sub(r"\.toml$", "", where.rsplit("/", 1)[-1]) or "upload"
    sc = library.parse(parsed, where, default_name=stem)
    library.check_runnable(sc, "app")
    if sc.params:
        raise library.ScenarioError(f"{where}: [params] (model-parameter overrides) are not used by the app; remove them, or "
                                    "run this file with: recruitsim compare --scenarios FILE")
    if not sc.policy_specs:
        raise library.ScenarioError(f"{where}: no [[policy]]; the baseline is always compared, add at least one policy")
    return own_option(sc.name, sc.policy_specs, sc.description)


# ---- the URL --------------------------------------------------------------------------------------
def _pack(o: Option) -> str:
    raw = json.dumps({"l": o.label, "d": o.description, "p": o.specs}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _unpack(text: str) -> Option:
    raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    d = json.loads(raw.decode())
    return own_option(d["l"], d["p"], d.get("d", ""))


def to_query(country: str, agents: Any, years: Any, seed: Any, replicates: Any, options: tuple[Option, ...]) -> str:
    """The settings as a URL query string (own packages packed in ``pkg``)."""
    q: list[tuple[str, str]] = [("country", country), ("agents", str(agents)), ("years", str(years)),
                                ("replicates", str(replicates)), ("seed", str(seed))]
    lib = [o.name for o in options if o.origin == "library"]
    if lib:
        q.append(("options", ",".join(lib)))
    q += [("pkg", _pack(o)) for o in options if o.origin == "own"]
    return urlencode(q)


def from_query(search: str | None) -> tuple[dict[str, str], tuple[Option, ...] | None, list[str]]:
    """Settings from a URL query string: ({field: text}, options or None when absent, problems)."""
    fields: dict[str, str] = {}
    if not search:
        return fields, None, []
    try:
        q = parse_qs(search.lstrip("?"), keep_blank_values=True, max_num_fields=50)
    except ValueError:
        return fields, None, ["The link's settings could not be read; the defaults are shown."]
    problems = []
    for key in ("country", "agents", "years", "replicates", "seed"):
        if key in q:
            fields[key] = q[key][0][:40]
    if "options" not in q and "pkg" not in q:
        return fields, None, problems
    cat = catalogue()
    opts = []
    for name in ",".join(q.get("options", [])).split(","):
        if name.strip() in cat:
            opts.append(cat[name.strip()])
        elif name.strip():
            problems.append(f"The link names an unknown option '{name.strip()[:40]}'; it was left out.")
    for packed in q.get("pkg", [])[:MAX_OPTIONS]:
        try:
            opts.append(_unpack(packed))
        except (ValueError, KeyError, TypeError, library.ScenarioError) as e:
            problems.append(f"A package in the link could not be read ({str(e)[:120]}); it was left out.")
    return fields, unique(opts[:MAX_OPTIONS]), problems
