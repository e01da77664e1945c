"""`agentloop models`, `ask` and `serve-model` as a user runs them: real subprocesses."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

# The installed console script when there is one, else the same entry point through python.
_AGENTLOOP = (
    [shutil.which("agentloop") or ""]
    if shutil.which("agentloop")
    else [sys.executable, "-c", "from agentloop.cli import main; main()"]
)
# Wide enough that rich neither wraps error lines nor folds the table's file paths.
_ENV = {**os.environ, "COLUMNS": "400", "NO_COLOR": "1"}


def run(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*_AGENTLOOP, *args], capture_output=True, text=True, timeout=timeout, env=_ENV
    )


def assert_one_line_error(result: subprocess.CompletedProcess[str], *needles: str) -> None:
    assert result.returncode != 0
    assert "Traceback" not in result.stderr + result.stdout
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    for needle in needles:
        assert needle in lines[0]


def test_version_is_fast() -> None:
    started = time.monotonic()
    result = run("--version")
    assert result.returncode == 0
    assert result.stdout.startswith("agentloop ")
    assert time.monotonic() - started < 5  # no litellm, no llama.cpp at startup


def test_help_lists_the_model_commands() -> None:
    result = run("--help")
    assert result.returncode == 0
    for command in ("models", "ask", "serve-model"):
        assert command in result.stdout


def test_models_shows_where_the_packaged_gguf_is() -> None:
    from agentloop.model._gguf import resolve_gguf

    result = run("models")
    assert result.returncode == 0, result.stderr
    assert "local/smollm2-135m" in result.stdout
    assert str(resolve_gguf("local/smollm2-135m")) in result.stdout
    assert "MB" in result.stdout


def test_ask_with_a_missing_gguf_is_one_line(tmp_path: Path) -> None:
    missing = tmp_path / "missing.gguf"
    result = run("ask", "--model", f"local/{missing}", "hi")
    assert_one_line_error(result, "missing.gguf", "not found")


def test_ask_with_an_unknown_local_name_is_one_line() -> None:
    assert_one_line_error(run("ask", "--model", "local/gpt-17", "hi"), "local/smollm2-135m")


def test_ask_with_a_model_string_no_provider_knows_is_one_line() -> None:
    assert_one_line_error(run("ask", "--model", "no-such-provider-model", "hi"), "unknown model")


def test_serve_model_with_a_missing_gguf_is_one_line(tmp_path: Path) -> None:
    result = run("serve-model", f"local/{tmp_path / 'gone.gguf'}", "--port", "0")
    assert_one_line_error(result, "gone.gguf")


def test_bad_flag_fails_without_traceback() -> None:
    result = run("ask", "--no-such-flag", "hi")
    assert result.returncode != 0
    assert "Traceback" not in result.stderr + result.stdout
    assert "--no-such-flag" in result.stderr


@pytest.mark.local_model
def test_ask_streams_an_answer_then_usage() -> None:
    result = run(
        "ask",
        "--max-tokens",
        "12",
        "--temperature",
        "0",
        "What is the capital of France? Answer in one word.",
    )
    assert result.returncode == 0, result.stderr
    assert "paris" in result.stdout.lower()
    usage = result.stderr.strip().splitlines()[-1]
    assert "tok/s" in usage and "prompt" in usage and "answer tokens" in usage


@pytest.mark.local_model
def test_serve_model_answers_over_http() -> None:
    process = subprocess.Popen(
        [*_AGENTLOOP, "serve-model", "local/smollm2-135m", "--port", "0", "--name", "smol"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=_ENV,
    )
    try:
        assert process.stdout is not None
        url = process.stdout.readline().strip()  # printed once the model is loaded
        assert url.startswith("http://127.0.0.1:") and url.endswith("/v1"), url
        with urllib.request.urlopen(f"{url}/models", timeout=30) as response:
            assert [m["id"] for m in json.load(response)["data"]] == ["smol"]
        request = urllib.request.Request(
            f"{url}/chat/completions",
            data=json.dumps(
                {
                    "model": "smol",
                    "messages": [{"role": "user", "content": "Say hello."}],
                    "max_tokens": 8,
                }
            ).encode(),
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=60) as response:
            body = json.load(response)
        assert body["choices"][0]["message"]["content"]
        assert 0 < body["usage"]["completion_tokens"] <= 8
    finally:
        process.terminate()
        process.wait(timeout=30)
