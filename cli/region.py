"""Regional runs on the command line: ``run --countries/--corridor``, ``compare --countries/--corridor`` and
``routes`` (the route network, corridors and flow parameters)."""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from recruitsim.scenarios.provenance import dumps, versions

from .args import SCHEDULER_HELP, UsageError, add_tls_args, int_in, scheduler_options, small_size_warning, write_results


def add_region_flags(p: argparse.ArgumentParser, engine: bool = True) -> None:
    p.add_argument("--countries", default=None, metavar="ISO3,...",
                   help="a regional run: these countries together, coupled by cocaine flows (docs/region.md)")
    p.add_argument("--corridor", default=None, metavar="NAME",
                   help="a regional run over a named corridor: andean, central_america_mexico, caribbean")
    p.add_argument("--no-coupling", action="store_true", help="regional run with every country alone (no flows)")
    p.add_argument("--migration", action="store_true",
                   help="regional run: people cross borders (region/data/migration.csv; docs/region.md)")
    p.add_argument("--scale", type=int_in("--scale", 1, 10**7), default=None, metavar="N",
                   help="regional run: one agent per N youths in every country (instead of --agents per country)")
    if engine:
        p.add_argument("--dask-local", type=int_in("--dask-local", 1, 1024), default=None, metavar="N",
                       help="regional run: each country a partition on a Dask LocalCluster of N workers")
        p.add_argument("--scheduler", default=None, metavar="ADDRESS", help="regional run: " + SCHEDULER_HELP)
        add_tls_args(p)


def is_regional(args, command: str | None = None) -> bool:
    """Is this a regional run (--countries or --corridor)? With ``command``, refuse the regional-only flags of a
    single-country run, and the flags a regional ``compare`` does not have (--budget)."""
    regional = getattr(args, "countries", None) is not None or getattr(args, "corridor", None) is not None
    if command is None:
        return regional
    only = [f for f, v in (("--no-coupling", getattr(args, "no_coupling", False)), ("--scale", getattr(args, "scale", None)),
                           ("--dask-local", getattr(args, "dask_local", None)),
                           ("--migration", getattr(args, "migration", False))) if v not in (None, False)]
    if command == "run":
        only += [f for f, a in (("--scheduler", "scheduler"), ("--tls-ca-file", "tls_ca_file"), ("--tls-cert", "tls_cert"),
                                ("--tls-key", "tls_key")) if getattr(args, a, None) is not None]
    if not regional and only:
        raise UsageError(f"{', '.join(only)}: for regional runs only (--countries or --corridor)")
    if regional and command == "compare" and getattr(args, "budget", None) is not None:
        raise UsageError("--budget: the portfolio optimiser works for one country; drop --budget for a regional compare")
    return regional


def regional_countries(args) -> tuple[str, ...]:
    from recruitsim.region.routes import RegionError, resolve_countries

    if getattr(args, "country", "LAC") != "LAC":
        raise UsageError("give --country for one country, or --countries/--corridor for a region, not both")
    try:
        return resolve_countries(args.countries, args.corridor)
    except RegionError as e:
        raise UsageError(str(e)) from None


def agents_per_country(args, countries, lo: int = 100) -> int | dict[str, int]:
    """``--scale N``: each country's youth population / N agents (at least ``lo``); otherwise ``--agents`` each."""
    from recruitsim.model.model import MAX_AGENTS
    from recruitsim.model.profiles import get_profile

    if args.scale is None:
        return args.agents
    out = {c: int(round(get_profile(c).youth_population / args.scale)) for c in countries}
    small = [c for c, n in out.items() if n < lo]
    if small:
        raise UsageError(f"--scale {args.scale}: {', '.join(small)} would have fewer than {lo} agents; use a smaller --scale")
    big = [c for c, n in out.items() if n > MAX_AGENTS]
    if big:
        raise UsageError(f"--scale {args.scale}: {', '.join(big)} would have more than {MAX_AGENTS:,} agents")
    return out


def _partitions(args, stack):
    """The partition factory: local (default), a Dask LocalCluster (--dask-local) or a cluster (--scheduler)."""
    remote = scheduler_options(args)
    if args.dask_local is None and not remote:
        return None
    from recruitsim.region.dask_run import dask_partitions
    from recruitsim.scenarios.engine import Engine

    eng = stack.enter_context(Engine(dask_local=args.dask_local) if args.dask_local is not None else Engine(**remote))
    return dask_partitions(eng._client)


def cmd_run_region(args) -> int:
    from contextlib import ExitStack

    from recruitsim.region import report
    from recruitsim.region.routes import RegionError
    from recruitsim.region.scenario import load
    from recruitsim.region.simulation import run_region
    from recruitsim.scenarios import library

    countries = regional_countries(args)
    if getattr(args, "effects_draw", None) is not None:
        raise UsageError("--effects-draw: single-country runs only (a regional run uses the point values; compare draws them)")
    try:
        sc = load(args.scenario)
        library.check_runnable(sc, "run", regional=True)
        library.check_horizon(sc, int(round(args.years * 12)))
    except (library.ScenarioError, RegionError) as e:
        raise UsageError(str(e)) from None
    agents = agents_per_country(args, countries)
    if args.out is not None:
        from .args import writable_dir

        args.out = writable_dir("--out")(str(args.out))
    from .args import progress

    tic = time.perf_counter()
    bar = progress(args, total=int(round(args.years * 12)), desc=f"region {len(countries)} countries")
    with ExitStack() as stack:
        try:
            res = run_region(countries, scenario=sc, agents=agents, years=args.years, burn_in=args.burn_in, seed=args.seed,
                             coupling=False if args.no_coupling else None, partitions=_partitions(args, stack),
                             progress=bar.update, migration=True if args.migration else None)
        except RegionError as e:
            raise UsageError(str(e)) from None
        finally:
            bar.close()
    out = report.summary(res)
    out["region"]["wall_seconds"] = round(time.perf_counter() - tic, 3)
    out["versions"] = versions()
    if args.out is not None:
        _write(res, args.out)
    small_size_warning(min(agents.values()) if isinstance(agents, dict) else agents)
    if args.json:
        print(dumps(out))
    else:
        print(report.text(res))
        if args.out is not None:
            print(f"monthly results: {args.out}/results_<ISO3>.parquet, flows.parquet (and .csv), flows_map.png")
    return 0


def _write(res, out: Path) -> None:
    try:
        for c, d in res.countries.items():
            write_results(d["results"], out, f"results_{c}")
        write_results(res.flows, out, "flows")
        if res.plan.coupled:
            from recruitsim.region.maps import flow_map

            flow_map(res, out / "flows_map.png")
    except OSError as e:
        raise UsageError(f"--out: cannot write the results to '{out}' ({e.strerror or e})") from None


def register(sub) -> None:
    p = sub.add_parser("routes", help="the cocaine route network, the corridors and the flow model's parameters")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_routes)


def cmd_routes(args) -> int:
    from recruitsim.region.routes import CORRIDORS, production, routes, settings

    if args.json:
        print(dumps({"routes": [{"name": r.name, "source": r.source, "via": list(r.via), "destination": r.destination,
                                 "share": r.share, "low": r.low, "high": r.high, "sources": r.sources} for r in routes()],
                     "production": {k: {"share": v[0], "low": v[1], "high": v[2], "sources": v[3]} for k, v in production().items()},
                     "corridors": {k: list(v) for k, v in CORRIDORS.items()},
                     "parameters": {k: vars(v) for k, v in settings().items()}}))
        return 0
    print("corridors: " + "; ".join(f"{k} = {','.join(v)}" for k, v in CORRIDORS.items()))
    print("\nroutes (share of the source's output at baseline [range]; sources in region/data/SOURCES.md):")
    for r in routes():
        print(f"  {r.name:32s} {'-'.join(r.countries)} -> {r.destination}  {r.share:.3f} [{r.low:g}, {r.high:g}]")
    print("\nregional parameters (flows, migration, intelligence sharing, shared leadership, border security):")
    for s in settings().values():
        print(f"  {s.name:26s} {s.value:<8g} [{s.low:g}, {s.high:g}] {s.unit} ({s.sources})")
    return 0



# ---- compare --countries / --corridor ------------------------------------------------------------------
def _compare_scenarios(text: str | None, countries, migration: bool | None = None) -> list:
    """The loaded scenarios: --scenarios (regional library names, library names or .toml paths), or the regional
    library's scenarios that fit these countries; the baseline first."""
    from recruitsim.region.routes import RegionError
    from recruitsim.region.scenario import library_names, load, plan
    from recruitsim.scenarios import library

    names = [s.strip() for s in text.split(",") if s.strip()] if text else library_names()
    if text is not None and not names:
        raise UsageError("--scenarios: empty list; give scenario names or .toml paths")
    out = []
    for n in names:
        try:
            sc = load(n)
            library.check_runnable(sc, "compare", regional=True)
            plan(sc, countries, migration=migration)
        except (library.ScenarioError, RegionError) as e:
            if text:
                raise UsageError(str(e)) from None
            continue  # a library scenario for other countries (e.g. a Caribbean one in Central America)
        out.append(sc)
    if "baseline" not in [s.name for s in out]:
        out.insert(0, library.load("baseline"))
    if len({s.name for s in out}) != len(out):
        raise UsageError("--scenarios: two scenarios have the same name")
    if len(out) < 2:
        raise UsageError("--scenarios: give at least one scenario besides the baseline")
    return out


def _region_rows(table) -> list[dict]:
    import math

    def clean(v):
        if isinstance(v, dict):
            return {k: clean(x) for k, x in v.items()}
        try:
            f = float(v)
        except (TypeError, ValueError):
            return None if v is None or str(v) == "<NA>" else v
        return None if not math.isfinite(f) else (int(f) if isinstance(v, int) else f)
    return [{k: clean(v) for k, v in r.items()} for r in table.to_dict("records")]


def cmd_compare_region(args) -> int:
    from recruitsim.economics import regional
    from recruitsim.economics.compare import json_rows
    from recruitsim.scenarios.provenance import versions

    from .args import progress, writable_dir

    countries = regional_countries(args)
    migration = True if args.migration else None
    if migration and args.no_coupling:
        raise UsageError("--migration couples the countries (people cross borders): drop --no-coupling")
    scenarios = _compare_scenarios(args.scenarios, countries, migration)
    remote = scheduler_options(args)
    agents = agents_per_country(args, countries, lo=1000)
    name = args.corridor or "-".join(countries)
    out = writable_dir("--out")(str(args.out if args.out is not None else Path(f"results/compare-region-{name}")))
    tasks = [regional.RegionalTask(sc, r, countries, agents, args.years, args.burn_in, args.seed,
                                   False if args.no_coupling else None, migration)
             for r in range(args.replicates) for sc in scenarios]
    kinds = {spec.get("name", spec["kind"]): spec["kind"] for sc in scenarios for spec in sc.policy_specs}
    kinds |= {"intelligence_sharing": "hotline", "border_security": "interdiction"}  # region.scenario's levers
    bar = progress(args, total=len(tasks), desc=f"compare {name}")
    tic = time.perf_counter()
    try:
        results, flows = regional.collect(tasks, workers=args.workers, progress=bar.update, **remote)
    finally:
        bar.close()
    try:
        analyses = regional.analyse_countries(results, kinds, discount=args.discount, outcome=args.outcome,
                                              homicide_scope=args.homicide_scope, n_draws=args.draws, seed=args.seed,
                                              vsl=args.vsl, deadweight=args.deadweight, details=False)
    except ValueError as e:
        raise UsageError(str(e)) from None
    table = regional.region_table(analyses, args.outcome)
    payload = {"region": _region_rows(table), "countries": {c: json_rows(a.table) for c, a in analyses.items()},
               "flows": regional.flows_by_scenario(flows),
               "settings": {"countries": list(countries), "corridor": args.corridor, "agents": agents, "years": args.years,
                            "burn_in": args.burn_in, "replicates": args.replicates, "seed": args.seed,
                            "coupled": not args.no_coupling, "migration": bool(args.migration),
                            "scenarios": [s.name for s in scenarios],
                            "run_seconds": round(time.perf_counter() - tic, 1), "versions": versions()}, "out": str(out)}
    try:
        for c, df in results.items():
            df.to_parquet(out / f"runs_{c}.parquet", index=False)
        flows.to_parquet(out / "flows.parquet", index=False)
        (out / "summary.json").write_text(dumps(payload, indent=2))
    except OSError as e:
        raise UsageError(f"--out: cannot write to '{out}' ({e.strerror or e})") from None
    if args.json:
        print(dumps(payload))
        return 0
    _print_table(table, args, countries)
    print(f"\nper country (who pays, who gains): {out}/summary.json; runs in {time.perf_counter() - tic:.0f} s")
    return 0


def _print_table(table, args, countries) -> None:
    import pandas as pd

    from recruitsim.economics.compare import count, interval, money

    eff = f"{args.outcome}_averted"
    shown = pd.DataFrame({
        "rank": ["n.d." if pd.isna(v) else str(v) for v in table["rank"]],
        "scenario": table["name"],
        "incr. cost": [money(v) for v in table["incremental_cost"]],
        "recruits averted": [count(v) for v in table["recruits_averted"]],
        f"{args.outcome.replace('_', ' ')} averted [10%, 90%]": [interval(v, lo, hi, f=count) for v, lo, hi in
                                                            zip(table[eff], table[f"{eff}_lo"], table[f"{eff}_hi"])],
        "$/homicide": [money(v) for v in table["cost_per_homicide_averted"]],
        "net benefit": [money(v) for v in table["net_benefit"]],
        "who pays": [", ".join(f"{c} {money(v)}" for c, v in p.items() if v > 0) or "-" for p in table["payers"]],
    })
    print(f"Regional comparison over {','.join(countries)} ({'not coupled' if args.no_coupling else 'coupled by cocaine flows'}), "
          f"{args.replicates} paired replicates; the region = the sum of its countries, each priced with its own costs; "
          "n.d. = the region's 10-90% interval includes zero")
    print(shown.to_string(index=False))
