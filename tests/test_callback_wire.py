"""The callback request on the wire carries exactly C18's headers (decisions.md C18).

The journal shows the headers the emulator built; this checks what an application server
actually receives, so a client library's own defaults (``Accept``, ``Accept-Encoding``...)
cannot slip in: an app server with compression middleware would gzip its reply to a
request offering it, and the uploader would get a 203 that real OSS never causes.
"""

from __future__ import annotations

import socket
import threading
from typing import Any

import pytest

from tests.conftest import C18_HEADERS, b64

pytestmark = pytest.mark.sdk

C18 = {name.lower() for name in C18_HEADERS}


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


def test_reply_with_a_unicode_digit_length_is_a_203(oss_emulator: Any, bucket: Any) -> None:
    """An app answering ``Content-Length: ²`` (a digit to ``str.isdigit``, not to ``int``)
    gets the upload a 203 like any unreadable answer, not a 500; the object stays stored."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)

        def answer_once() -> None:
            connection, _ = listener.accept()
            with connection:
                connection.recv(65536)
                connection.sendall(
                    b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                    b"Content-Length: \xb2\r\n\r\n{}"
                )

        server = threading.Thread(target=answer_once, daemon=True)
        server.start()
        url = f"http://127.0.0.1:{listener.getsockname()[1]}/cb"
        callback = {"callbackUrl": url, "callbackBody": "k=${object}"}
        result = bucket.put_object("odd.txt", b"x", headers={"x-oss-callback": b64(callback)})
        server.join(timeout=10)
    assert result.status == 203
    assert bucket.get_object("odd.txt").read() == b"x"
    (entry,) = oss_emulator.callbacks
    assert entry["verdict"] == "failure"
