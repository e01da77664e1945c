"""JSONL export and import: one span per line, evaluations inline, for round trips and tools."""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import IO

from pydantic import ValidationError

from agentloop.errors import TraceStoreError
from agentloop.tracing._span import SpanRecord
from agentloop.tracing._store import dumps_attributes

__all__ = ["dump_jsonl", "load_jsonl"]


def _line(record: SpanRecord) -> str:
    data = record.model_dump(mode="json", exclude={"attributes"})
    # Attributes go through the store's encoder so that an export holds exactly what the
    # store holds, whatever Python objects the traced code put there.
    data["attributes"] = json.loads(dumps_attributes(record.attributes))
    return json.dumps(data, ensure_ascii=False)


def dump_jsonl(records: Iterable[SpanRecord], out: IO[str]) -> int:
    """Write spans as JSON lines to a text stream; returns how many."""
    count = 0
    for record in records:
        out.write(_line(record))
        out.write("\n")
        count += 1
    return count


def load_jsonl(path: str | Path) -> list[SpanRecord]:
    """Read spans written by `dump_jsonl` (or `agentloop traces export`)."""
    path = Path(path)
    records = []
    try:
        with path.open(encoding="utf-8") as lines:
            for number, line in enumerate(lines, 1):
                if not line.strip():
                    continue
                try:
                    records.append(SpanRecord.model_validate_json(line))
                except ValidationError as exc:
                    raise TraceStoreError(
                        f"{path}:{number} is not a span record ({exc.error_count()} errors, "
                        f"first: {exc.errors()[0]['msg']}); was it written by `traces export`?"
                    ) from exc
    except OSError as exc:
        raise TraceStoreError(f"cannot read {path}: {exc}") from exc
    return records
