"""Hashing of audit entries: SM3 where OpenSSL offers it (GB/T 32905-2016), else SHA-256."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder

GENESIS = "0" * 64


def preferred_algorithm() -> str:
    return "sm3" if "sm3" in hashlib.algorithms_available else "sha256"


def digest(algorithm: str, data: bytes) -> str:
    return hashlib.new(algorithm, data).hexdigest()


def json_safe(value: Any) -> Any:
    """What a value looks like after a JSON round trip: what is stored is what is hashed."""
    if value is None:
        return None
    return json.loads(json.dumps(value, cls=DjangoJSONEncoder, ensure_ascii=False))


def canonical(fields: dict[str, Any]) -> bytes:
    return json.dumps(
        fields, sort_keys=True, ensure_ascii=False, separators=(",", ":"), cls=DjangoJSONEncoder
    ).encode("utf-8")


HASHED_FIELDS = (
    "seq",
    "occurred_at",
    "actor_id",
    "actor_name",
    "actor_role",
    "action",
    "object_type",
    "object_id",
    "object_repr",
    "before",
    "after",
    "note",
    "client_ip",
    "request_id",
    "channel",
    "algorithm",
    "prev_hash",
)


def entry_fields(entry: Any) -> dict[str, Any]:
    fields = {name: getattr(entry, name) for name in HASHED_FIELDS}
    # Microsecond UTC ISO form: the same on SQLite and PostgreSQL after a round trip.
    fields["occurred_at"] = entry.occurred_at.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    return fields


def entry_hash(entry: Any) -> str:
    return digest(entry.algorithm, canonical(entry_fields(entry)))
