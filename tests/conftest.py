"""Shared test setup: Hypothesis profiles, fixture paths, golden vectors."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

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
