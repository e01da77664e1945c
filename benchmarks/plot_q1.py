"""Plot Q1 results: pass@1 against mean tokens per problem, one point per result file.

    python benchmarks/plot_q1.py [--results benchmarks/results] [--out benchmarks/results/q1.png]

Only complete runs are drawn; points are grouped by (model, problem subset) so runs on different
subsets are never on one line.
"""

from __future__ import annotations

import argparse
import json
from collections import defaultdict
from pathlib import Path
from typing import Any

RESULTS_DIR = Path(__file__).resolve().parent / "results"


def load_results(results_dir: Path) -> list[dict[str, Any]]:
    runs = []
    for path in sorted(results_dir.glob("q1_*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        if data.get("complete"):
            runs.append(data)
    return runs


def model_label(run: dict[str, Any]) -> str:
    """The model's name, from a file that records it or from an older one that recorded the GGUF's
    path (`local//<checkout>/.../name.gguf`), so that both runs of a model share a group."""
    return str(run["model"]).rsplit("/", 1)[-1].removesuffix(".gguf")


def plot(results_dir: Path = RESULTS_DIR, out: Path | None = None) -> Path:
    """Draw every complete q1_*.json under `results_dir`; returns the PNG's path."""
    import matplotlib

    matplotlib.use("Agg")  # headless: no display on benchmark machines
    import matplotlib.pyplot as plt

    out = out or results_dir / "q1_pass_at_1_vs_tokens.png"
    groups: dict[tuple[str, int, int], list[dict[str, Any]]] = defaultdict(list)
    for run in load_results(results_dir):
        groups[(model_label(run), run["problems"], run["seed"])].append(run)
    fig, ax = plt.subplots(figsize=(7, 4.5))
    # One colour per strategy, one marker per problem subset: a strategy's points on two
    # subsets read as the same thing measured twice.
    strategies = sorted({run["strategy"] for runs in groups.values() for run in runs})
    colours = {name: f"C{i}" for i, name in enumerate(strategies)}
    markers = "os^Dv<>"
    for g, ((model, problems, seed), runs) in enumerate(sorted(groups.items())):
        marker = markers[g % len(markers)]
        for run in sorted(runs, key=lambda r: r["tokens_per_problem"]):
            x, y = run["tokens_per_problem"], 100 * run["pass_at_1"]
            ax.scatter(x, y, s=40, marker=marker, color=colours[run["strategy"]])
            ax.annotate(
                run["strategy"], (x, y), textcoords="offset points", xytext=(5, 4), fontsize=8
            )
        ax.scatter([], [], marker=marker, color="grey",
                   label=f"{model}, {problems} problems, seed {seed}")
    # Full axes from zero: gains are read against the whole scale, not a zoomed band.
    ax.set_ylim(0, 100)
    ax.set_xlim(left=0)
    ax.set_xlabel("tokens per problem (mean, prompt + completion)")
    ax.set_ylabel("pass@1 (%) on hidden tests")
    ax.set_title("Q1: HumanEval pass@1 vs tokens spent")
    ax.grid(alpha=0.3)
    if groups:
        ax.legend(fontsize=7, loc="lower right")
    fig.tight_layout()
    fig.savefig(out, dpi=120)
    plt.close(fig)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--results", type=Path, default=RESULTS_DIR)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args(argv)
    print(plot(args.results, args.out))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
