"""HTTPS callbacks send SNI only when callbackSNI is true (C7), against a real TLS receiver."""

from __future__ import annotations

import base64
import json
import ssl
from collections.abc import Iterator

import oss2
import pytest
import trustme

from emulator.receiver import CallbackReceiver
from emulator.server import EmulatorServer

pytestmark = pytest.mark.sdk


@pytest.fixture(name="tls_receiver", scope="module")
def _tls_receiver() -> Iterator[CallbackReceiver]:
    """A receiver with a certificate for localhost that no client trusts (C7: not verified)."""
    ca = trustme.CA()
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("localhost", "127.0.0.1").configure_cert(context)
    with CallbackReceiver(tls=context) as receiver:
        yield receiver


@pytest.mark.parametrize(("sni", "expected"), [(True, "localhost"), (False, None)])
@pytest.mark.parametrize("host", ["localhost", "127.0.0.1"])
def test_sni_only_when_asked(
    oss_emulator: EmulatorServer,
    tls_receiver: CallbackReceiver,
    sni: bool,
    expected: str | None,
    host: str,
) -> None:
    """callbackSNI true offers the URL's host name (none for an IP literal); false offers none."""
    tls_receiver.requests.clear()
    bucket = oss2.Bucket(
        oss2.Auth(oss_emulator.access_key_id, oss_emulator.access_key_secret),
        oss_emulator.endpoint,
        oss_emulator.bucket,
    )
    url = f"https://{host}:{tls_receiver.port}/secure"
    callback = {"callbackUrl": url, "callbackBody": "object=${object}", "callbackSNI": sni}
    result = bucket.put_object(
        "tls.txt",
        b"x",
        headers={"x-oss-callback": base64.b64encode(json.dumps(callback).encode()).decode()},
    )
    assert result.status == 200, result.resp.read()
    (received,) = tls_receiver.requests
    assert received.verified, received.verify_error
    assert received.server_name == (expected if host == "localhost" else None)
