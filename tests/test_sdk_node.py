"""ali-oss (Node.js) against a live emulator, V1 and V4, both addressing styles."""

from __future__ import annotations

import os

import pytest

from emulator.server import EmulatorServer
from tests.node_support import ensure_ali_oss, run_script

pytestmark = [pytest.mark.sdk, pytest.mark.node]


@pytest.fixture(name="node", scope="session")
def _node() -> str:
    return ensure_ali_oss()


@pytest.mark.parametrize("v4", [False, True], ids=["v1", "v4"])
def test_foundation_operations(node: str, oss_emulator: EmulatorServer, v4: bool) -> None:
    """Every foundation operation ali-oss offers succeeds against the emulator."""
    env = {
        **os.environ,
        "OSS_AK": oss_emulator.access_key_id,
        "OSS_SK": oss_emulator.access_key_secret,
        "OSS_BUCKET": oss_emulator.bucket,
        "OSS_REGION": oss_emulator.region,
        "OSS_ENDPOINT": oss_emulator.endpoint,
        "OSS_V4": "1" if v4 else "0",
    }
    results = run_script(node, "foundation.js", env)
    for style in ("ip-host-override", "sld-path-style"):
        assert results[style]["missing"] == "NoSuchKeyError"
        assert results[style]["bucketLocation"] == "oss-cn-hangzhou"
    assert results["badSecret"] == "SignatureDoesNotMatch"
