"""The callback request on the wire carries exactly C18's headers (decisions.md C18).

The journal shows the headers the emulator built; this checks what an application server
actually receives, so a client library's own defaults (``Accept``, ``Accept-Encoding``...)
cannot slip in: an app server with compression middleware would gzip its reply to a
request offering it, and the uploader would get a 203 that real OSS never causes.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import b64

pytestmark = pytest.mark.sdk

#: decisions.md C18, lower-cased.
C18 = {
    "authorization",
    "content-md5",
    "content-type",
    "content-length",
    "date",
    "host",
    "user-agent",
    "x-oss-bucket",
    "x-oss-pub-key-url",
    "x-oss-request-id",
    "x-oss-requester",
    "x-oss-owner",
    "x-oss-signature-version",
    "x-oss-tag",
    "x-oss-additional-headers",
    "connection",
}


def test_received_headers_are_exactly_c18(oss_emulator: Any, bucket: Any, receiver: Any) -> None:
    """The app server receives C18's headers and no other; the journal lists the same."""
    callback = {"callbackUrl": receiver.url("/cb"), "callbackBody": "k=${object}"}
    result = bucket.put_object("wire.txt", b"x", headers={"x-oss-callback": b64(callback)})
    assert result.status == 200
    (received,) = receiver.requests
    assert set(received.headers) == C18
    assert received.headers["user-agent"] == "aliyun-oss-callback"
    assert received.headers["connection"] == "close"
    (entry,) = oss_emulator.callbacks
    assert {name.lower() for name, _ in entry["request"]["headers"]} == C18
