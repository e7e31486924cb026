"""A schematic map of the flows of a regional run: each route drawn through its countries (approximate
centroids; Europe off the map to the east), its width the tonnes per year at the end of the run, its colour
the change from baseline; simulated countries labelled with their revenue factor."""

from __future__ import annotations

from pathlib import Path

#: approximate (longitude, latitude) of each country's centroid, and of the two markets' entry points
PLACES = {
    "COL": (-73.5, 4.0), "PER": (-75.0, -9.5), "BOL": (-64.7, -16.7), "ECU": (-78.4, -1.5), "VEN": (-66.2, 7.1),
    "PAN": (-80.1, 8.5), "CRI": (-84.1, 9.9), "NIC": (-85.0, 12.9), "HND": (-86.6, 14.8), "SLV": (-88.9, 13.7),
    "GTM": (-90.3, 15.6), "MEX": (-102.5, 23.6), "DOM": (-70.5, 18.8), "HTI": (-72.7, 19.0), "JAM": (-77.3, 18.1),
    "BHS": (-77.4, 24.7), "TTO": (-61.2, 10.5), "BRA": (-52.0, -10.5), "PRY": (-58.4, -23.4), "ARG": (-64.0, -34.0),
    "CHL": (-71.0, -30.0), "GUY": (-58.9, 4.9), "BLZ": (-88.5, 17.2), "URY": (-56.0, -32.8),
    "USA": (-98.0, 31.0), "EUR": (-30.0, 12.0),
}


def flow_map(res, path: Path) -> Path:
    """Write the map of ``res`` (a ``RegionalResult``) to ``path`` (PNG) and return the path."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from .report import flows_summary

    fl = flows_summary(res)
    fig, ax = plt.subplots(figsize=(9, 9))
    top = max(v["tonnes_end"] for v in fl["routes"].values()) or 1.0
    for r in sorted(fl["routes"].values(), key=lambda r: r["tonnes_end"]):
        pts = [PLACES[c] for c in (r["source"], *r["via"], r["destination"])]
        change = r["tonnes_end"] / r["tonnes_baseline"] - 1.0 if r["tonnes_baseline"] > 0 else 0.0
        colour = "#b2182b" if change < -0.01 else "#2166ac" if change > 0.01 else "#777777"
        ax.plot([p[0] for p in pts], [p[1] for p in pts], color=colour, alpha=0.6, lw=0.5 + 9 * r["tonnes_end"] / top,
                solid_capstyle="round")
    for c, (x, y) in PLACES.items():
        sim = c in fl["countries"]
        ax.plot(x, y, "o", color="black" if sim else "#bbbbbb", ms=6 if sim else 4, zorder=3)
        label = f"{c} {fl['countries'][c]['revenue_factor_end']:.2f}" if sim else c
        ax.annotate(label, (x, y), xytext=(4, 4), textcoords="offset points", fontsize=8,
                    fontweight="bold" if sim else "normal")
    ax.set_xlim(-110, -25)
    ax.set_ylim(-36, 34)
    ax.set_aspect("equal")
    ax.set_xlabel("longitude")
    ax.set_ylabel("latitude")
    ax.set_title(f"Cocaine flows at the end of '{res.plan.name}' ({fl['total_tonnes']['end']:,.0f} t/yr; baseline "
                 f"{fl['total_tonnes']['baseline']:,.0f})\nwidth = tonnes per year; red = fewer than at baseline, blue = more; "
                 "label = the groups' revenue factor", fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return Path(path)
