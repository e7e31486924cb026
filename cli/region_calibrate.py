"""``recruitsim region-calibrate``: the flow coupling's route shares calibrated to published seizures and flow
facts (``region.calibrate_flows``; docs/region.md, "Calibration of the coupling"). Registered in cli/main.py."""

from __future__ import annotations

import sys
from pathlib import Path

from recruitsim.scenarios.provenance import dumps

from .args import int_in

DOCS = Path(__file__).resolve().parent.parent / "docs" / "region.md"


def register(sub) -> None:
    from recruitsim.region.calibrate_flows import DRAWS, SEED

    p = sub.add_parser("region-calibrate", help="calibrate the regional route shares to published seizures and flow facts",
                       description="Fit the route shares of region/data/routes.csv (prior: their GUESS ranges) to the seizures "
                                   "in seizures.csv and the flow facts in flow_targets.csv; print the result, or --write it.")
    p.add_argument("--draws", type=int_in("--draws", 1_000, 1_000_000), default=DRAWS, help=f"sampler draws (default {DRAWS:,})")
    p.add_argument("--seed", type=int_in("--seed", 0, 2**62), default=SEED, help=f"random seed (default {SEED})")
    p.add_argument("--write", action="store_true",
                   help="if the fit is sound, write the shares into region/data/routes.csv and the tables into docs/region.md")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_region_calibrate)


def cmd_region_calibrate(args) -> int:
    from recruitsim.region import flow_report as fr
    from recruitsim.region import routes as rt
    from recruitsim.region.calibrate_flows import calibrate
    from recruitsim.region.flow_targets import load_seizures

    post = calibrate(args.draws, args.seed)
    shares = fr.written_shares(post)
    second = calibrate(args.draws, args.seed + 1) if args.write else None
    bad = fr.problems(post, shares, second)
    if args.json:
        print(dumps({"routes": fr.route_summary(post), "written": shares, "problems": bad, "ess_prior": post.ess_prior,
                     "exponents": post.exponents, "acceptance": post.acceptance}))
    else:
        print(fr.markdown(post, shares, load_seizures()[1], args.seed))
    if not args.write:
        return 0
    if bad:
        print("not written, the fit is not sound:\n  " + "\n  ".join(bad), file=sys.stderr)
        return 1
    fr.write_routes(shares)
    rt.routes.cache_clear()
    rt.route_priors.cache_clear()
    written = fr.update_docs(fr.markdown(post, shares, load_seizures()[1], args.seed), DOCS) if DOCS.exists() else False
    print(f"wrote {fr.ROUTES_CSV}" + (f" and the tables in {DOCS}" if written else ""), file=sys.stderr)
    return 0
