"""A loopback OpenAI-compatible chat server for benchmarks P1 and P2, run as its own process.

`POST /v1/chat/completions` waits `--latency-ms` (an asyncio sleep: requests overlap freely, so
the server never limits concurrency) and answers `--reply`, or `--critique` when the request's
system message asks for a VERDICT line (agentloop's critic prompt, copied by the minimal loop).
`GET /stats` returns requests served, the most in flight at once and a sha256 of the messages
received (in arrival order); `POST /stats` returns them and starts afresh. HTTP/1.1 keep-alive,
as the openai SDK under litellm expects.

It runs in a separate process so that its work does not share the client's event loop or GIL:

    with loopback_server(latency_ms=200) as server:
        server.api_base  # http://127.0.0.1:PORT/v1
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

DEFAULT_REPLY = "Leaves fall in the rain; the river keeps what the trees let go."
DEFAULT_CRITIQUE = "Make the second image concrete.\nSCORE: 4\nVERDICT: REVISE"


class _Stats:
    served = 0
    in_flight = 0
    max_in_flight = 0
    digest = hashlib.sha256()


def _words(text: str) -> int:
    return len(text.split())


def _answer(payload: dict[str, Any], reply: str, critique: str) -> dict[str, Any]:
    messages = payload.get("messages") or []
    system = next((str(m.get("content")) for m in messages if m.get("role") == "system"), "")
    text = critique if "VERDICT" in system else reply
    prompt_tokens = sum(_words(str(m.get("content") or "")) for m in messages)
    completion_tokens = _words(text)
    return {
        "id": f"chatcmpl-{_Stats.served}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": str(payload.get("model", "loopback")),
        "choices": [
            {"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}
        ],
        "usage": {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": completion_tokens,
            "total_tokens": prompt_tokens + completion_tokens,
        },
    }


async def _handle(
    reader: asyncio.StreamReader,
    writer: asyncio.StreamWriter,
    *,
    latency_s: float,
    reply: str,
    critique: str,
) -> None:
    try:
        while True:
            head = await reader.readuntil(b"\r\n\r\n")
            lines = head.decode("latin-1").split("\r\n")
            method, path, _ = lines[0].split(" ", 2)
            headers = {
                k.strip().lower(): v.strip()
                for k, _, v in (ln.partition(":") for ln in lines[1:] if ln)
            }
            body = await reader.readexactly(int(headers.get("content-length", "0")))
            status = "200 OK"
            if path.startswith("/stats"):
                data: dict[str, Any] = {
                    "served": _Stats.served,
                    "max_in_flight": _Stats.max_in_flight,
                    "messages_sha256": _Stats.digest.hexdigest(),
                }
                if method == "POST":
                    _Stats.served = _Stats.max_in_flight = 0
                    _Stats.digest = hashlib.sha256()
            elif method == "POST" and path.endswith("/chat/completions"):
                _Stats.in_flight += 1
                _Stats.max_in_flight = max(_Stats.max_in_flight, _Stats.in_flight)
                try:
                    if latency_s > 0:
                        await asyncio.sleep(latency_s)
                    payload = json.loads(body or b"{}")
                    # Requests are answered in arrival order; the digest says what was asked.
                    _Stats.digest.update(json.dumps(payload.get("messages")).encode())
                    data = _answer(payload, reply, critique)
                finally:
                    _Stats.in_flight -= 1
                    _Stats.served += 1
            else:
                status, data = "404 Not Found", {"error": {"message": f"no route {path}"}}
            out = json.dumps(data).encode()
            writer.write(
                f"HTTP/1.1 {status}\r\ncontent-type: application/json\r\n"
                f"content-length: {len(out)}\r\n\r\n".encode()
                + out
            )
            await writer.drain()
            if headers.get("connection", "").lower() == "close":
                break
    except (asyncio.IncompleteReadError, ConnectionError):
        pass
    finally:
        writer.close()


async def _serve(port: int, latency_s: float, reply: str, critique: str) -> None:
    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await _handle(reader, writer, latency_s=latency_s, reply=reply, critique=critique)

    server = await asyncio.start_server(handle, "127.0.0.1", port, backlog=1024)
    bound = server.sockets[0].getsockname()[1]
    print(bound, flush=True)  # the parent reads the port from the first line
    async with server:
        await server.serve_forever()


@dataclass
class LoopbackServer:
    port: int
    latency_ms: float

    @property
    def api_base(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def stats(self, *, reset: bool = False) -> dict[str, Any]:
        request = urllib.request.Request(
            f"http://127.0.0.1:{self.port}/stats", method="POST" if reset else "GET"
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            data: dict[str, Any] = json.loads(response.read())
        return data


@contextmanager
def loopback_server(*, latency_ms: float = 0.0) -> Iterator[LoopbackServer]:
    """The server in a child process for the duration of the block."""
    proc = subprocess.Popen(
        [sys.executable, __file__, "--port", "0", "--latency-ms", str(latency_ms)],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline().strip()
        if not line.isdigit():
            raise RuntimeError(f"loopback server did not start (said {line!r})")
        yield LoopbackServer(port=int(line), latency_ms=latency_ms)
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--latency-ms", type=float, default=0.0)
    parser.add_argument("--reply", default=DEFAULT_REPLY)
    parser.add_argument("--critique", default=DEFAULT_CRITIQUE)
    args = parser.parse_args()
    try:
        asyncio.run(_serve(args.port, args.latency_ms / 1000.0, args.reply, args.critique))
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
