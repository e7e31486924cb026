"""recruitsim app: compare prevention and enforcement options side by side, in the browser.

    recruitsim app                 # serves http://127.0.0.1:8765
    solara run app.py              # the same, from the repository root

Pick a country and several options (library scenarios, single levers or your own packages; a sensible set is
chosen on arrival), press **Run**. The baseline and every option run with the same random numbers for a few
replicates, and the options are ranked with the metrics of ``recruitsim compare`` (``recruitsim.economics``):
the cost-effectiveness plane, the efficiency frontier, outcomes averted, net benefit and the chance that benefits
exceed costs, each with its interval and evidence grade. The work happens in worker processes
(``app_logic/run.py``); this file is only the page. Each browser session has its own state (component hooks);
the settings travel in the page's URL, so a link reproduces a run.

Why not Mesa's ``SolaraViz``: it drives *one* model instance step by step from its own sidebar, while this page
compares many scenarios over several replicates run off the page's thread.
"""

from __future__ import annotations

import html
from pathlib import Path

import markdown
import solara
import solara.lab

from recruitsim.app_logic import budget as BU
from recruitsim.app_logic import charts as C
from recruitsim.app_logic import eligible as E
from recruitsim.app_logic import geo as G
from recruitsim.app_logic import hostguard
from recruitsim.app_logic import options as O
from recruitsim.app_logic import portfolio as PF
from recruitsim.app_logic import region_run as RR
from recruitsim.app_logic import region_view as RV
from recruitsim.app_logic import run as R
from recruitsim.app_logic import state as S
from recruitsim.app_logic import summary as M
from recruitsim.model.policies import KINDS
from recruitsim.model.profiles import get_profile
from recruitsim.scenarios import library

try:  # the fixed "runs on Solara" banner covers the charts' corner
    import solara.server.settings

    solara.server.settings.theme.show_banner = False
except Exception:  # pragma: no cover - other Solara versions
    pass

# Host/Origin checks (DNS rebinding, cross-site WebSocket) when served by `recruitsim app`
hostguard.install()

TITLE = "recruitsim: which policies keep young people out of criminal groups, and at what cost"
CSS = """
.rs-table { border-collapse: collapse; width: 100%; font-size: 13px; }
.rs-table th, .rs-table td { border-bottom: 1px solid #e0e0e0; padding: 5px 8px; text-align: left; vertical-align: top; }
.rs-table th { background: #f5f5f5; font-weight: 600; }
.rs-table td.num { text-align: right; font-variant-numeric: tabular-nums; }
.rs-rank td.rs-unclear { color: #666; font-style: italic; }
.rs-rank td.num { white-space: normal; min-width: 64px; }
.rs-rank td.num .rs-range { display: block; }
.rs-rank th { font-size: 12px; }
.rs-rank td.rs-rank-option { min-width: 140px; }
.rs-ranking-table { overflow-x: auto; }
.rs-rank tr.rs-rank-baseline td { background: #fafafa; color: #555; }
.rs-rank td.rs-rank-option { font-weight: 600; }
.rs-rank td.rs-rank-n { font-size: 18px; font-weight: 700; }
.rs-help { cursor: help; border-bottom: 1px dotted #888; }
.rs-range { color: #666; font-size: 11px; font-style: normal; }
.rs-caption { color: #555; font-size: 13px; margin: 2px 4px 4px 4px; }
.rs-option-desc { color: #555; font-size: 12px; margin: -14px 0 4px 32px; line-height: 1.3; }
.rs-prose p { margin: 4px 0; }
.rs-prose ul { margin: 4px 0 8px 0; }
.rs-unclear-text { color: #666; font-style: italic; }
.rs-terms { font-size: 12px; color: #333; background: #F4F8F4; border-radius: 4px; padding: 3px 6px; margin: 2px 0 4px 0; }
.rs-table tr.rs-region-total td { font-weight: 600; background: #FAFAFA; border-top: 2px solid #BDBDBD; }
.rs-region-tables { overflow-x: auto; }
.rs-region-table td.num, .rs-region-diff td.num { white-space: nowrap; }
.rs-basis { font-size: 14px; background: #FFF8E1; border: 1px solid #F0DFA8; border-radius: 6px; padding: 6px 10px; }
"""

ABOUT = """
### What the page shows

* **Baseline**: the country as it is, with no new policy. Every option is compared with it.
* The baseline and every option run with the **same random numbers**, replicate by replicate, so the
  differences are the options' effects and not chance. Each **replicate** repeats the comparison with other
  random numbers (and, in a calibrated profile, another draw of the calibrated parameters and of the policy
  effect sizes); the intervals are the 10-90% range across replicates (and economic draws, for money).
* **No clear effect**: an outcome whose 10-90% interval includes zero cannot be told apart from no effect. The
  page says so in words and never shows it as a gain or a loss; such an option is not ranked and is kept off the
  efficiency frontier (the same rule as `recruitsim compare`).
* Figures are **national**: each simulated youth stands for many real ones (the country's population aged
  10-29 divided by the number of simulated youths). More simulated youths and replicates give narrower
  intervals but take longer: **More precise run** runs 10 replicates of 50,000 youths.
* Each run first simulates a 5-year **burn-in** (not shown) so that the starting point is settled; year 1
  is the first year after the policies start.

### The ranking

* **Rank**: by net benefit, among the baseline and the options with a clear effect on homicides.
* **Homicides, recruits, custody-years averted**: against the baseline, discounted at 3% a year, over the run.
* **Extra public cost**: programme spending plus the change in prison spending, 2024 USD, discounted.
* **Net benefit**: the value of lives saved (value of a statistical life), other crime avoided and the deadweight
  cost of taxes, minus the extra cost. **Chance benefits exceed costs**: share of samples with a positive net benefit.
* **Efficiency frontier**: the options for which no other option (or mix of two) averts more homicides for less.
* **Evidence grade**: the weakest grade of the effect sizes the option rests on (A randomised trial in Latin
  America; B trial elsewhere or strong LAC quasi-experiment; C meta-analysis of weaker designs; D expert guess).
* All figures of a row come from **one computation** (`recruitsim.economics.cea`): means of paired replicates,
  so the parts add up; ratios are ratios of those means.

### Caveats

Many effect sizes are documented guesses (marked `GUESS`, with what they rest on) and the country profiles
are built from published figures. Treat the results as a structured, transparent way to compare options
and their uncertainty, not as forecasts. The model is described in full (ODD protocol) in the project's `docs/`.
"""


def Prose(text: str, classes: list[str] | None = None):
    """Markdown written here (never user input), as HTML. Not ``solara.Markdown``: it loads KaTeX from the
    internet for formulas, which fails offline and stalls the page."""
    return solara.HTML(tag="div", unsafe_innerHTML=markdown.markdown(text), classes=["rs-prose", *(classes or [])])


@solara.component_vue(str(Path(__file__).resolve().parent / "app_logic" / "toml_upload.vue"))
def TomlUpload(label: str = "Upload a scenario file (.toml)", event_upload=None):
    pass


# ---- left column: country and options --------------------------------------------------------------------
@solara.component
def OptionsPanel(country, chosen, n_years: int, agents: int):
    options = solara.use_memo(S.country_options, [])
    by_label = {v: k for k, v in options.items()}
    cat = solara.use_memo(O.catalogue, [])
    names = {o.name for o in chosen.value}

    def toggle(opt: O.Option, on: bool):
        rest = [o for o in chosen.value if o.name != opt.name]
        chosen.set(tuple([*rest, opt] if on else rest))

    with solara.Card("1. Country", margin=0):
        solara.Select("Country profile", values=list(options.values()), value=options.get(country.value),
                      on_value=lambda label: country.set(by_label.get(label, S.DEFAULTS["country"])), classes=["rs-country"])
        solara.HTML(tag="div", classes=["rs-caption"], unsafe_innerHTML=(
            "<i>calibrated</i>: fitted to the country's published figures; <i>sparse data</i>: some inputs are regional averages."))
    with solara.Card(f"2. Options to compare ({len(chosen.value)} chosen)", margin=0, style={"margin-top": "12px"}):
        for opt in cat.values():
            with solara.Div(classes=[f"rs-opt-{opt.name}"], style={"margin": "-10px 0"}):
                solara.Checkbox(label=opt.label, value=opt.name in names, on_value=lambda on, o=opt: toggle(o, on))
        with solara.Column(gap="0px"):  # always there, so the builder below keeps its state when a package is added
            own = [o for o in chosen.value if o.origin == "own"]
            if own:
                solara.HTML(tag="div", unsafe_innerHTML="<b>Your packages</b>", style="margin: 8px 0 0 0")
            for o in own:
                with solara.Row(style={"align-items": "center"}):
                    solara.Button(icon_name="mdi-close", icon=True, small=True, on_click=lambda o=o: toggle(o, False))
                    solara.Text(f"{o.label}: " + "; ".join(S.describe_spec(sp) for sp in o.specs), style={"font-size": "13px"})
        PackageBuilder(chosen, n_years, country.value, agents)


@solara.component
def PackageBuilder(chosen, n_years: int, country: str, agents: int):
    choices = solara.use_reactive(S.default_choices())
    bases = solara.use_memo(lambda: E.bases_or_empty(country, agents), [country, agents])
    name = solara.use_reactive("My package")
    message = solara.use_reactive("")

    def change(new):
        choices.set(S.replace_choice(choices.value, new))

    def add():
        try:
            opt = O.own_option(name.value, S.specs_from_choices(choices.value, n_years))
            if not opt.specs:
                raise library.ScenarioError("switch on at least one lever")
        except library.ScenarioError as e:
            message.set(f"Not added: {e}")
            return
        chosen.set(O.unique([*chosen.value, opt]))
        message.set(f"Added '{opt.label}'.")

    def uploaded(data):
        try:
            opt = O.from_upload(str(data.get("text", "")).encode(), str(data.get("name", "upload.toml")))
        except library.ScenarioError as e:
            message.set(f"Not added: {e}")
            return
        chosen.set(O.unique([*chosen.value, opt]))
        message.set(f"Added '{opt.label}' from {str(data.get('name', ''))[:60]}.")

    with solara.Div(classes=["rs-builder"]), solara.Details("Build your own package, or upload one", expand=False):
        solara.InputText("Package name", value=name, continuous_update=True, classes=["rs-package-name"])
        solara.HTML(tag="div", classes=["rs-caption"], unsafe_innerHTML=(
            f"Set each lever by coverage, by annual budget or by number of participants; the three are shown for "
            f"{html.escape(get_profile(country).name)} ({agents:,} simulated youths: eligible people counted in the model at "
            "the start of the run, unit costs from the project's cost data in 2024 USD)."))
        for c in choices.value:
            PolicyEditor(c, n_years, change, bases.get(c.kind))
        solara.Button("Add this package to the comparison", on_click=add, outlined=True, icon_name="mdi-plus",
                      classes=["rs-add-package"])
        TomlUpload(event_upload=uploaded)
        solara.HTML(tag="div", classes=["rs-caption"], unsafe_innerHTML=(
            "The same TOML file <code>recruitsim compare --scenarios FILE</code> reads; each option's file can be "
            "downloaded under the results."))
    if message.value:
        (solara.Error if message.value.startswith("Not") else solara.Success)(message.value, dense=True,
                                                                              classes=["rs-package-message"])


@solara.component
def PolicyEditor(choice: S.PolicyChoice, years: int, on_change, base: BU.Base | None = None):
    kind = KINDS[choice.kind]
    cost = kind.params["unit_cost"]

    def set_(**kw):
        on_change(S.with_policy_choice(choice, **kw))

    solara.Switch(label=S.POLICY_LABELS[choice.kind], value=choice.on, on_value=lambda on: set_(on=on),
                  classes=[f"rs-switch-{choice.kind}"])
    solara.HTML(tag="div", unsafe_innerHTML=f"{kind.description}. Costs {cost.default:,.0f} {cost.unit}.",
                classes=["rs-option-desc"])
    if not choice.on:
        return
    with solara.Column(gap="0px", style={"margin": "0 0 10px 32px", "padding-left": "10px",
                                         "border-left": f"3px solid {C.SCENARIO_COLOUR}"}):
        if base is not None:
            LeverTerms(choice, base, set_)
        elif choice.level == "national":
            solara.Text(S.COVERAGE_MEANING["national"] + ".", style={"font-size": "13px"})
        else:
            CoverageSlider(choice, set_)
        if choice.level == "individual":
            names = {v: k for k, v in S.TARGETING_LABELS.items()}
            solara.Select("Who is enrolled first", values=list(names), value=S.TARGETING_LABELS[choice.targeting],
                          on_value=lambda label: set_(targeting=names.get(label, choice.targeting)), dense=True)
        end = years if choice.end_year is None else min(choice.end_year, years)

        def set_years(span):
            lo, hi = int(span[0]), int(span[1])
            set_(start_year=lo, end_year=None if hi >= years else hi)

        solara.SliderRangeInt(f"Active from year {choice.start_year} to year {end}", value=(min(choice.start_year, years), end),
                              min=0, max=years, on_value=set_years, thumb_label=False)


@solara.component
def CoverageSlider(choice: S.PolicyChoice, set_):
    solara.SliderInt(f"Coverage: {choice.coverage:.0%}", value=int(round(choice.coverage * 100)), min=0, max=100,
                     step=5, on_value=lambda pct: set_(coverage=pct / 100.0), thumb_label=False)
    solara.HTML(tag="div", unsafe_innerHTML=S.COVERAGE_MEANING[choice.level], classes=["rs-range"])


@solara.component
def LeverTerms(choice: S.PolicyChoice, base: BU.Base, set_):
    """Coverage, annual budget or participants: set one, see all three (``app_logic/budget.py``)."""
    mode = solara.use_reactive("coverage")
    text = solara.use_reactive("")
    note = solara.use_reactive("")
    national = choice.level == "national"
    now = BU.from_coverage(base, 1.0 if national else choice.coverage)
    modes = ["coverage", "budget"] if national else list(BU.MODES)

    def pick(label: str):
        new = next((m for m in modes if BU.MODES[m] == label), "coverage")
        mode.set(new)
        note.set("")
        text.set(BU.money(now.budget) if new == "budget" else BU.count(now.participants) if new == "participants" else "")

    def apply(typed: str):
        text.set(typed)
        try:
            t = BU.convert(base, mode.value, BU.parse_amount(typed, BU.MODES[mode.value]))
        except BU.BudgetProblem as e:
            note.set(str(e))
            return
        note.set(t.message)
        if not national:
            set_(coverage=round(min(max(t.coverage, 0.0), 1.0), 6))

    solara.ToggleButtonsSingle(value=BU.MODES[mode.value], values=[BU.MODES[m] for m in modes], on_value=pick, dense=True,
                               classes=[f"rs-mode-{choice.kind}"], style={"flex-wrap": "wrap", "max-width": "100%"})
    if mode.value == "coverage":
        if national:
            solara.Text(S.COVERAGE_MEANING["national"] + ".", style={"font-size": "13px"})
        else:
            CoverageSlider(choice, set_)
    else:
        unit = "a year, 2024 prices, e.g. 50 m" if mode.value == "budget" else "enrolled at a time, e.g. 20,000"
        solara.InputText(f"{BU.MODES[mode.value]}: {unit}", value=text.value, on_value=apply, continuous_update=False,
                         classes=[f"rs-amount-{choice.kind}"])
    if note.value:
        solara.Warning(note.value, dense=True, classes=[f"rs-terms-note-{choice.kind}"])
    solara.HTML(tag="div", unsafe_innerHTML=html.escape(BU.describe(base, now)), classes=["rs-terms", f"rs-terms-{choice.kind}"])


# ---- right column: settings, Run, results -----------------------------------------------------------------
SETTING_BOXES = (("agents", "Simulated youths", "More: narrower intervals, slower."),
                 ("years", "Years", "After a 5-year burn-in."),
                 ("replicates", "Replicates", "For the intervals."),
                 ("seed", "Seed", "Same seed, same results."))



def setting_inputs(fields: dict, boxes, limits: dict, css: str, width: str) -> None:
    """One text box per ``(key, label, hint)`` of ``boxes`` (the Compare and Region tabs' run settings): its value in
    ``fields[key]``, its range ``limits[key]``; the problem with the text, else the hint and the range, below it.
    Its class is ``css + key``. A plain function, not a component: the boxes sit in the caller's row."""
    for key, label, hint in boxes:
        lo, hi = limits[key]
        problem = S.field_problem(fields[key].value, label, lo, hi)
        solara.InputText(label, value=fields[key], continuous_update=True, error=bool(problem),
                         message=problem or f"{hint} {lo:,}-{hi:,}.", classes=[f"{css}{key}"], style={"max-width": width})


@solara.component
def RunBar(fields: dict, problems: list[str], snap, running: bool, stale: bool, on_run, on_stop, on_precise, link: str):
    with solara.Column(classes=["rs-runbar"], gap="4px", style={"background-color": "#F2F7FB", "border": "1px solid #D0E2EF",
                                                                "border-radius": "6px", "padding": "10px 14px"}):
        with solara.Row(style={"align-items": "flex-start", "flex-wrap": "wrap", "background-color": "transparent"}):
            solara.Button("Run", on_click=on_run, color="primary", disabled=bool(problems), icon_name="mdi-play",
                          classes=["rs-run"], style={"min-width": "110px", "margin-top": "10px"})
            if running:
                solara.Button("Stop", on_click=on_stop, outlined=True, icon_name="mdi-stop", classes=["rs-stop"],
                              style={"margin-top": "10px"})
            setting_inputs(fields, SETTING_BOXES, S.LIMITS, "rs-input-", "150px")
        Status(snap, running, stale)
        for p in problems:
            solara.Error(p, dense=True, classes=["rs-problem"])
        if running and snap is not None:
            solara.ProgressLinear(value=max(3.0, 100 * snap.fraction), color="primary")
        with solara.Row(style={"align-items": "center", "background-color": "transparent"}):
            solara.Button("More precise run (10 replicates x 50,000 youths)", on_click=on_precise, text=True, small=True,
                          disabled=bool(problems) or running, icon_name="mdi-target", classes=["rs-precise"])
            solara.HTML(tag="a", unsafe_innerHTML="Link to these settings", attributes={"href": link, "class": "rs-link"},
                        style="font-size: 13px")


@solara.component
def Status(snap, running: bool, stale: bool):
    style = {"font-size": "14px"}
    if snap is None:
        solara.Text("A sensible set of options is already chosen: press Run to rank them against the baseline "
                    "(first results in a few seconds).", classes=["rs-status"], style=style)
    elif snap.status == "error":
        solara.Text(snap.message, classes=["rs-status", "rs-status-error"], style={**style, "color": "#B00020"})
    elif running and snap.status == "running":
        solara.Text(snap.message, classes=["rs-status"], style=style)
    elif snap.status == "cancelled":
        solara.Text(f"Stopped: {snap.replicates_done} of {snap.settings.replicates} replicates finished; the results rest on "
                    "those.", classes=["rs-status", "rs-status-stopped"], style=style)
    else:
        first = f"first results after {snap.first_results_seconds:.1f} s, " if snap.first_results_seconds else ""
        more = " You have changed the settings since: press Run to update." if stale else ""
        solara.Text(f"Done: {snap.replicates_done} replicate(s) of the baseline and {len(snap.settings.options)} options "
                    f"({first}all in {snap.elapsed:.1f} s).{more}", classes=["rs-status", "rs-status-done"], style=style)


@solara.component
def Basis(snap):
    s = snap.settings
    partial = "" if snap.complete else f" (of {s.replicates} asked; {'running' if snap.status == 'running' else 'partial'})"
    solara.HTML(tag="div", classes=["rs-basis"], unsafe_innerHTML=(
        f"These results rest on <b>{snap.replicates_done} replicate{'s' if snap.replicates_done != 1 else ''}</b>{partial} of "
        f"<b>{s.agents:,} simulated youths</b> each, {get_profile(s.country).name}, {s.years} years, seed {s.seed}. "
        + ("With one replicate there are no intervals yet, so nothing is ranked. " if snap.replicates_done < 2 else "")
        + "For narrower intervals, use <i>More precise run</i>."))


@solara.component
def Ranking(snap, ct: M.CostTable):
    s = snap.settings
    with solara.Card("Options ranked against the baseline", margin=0, classes=["rs-ranking"]):
        rows = M.rank_rows(ct, s.labels)
        if not rows:
            solara.Info(ct.note, classes=["rs-cost-note"])
            return
        solara.HTML(tag="div", unsafe_innerHTML=M.ranking_html(rows, ct.help), classes=["rs-ranking-table"])
        solara.HTML(tag="div", classes=["rs-caption"], unsafe_innerHTML=(
            "Discounted at 3% a year over the run, 2024 USD; small print: the 10-90% interval. <i>No clear effect</i>: "
            "the interval includes zero, so the option cannot be told apart from doing nothing on that outcome. "
            "Hover a heading for its definition. The same analysis as <code>recruitsim compare</code>."))
        solara.FileDownload(lambda: M.ranking_csv(ct, s.labels, s, snap.complete),
                            filename=M.csv_filename(s, snap.replicates_done, "ranking"),
                            label=("Download the ranking (CSV)" if snap.complete else
                                   f"Download the ranking so far (CSV, partial: {snap.replicates_done} of {s.replicates} replicates)"),
                            mime_type="text/csv")


@solara.component
def PortfolioCard(snap, chosen):
    """A budget, the optimiser's best portfolio of the comparison's options for it (``app_logic/portfolio.py``)."""
    s = snap.settings
    start = solara.use_memo(lambda: BU.money(PF.suggested_budget(snap.results, s)) if snap.replicates_done else "1 bn",
                            [id(s), snap.replicates_done > 0])
    text = solara.use_reactive(start)
    found = solara.use_reactive(None)  # (replicates it rests on, Portfolio) | (0, error message)
    added = solara.use_reactive("")

    def press():
        added.set("")
        try:
            budget = BU.parse_amount(text.value, "The budget")
        except BU.BudgetProblem as e:
            found.set((0, str(e)))
            return
        found.set((snap.replicates_done, PF.best(snap.results, s, budget)))

    def add(port):
        try:
            opt = PF.as_package(port, s)
        except Exception as e:  # noqa: BLE001 - a package that cannot be built must not break the page
            added.set(f"Not added: {e}")
            return
        chosen.set(O.unique([*chosen.value, opt]))
        added.set(f"Added '{opt.label}' to the options: press Run to simulate it as one package.")

    with solara.Card("Best portfolio for my budget", margin=0, classes=["rs-portfolio"]):
        with solara.Row(style={"align-items": "center", "flex-wrap": "wrap"}):
            solara.InputText("Budget, USD a year (programme spending, 2024 prices)", value=text, continuous_update=True,
                             classes=["rs-budget-input"], style={"max-width": "330px"})
            solara.Button("Best portfolio for my budget", on_click=press, color="primary", outlined=True,
                          icon_name="mdi-briefcase-check", classes=["rs-portfolio-run"])
        PortfolioResult(found.value, snap, add)
        if added.value:
            (solara.Error if added.value.startswith("Not") else solara.Success)(added.value, dense=True)
        solara.HTML(tag="div", classes=["rs-caption"], unsafe_innerHTML=(
            "The project's optimiser (<code>recruitsim compare --budget</code>) over this comparison's options: it never "
            "buys an option whose effect on homicides cannot be told from no effect (10% quantile over the replicates not "
            "above zero), maximises the sum of the 10% quantiles, and buys at most one of the options that share a lever. "
            "Figures: median over the paired replicates, small print 10-90%."))


@solara.component
def PortfolioResult(found, snap, on_add):
    if found is None:
        return
    done, port = found
    if isinstance(port, str):
        solara.Error(port, dense=True, classes=["rs-portfolio-message"])
        return
    (solara.Success if port.picks else solara.Info)(port.message, dense=True, classes=["rs-portfolio-message"])
    if done != snap.replicates_done:
        solara.Warning(f"Computed on {done} replicates; {snap.replicates_done} have finished since: press the button again.",
                       dense=True)
    if port.picks:
        solara.HTML(tag="div", unsafe_innerHTML=PF.portfolio_html(port), classes=["rs-ranking-table"])
        solara.Button("Add this portfolio to the comparison (to simulate it as one package)", on_click=lambda: on_add(port),
                      text=True, small=True, icon_name="mdi-plus", classes=["rs-portfolio-add"])
    notes = []
    if port.excluded:
        notes.append("Not bought, no clear effect on homicides: " + "; ".join(port.excluded) + ".")
    if port.not_bought:
        notes.append("Clear effect but not bought (over the budget, or an option sharing its levers does better): "
                     + "; ".join(port.not_bought) + ".")
    if notes:
        solara.HTML(tag="div", classes=["rs-caption", "rs-portfolio-notes"], unsafe_innerHTML=html.escape(" ".join(notes)))


@solara.component
def Plane(snap, ct: M.CostTable):
    if ct.table is None or ct.cloud is None or ct.table.empty:
        return
    with solara.Card("Cost-effectiveness plane", margin=0, classes=["rs-plane"]):
        solara.FigureEcharts(option=C.plane_option(ct.table, ct.cloud, snap.settings.labels),
                             attributes={"style": "height: 400px; width: 100%"}, responsive=True)
        solara.HTML(tag="div", classes=["rs-caption"], unsafe_innerHTML=(
            "Each large dot is an option's mean; the faint dots are its samples (replicates x economic draws), showing "
            "the uncertainty. Right is more homicides averted, up is more costly. The dotted line is the efficiency "
            "frontier from the baseline (0, 0) through the options with a clear effect that nothing beats."))


@solara.component
def Charts(snap, yearly):
    s = snap.settings
    band = solara.use_memo(lambda: M.bands(yearly), [id(yearly)])
    lookup = solara.use_memo(lambda: C.band_lookup(band), [id(band)])
    with solara.ColumnsResponsive(default=12, large=6):
        for metric, (title, _, _, meaning) in S.CHART_METRICS.items():
            with solara.Card(title, margin=0, classes=[f"rs-chart-{metric}", "rs-chart"]):
                solara.FigureEcharts(option=C.trend_option(lookup, metric, s.labels, s.years),
                                     attributes={"style": "height: 380px; width: 100%"}, responsive=True)
                solara.HTML(tag="div", unsafe_innerHTML=meaning + " Lines: medians across replicates; the ranking above "
                            "gives the intervals of the differences.", classes=["rs-caption"])


@solara.component
def Maps(snap, ct: M.CostTable):
    best = M.best_option(ct)
    with solara.ColumnsResponsive(default=12, large=[5, 7], classes=["rs-maps-row"]):
        RegionMap(snap, ct, best)
        Neighbourhoods(snap, best)


@solara.component
def RegionMap(snap, ct: M.CostTable, best: str | None):
    """The region's countries coloured by an outcome (``app_logic/geo.py``), the run's country outlined."""
    s = snap.settings
    metric = solara.use_reactive("homicide_rate")
    labels = {**G.METRICS}
    effect = None
    if s.country != "LAC" and best is not None:
        row = ct.table[ct.table["name"] == best].iloc[0]
        v = G.effect_value(s.country, float(row["homicides_averted"]), s.years)
        labels[G.EFFECT] = "Top option's effect"
        effect = (v, f"{s.labels.get(best, best)} averts {v:.2g} homicides per 100,000 a year (mean of {ct.replicates} "
                     f"replicates, discounted, over {s.years} years)")
    shown = metric.value if metric.value in labels else "homicide_rate"
    option = solara.use_memo(lambda: G.map_option(shown, None if s.country == "LAC" else s.country, effect),
                             [shown, s.country, effect])
    with solara.Card("The region", margin=0, classes=["rs-region-map"]):
        solara.ToggleButtonsSingle(value=labels[shown], values=list(labels.values()), dense=True,
                                   on_value=lambda lab: metric.set(next(k for k, v in labels.items() if v == lab)),
                                   classes=["rs-region-metric"], style={"flex-wrap": "wrap", "max-width": "100%"})
        solara.FigureEcharts(option=option, maps={G.MAP_NAME: G.geojson()},
                             attributes={"style": "height: 600px; width: 100%"}, responsive=True)
        where = ("" if s.country == "LAC" else f"{get_profile(s.country).name}, the country of this run, is outlined. ")
        effect_note = "" if effect is not None or s.country == "LAC" else "No option has a clear effect to map in this run. "
        solara.HTML(tag="div", classes=["rs-caption"], unsafe_innerHTML=html.escape(
            f"{where}{effect_note}Homicide rate: the published figure each profile is calibrated to. Group members per "
            "1,000 youths (10-29) at the start: calibrated profiles' posterior median, others the profile's starting "
            "value. Hover a country for its figure and source. Grey: no recruitsim profile. Boundaries: Natural Earth "
            "1:110m (public domain)."))


@solara.component
def Neighbourhoods(snap, best: str | None):
    layers = snap.layers
    n_groups = solara.use_memo(lambda: int(get_profile(snap.settings.country).params().n_groups), [snap.settings.country])
    keys = [k for k in ("baseline", best) if k and k in layers]
    if not keys:
        return
    vmax = max(float(layers[k]["violence"].max()) for k in keys)
    names = C.group_names(layers[keys[0]]["control"])
    with solara.Card("Neighbourhoods, end of replicate 1 (synthetic grid)", margin=0, classes=["rs-maps"]):
        solara.HTML(tag="div", classes=["rs-caption"], unsafe_innerHTML=(
            "The model's neighbourhoods, a synthetic grid (not a real map): which criminal group controls each square "
            "(grey: none; groups lettered by the territory they hold in the baseline) and its violence index, in the "
            "baseline and with the top-ranked option."))
        with solara.ColumnsResponsive(default=12, medium=6):
            for key in keys:
                lay, label = layers[key], snap.settings.labels.get(key, key)
                share = float((lay["control"] >= 0).mean())
                solara.FigureEcharts(option=C.map_option(lay, "control", f"{label}\ngroup control ({share:.0%} of squares)",
                                                         n_groups, groups=names),
                                     attributes={"style": "height: 300px; width: 100%"}, responsive=True)
                solara.FigureEcharts(option=C.map_option(lay, "violence", f"{label}\nviolence (mean "
                                                         f"{float(lay['violence'].mean()):.2f})", n_groups, vmax, groups=names),
                                     attributes={"style": "height: 338px; width: 100%"}, responsive=True)
        legend = "".join(f'<span style="display:inline-block;width:12px;height:12px;background:{colour};margin:0 4px 0 12px;'
                         f'vertical-align:middle"></span>{html.escape(label)}' for label, colour in C.group_legend(names))
        solara.HTML(tag="div", classes=["rs-caption", "rs-group-legend"], unsafe_innerHTML="Groups: " + legend)


@solara.component
def Details(snap, ct: M.CostTable):
    rows = M.table_cells(ct, snap.settings.labels)
    if not rows:
        return
    with solara.Details("Every measure of the comparison (costs, benefit streams, perspectives)", expand=False):
        solara.HTML(tag="div", unsafe_innerHTML=M.table_html(rows), classes=["rs-cost-table", "rs-cost"])
        solara.HTML(tag="div", unsafe_innerHTML=ct.note, classes=["rs-caption"])


@solara.component
def Downloads(snap):
    s = snap.settings
    with solara.Row(style={"align-items": "center", "flex-wrap": "wrap"}):
        label = ("Download the monthly results (CSV)" if snap.complete else
                 f"Download the monthly results so far (CSV, partial: {snap.replicates_done} of {s.replicates} replicates)")
        solara.FileDownload(lambda: M.results_csv(snap), filename=M.csv_filename(s, snap.replicates_done),
                            label=label, mime_type="text/csv")
        for o in s.options:
            solara.FileDownload(o.toml, filename=f"{o.name.replace(':', '_')}.toml", label=f"{o.label} (.toml)",
                                mime_type="application/toml")


@solara.component
def Results(snap, chosen):
    s = snap.settings
    yearly = solara.use_memo(lambda: M.annual(snap.results), [id(snap)])
    ct = solara.use_memo(lambda: M.cost_effectiveness(M.complete_pairs(snap.results), s.country, s.policy_kinds(), s.seed)
                         if snap.replicates_done else None, [snap.replicates_done, id(s)])
    with solara.Column(gap="12px"):
        Basis(snap)
        if ct is None:
            solara.Text("The ranking appears when replicate 1 of the baseline and every option has finished.")
            return
        Ranking(snap, ct)
        PortfolioCard(snap, chosen)
        Plane(snap, ct)
        Charts(snap, yearly)
        Maps(snap, ct)
        Details(snap, ct)
        Downloads(snap)


@solara.component
def History(runs: list, viewing, current):
    if len(runs) < 2:
        return
    with solara.Card(f"Runs this session ({len(runs)})", margin=0, classes=["rs-history"]):
        table = solara.use_memo(lambda: M.history_html(runs), [tuple(id(r) for r in runs)])
        solara.HTML(tag="div", unsafe_innerHTML=table, classes=["rs-history-table"])
        with solara.Row(style={"flex-wrap": "wrap"}):
            for i, _ in enumerate(runs):
                shown = (viewing.value if viewing.value is not None else len(runs) - 1) == i
                solara.Button(f"Show run {i + 1}", on_click=lambda i=i: viewing.set(i), small=True, outlined=not shown,
                              color="primary", classes=[f"rs-show-run-{i + 1}"])


# ---- the page --------------------------------------------------------------------------------------------
@solara.component
def Comparison(fields: dict, chosen, settings: S.Settings | None, problems: list[str]):
    """Settings, Run and results. It owns the background task, so a result update redraws this part only."""
    runs = solara.use_reactive([])  # this session's earlier runs (their last snapshots)
    viewing = solara.use_reactive(None)
    router = solara.use_router()

    def work(s: S.Settings):
        # runs in a background thread; stops when Stop or Run is pressed again, or the page is closed
        yield from R.run_comparison(s, should_stop=lambda: not task.is_current())

    task = solara.lab.use_task(work, dependencies=None, raise_error=False)
    solara.use_effect(R.warm_up_in_background, [])  # start the workers while the user reads the page
    snap = task.latest if isinstance(task.latest, R.Snapshot) else None

    def start(s: S.Settings):
        if snap is not None:  # the run shown so far stays listed
            runs.set([*runs.value, snap])
        viewing.set(None)
        if router.set_path is not None:  # served (not rendered in a test): the address bar holds the settings
            router.push("?" + O.to_query(s.country, s.agents, s.years, s.seed, s.replicates, s.options))
        task(s)

    def precise():
        agents = str(max(50_000, settings.agents if settings is not None else 0))
        fields["agents"].set(agents)
        fields["replicates"].set("10")
        s, _ = S.validate(fields["country"].value, agents, fields["years"].value, fields["seed"].value, "10", chosen.value)
        if s is not None:
            start(s)

    listed = [*runs.value, snap] if snap is not None else list(runs.value)
    shown = listed[viewing.value] if viewing.value is not None and viewing.value < len(listed) else snap
    if task.error:  # run_comparison reports its own failures; this catches anything else
        problems = [*problems, f"The run failed: {task.exception}"]
    link = "?" + O.to_query(fields["country"].value, fields["agents"].value, fields["years"].value, fields["seed"].value,
                            fields["replicates"].value, chosen.value)
    with solara.Column(gap="12px"):
        RunBar(fields, problems, snap, task.pending, snap is not None and settings != snap.settings,
               lambda: settings is not None and start(settings), task.cancel, precise, link)
        History(listed, viewing, snap)
        if shown is None:
            Prose("**Press Run** to rank the chosen options against the baseline. The ranking, the cost-effectiveness "
                  "plane, the trends and the maps appear as replicates finish; figures whose interval includes zero "
                  "read *no clear effect*.")
            solara.FigureEcharts(option={}, attributes={"style": "height: 1px; width: 1px; opacity: 0"})
        else:
            Results(shown, chosen)


@solara.component
def Page():
    router = solara.use_router()
    start = solara.use_memo(lambda: O.from_query(router.search), [])  # the link's settings, read once
    given, linked, link_problems = start
    fields = {k: solara.use_reactive(given.get(k, str(S.DEFAULTS[k]))) for k in ("country", "agents", "years", "replicates", "seed")}
    chosen = solara.use_reactive(linked if linked is not None else O.default_options())
    settings, problems = S.validate(fields["country"].value, fields["agents"].value, fields["years"].value,
                                    fields["seed"].value, fields["replicates"].value, chosen.value)

    solara.Style(CSS)
    solara.Title("recruitsim: compare policies")
    with solara.Column(style={"padding": "12px 16px"}, gap="8px"):
        solara.HTML(tag="h2", unsafe_innerHTML=TITLE, style="margin: 0; font-weight: 500")
        solara.HTML(tag="div", classes=["rs-caption"], unsafe_innerHTML=(
            "An agent-based simulation of how young people (10-29) in Latin America and the Caribbean are drawn into "
            "criminal groups, and of what prevention and enforcement policies change, at what cost."))
        for p in link_problems:
            solara.Warning(p, dense=True)
        with solara.lab.Tabs():
            with solara.lab.Tab("Compare options", icon_name="mdi-scale-balance"):
                with solara.ColumnsResponsive(default=12, large=[4, 8], xlarge=[3, 9]):
                    OptionsPanel(fields["country"], chosen, S.years_or_default(fields["years"].value),
                                 S.agents_or_default(fields["agents"].value))
                    Comparison(fields, chosen, settings, problems)
            with solara.lab.Tab("Region: cocaine routes", icon_name="mdi-map-marker-path", classes=["rs-tab-region"]):
                RegionView()
            with solara.lab.Tab("Parameters and sources", icon_name="mdi-table-search"):
                ParametersView(fields["country"].value)
            with solara.lab.Tab("How to read this", icon_name="mdi-help-circle-outline"):
                Prose(ABOUT)


# ---- other tabs ------------------------------------------------------------------------------------------
@solara.component
def ParametersView(country: str):
    query = solara.use_reactive("")
    table = solara.use_memo(lambda: S.parameter_table(country), [country])
    shown = S.search_parameters(table, query.value)
    Prose("Every number the model uses: what it means, its default, its value in the chosen country profile, "
          "its allowed range, unit and the references it rests on. `GUESS` marks a documented guess that calibration or "
          "future evidence should replace. In a calibrated profile the calibrated parameters show their posterior median "
          "and 90% interval. Policy effects show the evidence median, its 90% interval, the distribution replicate *r* "
          "draws effect set *r* from and the evidence grade: A randomised trial in Latin America, B trial elsewhere or "
          "strong LAC quasi-experiment, C meta-analysis of weaker designs, D expert guess (`docs/policy-evidence.md`).")
    solara.InputText("Search (e.g. recruit, prison, mentoring, Heller)", value=query, continuous_update=True,
                     classes=["rs-param-search"])
    solara.Text(f"{len(shown)} of {len(table)} parameters", classes=["rs-param-count"], style={"color": "#555555"})
    solara.DataFrame(shown, items_per_page=20)
    Prose("### Outputs: the columns of the results CSV")
    solara.DataFrame(S.outputs_table(), items_per_page=15)


# ---- the regional view: a corridor or countries, a regional scenario, the map of the routes -------------
REGION_BOXES = (("agents", "Simulated youths per country", "More: less noise, slower."), ("years", "Years", "After a 5-year burn-in."),
                ("replicates", "Replicates", "Paired: for the ranges."), ("seed", "Seed", "Same seed, same results."))


@solara.component
def RegionView():
    """Choose the countries and a regional scenario on the left; run, map and tables on the right."""
    corridor = solara.use_reactive(RR.DEFAULTS["corridor"])
    picked = solara.use_reactive([])  # ISO3 codes, when the corridor is "choose the countries"
    key = solara.use_reactive(RR.DEFAULTS["scenario"])
    route = solara.use_reactive(RR.DEFAULTS["route"])
    where = solara.use_reactive(RR.DEFAULTS["country"])
    strength = solara.use_reactive(RR.strength_range()[0])
    fields = {k: solara.use_reactive(str(RR.DEFAULTS[k])) for k in ("agents", "years", "replicates", "seed")}  # noqa: SH103
    try:
        countries = RR.pick_countries(corridor.value, picked.value)
    except S.InputProblem:
        countries = ()
    choices = solara.use_memo(lambda: RR.scenario_choices(countries), [countries])
    shown_key = key.value if key.value in choices else next(iter(choices))
    routes = solara.use_memo(lambda: RR.route_choices(countries), [countries])
    shown_route = route.value if route.value in routes else next(iter(routes), None)
    shown_where = where.value if where.value in countries else (countries[0] if countries else None)
    settings, problems = RR.validate_region(corridor.value, picked.value, shown_key, shown_route, shown_where, strength.value,
                                            *(fields[k].value for k in ("agents", "years", "replicates", "seed")))
    with solara.ColumnsResponsive(default=12, large=[4, 8], xlarge=[3, 9]):
        with solara.Column(gap="12px"):
            RegionCountries(corridor, picked)
            RegionScenario(choices, shown_key, key.set, routes, shown_route, route.set, countries, shown_where, where.set, strength)
        RegionRunPanel(fields, settings, problems)


@solara.component
def RegionCountries(corridor, picked):
    labels = {code: f"{get_profile(code).name} ({code})" for code in sorted(G.country_values()["homicide_rate"])}
    by_label = {v: k for k, v in labels.items()}
    with solara.Card("1. Countries", margin=0, classes=["rs-region-countries"]):
        solara.Select("Corridor", values=list(RR.CORRIDOR_LABELS.values()), value=RR.CORRIDOR_LABELS[corridor.value],
                      on_value=lambda lab: corridor.set(next(k for k, v in RR.CORRIDOR_LABELS.items() if v == lab)),
                      classes=["rs-region-corridor"])
        if corridor.value == RR.CUSTOM:
            solara.SelectMultiple("Countries", values=[labels[c] for c in picked.value], all_values=list(labels.values()),
                                  on_value=lambda labs: picked.set([by_label[x] for x in labs]), classes=["rs-region-pick"])
        solara.HTML(tag="div", classes=["rs-caption"], unsafe_innerHTML=(
            "The countries simulated together, each its own model, coupled by the cocaine that crosses them: a country's "
            "groups' revenue follows the flow through it (<code>recruitsim run --corridor NAME</code>, docs/region.md). "
            "Every route carries flow whether or not its countries are simulated."))


@solara.component
def RegionScenario(choices, key, set_key, routes, route, set_route, countries, where, set_where, strength):
    lo_hi = RR.strength_range()
    with solara.Card("2. Regional scenario, against the baseline", margin=0, classes=["rs-region-scenario"]):
        solara.Select("Scenario", values=list(choices.values()), value=choices[key],
                      on_value=lambda lab: set_key(next(k for k, v in choices.items() if v == lab)), classes=["rs-region-sc"])
        if key == RR.ROUTE_KEY and routes:
            solara.Select("Route", values=list(routes.values()), value=routes[route],
                          on_value=lambda lab: set_route(next(k for k, v in routes.items() if v == lab)), classes=["rs-region-route"])
        if key == RR.COUNTRY_KEY and countries:
            solara.Select("Country", values=list(countries), value=where, on_value=set_where, classes=["rs-region-where"])
        solara.SliderFloat(f"Interdiction strength: +{strength.value:.3f} of the delivered price per policy on a route",
                           value=strength, min=lo_hi[1], max=lo_hi[2], step=0.001, thumb_label=False)
        solara.HTML(tag="div", classes=["rs-caption"], unsafe_innerHTML=(
            f"Default {lo_hi[0]:.3f}: calibrated so that one corridor country interdicting alone keeps 0.959 of its groups' "
            "revenue (the single-country lever's evidence median). Coupled, interdiction raises the cost of the routes "
            "through the interdicting countries; traffickers re-route (a logit over each source's routes), the price "
            "rises and demand falls a little. The interdicting countries pay the lever's cost."))


@solara.component
def RegionRunPanel(fields: dict, settings, problems: list[str]):
    def work(s):
        yield from RR.run_region_view(s, should_stop=lambda: not task.is_current())

    task = solara.lab.use_task(work, dependencies=None, raise_error=False)
    snap = task.latest if isinstance(task.latest, RR.RegionSnapshot) else None
    if task.error:
        problems = [*problems, f"The run failed: {task.exception}"]
    with solara.Column(gap="12px"):
        with solara.Column(classes=["rs-region-runbar"], gap="4px", style={"background-color": "#F2F7FB", "padding": "10px 14px",
                                                                           "border": "1px solid #D0E2EF", "border-radius": "6px"}):
            with solara.Row(style={"align-items": "flex-start", "flex-wrap": "wrap", "background-color": "transparent"}):
                solara.Button("Run the region", on_click=lambda: settings is not None and task(settings), color="primary",
                              disabled=bool(problems), icon_name="mdi-play", classes=["rs-region-run"],
                              style={"min-width": "150px", "margin-top": "10px"})
                if task.pending:
                    solara.Button("Stop", on_click=task.cancel, outlined=True, icon_name="mdi-stop", classes=["rs-region-stop"],
                                  style={"margin-top": "10px"})
                setting_inputs(fields, REGION_BOXES, RR.LIMITS, "rs-region-input-", "190px")
            RegionStatus(snap, task.pending, settings)
            for p in problems:
                solara.Error(p, dense=True, classes=["rs-region-problem"])
            if task.pending and snap is not None:
                solara.ProgressLinear(value=max(3.0, 100 * snap.fraction), color="primary")
        if snap is not None and snap.replicates_done:
            RegionResults(snap)


@solara.component
def RegionStatus(snap, running: bool, settings):
    style = {"font-size": "14px"}
    if snap is None:
        text = ("Press Run the region: the baseline and the scenario run together over "
                + (settings.describe() if settings is not None else "the chosen countries") + ".")
        solara.Text(text, classes=["rs-region-status"], style=style)
    elif snap.status == "error":
        solara.Text(snap.message, classes=["rs-region-status", "rs-region-status-error"], style={**style, "color": "#B00020"})
    else:
        stale = " You have changed the settings since: press Run the region to update." if (
            not running and settings is not None and settings != snap.settings) else ""
        cls = "rs-region-status-done" if snap.status == "done" else "rs-region-status-running"
        solara.Text(snap.message + stale, classes=["rs-region-status", cls], style=style)


@solara.component
def RegionResults(snap):
    s = snap.settings
    metric = solara.use_reactive("tonnes")
    view = solara.use_reactive("scenario")
    zoom = solara.use_reactive("corridor")
    key = (snap.runs_done, s.countries, s.scenario.name, s.seed, s.agents, s.years)
    option = solara.use_memo(lambda: RV.map_option(snap, metric.value, view.value, zoom.value),
                             [key, metric.value, view.value, zoom.value])
    tables = solara.use_memo(lambda: (RV.country_html(snap), RV.difference_html(snap), RV.routes_html(snap)), [key])
    outcomes = {k: v[0] for k, v in RV.OUTCOMES.items()}
    solara.HTML(tag="div", classes=["rs-basis", "rs-region-basis"], unsafe_innerHTML=html.escape(RV.basis(snap)))
    with solara.Card(f"The region's cocaine routes: {s.scenario.description or s.scenario.name}", margin=0, classes=["rs-region-flowmap"]):
        with solara.Row(style={"flex-wrap": "wrap", "align-items": "center"}):
            solara.ToggleButtonsSingle(value=outcomes[metric.value], values=list(outcomes.values()), dense=True,
                                       on_value=lambda lab: metric.set(next(k for k, v in outcomes.items() if v == lab)),
                                       classes=["rs-region-outcome"])
            solara.ToggleButtonsSingle(value=RV.VIEWS[view.value], values=list(RV.VIEWS.values()), dense=True,
                                       on_value=lambda lab: view.set(next(k for k, v in RV.VIEWS.items() if v == lab)),
                                       classes=["rs-region-view"])
            solara.ToggleButtonsSingle(value=RV.ZOOMS[zoom.value], values=list(RV.ZOOMS.values()), dense=True,
                                       on_value=lambda lab: zoom.set(next(k for k, v in RV.ZOOMS.items() if v == lab)),
                                       classes=["rs-region-zoom"])
        solara.FigureEcharts(option=option, maps={G.MAP_NAME: G.geojson()}, attributes={"style": "height: 760px; width: 100%"},
                             responsive=True)
        solara.HTML(tag="div", classes=["rs-caption"], unsafe_innerHTML=html.escape(RV.map_caption(snap)))
    with solara.Card("Per country: baseline → scenario", margin=0, classes=["rs-region-countries-table"]):
        solara.HTML(tag="div", unsafe_innerHTML=tables[0], classes=["rs-region-tables"])
        solara.HTML(tag="div", classes=["rs-caption"], unsafe_innerHTML=html.escape(RV.table_caption(snap)))
    with solara.Card("Who gains, who loses: scenario minus baseline", margin=0, classes=["rs-region-difference"]):
        solara.HTML(tag="div", unsafe_innerHTML=tables[1], classes=["rs-region-tables"])
        solara.HTML(tag="div", classes=["rs-caption"], unsafe_innerHTML=html.escape(RV.difference_caption(snap)))
    with solara.Details("Every route: tonnes a year at the end of the run", expand=False):
        solara.HTML(tag="div", unsafe_innerHTML=tables[2], classes=["rs-region-tables"])


page = Page
