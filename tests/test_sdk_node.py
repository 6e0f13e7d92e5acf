"""ali-oss (Node.js) against a live emulator, V1 and V4, both addressing styles."""

from __future__ import annotations

import os

import pytest

from emulator.receiver import CallbackReceiver, Reply
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


@pytest.mark.parametrize("v4", [False, True], ids=["v1", "v4"])
def test_callbacks(node: str, oss_emulator: EmulatorServer, v4: bool) -> None:
    """put and multipartUpload relay the app's JSON as data; a 203 throws CallbackFailedError."""
    with CallbackReceiver() as good, CallbackReceiver() as bad:
        good.default_reply = Reply(body=b'{"from":"app","ok":true}')
        bad.default_reply = Reply(status=500)
        env = {
            **os.environ,
            "OSS_AK": oss_emulator.access_key_id,
            "OSS_SK": oss_emulator.access_key_secret,
            "OSS_BUCKET": oss_emulator.bucket,
            "OSS_REGION": oss_emulator.region,
            "OSS_ENDPOINT": oss_emulator.endpoint,
            "OSS_V4": "1" if v4 else "0",
            "OSS_CALLBACK_URL": good.url("/cb"),
            "OSS_FAILING_URL": bad.url("/cb"),
        }
        results = run_script(node, "callback.js", env)
        assert results["data"] == {"from": "app", "ok": True}
        assert results["multipartData"] == {"from": "app", "ok": True}
        assert results["failure"] == {
            "name": "CallbackFailedError",
            "code": "CallbackFailed",
            "status": 203,
            "message": "Error status : 500.",
        }
        assert results["failedObjectContent"] == "stored anyway"
        assert all(request.verified for request in good.requests + bad.requests)
        first = good.requests[0]
        assert (
            first.body
            == (
                f"bucket={oss_emulator.bucket}&object=node-callback.txt&size=11&var1=value1"
            ).encode()
        )
        assert good.requests[1].json() == {"size": 250 * 1024}
