"""Fakes for tests, yours included: a scripted model and a guard against network models."""

from agentloop.model._guard import block_network_models
from agentloop.testing._scripted import ScriptedCall, ScriptedModel, count_words

__all__ = ["ScriptedCall", "ScriptedModel", "count_words", "block_network_models"]
