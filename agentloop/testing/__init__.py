"""Fakes for tests, yours included: a scripted model and a guard against network models."""

from agentloop.model._guard import block_network_models
from agentloop.testing._scripted import ScriptedCall, ScriptedModel, approx_tokens

__all__ = ["ScriptedCall", "ScriptedModel", "approx_tokens", "block_network_models"]
