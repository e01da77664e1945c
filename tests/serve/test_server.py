"""The OpenAI-compatible endpoint, called on loopback by the `openai` client and by litellm."""

from __future__ import annotations

import asyncio
import json
import sys
import threading
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager

import openai
import pytest

from agentloop.errors import ConfigError
from agentloop.model import GenerateConfig, ModelClient
from agentloop.serve import ModelServer
from agentloop.testing import ScriptedModel


@contextmanager
def serving(client: ModelClient, *, name: str | None = None) -> Iterator[str]:
    """Run a ModelServer on a free loopback port in a background event loop; yield its URL."""
    ready = threading.Event()
    url: list[str] = []
    errors: list[BaseException] = []
    stop: list[asyncio.Event] = []
    loop_box: list[asyncio.AbstractEventLoop] = []

    async def main() -> None:
        stop.append(asyncio.Event())
        loop_box.append(asyncio.get_running_loop())
        async with ModelServer(client, name=name) as server:
            url.append(server.url)
            ready.set()
            await stop[0].wait()

    def run() -> None:
        try:
            asyncio.run(main())
        except BaseException as exc:  # surfaced to the test below
            errors.append(exc)
            ready.set()

    thread = threading.Thread(target=run)
    thread.start()
    ready.wait(timeout=30)
    if errors:
        raise errors[0]
    try:
        yield url[0]
    finally:
        loop_box[0].call_soon_threadsafe(stop[0].set)
        thread.join(timeout=30)


def _openai(url: str) -> openai.OpenAI:
    return openai.OpenAI(base_url=url, api_key="unused", max_retries=0)


# -- the HTTP shape, on a scripted model (fast) -----------------------------------------------


def test_models_lists_the_served_name() -> None:
    model = ScriptedModel(replies=[])
    with serving(ModelClient(model.model), name="smol") as url:
        listed = _openai(url).models.list()
        with urllib.request.urlopen(f"{url}/models") as response:
            raw = json.load(response)
    assert [m.id for m in listed.data] == ["smol"]
    assert raw["object"] == "list"


def test_server_binds_loopback_by_default() -> None:
    server = ModelServer(ModelClient(ScriptedModel(replies=[]).model))
    assert server.host == "127.0.0.1"


@pytest.mark.anyio
async def test_without_aiohttp_starting_says_which_extra_to_install(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "aiohttp", None)  # what an environment without it sees
    server = ModelServer(ModelClient(ScriptedModel(replies=[]).model))
    with pytest.raises(ConfigError, match=r"pip install 'agentloop\[serve\]'"):
        await server.start()


def test_openai_client_gets_answer_samples_and_usage() -> None:
    model = ScriptedModel(replies=["Paris is the capital.", "one", "two"])
    with serving(ModelClient(model.model)) as url:
        client = _openai(url)
        answer = client.chat.completions.create(
            model=model.model,
            messages=[{"role": "user", "content": "Capital of France?"}],
            max_tokens=20,
            temperature=0.5,
        )
        samples = client.chat.completions.create(
            model=model.model, messages=[{"role": "user", "content": "Count"}], n=2
        )
    assert answer.choices[0].message.content == "Paris is the capital."
    assert answer.usage is not None and answer.usage.completion_tokens == 4
    assert answer.usage.prompt_tokens > 0
    assert [c.message.content for c in samples.choices] == ["one", "two"]
    # The request's parameters reached the model.
    assert model.calls[0].params["max_tokens"] == 20
    assert model.calls[0].params["temperature"] == 0.5
    assert model.calls[1].params["n"] == 2


def test_openai_client_streams_with_usage_and_done() -> None:
    model = ScriptedModel(replies=["a b c d"])
    with serving(ModelClient(model.model)) as url:
        stream = _openai(url).chat.completions.create(
            model=model.model,
            messages=[{"role": "user", "content": "letters"}],
            stream=True,
            stream_options={"include_usage": True},
        )
        chunks = list(stream)
    deltas = [
        c.choices[0].delta.content for c in chunks if c.choices and c.choices[0].delta.content
    ]
    assert len(deltas) >= 4  # one piece per word, not one lump
    assert "".join(deltas) == "a b c d"
    assert chunks[-1].usage is not None and chunks[-1].usage.completion_tokens == 4
    finishes = [c.choices[0].finish_reason for c in chunks if c.choices]
    assert finishes[-1] == "stop"


def test_raw_sse_ends_with_done() -> None:
    model = ScriptedModel(replies=["hi there"])
    with serving(ModelClient(model.model)) as url:
        request = urllib.request.Request(
            f"{url}/chat/completions",
            data=json.dumps(
                {"model": "x", "messages": [{"role": "user", "content": "hi"}], "stream": True}
            ).encode(),
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request) as response:
            assert response.headers["Content-Type"].startswith("text/event-stream")
            events = [line for line in response.read().decode().split("\n\n") if line]
    assert events[-1] == "data: [DONE]"
    assert all(e.startswith("data: ") for e in events)


def test_bad_requests_are_400_with_a_message() -> None:
    model = ScriptedModel(replies=[])
    with serving(ModelClient(model.model)) as url:
        client = _openai(url)
        with pytest.raises(openai.BadRequestError, match="messages"):
            client.chat.completions.create(model="x", messages=[])
        with pytest.raises(openai.BadRequestError, match="temperature"):
            client.chat.completions.create(
                model="x", messages=[{"role": "user", "content": "hi"}], temperature=-1
            )
    assert model.call_count == 0


@pytest.mark.anyio
async def test_litellm_openai_provider_through_the_endpoint() -> None:
    model = ScriptedModel(replies=["first answer", "streamed answer here"])
    with serving(ModelClient(model.model), name="served") as url:
        remote = ModelClient("openai/served", api_base=url, api_key="unused")
        whole = await remote.complete("hello")
        pieces = [p async for p in remote.stream("hello again")]
    assert whole.text == "first answer"
    assert whole.usage.output_tokens == 2
    assert "".join(pieces) == "streamed answer here"
    assert len(pieces) > 1


# -- the real local model behind the endpoint -------------------------------------------------

LOCAL = "local/smollm2-135m"
QUESTION = [{"role": "user", "content": "What is the capital of France? Answer in one word."}]


@pytest.mark.local_model
def test_real_model_served_to_openai_client() -> None:
    with serving(ModelClient(LOCAL)) as url:
        client = _openai(url)
        answer = client.chat.completions.create(
            model=LOCAL, messages=QUESTION, max_tokens=12, temperature=0
        )
        stream = client.chat.completions.create(
            model=LOCAL,
            messages=QUESTION,
            max_tokens=12,
            temperature=0,
            stream=True,
            stream_options={"include_usage": True},
        )
        chunks = list(stream)
        # Concurrent requests queue on the one model and all get the same greedy answer.
        with ThreadPoolExecutor(3) as pool:
            parallel = list(
                pool.map(
                    lambda _: client.chat.completions.create(
                        model=LOCAL, messages=QUESTION, max_tokens=12, temperature=0
                    ),
                    range(3),
                )
            )
    text = answer.choices[0].message.content or ""
    assert "paris" in text.lower()
    assert answer.usage is not None and 0 < answer.usage.completion_tokens <= 12
    streamed = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert streamed == text
    assert chunks[-1].usage is not None
    assert chunks[-1].usage.completion_tokens == answer.usage.completion_tokens
    assert [p.choices[0].message.content for p in parallel] == [text] * 3


@pytest.mark.local_model
@pytest.mark.anyio
async def test_real_model_served_to_litellm() -> None:
    with serving(ModelClient(LOCAL), name="smol") as url:
        remote = ModelClient("openai/smol", api_base=url, api_key="unused")
        config = GenerateConfig(temperature=0, max_tokens=12)
        whole = await remote.complete(QUESTION[0]["content"], config=config)
        pieces = [p async for p in remote.stream(QUESTION[0]["content"], config=config)]
        samples = await remote.complete(
            "Invent a name for a dog.", config=GenerateConfig(temperature=1.0, max_tokens=8), n=3
        )
    assert "paris" in whole.text.lower()
    assert "".join(pieces) == whole.text
    assert len(samples.texts) == 3
