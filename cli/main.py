"""The ``recruitsim`` command line: run | sweep | sensitivity | calibrate | profiles | trial | compare | app | params.

Every command validates its arguments first; a bad argument prints one line on stderr and exits
with code 2 (never a traceback). Each subcommand has a module here (``cli/sweep.py``, ...) with a
``register(sub)``; shared helpers are in ``cli/args.py``. Nothing outside ``cli/`` imports it.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import numpy as np

from recruitsim import __version__
from recruitsim.model.outputs import run_summary
from recruitsim.scenarios.provenance import dumps, versions

from . import region
from .args import (
    SOUND_AGENTS,
    Parser,
    UsageError,
    add_effects_flag,
    add_run_args,
    int_in,
    progress,
    small_size_warning,
    writable_dir,
    write_results,
)


# ---- run --------------------------------------------------------------------------------------
def cmd_run(args) -> int:
    if region.is_regional(args, "run"):
        return region.cmd_run_region(args)

    scenario = _run_scenario(args)
    _check_run_out(args)
    bar = progress(args, total=int(round((args.years + args.burn_in) * 12)), desc=f"{args.country} {scenario.name}")
    tic = time.perf_counter()
    # A single run uses the policy effects' point values (evidence medians), as RecruitmentModel does by default;
    # --effects-draw R runs effect set R (what replicate R of a sweep or compare uses)
    effect_set = None if args.point_effects else args.effects_draw
    model = _run_model(args, scenario, effect_set, bar)
    _warn_thin_groups(model, args.agents)
    setup = time.perf_counter() - tic - model.step_seconds
    interrupted = _step_to_end(model)
    bar.close()
    df = model.results()
    if args.out is not None:
        _write_run(df, args, scenario.name, complete=not interrupted, calibrated=model.posterior_draw is not None)
    small_size_warning(args.agents)  # after the results are safe (an error stays the only line)
    if interrupted:
        print(f"interrupted after {len(df)} months" + (f"; results so far written to {args.out}" if args.out else ""), file=sys.stderr)
        return 130
    summary = {**run_summary(model, df, setup), "calibrated": model.posterior_draw is not None,
               "effects": "point" if effect_set is None else f"draw {effect_set}", "versions": versions()}
    if args.json:
        print(dumps(summary))
    else:
        _print_run(df, scenario.name, model, summary, effect_set, args.out)
    return 0


def _run_scenario(args):
    """The scenario of ``run``, checked (runnable alone, no policy starting after the horizon)."""
    from recruitsim.scenarios import library

    try:
        scenario = library.load(args.scenario)
        library.check_runnable(scenario, "run")
        library.check_horizon(scenario, int(round(args.years * 12)))
    except library.ScenarioError as e:
        raise UsageError(str(e)) from None
    return scenario


def _check_run_out(args) -> None:
    """Refuse a sweep store as ``--out``; create the folder (only once the scenario is known to be good)."""
    if args.out is not None and (args.out / "_manifest.json").exists():
        raise UsageError(f"--out: '{args.out}' holds a sweep store; `run` would add files to its dataset; use another folder")
    if args.out is not None:
        args.out = writable_dir("--out")(str(args.out))


def _run_model(args, scenario, effect_set: int | None, bar):
    """The model of ``run``. A calibrated profile runs with draw 0 of its posterior (as RecruitmentModel does); the
    scenario's params win."""
    from recruitsim.model import RecruitmentModel

    return RecruitmentModel(args.country, n_agents=args.agents, years=args.years, burn_in_years=args.burn_in,
                            params=scenario.params, policies=scenario.policies(), rng=args.seed, progress=bar.update, draw=0,
                            effects=effect_set)


def _warn_thin_groups(model, agents: int) -> None:
    per_group = model.p.member_prevalence * model.n_agents / max(model.p.n_groups, 1)
    if per_group < 50 and agents >= SOUND_AGENTS:  # below SOUND_AGENTS the size warning says it already
        print(f"warning: about {per_group:.0f} simulated members per group (member_prevalence x agents / n_groups); "
              "below 50 a group can die out by chance: use more agents for this profile", file=sys.stderr)


def _step_to_end(model) -> bool:
    """Step the model to its horizon; True if Ctrl-C interrupted it."""
    try:
        while model.running:
            model.step()
    except KeyboardInterrupt:
        return True
    return False


def _write_run(df, args, scenario: str, complete: bool, calibrated: bool) -> None:
    meta = {"country": args.country, "scenario": scenario, "seed": args.seed, "agents": args.agents,
            "years": args.years, "burn_in_years": args.burn_in, "complete": complete,
            "calibrated": calibrated, "versions": versions()}
    try:
        write_results(df, args.out, "results", meta=meta)
    except OSError as e:
        raise UsageError(f"--out: cannot write the results to '{args.out}' ({e.strerror or e})") from None


def _print_run(df, scenario: str, model, summary: dict, effect_set: int | None, out: Path | None) -> None:
    """The annual table and what the run was (size, speed, parameters, policy effects, where the results are)."""
    print(annual_table(df, scenario, model))
    print(f"\n{model.n_agents:,} agents x {model.months + model.burn_in} months in {summary['seconds']:.1f} s "
          f"({summary['agent_steps_per_second'] / 1e6:.1f} M agent-steps/s); each agent = {model.scale:,.0f} people")
    print("parameters: " + ("draw 0 of the calibrated posterior (calibration/posteriors; RECRUITSIM_POSTERIORS=off "
                            "for the defaults)" if model.posterior_draw else "the profile defaults (not calibrated)"))
    print("policy effects: " + ("point values (evidence medians; --effects-draw R for effect set R)" if effect_set is None
                                else f"effect set {effect_set} (model/data/policy_effects.csv distributions)"))
    if out is not None:
        print(f"monthly results: {out / 'results.parquet'} and results.csv")


def annual_table(df, scenario: str, model) -> str:
    import pandas as pd

    g = df.groupby("year")
    table = pd.DataFrame({
        "recruits": g["recruits"].sum(),
        "members (end)": g["members"].last(),
        "per 1000 youths": g["member_prevalence_per_1000"].last(),
        "homicides": g["homicides"].sum(),
        "homicide rate": g["homicides"].sum() / model.population * 1e5,
        "male share": g["homicides_male"].sum() / g["homicides"].sum(),
        "incarc. rate": g["incarceration_rate"].mean(),
        "trafficked": g["trafficked_new"].sum(),
        "displaced": g["displaced"].sum(),
    })
    table.index = table.index + 1
    fmt = {"per 1000 youths": "{:.1f}", "homicide rate": "{:.1f}", "male share": "{:.2f}", "incarc. rate": "{:.0f}"}
    out = table.copy().astype(object)
    for c in table.columns:
        out[c] = table[c].map((fmt.get(c) or "{:,.0f}").format)
    head = (f"{model.profile.name} ({model.profile.iso3}), scenario '{scenario}': national figures per year "
            f"(rates per 100,000 population)")
    return head + "\n" + out.to_string()


# ---- params / profiles --------------------------------------------------------------------------
PARAMS_DOC_HEAD = """# Parameters: values, ranges and sources

Generated from the code by `recruitsim params --markdown > docs/parameters.md` (a test checks that this
file matches the code). Source tags are expanded in `model/data/SOURCES.md` and `docs/EVIDENCE.md`;
`GUESS` marks a documented guess with a deliberately wide range, to be replaced by calibration
(`calibration/`) or better evidence. Country profiles override the inputs marked "matched by
construction" and a few pre-calibration heuristics (see `model/profiles.py`).

## Model parameters

"""

POLICY_DOC_HEAD = """
## Policy effect sizes and costs

Each policy kind (`model/policies.py`) has these settings; a scenario file may override any of them
within its range. Multipliers apply while a youth is enrolled (individual programmes; fading after exit
with half-life `fade`), in covered cells (area policies) or everywhere (national policies).

Effect sizes, fades and unit costs come from `model/data/policy_effects.csv` (evidence in
`docs/policy-evidence.md`): the default is the evidence median, the range its 90% interval, and the
distribution the one replicate r draws effect set r from (`model/effects.py`; unit costs are drawn by the
economic analysis instead; durations are design choices, point values). Grade: A = randomised trial in
Latin America and the Caribbean; B = randomised trial elsewhere or strong LAC quasi-experiment; C =
meta-analysis of weaker designs; D = expert guess.

"""


def parameters_markdown() -> str:
    from recruitsim.model.params import markdown_table
    from recruitsim.model.policies import policy_markdown_table

    return PARAMS_DOC_HEAD + markdown_table() + POLICY_DOC_HEAD + policy_markdown_table()


def cmd_params(args) -> int:
    from recruitsim.model import PARAMETERS
    from recruitsim.model.effects import DRAWN
    from recruitsim.model.policies import POLICY_PARAMETERS

    if args.markdown:
        print(parameters_markdown(), end="")
    elif args.json:
        # sources: the tags (model/data/SOURCES.md); source: the text; drawn: varies by replicate (model.effects)
        print(dumps({"parameters": [{"name": name, "default": p.default, "low": p.low, "high": p.high, "unit": p.unit,
                                     "distribution": p.distribution, "grade": p.grade, "sources": list(p.tags),
                                     "drawn": name in DRAWN, "allowed": list(p.bounds), "process": p.process, "meaning": p.meaning, "source": p.source}
                                    for name, p in {**PARAMETERS, **POLICY_PARAMETERS}.items()]}))
    else:
        for name, p in {**PARAMETERS, **POLICY_PARAMETERS}.items():
            print(f"{name:40s} {p.default:<10g} [{p.low:g}, {p.high:g}] {p.unit}")
    return 0


def build_parser() -> Parser:
    parser = Parser(prog="recruitsim", description="Youth recruitment into criminal groups: simulate, sweep, calibrate, compare.")
    parser.add_argument("--version", action="version", version=f"recruitsim {__version__}")
    sub = parser.add_subparsers(dest="command", parser_class=Parser)

    p = sub.add_parser("run", help="one simulation, with an annual summary")
    add_run_args(p)
    p.add_argument("--scenario", default="baseline", help="scenario name from the library, or a .toml file (default baseline)")
    p.add_argument("--out", type=Path, help="write monthly results (Parquet and CSV) here")
    p.add_argument("--json", action="store_true", help="print a JSON summary as the last line")
    region.add_region_flags(p)
    p.add_argument("--effects-draw", type=int_in("--effects-draw", 0, 2**31), default=None, metavar="R",
                   help="run policy effect set R (replicate R of sweeps and compare); default: the point values")
    add_effects_flag(p)
    p.set_defaults(func=cmd_run)

    p = sub.add_parser("params", help="list the model parameters (--markdown: the provenance table)")
    p.add_argument("--markdown", action="store_true")
    p.add_argument("--json", action="store_true", help="every parameter as JSON: name, default, low, high, unit, source")
    p.set_defaults(func=cmd_params)

    for register in _registrations():
        register(sub)
    for p in sub.choices.values():  # one quiet flag everywhere
        if "--quiet" not in p._option_string_actions:
            p.add_argument("-q", "--quiet", action="store_true", help="no progress bar or progress lines on stderr")
    return parser


def _registrations():
    """Each subcommand's module registers its parser."""
    from . import calibration, compare, region, region_calibrate, sensitivity, serve, sweep

    return [sweep.register, sensitivity.register, compare.register, serve.register, calibration.register, region.register,
            region_calibrate.register]


#: the library's own errors (module, class): their message is one line for the user
USER_ERRORS = (("recruitsim.scenarios.library", "ScenarioError"), ("recruitsim.scenarios.store", "StoreError"),
               ("recruitsim.scenarios.engine", "EngineError"), ("recruitsim.model.posteriors", "PosteriorError"),
               ("recruitsim.model.params", "ParameterError"), ("recruitsim.region.routes", "RegionError"))


def user_error(e: BaseException) -> bool:
    """Is ``e`` one of the library's errors for the user? (Only modules already imported can have raised one.)"""
    for mod, name in USER_ERRORS:
        m = sys.modules.get(mod)
        cls = getattr(m, name, None) if m is not None else None
        if cls is not None and isinstance(e, cls):
            return True
    return False


def one_line(msg: str) -> str:
    msg = " ".join(str(msg).split()) or "error"
    return msg if msg.startswith("recruitsim") else f"recruitsim: error: {msg}"


def main(argv: list[str] | None = None) -> int:
    np.seterr(all="ignore")
    try:
        parser = build_parser()
        args = parser.parse_args(argv)
        if getattr(args, "func", None) is None:  # bare `recruitsim`: the usage
            parser.print_help()
            return 2
        if getattr(args, "point_effects", False):  # workers inherit it; Units read it (scenarios.runner)
            os.environ["RECRUITSIM_EFFECTS"] = "point"
        return args.func(args)
    except UsageError as e:
        print(one_line(str(e)), file=sys.stderr)
        return 2
    except BrokenPipeError:
        return 0
    except Exception as e:
        if not user_error(e):
            raise
        print(one_line(str(e)), file=sys.stderr)
        return 2
