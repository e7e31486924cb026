"""recruitsim app: compare a policy package with the baseline, in the browser.

    recruitsim app                 # serves http://127.0.0.1:8765
    solara run app.py              # the same, from the repository root

Pick a country, switch policies on, press **Run**. The baseline (no new policy) and the scenario run
with the same random numbers for a few replicates; the charts, neighbourhood maps and the
cost-effectiveness table fill in as replicates finish. The work happens in a background thread and
worker processes (``app_logic/run.py``); this file is only the page. Each browser session has its
own state: everything below lives in component hooks, nothing in module-level variables.

Why not Mesa's ``SolaraViz``: it drives *one* model instance step by step from its own sidebar, while
this page compares two scenarios over several replicates run off the page's thread; the charts and
maps here are plain Solara components fed from the model's outputs and property layers.
"""

from __future__ import annotations

import markdown
import solara
import solara.lab

from recruitsim.app_logic import charts as C
from recruitsim.app_logic import hostguard
from recruitsim.app_logic import run as R
from recruitsim.app_logic import state as S
from recruitsim.app_logic import summary as M
from recruitsim.model.policies import KINDS
from recruitsim.model.profiles import get_profile

try:  # the fixed "runs on Solara" banner covers the charts' corner
    import solara.server.settings

    solara.server.settings.theme.show_banner = False
except Exception:  # pragma: no cover - other Solara versions
    pass

# Host/Origin checks (DNS rebinding, cross-site WebSocket) when served by `recruitsim app`
hostguard.install()

TITLE = "recruitsim: youth recruitment into criminal groups, and the policies that prevent it"
CSS = """
.rs-table { border-collapse: collapse; width: 100%; font-size: 14px; }
.rs-table th, .rs-table td { border-bottom: 1px solid #e0e0e0; padding: 6px 10px; text-align: left; vertical-align: top; }
.rs-table th { background: #f5f5f5; font-weight: 600; }
.rs-table td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
.rs-help { cursor: help; border-bottom: 1px dotted #888; }
.rs-range { color: #666; font-size: 12px; }
.rs-caption { color: #555; font-size: 13px; margin: 2px 4px 4px 4px; }
.rs-change { font-size: 24px; font-weight: 600; line-height: 1.3; }
.rs-policy-desc { color: #555; font-size: 12px; margin: -10px 0 6px 44px; line-height: 1.35; }
.rs-prose p { margin: 4px 0; }
.rs-prose ul { margin: 4px 0 8px 0; }
"""

ABOUT = """
### What the page shows

* **Baseline** (grey, dashed): the country as it is, with no new policy.
* **With the policies** (blue): the same country with the policies you switched on.
* Both run with the **same random numbers**, replicate by replicate, so the gap between the two lines is the
  effect of the policies and not chance. Each **replicate** repeats the pair with other random numbers;
  the lines are the median across replicates and the **shaded bands** their 10-90% range.
* Figures are **national**: each simulated youth stands for many real ones (the country's population aged
  10-29 divided by the number of simulated youths). More simulated youths give less noise but take longer.
* Each run first simulates a 5-year **burn-in** (not shown) so that the starting point is settled; year 1
  is the first year after the policies start.

### The outcomes

* **Recruitment**: youths 10-29 joining a criminal group during the year (outside and inside prison).
* **Group membership**: youths 10-29 who are members at the end of the year.
* **Homicide rate**: homicides of all ages per 100,000 population per year.
* **Incarceration**: prisoners of all ages per 100,000 population.
* **Neighbourhood maps**: which group controls each neighbourhood and how violent it is, at the end of
  replicate 1 (from the model's neighbourhood property layers).
* **Cost-effectiveness table**: the extra cost against the baseline and what it buys (recruits, homicides
  and prison-years averted; cost per outcome; net benefit). Hover over a measure for its definition.

### The policies

* **Individual programmes** (mentoring, school support, employment, family-violence prevention) enrol a
  share of the eligible youths (*coverage*); *who is enrolled first* sets the targeting.
* **Area policies** (mass policing, focused deterrence) act in a share of neighbourhoods, the most violent first.
* **National policies** (reporting hotline, border interdiction) act everywhere.
* *Active from year ... to year ...* sets when a policy starts and stops (year 0 = when the comparison starts).
* Every effect size and cost, with its range and source, is on the *Parameters and outputs* tab.

### Caveats

Many effect sizes are documented guesses (marked `GUESS`, with what they rest on) and the country profiles
are built from published figures. Treat the results as a structured, transparent way to compare options
and their uncertainty, not as forecasts. The model is described in full (ODD protocol) in the project's `docs/`.
"""

INTRO = """
**How to use it:** pick a country on the left, switch on one or more policies (or start from a library
scenario), and press **Run**. You will see:

* four charts (recruitment, group membership, homicide rate, incarceration), baseline in grey and your
  scenario in blue, growing year by year while the simulation runs, with an uncertainty band once the
  replicates finish;
* maps of which group controls each neighbourhood and how violent it is, with and without the policies;
* a cost-effectiveness table against the baseline (hover over a measure for its meaning);
* buttons to download the results as CSV.
"""


def Prose(text: str, classes: list[str] | None = None):
    """Markdown written here (never user input), as HTML. Not ``solara.Markdown``: it loads KaTeX from the
    internet for formulas, which fails offline and stalls the page."""
    return solara.HTML(tag="div", unsafe_innerHTML=markdown.markdown(text), classes=["rs-prose", *(classes or [])])


# ---- left column: the scenario ---------------------------------------------------------------------------
@solara.component
def PolicyEditor(choice: S.PolicyChoice, years: int, on_change):
    kind = KINDS[choice.kind]
    cost = kind.params["unit_cost"]

    def set_(**kw):
        on_change(S.with_policy_choice(choice, **kw))

    solara.Switch(label=S.POLICY_LABELS[choice.kind], value=choice.on, on_value=lambda on: set_(on=on),
                  classes=[f"rs-switch-{choice.kind}"])
    solara.HTML(tag="div", unsafe_innerHTML=f"{kind.description}. Costs {cost.default:,.0f} {cost.unit}.",
                classes=["rs-policy-desc"])
    if not choice.on:
        return
    with solara.Column(gap="0px", style={"margin": "0 0 10px 44px", "padding-left": "10px",
                                         "border-left": f"3px solid {C.SCENARIO_COLOUR}"}):
        if choice.level == "national":
            solara.Text(S.COVERAGE_MEANING["national"] + ".", style={"font-size": "13px"})
        else:
            solara.SliderInt(f"Coverage: {choice.coverage:.0%}", value=int(round(choice.coverage * 100)), min=0, max=100,
                             step=5, on_value=lambda pct: set_(coverage=pct / 100.0), thumb_label=False)
            solara.HTML(tag="div", unsafe_innerHTML=S.COVERAGE_MEANING[choice.level], classes=["rs-range"],
                        style="margin: -2px 0 12px 0")
        if choice.level == "individual":
            names = {v: k for k, v in S.TARGETING_LABELS.items()}
            solara.Select("Who is enrolled first", values=list(names), value=S.TARGETING_LABELS[choice.targeting],
                          on_value=lambda label: set_(targeting=names.get(label, choice.targeting)), dense=True)
        end = years if choice.end_year is None else min(choice.end_year, years)
        start = choice.start_year  # shown as stored; validation explains a start after the run's end

        def set_years(span):
            lo, hi = int(span[0]), int(span[1])
            set_(start_year=lo, end_year=None if hi >= years else hi)

        solara.SliderRangeInt(f"Active from year {start} to year {end}", value=(min(start, years), end), min=0, max=years,
                              on_value=set_years, thumb_label=False)


@solara.component
def ScenarioPanel(country, agents, years, seed, replicates, choices, preset):
    n_years = S.years_or_default(years.value)
    options = solara.use_memo(S.country_options, [])
    by_label = {v: k for k, v in options.items()}
    presets = solara.use_memo(S.presets, [])
    preset_labels = {f"{desc} ({name})": name for name, desc in presets.items()}

    def pick_preset(label):
        preset.set(label)
        if label in preset_labels:
            choices.set(S.choices_from_preset(preset_labels[label], n_years))

    def change(new):
        choices.set(S.replace_choice(choices.value, new))
        preset.set(None)

    with solara.Card("1. Country and policies", margin=0):
        solara.Select("Country profile", values=list(options.values()), value=options.get(country.value),
                      on_value=lambda label: country.set(by_label.get(label, S.DEFAULTS["country"])))
        solara.Select("Start from a library scenario (optional)", values=list(preset_labels), value=preset.value,
                      on_value=pick_preset)
        solara.HTML(tag="div", unsafe_innerHTML="<b>Policies</b>: switch on one or more.", style="margin: 8px 0 4px 0")
        for c in choices.value:
            PolicyEditor(c, n_years, change)
    with solara.Card("2. Simulation settings", margin=0, style={"margin-top": "12px"}):
        for label, ref, key, hint in (
            ("Population (simulated youths)", agents, "agents", "More youths: less noise, slower."),
            ("Years after the policies start", years, "years", "Plus a 5-year burn-in, not shown."),
            ("Replicates (for the uncertainty band)", replicates, "replicates", "Each uses other random numbers."),
            ("Seed", seed, "seed", "Same seed and settings give the same results."),
        ):
            lo, hi = S.LIMITS[key]
            problem = S.field_problem(ref.value, label.split(" (")[0], lo, hi)
            solara.InputText(label, value=ref, continuous_update=True, error=bool(problem),
                             message=problem or f"{hint} Allowed: {lo:,} to {hi:,}.", classes=[f"rs-input-{key}"])


# ---- right column: run bar and results -------------------------------------------------------------------
@solara.component
def RunBar(problems: list[str], snap: R.Snapshot | None, running: bool, stopped: bool, stale: bool, on_run, on_stop):
    with solara.Column(classes=["rs-runbar"], gap="6px", style={"background-color": "#F2F7FB", "border": "1px solid #D0E2EF",
                                                                 "border-radius": "6px", "padding": "10px 14px"}):
        with solara.Row(style={"align-items": "center", "flex-wrap": "wrap", "background-color": "transparent"}):
            solara.Button("Run", on_click=on_run, color="primary", disabled=bool(problems), icon_name="mdi-play",
                          classes=["rs-run"], style={"min-width": "120px"})
            if running:
                solara.Button("Stop", on_click=on_stop, outlined=True, icon_name="mdi-stop", classes=["rs-stop"])
            Status(snap, running, stopped, stale)
        for p in problems:
            solara.Error(p, dense=True, classes=["rs-problem"])
        if running and snap is not None:
            solara.ProgressLinear(value=max(3.0, 100 * snap.fraction), color="primary")


@solara.component
def Status(snap: R.Snapshot | None, running: bool, stopped: bool, stale: bool):
    style = {"font-size": "14px", "flex": "1", "min-width": "240px"}
    if snap is None:
        solara.Text("Switch on a policy, then press Run. A default run shows its first results in a second or two.",
                    classes=["rs-status"], style=style)
    elif snap.status == "error":
        solara.Text(snap.message, classes=["rs-status", "rs-status-error"], style={**style, "color": "#B00020"})
    elif running and snap.status == "running":
        solara.Text(snap.message, classes=["rs-status"], style=style)
    elif stopped or snap.status == "cancelled":
        solara.Text("Stopped. The results shown are those finished before you pressed Stop.", classes=["rs-status"],
                    style=style)
    else:
        first = f"first results after {snap.first_results_seconds:.1f} s, " if snap.first_results_seconds else ""
        more = " You have changed the settings since: press Run to update." if stale else ""
        solara.Text(f"Done: {snap.replicates_done} replicate(s) of baseline and scenario ({first}all in "
                    f"{snap.elapsed:.1f} s).{more}", classes=["rs-status", "rs-status-done"], style=style)


@solara.component
def Headline(snap: R.Snapshot, yearly):
    changes = solara.use_memo(lambda: M.headline(yearly, snap.settings.scenario_name, snap.settings.years),
                              [snap.replicates_done, id(snap.settings)])
    if not changes:
        return
    years = snap.settings.years
    with solara.Row(style={"flex-wrap": "wrap", "gap": "10px"}):
        for c in changes:
            pct = 0.0 if abs(c.pct) < 0.05 else c.pct  # no "-0.0%"
            arrow = "▼" if pct < 0 else ("▲" if pct > 0 else "=")
            colour = "#1B7F3B" if pct < 0 else ("#B23B1B" if pct > 0 else "#555555")
            total = snap.replicates_done
            of = "" if c.n == total else f" of {total}"
            if c.n > 1:
                span = f"range {c.pct_lo:+.1f}% to {c.pct_hi:+.1f}% across {c.n}{of} replicates"
            elif total == 1:
                span = "one replicate so far" if snap.status == "running" else "one replicate"
            else:
                span = f"from 1 of {total} replicates"
            if c.n < total:
                span += " (the others had none in the baseline)"
            tip = (f"Scenario against baseline over {years} years: median of the per-replicate changes "
                   f"(each replicate pairs baseline and scenario on the same random numbers). Baseline: "
                   f"{c.baseline:,.1f}; with the policies: {c.scenario:,.1f}.")
            with solara.Card(margin=0, style={"min-width": "200px", "flex": "1"}, classes=["rs-headline"]):
                solara.HTML(tag="div", unsafe_innerHTML=c.label, style="font-size: 13px; color: #555")
                solara.HTML(tag="div", unsafe_innerHTML=f"{arrow} {pct:+.1f}%" if pct else "≈ 0%", classes=["rs-change"],
                            style=f"color: {colour}", attributes={"title": tip})
                solara.HTML(tag="div", unsafe_innerHTML=f"vs baseline; {span}", classes=["rs-range"],
                            attributes={"title": tip})


@solara.component
def Charts(snap: R.Snapshot, yearly):
    s = snap.settings
    band = solara.use_memo(lambda: M.bands(yearly), [id(yearly)])
    lookup = solara.use_memo(lambda: C.band_lookup(band), [id(band)])
    active = [(c.start_year, c.end_year or s.years) for c in s.active]
    reps = int(band["n"].max()) if not band.empty else 0
    with solara.ColumnsResponsive(default=12, large=6):
        for metric, (title, _, _, meaning) in S.CHART_METRICS.items():
            with solara.Card(title, margin=0, classes=[f"rs-chart-{metric}", "rs-chart"]):
                solara.FigureEcharts(option=C.trend_option(lookup, metric, s.scenario_name, "With the policies", s.years, active),
                                     attributes={"style": "height: 280px; width: 100%"}, responsive=True)
                more = (f" Lines: median of {reps} replicates; shading: their 10-90% range." if reps > 1
                        else " The band appears as more replicates finish.")
                solara.HTML(tag="div", unsafe_innerHTML=meaning + more, classes=["rs-caption"])


@solara.component
def Maps(snap: R.Snapshot):
    layers = snap.layers
    n_groups = solara.use_memo(lambda: int(get_profile(snap.settings.country).params().n_groups), [snap.settings.country])
    if not layers:
        return
    vmax = max(float(lay["violence"].max()) for lay in layers.values())
    titles = {"baseline": "Baseline", "scenario": "With the policies"}
    with solara.Card("Neighbourhoods at the end of replicate 1", margin=0, classes=["rs-maps"]):
        solara.HTML(tag="div", classes=["rs-caption"], unsafe_innerHTML=(
            "Each square is a neighbourhood. Left: which criminal group controls it (grey: none). Right: the violence "
            "index, from group presence and rivals' conflict. Hover a square for details."))
        with solara.ColumnsResponsive(default=12, medium=6):
            for key in ("baseline", "scenario"):
                if key not in layers:
                    continue
                lay = layers[key]
                share = float((lay["control"] >= 0).mean())
                solara.FigureEcharts(option=C.map_option(lay, "control", f"{titles[key]}: group control ({share:.0%} of "
                                                                         "neighbourhoods)", n_groups),
                                     attributes={"style": "height: 320px; width: 100%"}, responsive=True)
                solara.FigureEcharts(option=C.map_option(lay, "violence", f"{titles[key]}: violence (mean "
                                                                          f"{float(lay['violence'].mean()):.2f})",
                                                         n_groups, vmax),
                                     attributes={"style": "height: 320px; width: 100%"}, responsive=True)


@solara.component
def CostTableCard(snap: R.Snapshot):
    ct = solara.use_memo(lambda: M.cost_effectiveness(M.complete_pairs(snap.results), snap.settings.country)
                         if snap.replicates_done else None, [snap.replicates_done, id(snap.settings)])
    with solara.Card("Cost-effectiveness against the baseline", margin=0, classes=["rs-cost"]):
        if ct is None:
            solara.Text("The table appears when replicate 1 of both runs has finished.")
            return
        rows = M.table_cells(ct)
        if not rows:
            solara.Info(ct.note, classes=["rs-cost-note"])
            return
        describe = "; ".join(a.describe(snap.settings.years) for a in snap.settings.active)
        solara.HTML(tag="div", unsafe_innerHTML=M.table_html(rows, describe), classes=["rs-cost-table"])
        solara.HTML(tag="div", unsafe_innerHTML=ct.note + " Hover over a measure or a figure for its definition.",
                    classes=["rs-caption"])
        solara.FileDownload(lambda: ct.table.to_csv(index=False), filename=f"cost_effectiveness_{snap.settings.country}.csv",
                            label="Download this table (CSV)", mime_type="text/csv")


@solara.component
def Results(snap: R.Snapshot):
    s = snap.settings
    yearly = solara.use_memo(lambda: M.annual(snap.results), [id(snap)])  # shared by the headline and the charts
    with solara.Column(gap="12px"):
        Prose(f"**{get_profile(s.country).name}** · {s.agents:,} simulated youths · {s.years} years · seed {s.seed} · "
              f"{s.replicates} replicate(s)  \n**Scenario:** {'; '.join(c.describe(s.years) for c in s.active)}")
        Headline(snap, yearly)
        Charts(snap, yearly)
        Maps(snap)
        CostTableCard(snap)
        if not snap.results.empty:
            with solara.Row(style={"align-items": "center"}):
                solara.FileDownload(lambda: M.results_csv(snap), filename=M.csv_filename(s),
                                    label="Download the monthly results (CSV)", mime_type="text/csv")
                solara.HTML(tag="span", classes=["rs-caption"], unsafe_innerHTML=(
                    "One row per scenario, replicate and month; the columns are explained on the "
                    "<i>Parameters and outputs</i> tab."))


# ---- other tabs ------------------------------------------------------------------------------------------
@solara.component
def ParametersView(country: str):
    query = solara.use_reactive("")
    table = solara.use_memo(lambda: S.parameter_table(country), [country])
    shown = S.search_parameters(table, query.value)
    Prose("Every number the model uses: what it means, its default, its value in the chosen country profile, "
          "its allowed range, unit and source. `GUESS` marks a documented guess that calibration or future evidence "
          "should replace. In a calibrated profile the calibrated parameters show their posterior median and 90% interval: "
          "replicate *r* of a run takes posterior draw *r*, in baseline and scenario alike (`docs/calibration.md`). "
          "Policy effects show the evidence median, its 90% interval, the distribution replicate *r* draws effect set *r* "
          "from (the same in baseline and scenario) and the evidence grade: A randomised trial in Latin America, B trial "
          "elsewhere or strong LAC quasi-experiment, C meta-analysis of weaker designs, D expert guess "
          "(`docs/policy-evidence.md`). Source tags are explained in the project's `docs/EVIDENCE.md`.")
    solara.InputText("Search (e.g. recruit, prison, mentoring, PROTON)", value=query, continuous_update=True,
                     classes=["rs-param-search"])
    solara.Text(f"{len(shown)} of {len(table)} parameters", classes=["rs-param-count"], style={"color": "#555555"})
    solara.DataFrame(shown, items_per_page=20)
    Prose("### Outputs: the columns of the results CSV")
    solara.DataFrame(S.outputs_table(), items_per_page=15)


# ---- the page --------------------------------------------------------------------------------------------
@solara.component
def Comparison(settings: S.Settings | None, problems: list[str]):
    """The run bar and the results. It owns the background task, so a result update redraws this part
    of the page only, not the controls on the left."""
    stopped = solara.use_reactive(False)

    def work(s: S.Settings):
        # runs in a background thread; stops when Stop or Run is pressed again, or the page is closed
        yield from R.run_comparison(s, should_stop=lambda: not task.is_current())

    task = solara.lab.use_task(work, dependencies=None, raise_error=False)
    solara.use_effect(R.warm_up_in_background, [])  # start the workers while the user reads the page

    def run():
        if settings is not None:
            stopped.set(False)
            task(settings)

    def stop():
        if task.pending:
            task.cancel()
            stopped.set(True)

    snap = task.latest if isinstance(task.latest, R.Snapshot) else None
    if task.error:  # run_comparison reports its own failures; this catches anything else
        problems = [*problems, f"The run failed: {task.exception}"]
    stale = snap is not None and settings != snap.settings
    with solara.Column(gap="12px"):
        RunBar(problems, snap, task.pending, stopped.value, stale, run, stop)
        if snap is None:
            Prose(INTRO)
            # load the chart library now, not after Run (an invisible, empty chart)
            solara.FigureEcharts(option={}, attributes={"style": "height: 1px; width: 1px; opacity: 0"})
        else:
            Results(snap)


@solara.component
def Page():
    country = solara.use_reactive(S.DEFAULTS["country"])
    agents = solara.use_reactive(str(S.DEFAULTS["agents"]))
    years = solara.use_reactive(str(S.DEFAULTS["years"]))
    seed = solara.use_reactive(str(S.DEFAULTS["seed"]))
    replicates = solara.use_reactive(str(S.DEFAULTS["replicates"]))
    choices = solara.use_reactive(S.default_choices())
    preset = solara.use_reactive(None)
    settings, problems = S.validate(country.value, agents.value, years.value, seed.value, replicates.value, choices.value)

    solara.Style(CSS)
    solara.Title("recruitsim")
    with solara.Column(style={"padding": "12px 16px"}, gap="8px"):
        solara.HTML(tag="h2", unsafe_innerHTML=TITLE, style="margin: 0; font-weight: 500")
        solara.HTML(tag="div", classes=["rs-caption"], unsafe_innerHTML=(
            "An agent-based simulation of how young people (10-29) in Latin America and the Caribbean are drawn into "
            "criminal groups, and of what prevention and enforcement policies change, at what cost. Figures are "
            "national: each simulated youth stands for many real ones."))
        with solara.lab.Tabs():
            with solara.lab.Tab("Compare policies", icon_name="mdi-chart-line"):
                with solara.ColumnsResponsive(default=12, large=[4, 8], xlarge=[3, 9]):
                    ScenarioPanel(country, agents, years, seed, replicates, choices, preset)
                    Comparison(settings, problems)
            with solara.lab.Tab("Parameters and outputs", icon_name="mdi-table-search"):
                ParametersView(country.value)
            with solara.lab.Tab("How to read this", icon_name="mdi-help-circle-outline"):
                Prose(ABOUT)


page = Page
