"""The ``recruitsim`` command line: run | sweep | sensitivity | calibrate | profiles | compare | app | params.

Every command validates its arguments first; a bad argument prints one line on stderr and exits
with code 2 (never a traceback). Subcommands live next to what they drive and register here.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import resource
import sys
import time
from pathlib import Path

import numpy as np


class UsageError(Exception):
    """Bad input from the user: printed as one line, exit code 2."""


class Parser(argparse.ArgumentParser):
    def error(self, message: str):  # one line, exit 2 (argparse prints usage + message otherwise)
        raise UsageError(f"{self.prog}: {message}")


# ---- argument types: each names the flag and the allowed range ---------------------------------
def int_in(flag: str, lo: int, hi: int):
    def conv(text: str) -> int:
        try:
            v = int(text)
        except ValueError:
            raise UsageError(f"{flag} must be a whole number in [{lo:,}, {hi:,}], got '{text}'") from None
        if not lo <= v <= hi:
            raise UsageError(f"{flag} must be a whole number in [{lo:,}, {hi:,}], got {v:,}")
        return v
    return conv


def float_in(flag: str, lo: float, hi: float):
    def conv(text: str) -> float:
        try:
            v = float(text)
        except ValueError:
            raise UsageError(f"{flag} must be a number in [{lo:g}, {hi:g}], got '{text}'") from None
        if not (lo <= v <= hi) or math.isnan(v):
            raise UsageError(f"{flag} must be a number in [{lo:g}, {hi:g}], got {text}")
        return v
    return conv


def country_arg(text: str) -> str:
    from model.profiles import all_codes, get_profile

    try:
        return get_profile(text).iso3
    except KeyError:
        raise UsageError(f"--country: unknown country '{text}'; use one of {', '.join(all_codes())}") from None


def writable_dir(flag: str):
    def conv(text: str) -> Path:
        p = Path(text)
        try:
            p.mkdir(parents=True, exist_ok=True)
            probe = p / ".recruitsim-write-test"
            probe.write_text("ok")
            probe.unlink()
        except OSError as e:
            raise UsageError(f"{flag}: cannot write to '{text}' ({e.strerror or e})") from None
        return p
    return conv


def add_run_args(p: argparse.ArgumentParser, agents: int = 100_000, years: float = 10) -> None:
    p.add_argument("--country", type=country_arg, default="LAC", help="LAC (regional default) or an ISO3 code")
    p.add_argument("--agents", type=int_in("--agents", 100, 50_000_000), default=agents, help=f"simulated youths (default {agents:,})")
    p.add_argument("--years", type=float_in("--years", 1, 100), default=years, help=f"years after the burn-in (default {years:g})")
    p.add_argument("--burn-in", type=float_in("--burn-in", 0, 100), default=5, help="burn-in years (default 5)")
    p.add_argument("--seed", type=int_in("--seed", 0, 2**62), default=1, help="random seed (default 1)")


# ---- run --------------------------------------------------------------------------------------
def cmd_run(args) -> int:
    from model import RecruitmentModel
    from scenarios import library

    try:
        scenario = library.load(args.scenario)
    except library.ScenarioError as e:
        raise UsageError(str(e)) from None
    bar = _progress(args, total=int(round((args.years + args.burn_in) * 12)), desc=f"{args.country} {scenario.name}")
    tic = time.perf_counter()
    from calibration import posterior  # calibrated profile: draw 0 of the posterior; the scenario's params win

    draw = posterior.draw(args.country, 0)
    params = {**(draw or {}), **scenario.params}
    model = RecruitmentModel(args.country, n_agents=args.agents, years=args.years, burn_in_years=args.burn_in,
                             params=params, policies=scenario.policies(), rng=args.seed, progress=bar.update)
    setup = time.perf_counter() - tic - model.step_seconds
    interrupted = False
    try:
        while model.running:
            model.step()
    except KeyboardInterrupt:
        interrupted = True
    bar.close()
    df = model.results()
    if args.out is not None:
        write_results(df, args.out, "results", meta={"country": args.country, "scenario": scenario.name, "seed": args.seed,
                                                       "agents": args.agents, "years": args.years,
                                                       "burn_in_years": args.burn_in, "complete": not interrupted})
    if interrupted:
        print(f"interrupted after {len(df)} months" + (f"; results so far written to {args.out}" if args.out else ""), file=sys.stderr)
        return 130
    summary = {**run_summary(model, df, setup), "calibrated": draw is not None}
    if args.json:
        print(json.dumps(summary))
    else:
        print(annual_table(df, scenario.name, model))
        print(f"\n{model.n_agents:,} agents x {model.months + model.burn_in} months in {summary['seconds']:.1f} s "
              f"({summary['agent_steps_per_second'] / 1e6:.1f} M agent-steps/s); each agent = {model.scale:,.0f} people")
        print("parameters: " + ("draw 0 of the calibrated posterior (calibration/posteriors; RECRUITSIM_POSTERIORS=off "
                                "for the defaults)" if draw else "the profile defaults (not calibrated)"))
        if args.out is not None:
            print(f"monthly results: {args.out / 'results.parquet'} and results.csv")
    return 0


def run_summary(model, df, setup_seconds: float) -> dict:
    last = df.tail(12)
    hom = float(last["homicides"].sum())
    secs = model.step_seconds
    return {
        "country": model.profile.iso3,
        "agents": model.n_agents,
        "months": model.months,
        "burn_in_months": model.burn_in,
        "seconds": round(secs, 3),
        "setup_seconds": round(setup_seconds, 3),
        "agent_steps_per_second": model.n_agents * (model.months + model.burn_in) / max(secs, 1e-9),
        "peak_memory_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0,
        "scale": model.scale,
        "recruits_per_year": float(last["recruits"].sum()),
        "members": float(df["members"].iloc[-1]),
        "member_prevalence_per_1000_youth": float(df["member_prevalence_per_1000"].iloc[-1]),
        "homicide_rate_per_100k": hom / model.population * 1e5,
        "male_share_of_homicide_victims": float(last["homicides_male"].sum() / hom) if hom else None,
        "incarceration_rate_per_100k": float(last["incarceration_rate"].mean()),
        "median_age_at_joining": model.median_age_at_joining,
        "capped_events": dict(model.capped),
    }


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


def write_results(df, out: Path, stem: str, meta: dict | None = None) -> None:
    """Write a DataFrame as Parquet and CSV atomically (temp file + rename)."""
    for ext, writer in (("parquet", lambda p: df.to_parquet(p, index=False)), ("csv", lambda p: df.to_csv(p, index=False))):
        tmp = out / f".{stem}.{ext}.tmp"
        writer(tmp)
        os.replace(tmp, out / f"{stem}.{ext}")
    if meta is not None:
        (out / f"{stem}.json").write_text(json.dumps(meta, indent=2))


class _NoBar:
    def update(self, n: int = 1) -> None: ...
    def close(self) -> None: ...


def _progress(args, total: int, desc: str):
    if getattr(args, "json", False) or not sys.stderr.isatty() and not os.environ.get("RECRUITSIM_PROGRESS"):
        return _NoBar()
    from tqdm import tqdm

    return tqdm(total=total, desc=desc, unit="month", file=sys.stderr, leave=False)


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

"""


def parameters_markdown() -> str:
    from model.params import markdown_table
    from model.policies import policy_markdown_table

    return PARAMS_DOC_HEAD + markdown_table() + POLICY_DOC_HEAD + policy_markdown_table()


def cmd_params(args) -> int:
    from model import PARAMETERS
    from model.policies import POLICY_PARAMETERS

    if args.markdown:
        print(parameters_markdown(), end="")
    else:
        for name, p in {**PARAMETERS, **POLICY_PARAMETERS}.items():
            print(f"{name:40s} {p.default:<10g} [{p.low:g}, {p.high:g}] {p.unit}")
    return 0


def build_parser() -> Parser:
    parser = Parser(prog="recruitsim", description="Youth recruitment into criminal groups: simulate, sweep, calibrate, compare.")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=Parser)

    p = sub.add_parser("run", help="one simulation, with an annual summary")
    add_run_args(p)
    p.add_argument("--scenario", default="baseline", help="scenario name from the library, or a .toml file (default baseline)")
    p.add_argument("--out", type=writable_dir("--out"), help="write monthly results (Parquet and CSV) here")
    p.add_argument("--json", action="store_true", help="print a JSON summary as the last line")
    p.set_defaults(func=cmd_run)

    p = sub.add_parser("params", help="list the model parameters (--markdown: the provenance table)")
    p.add_argument("--markdown", action="store_true")
    p.set_defaults(func=cmd_params)

    for register in _registrations():
        register(sub)
    return parser


def _registrations():
    """Subcommands defined next to what they drive."""
    from calibration.cli import register as calibration_commands  # calibrate, profiles, trial

    from . import compare, sensitivity, serve, sweep

    return [sweep.register, sensitivity.register, compare.register, serve.register, calibration_commands]


def main(argv: list[str] | None = None) -> int:
    np.seterr(all="ignore")
    try:
        args = build_parser().parse_args(argv)
        return args.func(args)
    except UsageError as e:
        msg = str(e)
        print(msg if msg.startswith("recruitsim") else f"recruitsim: error: {msg}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        return 0


if __name__ == "__main__":  # python -m scenarios.cli: use the package's module, so its exception classes are the ones raised
    from scenarios.cli import main as _main

    sys.exit(_main())
