"""How fast the instant paths answer, as ratios to `python -c "import typer, rich.console"`.

Targets (foundation issue): `igcdesign widest --params 1e6 --kernel 3` ≤ 1.5× the baseline,
`igcdesign --help` ≤ 1.3×. Runs are interleaved and the medians of their CPU time (user + system) compared,
so other load on the machine barely moves the ratios. Also reports which heavy modules each path imports (must be none).

    python benchmarks/bench_cli.py [--repeats 21]
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
from pathlib import Path

PYTHON = sys.executable
BASELINE = [PYTHON, "-c", "import typer, rich.console"]
HEAVY = ("torch", "pandas", "matplotlib", "sympy", "numpy")


def entry_point() -> list[str]:
    script = Path(PYTHON).with_name("igcdesign")
    return [str(script)] if script.exists() else [PYTHON, "-m", "igcdesign"]


def cpu_seconds(cmd: list[str]) -> float:
    """User + system CPU time of one run: steadier than wall time on a shared 2-core machine."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def heavy_imports(args: list[str]) -> list[str]:
    probe = (
        "import sys, io, contextlib\n"
        "from igcdesign.cli import main\n"
        "buf = io.StringIO()\n"
        "with contextlib.redirect_stdout(buf):\n"
        "    try:\n"
        f"        main({args!r})\n"
        "    except SystemExit:\n"
        "        pass\n"
        f"print([m for m in {HEAVY!r} if m in sys.modules])\n"
    )
    out = subprocess.run([PYTHON, "-c", probe], capture_output=True, text=True, check=True).stdout
    return json.loads(out.strip().splitlines()[-1].replace("'", '"'))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=21)
    opts = parser.parse_args()
    cases = {
        "widest --params 1e6 --kernel 3": (["widest", "--params", "1e6", "--kernel", "3"], 1.5),
        "--help": (["--help"], 1.3),
    }
    times: dict[str, list[float]] = {"baseline": [], **{name: [] for name in cases}}
    for cmd in [BASELINE, *(entry_point() + args for args, _ in cases.values())]:
        cpu_seconds(cmd)  # warm the file cache
    for _ in range(opts.repeats):
        times["baseline"].append(cpu_seconds(BASELINE))
        for name, (args, _) in cases.items():
            times[name].append(cpu_seconds(entry_point() + args))
    base = statistics.median(times["baseline"])
    print(f"baseline  python -c 'import typer, rich.console': median {base * 1000:.1f} ms CPU")
    failed = False
    for name, (args, target) in cases.items():
        median = statistics.median(times[name])
        q = statistics.quantiles(times[name], n=4)
        ratio = median / base
        heavy = heavy_imports(args)
        verdict = "ok" if ratio <= target and not heavy else "OVER TARGET"
        failed |= verdict != "ok"
        print(f"igcdesign {name}: median {median * 1000:.1f} ms (IQR {q[0] * 1000:.1f}–{q[2] * 1000:.1f}), "
              f"ratio {ratio:.2f} (target ≤ {target}), heavy imports: {heavy or 'none'} → {verdict}")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
