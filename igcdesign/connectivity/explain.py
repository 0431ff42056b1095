"""The rich explanation of a CheckResult for people (the --json path never imports this)."""

from __future__ import annotations

from igcdesign.connectivity.verdict import CheckResult

WORDS = {
    "strict": "strictly complementary: exactly one path joins every input channel to every output channel",
    "relaxed": "complementary over super-channels: every input–output pair is joined by the same number of paths",
    "redundant": "dense but unevenly wired: every pair is connected, some through more paths than others",
    "sparse": "not dense: some output channels never see some input channels",
}
STYLE = {"strict": "bold green", "relaxed": "bold green", "redundant": "bold yellow", "sparse": "bold red"}


def render_check(result: CheckResult) -> None:
    from rich.table import Table

    from igcdesign.output import print_table, console

    from rich.text import Text

    out = console()
    spec = result.spec + (f" --perm-file {result.perm_file}" if result.perm_file is not None else "")
    # a spec wider than the terminal is printed on one line anyway (rich would fold it), as it pastes back
    out.print(Text.assemble((spec, "bold"), f"  ({result.cin:,} → {result.cout:,} channels, {result.params:,} params)"),
              soft_wrap=len(spec) > out.width)
    out.print(Text.assemble((result.verdict, STYLE[result.verdict]), f": {WORDS[result.verdict]}."))
    out.print(f"paths per (output, input) pair: min {result.paths_min:,}, max {result.paths_max:,} "
              f"over {result.pairs:,} pairs")
    if result.verdict not in ("strict", "relaxed"):
        out.print(f"disconnected pairs: {result.disconnected_pairs:,}; over-connected pairs (> 1 path): "
                  f"{result.over_connected_pairs:,}")
        if len(result.histogram) <= 8:
            out.print("pairs by path count: " + ", ".join(f"{v} paths: {n:,}" for v, n in result.histogram))
    for line in result.examples:
        out.print(f"  • {line}")
    for line in result.causes:
        out.print(Text.assemble(("why:", "yellow"), f" {line}"))

    table = Table(title="flow through the chain", title_justify="left")
    for col in ("layer", "shape", "params", "reach from one input", "max paths"):
        table.add_column(col, justify="left" if col in ("layer", "shape") else "right", overflow="fold")
    relaxed = result.verdict == "relaxed"
    if relaxed:
        table.add_column("super-channels × channels", justify="right", overflow="fold")
    for row in result.layers:
        if row["kind"] == "conv":
            reach = f"{row['reach_min']:,}" if row["reach_min"] == row["reach_max"] else f"{row['reach_min']:,}–{row['reach_max']:,}"
            cells = [row["name"], f"{row['cin']:,}→{row['cout']:,}, {row['groups']:,} groups, {row['k']}×{row['k']}",
                     f"{row['params']:,}", f"{reach} of {row['cout']:,}", f"{row['paths_max']:,}"]
            if relaxed:
                sc = row["super_channels"]
                cells.append("" if sc is None else f"{sc:,} × {row['channels_per_super_channel']:,}")
        else:
            kind = "explicit" if row["explicit"] else f"shuffle, {row['groups']:,} groups"
            cells = [row["name"], f"{row['width']:,} channels ({kind})", "0", "", ""] + ([""] if relaxed else [])
        table.add_row(*cells)
    print_table(table, out, wrap=("layer", "shape"),
                drop=("super-channels × channels", "reach from one input", "params"))
    if relaxed and result.super_channels is not None:
        out.print(f"C_s = {result.super_channels:,} super-channels: {result.cin // result.super_channels:,} input and "
                  f"{result.cout // result.super_channels:,} output channels each "
                  f"(at the inputs and outputs, C / C_s when C_s divides C)"
                  if result.cin % result.super_channels == 0 and result.cout % result.super_channels == 0
                  else f"C_s = {result.super_channels:,} super-channels at every internal layer")
    if result.igcv2:
        _render_igcv2(out, result.igcv2)
    if result.fix:
        _render_fix(out, result.fix)


def _render_igcv2(out, facts) -> None:
    K = "·".join(map(str, facts["K"]))
    mark = "holds" if facts["condition"] else "fails"
    out.print(f"IGCV2 complementary condition ∏K_l = C: {K} = {facts['prod_K']:,} vs C = {facts['C']:,} → {mark}")
    bal = "holds" if facts["balanced"] else "does not hold"
    out.print(f"balance condition S·K_1 = K_2 = … = K_L (S = {facts['S']}): {bal}")
    out.print(f"params of the proposal: {facts['params']:,}")
    for label, key in (("same number of convs", "optimum_same_L"), ("any number of convs", "optimum")):
        best = facts[key]
        if best:
            ratio = facts["params"] / best["params"]
            out.print(f"fewest params with ∏K = C, {label}: {best['spec']} → {best['params']:,} "
                      f"(proposal ×{ratio:.2f})")


def _render_fix(out, fix) -> None:
    from rich.text import Text

    if not fix["exists"]:
        out.print(Text.assemble(("fix:", "bold"), f" none found — {fix['note']}"))
        return
    delta = fix["params"] - fix["params_proposal"]
    out.print(Text.assemble((f"fix ({fix['kind']}):", "bold"), f" {fix['spec']} → {fix['verdict']}, {fix['params']:,} params "
                            f"({delta:+,} vs the proposal); {fix['note']}"))
