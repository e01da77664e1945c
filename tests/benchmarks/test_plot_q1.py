"""The Q1 plot draws complete result files and skips runs still in progress."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from benchmarks.plot_q1 import load_results, plot


def _write(path: Path, strategy: str, *, complete: bool) -> None:
    path.write_text(
        json.dumps(
            {
                "strategy": strategy,
                "model": "local//x/qwen.gguf",
                "problems": 40,
                "seed": 0,
                "pass_at_1": 0.6,
                "tokens_per_problem": 350.0,
                "complete": complete,
            }
        )
    )


def test_plot_draws_complete_runs_only(tmp_path: Path) -> None:
    pytest.importorskip("matplotlib")
    _write(tmp_path / "q1_single_qwen_40_0.json", "single", complete=True)
    _write(tmp_path / "q1_reflexion_qwen_40_0.json", "reflexion", complete=False)
    assert [r["strategy"] for r in load_results(tmp_path)] == ["single"]
    out = plot(tmp_path)
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
