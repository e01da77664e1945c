"""What a Q1 result file says about its model: a name and the weights' sha256, never the path
the GGUF had on the machine that ran it, and old and new files of one model plotted together."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from benchmarks.humaneval import model_identity, model_short
from benchmarks.plot_q1 import model_label


def test_a_gguf_file_is_recorded_by_its_stem_and_sha256_not_its_path(tmp_path: Path) -> None:
    weights = b"GGUF" + bytes(range(256)) * 4
    gguf = tmp_path / "checkout" / "benchmarks" / ".cache" / "qwen2.5-coder-0.5b-q4_k_m.gguf"
    gguf.parent.mkdir(parents=True)
    gguf.write_bytes(weights)
    identity = model_identity(f"local/{gguf}")
    assert identity == {
        "model": "qwen2.5-coder-0.5b-q4_k_m",
        "model_sha256": hashlib.sha256(weights).hexdigest(),
    }
    assert str(tmp_path) not in json.dumps(identity)
    # The result file's name is unchanged: it was already built from the stem.
    assert model_short(f"local/{gguf}") == identity["model"]


def test_a_remote_model_is_recorded_as_given_with_no_hash() -> None:
    assert model_identity("openai/gpt-4o-mini") == {
        "model": "openai/gpt-4o-mini",
        "model_sha256": None,
    }


def test_old_path_records_and_new_name_records_plot_as_one_model() -> None:
    old = {"model": "local//work/main/benchmarks/.cache/qwen2.5-coder-0.5b-q4_k_m.gguf"}
    new = {"model": "qwen2.5-coder-0.5b-q4_k_m"}
    assert model_label(old) == model_label(new) == "qwen2.5-coder-0.5b-q4_k_m"


def test_a_run_writes_the_identity_into_its_result_file(tmp_path: Path) -> None:
    import anyio

    from agentloop.testing import ScriptedModel
    from benchmarks.humaneval import parse_args, run

    model = ScriptedModel(fn=lambda messages: "```python\ndef f():\n    pass\n```")
    args = parse_args([
        "--strategy", "single", "--model", model.model, "--limit", "40", "--seed", "0",
        "--only", "10", "--scorer", "subprocess", "--out-dir", str(tmp_path),
    ])
    summary = json.loads(anyio.run(run, args).read_text(encoding="utf-8"))
    assert (summary["model"], summary["model_sha256"]) == (model.model, None)
