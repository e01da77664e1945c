"""Generation settings: one frozen value, merged client default -> call."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["LOCAL_TIMEOUT", "REMOTE_TIMEOUT", "GenerateConfig"]

REMOTE_TIMEOUT = 60.0
"""Seconds one attempt at a model behind HTTP may wait for its server (litellm's own default is
6,000 s, times each retry). A server that streams resets this wait with every chunk."""
LOCAL_TIMEOUT = 600.0
"""Seconds one attempt at an in-process `local/` model may take: generation itself happens
inside the attempt, and on one CPU thread (the default on shared machines) a 7B GGUF makes
about 2 tokens/s after reading the prompt at about 20 tokens/s, so a 2,000-token prompt and a
500-token answer take ~6 minutes; the model's first load is in the first attempt too."""


class GenerateConfig(BaseModel):
    """Sampling and request settings for one model call; unset fields fall back to the provider."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    temperature: float | None = Field(default=None, ge=0.0)
    """Sampling temperature; 0 is (close to) greedy."""
    top_p: float | None = Field(default=None, gt=0.0, le=1.0)
    """Nucleus sampling mass."""
    max_tokens: int | None = Field(default=None, ge=1)
    """Most tokens to generate per sample."""
    stop: list[str] | None = None
    """Sequences that end generation."""
    seed: int | None = None
    """Sampling seed, where the provider honours one; part of the cache key."""
    timeout: float | None = Field(default=None, gt=0.0)
    """Seconds to wait for one attempt before it counts as a timeout (and is retried); unset:
    `REMOTE_TIMEOUT` for a model behind HTTP, `LOCAL_TIMEOUT` for the in-process local one."""
    extra: dict[str, Any] = Field(default_factory=dict)
    """Further litellm/provider parameters passed through unchanged (e.g. `frequency_penalty`)."""

    def merge(self, other: GenerateConfig | None) -> GenerateConfig:
        """A config where the fields set on `other` win; `extra` dicts are merged key by key."""
        if other is None:
            return self
        updates = {name: getattr(other, name) for name in other.model_fields_set}
        if "extra" in updates:
            updates["extra"] = {**self.extra, **other.extra}
        return self.model_copy(update=updates)

    def request_params(self) -> dict[str, Any]:
        """The parameters that change what the model generates (timeout excluded), unset omitted."""
        params: dict[str, Any] = dict(self.extra)
        for name in ("temperature", "top_p", "max_tokens", "stop", "seed"):
            value = getattr(self, name)
            if value is not None:
                params[name] = value
        return params
