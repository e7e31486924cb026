"""``recruitsim calibrate``, ``recruitsim profiles`` and ``recruitsim trial`` (registered in cli/main.py)."""

from __future__ import annotations

import sys
import time
from pathlib import Path

from recruitsim.scenarios.provenance import dumps

from .args import MAX_AGENTS, SCHEDULER_HELP, UsageError, add_tls_args, country_arg, float_in, int_in, scheduler_options, writable_dir


def _engine_args(p) -> None:
    g = p.add_mutually_exclusive_group()
    g.add_argument("--workers", type=int_in("--workers", 1, 1024), help="local worker processes (default: all cores)")
    g.add_argument("--dask-local", type=int_in("--dask-local", 1, 1024), metavar="W", help="a local Dask cluster with W workers")
    g.add_argument("--scheduler", metavar="ADDRESS", help=SCHEDULER_HELP)
    add_tls_args(p)


def _engine(args):
    from recruitsim.scenarios.engine import Engine

    return Engine(workers=args.workers, dask_local=args.dask_local, **scheduler_options(args))


def _default_root(code: str, until: int | None = None) -> Path:
    """Without --out: ``results/calibration/<CODE>`` in the current folder (never the installed package;
    the shipped posteriors in calibration/posteriors are written by developers with ``--out calibration``)."""
    return Path("results") / ("calibration" if until is None else f"validation-{until}") / code


# ---- calibrate ------------------------------------------------------------------------------------
def cmd_calibrate(args) -> int:
    from recruitsim.calibration import targets as targets_mod
    from recruitsim.model.profiles import all_codes

    if args.pool:
        return _pool(args)
    if (args.country is None) == (not args.all):
        raise UsageError("calibrate: give --country C, --all or --pool")
    scheduler_options(args)  # --scheduler / --tls-* checked before anything is written
    if args.budget < 2 * args.particles:
        raise UsageError(f"--budget must be at least 2 x --particles ({2 * args.particles}: the first generation), got {args.budget}")
    codes = all_codes() if args.all else [args.country]
    for code in codes:
        if not targets_mod.for_profile(code):
            raise UsageError(f"--country: {code} has no calibration targets in calibration/targets.csv")
    if args.out is not None:
        root = writable_dir("--out")(str(args.out))
    else:
        root = _default_root(codes[0] if len(codes) == 1 else "all", args.until)
        if (args.recheck or args.refresh) and not root.exists():
            raise UsageError(f"--recheck: no calibration in {root}; give the folder of one with --out DIR")
        root = writable_dir("--out")(str(root))
    if args.refresh:
        return _refresh(codes, root, report=not args.no_report)
    try:
        with _engine(args) as eng:
            for code in codes:
                if args.recheck:
                    from recruitsim.calibration.calibrate import log_stderr, recheck

                    if not (root / "posteriors" / f"{code}.json").exists():
                        print(f"{code}: no posterior in {root / 'posteriors'}; nothing to recheck", file=sys.stderr)
                        continue
                    recheck(code, eng, root, replicates=args.predictive or 60, report=not args.no_report, log=log_stderr)
                    continue
                if args.skip_existing and (root / "posteriors" / f"{code}.json").exists():
                    print(f"{code}: already calibrated in {root / 'posteriors'}; skipped", file=sys.stderr)
                    continue
                _calibrate_one(args, code, eng, root)
    except KeyboardInterrupt:
        print("interrupted: the profile being calibrated was not written", file=sys.stderr)
        return 130
    return 0


def _pooling_record(path: Path) -> dict:
    import json

    try:
        record = json.loads(Path(path).read_text(encoding="utf-8"))
        if not isinstance(record.get("hyper"), dict):
            raise ValueError("no 'hyper' table")
    except (OSError, ValueError, AttributeError) as e:
        raise UsageError(f"--prior-from: {path}: not a pooling record written by 'calibrate --pool' ({e})") from None
    return record


def _pool(args) -> int:
    """Partial pooling of the countries calibrated in --out (calibration/pooling.py), then each pooled
    country's posterior predictive check re-run with the re-weighted posterior."""
    from recruitsim.calibration.calibrate import log_stderr, recheck
    from recruitsim.calibration.pooling import pool
    from recruitsim.model.profiles import REGIONAL, all_codes

    if args.out is None:
        raise UsageError("--pool: give the folder of the country calibrations with --out DIR")
    root = writable_dir("--out")(str(args.out))
    codes = [c for c in all_codes() if c != REGIONAL and (root / "posteriors" / f"{c}.csv").exists()]
    if len(codes) < 3:
        raise UsageError(f"--pool: {root / 'posteriors'} has {len(codes)} country posteriors; pooling needs at least 3")
    scheduler_options(args)
    record = pool(root, codes)
    for code, r in record["countries"].items():
        print(f"{code}: ESS {r['ess_unpooled']:.0f} -> {r['ess_pooled']:.0f}"
              f"{'' if r['applied'] else ' (too thin: stage-1 posterior kept)'}", file=sys.stderr)
    if args.predictive:
        with _engine(args) as eng:
            for code in codes:
                recheck(code, eng, root, replicates=args.predictive, report=not args.no_report, log=log_stderr)
    print(dumps(record) if args.json else f"pooled {len(codes)} countries; hyperparameters in {root / 'pooling.json'}")
    return 0


def _refresh(codes: list[str], root: Path, report: bool) -> int:
    from recruitsim.calibration.calibrate import refresh

    for code in codes:
        if not (root / "posteriors" / f"{code}.json").exists() or not (root / "reports" / f"{code}_predictive.csv").exists():
            print(f"{code}: no posterior and predictive draws in {root}; nothing to refresh", file=sys.stderr)
            continue
        meta = refresh(code, root, report=report)
        cov = sum(t["covered"] for t in meta["targets"])
        print(f"{code}: summaries redone from the saved draws: {cov}/{len(meta['targets'])} targets covered", file=sys.stderr)
    return 0


def _calibrate_one(args, code: str, eng, root: Path) -> None:
    from recruitsim.calibration.calibrate import calibrate, log_stderr
    from recruitsim.calibration.simulate import Settings

    settings = Settings(agents=args.agents, years=args.years, burn_in=args.burn_in)
    tic = time.perf_counter()
    log = log_stderr if not args.quiet else None
    if log:
        log(f"calibrating {code}: budget {args.budget} simulations of {args.agents:,} agents on {eng.description}")
    cal = calibrate(code, eng, budget=args.budget, particles=args.particles, seed=args.seed, settings=settings,
                    predictive=args.predictive, eps_min=args.tolerance, log=log, until=args.until,
                    pooled=_pooling_record(args.prior_from) if args.prior_from else None)
    written = cal.write(root, report=not args.no_report)
    total = time.perf_counter() - tic
    summary = cal.summary()
    n_cov = sum(t["covered"] for t in summary["targets"])
    if args.json:
        print(dumps({"country": code, "seconds": round(total, 1), "simulations": cal.result.simulations,
                          "stop_reason": cal.result.stop_reason, "files": [str(p) for p in written],
                          "posteriors": str(root / "posteriors"), **summary}), flush=True)
    else:
        for t in summary["targets"]:
            obs = t["observed"] if not isinstance(t["observed"], list) else f"{t['observed'][0]:g}-{t['observed'][1]:g}"
            if t["low"] is None or t["high"] is None:  # --predictive 0: no predictive check
                print(f"{code} {t['name']:26s} observed {obs!s:>14}  no posterior predictive check (--predictive 0)")
                continue
            print(f"{code} {t['name']:26s} observed {obs!s:>14}  90% predictive {t['low']:>10.4g} - {t['high']:<10.4g} "
                  f"{'covered' if t['covered'] else 'NOT covered'}")
        print(f"{code}: {n_cov}/{len(summary['targets'])} targets covered; {cal.result.simulations} simulations "
              f"(+{len(cal.predictive)} predictive) in {total:.0f} s; wrote {', '.join(str(p) for p in written)}", flush=True)
        for e in summary.get("out_of_sample", []):
            obs = e["observed"] if not isinstance(e["observed"], list) else f"{e['observed'][0]:g}-{e['observed'][1]:g}"
            f = e["forecast"]
            print(f"{code} held out {e['name']:18s} {e['year']}  observed {obs!s:>14}  90% predictive "
                  f"{e['low']:>10.4g} - {e['high']:<10.4g} {'covered' if e['covered'] else 'NOT covered'}; "
                  f"forecast {f['low']:.4g} - {f['high']:.4g} {'covered' if f['covered'] else 'NOT covered'}")
        if "out_of_sample_coverage" in summary:
            c, f = summary["out_of_sample_coverage"], summary["out_of_sample_forecast_coverage"]
            print(f"{code}: fitted on data up to {args.until}; {c['covered']}/{c['observations']} later observations "
                  f"covered by the predictive interval, {f['covered']}/{f['observations']} by the forecast interval "
                  f"(with the series' pre-split volatility)")
        print(f"{code}: to run with this posterior: RECRUITSIM_POSTERIORS={root / 'posteriors'} recruitsim run --country {code}",
              flush=True)


# ---- profiles -------------------------------------------------------------------------------------
def cmd_profiles(args) -> int:
    from recruitsim.calibration.posterior import profiles_summary

    s = profiles_summary()
    if args.json:
        print(dumps(s))
        return 0
    for p in s["profiles"]:
        tg = p["targets"]
        if p["calibrated"]:
            cov = sum(bool(t["covered"]) for t in tg)
            names = ", ".join(f"{t['name']}{'' if t['covered'] else ' (NOT covered)'}" for t in tg)
            print(f"{p['country']:4s} calibrated    {cov}/{len(tg)} covered: {names}")
        else:
            print(f"{p['country']:4s} uncalibrated  targets: {', '.join(t['name'] for t in tg)}")
    c = s["coverage"]
    print(f"\n{c['calibrated_profiles']}/{c['profiles']} profiles calibrated; {c['covered']}/{c['targets']} targets "
          f"covered ({100 * (c['share'] or 0):.0f}%); observed (not fallback) targets {c['observed_covered']}/{c['observed_targets']}")
    o = s["out_of_sample"]
    if o["observations"]:
        f = o["forecast"]
        print(f"out of sample (split fits on the data up to 2019): {o['covered']}/{o['observations']} later observations "
              f"inside the 90% predictive interval, {f['covered']}/{f['observations']} inside the 90% forecast interval "
              f"(with the pre-split volatility); docs/calibration.md, 'Out-of-sample validation'")
    return 0


# ---- trial ----------------------------------------------------------------------------------------
def cmd_trial(args) -> int:
    from recruitsim.calibration.trial import CHECKS, PUBLISHED, format_result, run_trial

    if args.program != "mentoring":
        raise UsageError(f"trial: only 'mentoring' has an in-model trial, got '{args.program}'")
    try:
        with _engine(args) as eng:
            res = run_trial(args.country, eng, replicates=args.replicates, agents=args.agents, seed=args.seed,
                            months=args.months, share=args.share)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    bca = None
    if args.economics:
        from recruitsim.economics.trial_bca import trial_bca

        bca = trial_bca(res, "USA", seed=args.seed)
    if args.json:
        extra = {"economics": bca, "bcr": bca["bcr"], "benefits_per_participant": bca["benefits_per_participant"],
                 "published_bca": bca["published"], "why_different": bca["why_different"]} if bca else {}
        print(dumps({**res, "published": PUBLISHED, "checks": CHECKS, **extra}))
    else:
        print(format_result(res))
        if bca:
            print(format_bca(bca))
    return 0


def format_bca(b: dict) -> str:
    w = b["published"]["wsipp_becoming_a_man"]
    r = b["bcr"]
    lines = ["", f"Benefit-cost per participant ({b['prices']}); programme cost {b['program_cost']['central']:,.0f}",
             f"  BCR median {r['median']:.2f} [10% {r['lo']:.2f}, 90% {r['hi']:.2f}]; P(B>C) {b['p_benefit_exceeds_cost']:.2f}; "
             f"published: WSIPP {w['bcr']} (benefits {w['benefits_per_participant']:,} in 2022 USD, {w['chance_benefits_exceed_costs']:.0%} "
             f"chance B>C); Heller et al. 2017: 5-30 to 1"]
    lines += [f"  {k:22s} {v['mean']:>10,.0f} [{v['lo']:,.0f}, {v['hi']:,.0f}]" for k, v in b["benefits_per_participant"].items()]
    lines += [f"  note: {t}" for t in b["why_different"]]
    return "\n".join(lines)


def register(sub) -> None:
    p = sub.add_parser("calibrate", help="calibrate a profile to its targets (ABC), with a fit report")
    p.add_argument("--country", type=country_arg, help="LAC or an ISO3 code")
    p.add_argument("--all", action="store_true", help="every profile in turn (LAC first)")
    p.add_argument("--skip-existing", action="store_true", help="with --all: skip profiles already calibrated in the output directory")
    p.add_argument("--until", type=int_in("--until", 2012, 2023), default=None, metavar="YEAR",
                   help="out-of-sample validation: fit homicide and incarceration to the series up to YEAR "
                        "(the 5 years before it) and report how many later observations the posterior predicts "
                        "(default output results/validation-YEAR/<CODE>)")
    p.add_argument("--refresh", action="store_true",
                   help="redo the summaries (targets, predictions, identification) and reports from the saved posterior "
                        "and predictive draws, without simulating")
    p.add_argument("--pool", action="store_true",
                   help="partial pooling: fit a regional hierarchical prior to the country posteriors in --out and "
                        "re-weight each of them by it (two-stage; calibration/pooling.py), then re-run their "
                        "predictive checks (--predictive replicates each)")
    p.add_argument("--prior-from", type=Path, metavar="POOLING_JSON",
                   help="stage 2 of partial pooling: use the hierarchical prior in this pooling.json (written by "
                        "--pool; the other countries' hyperparameters) for the pooled parameters")
    p.add_argument("--recheck", action="store_true",
                   help="keep the posterior, re-run only its posterior predictive check with the current model code")
    p.add_argument("--budget", type=int_in("--budget", 10, 1_000_000), default=800, help="simulations (default 800)")
    p.add_argument("--particles", type=int_in("--particles", 4, 100_000), default=100,
                   help="particles kept (the posterior sample; default 100); the first generation runs 2x as many "
                        "simulations, later ones half as many")
    p.add_argument("--tolerance", type=float_in("--tolerance", 0, 100), default=1.0,
                   help="stop when all kept particles are within this many tolerances of every target (default 1)")
    p.add_argument("--predictive", type=int_in("--predictive", 0, 100_000), default=60,
                   help="posterior predictive replicates for the fit report (default 60)")
    p.add_argument("--agents", type=int_in("--agents", 1_000, MAX_AGENTS), default=50_000, help="agents per simulation (default 50,000)")
    p.add_argument("--years", type=float_in("--years", 1, 50), default=3, help="years averaged after the burn-in (default 3)")
    p.add_argument("--burn-in", type=float_in("--burn-in", 0, 100), default=5, help="burn-in years (default 5)")
    p.add_argument("--seed", type=int_in("--seed", 0, 2**62), default=1, help="random seed (default 1)")
    p.add_argument("--out", type=Path, help="write posteriors/ and reports/ here (default: results/calibration/<CODE>); use them with "
                        "RECRUITSIM_POSTERIORS=DIR/posteriors")
    p.add_argument("--no-report", action="store_true", help="skip the markdown and PNG fit report")
    p.add_argument("--json", action="store_true", help="print a JSON summary")
    p.add_argument("--quiet", action="store_true", help="no progress lines on stderr")
    _engine_args(p)
    p.set_defaults(func=cmd_calibrate)

    p = sub.add_parser("profiles", help="profiles, calibration status and fit (targets vs 90%% posterior predictive)")
    p.add_argument("--json", action="store_true", help='print {"profiles": [{"country", "calibrated", "targets": [...]}]}')
    p.set_defaults(func=cmd_profiles)

    p = sub.add_parser("trial", help="in-model randomised trial of a program (mentoring), next to the published effect")
    p.add_argument("program", help="mentoring")
    p.add_argument("--country", type=country_arg, default="LAC", help="LAC or an ISO3 code (default LAC)")
    p.add_argument("--replicates", type=int_in("--replicates", 1, 10_000), default=20, help="replicates (default 20)")
    p.add_argument("--agents", type=int_in("--agents", 1_000, MAX_AGENTS), default=100_000, help="agents (default 100,000)")
    p.add_argument("--months", type=int_in("--months", 1, 120), default=12, help="program length in months (default 12)")
    p.add_argument("--share", type=float_in("--share", 0.05, 0.95), default=0.5, help="share randomised to the program (default 0.5)")
    p.add_argument("--seed", type=int_in("--seed", 0, 2**62), default=1, help="random seed (default 1)")
    p.add_argument("--economics", choices=("US",), default=None,
                   help="also price the trial per participant with US inputs (US crime costs, US VSL, the programme's own cost) "
                        "beside WSIPP's and Heller et al.'s published benefit-cost figures")
    p.add_argument("--json", action="store_true", help="print the result as JSON")
    _engine_args(p)
    p.set_defaults(func=cmd_trial)
