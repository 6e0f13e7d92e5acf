"""Shared test setup: Hypothesis profiles, fixture paths, golden vectors."""

from __future__ import annotations

import base64
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, settings

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "fixtures"
VECTORS = FIXTURES / "vectors"

settings.register_profile("dev", max_examples=100, deadline=None)
settings.register_profile(
    "ci", max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "dev"))


def load_vectors(name: str) -> dict[str, Any]:
    """One golden vector file from fixtures/vectors (copied unchanged from the spec)."""
    with (VECTORS / name).open(encoding="utf-8") as handle:
        return json.load(handle)


#: decisions.md C18: the callback request's headers, in the order the emulator sends them.
C18_HEADERS = (
    "Authorization",
    "Content-MD5",
    "Content-Type",
    "Content-Length",
    "Date",
    "Host",
    "User-Agent",
    "x-oss-bucket",
    "x-oss-pub-key-url",
    "x-oss-request-id",
    "x-oss-requester",
    "x-oss-owner",
    "x-oss-signature-version",
    "x-oss-tag",
    "x-oss-additional-headers",
    "Connection",
)


def b64(value: object) -> str:
    """Base64 of a text, or of a value's JSON: how callback parameters travel."""
    text = value if isinstance(value, str) else json.dumps(value)
    return base64.b64encode(text.encode()).decode()


@pytest.fixture(name="receiver")
def _receiver() -> Iterator[Any]:
    """A sample-style verifying application server for one test."""
    from emulator.receiver import CallbackReceiver

    with CallbackReceiver() as receiver:
        yield receiver


@pytest.fixture(name="bucket")
def _bucket(oss_emulator: Any) -> Any:
    """An oss2 bucket on the fixture emulator's first bucket (V1); modules may override."""
    import oss2

    auth = oss2.Auth(oss_emulator.access_key_id, oss_emulator.access_key_secret)
    return oss2.Bucket(auth, oss_emulator.endpoint, oss_emulator.bucket)
