"""An OpenAI-compatible HTTP endpoint in front of a `ModelClient` (`agentloop serve-model`).

Other processes and workers share one loaded local model through it. Requests go through the
client, so usage, budget and traces are the same as for in-process calls; concurrent requests
queue on the model's lock. Only `POST /v1/chat/completions` (with `stream`, `n`, usage) and
`GET /v1/models` are served.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import AsyncGenerator
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from agentloop._budget import Budget
from agentloop._messages import Message, Usage
from agentloop.errors import AgentloopError, ConfigError, ContextWindowError, ModelRequestError
from agentloop.model import GenerateConfig

if TYPE_CHECKING:
    from aiohttp import web

    from agentloop.model import ModelClient

__all__ = ["ModelServer"]

_ROLES = ("system", "user", "assistant", "tool")


def _content(value: Any) -> str:
    """Message content as text: a string, or the text parts of an OpenAI content list."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        return "".join(str(part.get("text", "")) for part in value if isinstance(part, dict))
    raise ModelRequestError(f"message content must be a string or a list of parts, got {value!r}")


def _parse(body: Any) -> tuple[list[Message], GenerateConfig, int, bool, bool]:
    """Messages, config, n, stream and include_usage from a chat-completions request body."""
    if not isinstance(body, dict):
        raise ModelRequestError("the request body must be a JSON object")
    raw_messages = body.get("messages")
    if not isinstance(raw_messages, list) or not raw_messages:
        raise ModelRequestError("'messages' must be a non-empty list")
    messages = []
    for raw in raw_messages:
        if not isinstance(raw, dict) or raw.get("role") not in _ROLES:
            raise ModelRequestError(f"each message needs a role in {_ROLES}, got {raw!r}")
        messages.append(
            Message(role=raw["role"], content=_content(raw.get("content")), name=raw.get("name"))
        )
    max_tokens = body.get("max_completion_tokens", body.get("max_tokens"))
    stop = body.get("stop")
    fields: dict[str, Any] = {
        "temperature": body.get("temperature"),
        "top_p": body.get("top_p"),
        "max_tokens": max_tokens,
        "stop": [stop] if isinstance(stop, str) else stop,
        "seed": body.get("seed"),
    }
    try:
        # Only fields the request sets, so that the server's defaults apply to the rest.
        config = GenerateConfig.model_validate({k: v for k, v in fields.items() if v is not None})
    except ValidationError as exc:
        raise ModelRequestError(f"invalid generation parameters: {exc}") from exc
    n = body.get("n") or 1
    if not isinstance(n, int) or n < 1:
        raise ModelRequestError(f"'n' must be a positive integer, got {n!r}")
    stream = bool(body.get("stream", False))
    options = body.get("stream_options") or {}
    include_usage = bool(isinstance(options, dict) and options.get("include_usage"))
    return messages, config, n, stream, include_usage


def _usage_json(usage: Usage) -> dict[str, int]:
    return {
        "prompt_tokens": usage.input_tokens,
        "completion_tokens": usage.output_tokens,
        "total_tokens": usage.total_tokens,
    }


def _error_status(exc: AgentloopError) -> int:
    if isinstance(exc, ConfigError | ModelRequestError):
        return 400
    if isinstance(exc, ContextWindowError):
        return 400
    return 500


class ModelServer:
    """Serve one model on loopback with the OpenAI chat-completions API.

    Args:
        client: every request goes through it (its config is the default for requests).
        name: the model id reported by `/v1/models` and in responses (default: the client's).
        host / port: where to listen; port 0 picks a free port (see `url` after `start`).
    """

    def __init__(
        self,
        client: ModelClient,
        *,
        name: str | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        self.client = client
        self.name = name or client.model
        self.host = host
        self.port = port
        self._runner: web.AppRunner | None = None
        self._created = int(time.time())

    @property
    def url(self) -> str:
        """The base URL to give an OpenAI client (`.../v1`)."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}/v1"

    def app(self) -> web.Application:
        """The aiohttp application that serves the endpoints."""
        try:
            from aiohttp import web
        except ImportError as exc:
            raise ConfigError(
                "serving needs aiohttp: pip install 'agentloop[serve]'"
            ) from exc

        application = web.Application()
        application.router.add_get("/v1/models", self._models)
        application.router.add_post("/v1/chat/completions", self._chat)
        return application

    async def start(self) -> str:
        """Bind and start serving; returns the base URL."""
        application = self.app()  # first: it says which extra to install when aiohttp is missing
        from aiohttp import web

        runner = web.AppRunner(application, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, self.host, self.port)
        try:
            await site.start()
        except OSError as exc:
            await runner.cleanup()
            raise ConfigError(
                f"cannot listen on {self.host}:{self.port} ({exc.strerror}); pick another --port"
            ) from exc
        self._runner = runner
        server = site._server
        if self.port == 0 and server is not None:
            sockets = getattr(server, "sockets", None) or []
            self.port = int(sockets[0].getsockname()[1])
        return self.url

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> ModelServer:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    # -- handlers ------------------------------------------------------------------------

    async def _models(self, request: web.Request) -> web.Response:
        from aiohttp import web

        return web.json_response(
            {
                "object": "list",
                "data": [
                    {
                        "id": self.name,
                        "object": "model",
                        "created": self._created,
                        "owned_by": "agentloop",
                    }
                ],
            }
        )

    def _error(self, status: int, message: str, kind: str) -> web.Response:
        from aiohttp import web

        return web.json_response(
            {"error": {"message": message, "type": kind, "param": None, "code": None}},
            status=status,
        )

    async def _chat(self, request: web.Request) -> web.StreamResponse:
        try:
            body = await request.json()
        except json.JSONDecodeError as exc:
            return self._error(400, f"the request body is not JSON: {exc}", "invalid_request_error")
        try:
            messages, config, n, stream, include_usage = _parse(body)
        except AgentloopError as exc:
            return self._error(400, str(exc), "invalid_request_error")
        completion_id = f"chatcmpl-{uuid.uuid4().hex}"
        if stream:
            return await self._stream(request, completion_id, messages, config, n, include_usage)
        try:
            completion = await self.client.complete(messages, config=config, n=n)
        except AgentloopError as exc:
            return self._error(_error_status(exc), str(exc), type(exc).__name__)
        from aiohttp import web

        return web.json_response(
            {
                "id": completion_id,
                "object": "chat.completion",
                "created": int(time.time()),
                "model": self.name,
                "choices": [
                    {
                        "index": i,
                        "message": {"role": "assistant", "content": text},
                        "finish_reason": reason or "stop",
                        "logprobs": None,
                    }
                    for i, (text, reason) in enumerate(
                        zip(completion.texts, completion.finish_reasons, strict=False)
                    )
                ],
                "usage": _usage_json(completion.usage),
            }
        )

    def _chunk(
        self,
        completion_id: str,
        *,
        index: int = 0,
        delta: dict[str, Any] | None = None,
        finish_reason: str | None = None,
        usage: Usage | None = None,
    ) -> bytes:
        payload: dict[str, Any] = {
            "id": completion_id,
            "object": "chat.completion.chunk",
            "created": int(time.time()),
            "model": self.name,
            "choices": []
            if usage is not None
            else [
                {
                    "index": index,
                    "delta": delta or {},
                    "finish_reason": finish_reason,
                    "logprobs": None,
                }
            ],
        }
        if usage is not None:
            payload["usage"] = _usage_json(usage)
        return f"data: {json.dumps(payload, ensure_ascii=False)}\n\n".encode()

    async def _pieces(
        self, messages: list[Message], config: GenerateConfig, n: int, budget: Budget
    ) -> AsyncGenerator[tuple[int, str | None, str | None], None]:
        """(sample index, text delta, finish reason) as they come."""
        client = self.client.with_budget(budget)
        if n == 1:
            async for delta in client.stream(messages, config=config):
                yield 0, delta, None
            yield 0, None, "stop"
            return
        # Several samples are generated whole, then sent one chunk per sample.
        completion = await client.complete(messages, config=config, n=n)
        for i, (text, reason) in enumerate(
            zip(completion.texts, completion.finish_reasons, strict=False)
        ):
            yield i, text, None
            yield i, None, reason or "stop"

    async def _stream(
        self,
        request: web.Request,
        completion_id: str,
        messages: list[Message],
        config: GenerateConfig,
        n: int,
        include_usage: bool,
    ) -> web.StreamResponse:
        from aiohttp import web

        # A per-request budget with no limits records this request's usage for the final chunk.
        budget = Budget()
        pieces = self._pieces(messages, config, n, budget)
        try:
            first = await anext(pieces)
        except AgentloopError as exc:
            # Nothing sent yet: a proper HTTP error is still possible.
            return self._error(_error_status(exc), str(exc), type(exc).__name__)
        response = web.StreamResponse(
            headers={"Content-Type": "text/event-stream", "Cache-Control": "no-cache"}
        )
        await response.prepare(request)
        for i in range(n):
            await response.write(
                self._chunk(completion_id, index=i, delta={"role": "assistant", "content": ""})
            )
        try:
            item: tuple[int, str | None, str | None] | None = first
            while item is not None:
                index, text, reason = item
                if text is not None:
                    await response.write(
                        self._chunk(completion_id, index=index, delta={"content": text})
                    )
                if reason is not None:
                    await response.write(
                        self._chunk(completion_id, index=index, finish_reason=reason)
                    )
                item = await anext(pieces, None)
        except AgentloopError as exc:
            # Headers are gone: report the failure in-band, as OpenAI-compatible servers do.
            error = {"error": {"message": str(exc), "type": type(exc).__name__}}
            await response.write(f"data: {json.dumps(error)}\n\n".encode())
        else:
            if include_usage:
                spent = budget.spent
                usage = Usage(input_tokens=spent.input_tokens, output_tokens=spent.output_tokens)
                await response.write(self._chunk(completion_id, usage=usage))
        finally:
            await pieces.aclose()
        await response.write(b"data: [DONE]\n\n")
        await response.write_eof()
        return response
