"""Figures of the design space (matplotlib, Agg backend), each returning the data it plots.

Every function takes an output path (.png, .svg or .pdf), draws one figure, saves it without
dates (igcdesign.files.save_figure) and returns a JSON-ready dict of the plotted series.
Counts come from igcdesign.search / tables / space, never from formulas retyped here.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Sequence

COLORS = {"regular": "#444444", "dwsep": "#8c564b", "igcv1": "#1f77b4", "igcv2": "#d62728", "igcv3": "#2ca02c"}
LABELS = {"regular": "regular k×k conv", "dwsep": "depthwise separable", "igcv1": "IGCV1",
          "igcv2": "IGCV2 (channel-wise k×k)", "igcv3": "IGCV3 (t = {t}, G1 = G2 = 2)"}


def _pyplot():
    import os

    os.environ.pop("MPLBACKEND", None)  # figures are files drawn with Agg; a shell's backend (even a bogus one) is moot
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    plt.rcParams.update({"font.size": 10, "axes.grid": True, "grid.alpha": 0.3, "figure.dpi": 100})
    return plt


def _save(fig, out: Path) -> None:
    from igcdesign.files import save_figure

    try:
        save_figure(fig, Path(out))
    finally:
        import matplotlib.pyplot as plt

        plt.close(fig)


def budget_grid(low: int, high: int, per_decade: int) -> list[int]:
    """Integer budgets spaced evenly on a log scale, low … high inclusive."""
    import numpy as np

    n = int(round(np.log10(high / low) * per_decade)) + 1
    return sorted({int(round(x)) for x in np.logspace(np.log10(low), np.log10(high), n)})


def _igcv1_steps(k: int, budget_range: tuple[int, int], points: int = 600) -> dict[str, list]:
    """IGCV1's exact widest width and its continuous bound on a fine linear grid of budgets."""
    from igcdesign.search import widest_all

    lo, hi = budget_range
    budgets = sorted({lo + (hi - lo) * i // points for i in range(points + 1)})
    results = [widest_all(T, k, ["igcv1"])[0] for T in budgets]
    return {"budgets": budgets, "width": [r.width for r in results], "bound": [r.bound["width"] for r in results]}


def width_vs_params(out: Path, k: int = 3, low: int = 10**3, high: int = 10**8, expansion: int = 6,
                    per_decade: int = 40, zoom_range: tuple[int, int] = (4000, 20000)) -> dict[str, Any]:
    """Width of the widest block of each family against the budget (log-log), with IGCV1's
    integer optimum as steps and its continuous bound (T/(2√S))^(2/3) dashed."""
    from igcdesign.families import widest_families
    from igcdesign.search import widest_all

    FAMILY_ORDER = widest_families(default=True)

    budgets = budget_grid(low, high, per_decade)
    series: dict[str, list] = {f: [] for f in FAMILY_ORDER}
    bound: list[float] = []
    for T in budgets:
        results = widest_all(T, k, FAMILY_ORDER, expansion)
        for r in results:
            series[r.family].append(r.width)
            if r.family == "igcv1":
                bound.append(r.bound["width"])
    plt = _pyplot()
    fig, (ax, inset) = plt.subplots(1, 2, figsize=(11.5, 5.2), gridspec_kw={"width_ratios": [1.7, 1]})
    for family in FAMILY_ORDER:
        pts = [(T, w) for T, w in zip(budgets, series[family]) if w]
        ax.plot([p[0] for p in pts], [p[1] for p in pts], drawstyle="steps-post", color=COLORS[family],
                lw=1.6, label=LABELS[family].format(t=expansion))
    ax.plot(budgets, bound, ls="--", color=COLORS["igcv1"], lw=1.2, label=r"IGCV1 continuous bound $(T/2\sqrt{S})^{2/3}$")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("parameter budget T per block (conv weights)")
    ax.set_ylabel("width (channels)")
    ax.set_title(f"Widest block within a budget, k = {k} (solid: exact integer optimum)")
    ax.legend(loc="upper left", fontsize=8.5)
    zoom = _igcv1_steps(k, zoom_range)
    inset.plot(zoom["budgets"], zoom["width"], drawstyle="steps-post", color=COLORS["igcv1"], lw=1.3,
               label="IGCV1 integer optimum (steps)")
    inset.plot(zoom["budgets"], zoom["bound"], ls="--", color=COLORS["igcv1"], lw=1, label="continuous bound")
    inset.set_title(f"IGCV1 close up, T = {zoom_range[0]:,}–{zoom_range[1]:,} (linear axes)")
    inset.set_xlabel("parameter budget T per block")
    inset.set_ylabel("width G = L·M (channels)")
    inset.legend(loc="lower right", fontsize=8.5)
    fig.tight_layout()
    _save(fig, out)
    return {"kind": "width-vs-params", "kernel": k, "budgets": budgets, "series": series, "igcv1_bound": bound,
            "igcv1_zoom": zoom}


def igcv1_table_plot(out: Path, budget: int, k: int = 3, tolerance: float = 5.0,
                     paper: Sequence[dict] | None = None) -> dict[str, Any]:
    """The IGCV1 width table as a picture: width against L at a fixed budget, the continuous
    optimum L = M·S marked; `paper` rows (L, width) overlaid when given."""
    from igcdesign.tables import igcv1_table

    table = igcv1_table(budget, k, tolerance)
    rows = table.rows
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(7, 4.6))
    ax.plot([r["L"] for r in rows], [r["width"] for r in rows], "o-", color=COLORS["igcv1"], ms=4, lw=1,
            label=f"every M: L with params nearest T (±{tolerance:g}%)")
    if paper:
        ax.plot([p["L"] for p in paper], [p["width"] for p in paper], "x", color="black", ms=7,
                label="paper's Table 1 (as printed)")
    best = table.widest()
    if best:
        ax.plot([best["L"]], [best["width"]], "*", color="#ff7f0e", ms=15, zorder=5,
                label=f"widest: L = {best['L']}, M = {best['M']}, width {best['width']}")
    b = table.bound
    ax.axvline(b["L"], color="gray", ls="--", lw=1)
    ax.axhline(b["width"], color="gray", ls=":", lw=1)
    ax.annotate(f"L = M·S ≈ {b['L']:.1f}\nbound {b['width']:.1f}", (b["L"], b["width"]),
                xytext=(8, -40), textcoords="offset points", fontsize=8.5, color="dimgray")
    from matplotlib.ticker import NullFormatter, ScalarFormatter

    ax.set_xscale("log")
    top = max([r["L"] for r in rows] + [1])
    ax.set_xticks([2**i for i in range(top.bit_length() + 1)])
    ax.xaxis.set_major_formatter(ScalarFormatter())
    ax.xaxis.set_minor_formatter(NullFormatter())
    ax.set_xlabel("L (primary partitions), log scale")
    ax.set_ylabel("width G = L·M (channels)")
    ax.set_title(f"IGCV1 width at T ≈ {budget:,} params, k = {k}")
    ax.legend(loc="lower center", fontsize=8.5)
    _save(fig, out)
    return {"kind": "igcv1-table", "budget": budget, "kernel": k, "rows": rows, "bound": b}


def igcv2_depth_plot(out: Path, budget: int, k: int = 3) -> dict[str, Any]:
    """Width and params against the number of group convs L of the widest IGCV2 block within
    the budget at each depth (igcdesign.igcv2_depth), with the continuous optimum L = 1 + ln C."""
    from igcdesign.families import FAMILIES, DesignOptions
    from igcdesign.igcv2_depth import depth_rows, mark_near_ln_C

    rows = depth_rows(budget, k)
    b = dict(FAMILIES["igcv2"].bound(budget, k, DesignOptions()))
    mark_near_ln_C(rows, b.get("L"))
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(7, 4.6))
    Ls = [r["L"] for r in rows]
    ax.plot(Ls, [r["width"] for r in rows], "o-", color=COLORS["igcv2"], label="width C (left)")
    ax.set_xlabel("L: group convs (one channel-wise k×k, L − 1 1×1)")
    ax.set_ylabel("width C (channels)", color=COLORS["igcv2"])
    ax2 = ax.twinx()
    ax2.plot(Ls, [r["params"] for r in rows], "s--", color="#555555", ms=4, label="params (right)")
    ax2.axhline(budget, color="#555555", lw=0.8, ls=":")
    ax2.set_ylabel("params per block (conv weights)")
    ax2.set_ylim(0, budget * 1.08)
    ax2.grid(False)
    if b.get("L"):
        ax.axvline(b["L"], color="gray", ls="--", lw=1)
        ax.annotate(f"L = 1 + ln C ≈ {b['L']:.2f}", (b["L"], ax.get_ylim()[0]), xytext=(6, 10),
                    textcoords="offset points", fontsize=8.5, color="dimgray")
    ax.set_xticks(Ls)
    lines = ax.get_legend_handles_labels()
    lines2 = ax2.get_legend_handles_labels()
    ax.legend(lines[0] + lines2[0], lines[1] + lines2[1], loc="center right", fontsize=8.5)
    ax.set_title(f"IGCV2 within T = {budget:,} params (dotted), k = {k}: the widest block per depth")
    _save(fig, out)
    return {"kind": "igcv2-depth", "budget": budget, "kernel": k, "rows": rows, "bound": b}


def pareto_plot(out: Path, space, max_points: int = 20000) -> dict[str, Any]:
    """All configurations of a space (grey, evenly subsampled past max_points) and its Pareto front."""
    import numpy as np

    from igcdesign.designspace import OBJECTIVES, objective_column, pareto_mask

    objectives = space.pareto or ("width", "params")
    frame = space.frame
    front = frame[pareto_mask(frame, objectives)].sort_values([objective_column(o) for o in objectives[::-1]])
    x_obj, y_obj = objectives[1], objectives[0]
    x_col, y_col = objective_column(x_obj), objective_column(y_obj)
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(7, 4.8))
    step = max(1, len(frame) // max_points)
    cloud = frame.iloc[::step]
    ax.scatter(cloud[x_col], cloud[y_col], s=4, color="#bbbbbb", lw=0,
               label=f"{len(frame):,} configurations" + (f" (every {step}th shown)" if step > 1 else ""))
    ax.plot(front[x_col], front[y_col], "o-", color=COLORS.get(space.family, "C0"), ms=3, lw=1,
            drawstyle="steps-post" if OBJECTIVES[x_obj] == "min" else "default",
            label=f"Pareto front ({len(front):,} configurations)")
    for scale_axis, col in ((ax.set_xscale, x_col), (ax.set_yscale, y_col)):
        if (frame[col] > 0).all() and frame[col].max() > 20 * max(1, frame[col].min()):
            scale_axis("log")
    units = {"width": "channels", "params": "conv weights", "mult_adds": f"per {space.hw}×{space.hw} map",
             "mem_access": f"elements, {space.hw}×{space.hw} map", "C_int": "channels",
             "latency": f"predicted ms, {space.hw}×{space.hw} map"}
    ax.set_xlabel(f"{x_obj} ({units[x_obj]}; {OBJECTIVES[x_obj]}imise)")
    ax.set_ylabel(f"{y_obj} ({units[y_obj]}; {OBJECTIVES[y_obj]}imise)")
    ax.set_title(f"{space.family} design space within {space.budget:,} params, k = {space.kernel}")
    ax.legend(loc="best", fontsize=8.5)
    _save(fig, out)
    return {"kind": "pareto", "family": space.family, "budget": space.budget, "objectives": list(objectives),
            "count": int(len(frame)), "front": [{c: _py(v) for c, v in row.items()} for row in front.to_dict(orient="records")]}


def _py(v: Any) -> Any:
    return v.item() if hasattr(v, "item") else v
