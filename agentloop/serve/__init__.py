"""Serving: the one OpenAI-compatible HTTP server, in front of a model (`agentloop serve-model`).

It needs the `serve` extra (aiohttp), imported only when a server is built, so importing this
package stays light: `pip install 'agentloop[serve]'`.
"""

from agentloop.serve._server import ModelServer

__all__ = ["ModelServer"]
