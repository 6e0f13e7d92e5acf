"""A stand-in application server that receives callbacks and verifies them like Alibaba's samples.

``CallbackReceiver`` is a real HTTP (or HTTPS) server on a free loopback port. For every
POST it does what the official Python sample callback server does (callback.md §6.5):
Base64-decode ``x-oss-pub-key-url``, fetch the PEM from it, rebuild the string to sign as
``unquote(path) + "\\n" + body`` (or ``unquote(path[:pos]) + path[pos:] + ...`` when there
is a query), and check the ``Authorization`` signature with RSA and MD5. It records what it
received and answers what the test scripted: a status, a body, a delay, no
``Content-Length``, a redirect. With TLS it records the server name (SNI) the client offered.
"""

from __future__ import annotations

import base64
import json
import ssl
import sys
import threading
import time
import urllib.request
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import unquote

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

OFFICIAL_PREFIXES = ("http://gosspublic.alicdn.com/", "https://gosspublic.alicdn.com/")


@dataclass(frozen=True)
class Reply:
    """What the receiver answers to one callback."""

    status: int = 200
    body: bytes = b'{"Status":"OK"}'
    content_type: str = "application/json"
    headers: tuple[tuple[str, str], ...] = ()
    delay: float = 0.0
    content_length: bool = True  # False: chunked, no Content-Length
    location: str | None = None  # for redirects


@dataclass
class ReceivedCallback:
    method: str
    path: str  # request target: path and raw query, as received
    headers: dict[str, str]
    body: bytes
    verified: bool
    verify_error: str | None
    server_name: str | None  # SNI offered, for HTTPS receivers
    received_at: float = field(default_factory=time.time)

    def json(self) -> Any:
        return json.loads(self.body)


def sample_string_to_sign(path: str, body: bytes) -> bytes:
    """The string Alibaba's Python sample server verifies (callback.md §6.5)."""
    pos = path.find("?")
    if pos == -1:
        return unquote(path).encode() + b"\n" + body
    return unquote(path[:pos]).encode() + path[pos:].encode() + b"\n" + body


def verify_like_sample(
    path: str, headers: dict[str, str], body: bytes, *, require_official_prefix: bool = False
) -> str | None:
    """None when the callback verifies as the sample server checks it, else the reason."""
    try:
        key_url = base64.b64decode(headers["x-oss-pub-key-url"]).decode()
        signature = base64.b64decode(headers["authorization"])
    except (KeyError, ValueError) as exc:
        return f"missing or bad signature headers: {exc}"
    if require_official_prefix and not key_url.startswith(OFFICIAL_PREFIXES):
        return f"public key URL {key_url} is not on gosspublic.alicdn.com"
    try:
        with urllib.request.urlopen(key_url, timeout=5) as answer:
            pem = answer.read()
        public_key = serialization.load_pem_public_key(pem)
    except (OSError, ValueError) as exc:
        return f"cannot fetch the public key from {key_url}: {exc}"
    if not isinstance(public_key, rsa.RSAPublicKey):
        return "the public key is not RSA"
    try:
        public_key.verify(
            signature, sample_string_to_sign(path, body), padding.PKCS1v15(), hashes.MD5()
        )
    except InvalidSignature:
        return "signature does not verify"
    return None


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        # The emulator hangs up on purpose (reply too slow or too large): not an error of
        # the receiver, so no traceback on the test's stderr.
        if isinstance(sys.exc_info()[1], ConnectionError):
            return
        super().handle_error(request, client_address)


class CallbackReceiver:
    """A scripted application server; use as a context manager or ``start()``/``stop()``."""

    def __init__(
        self,
        *,
        tls: ssl.SSLContext | None = None,
        host: str = "127.0.0.1",
        require_official_prefix: bool = False,
    ) -> None:
        self.requests: list[ReceivedCallback] = []
        self.default_reply = Reply()
        self._replies: deque[Reply] = deque()
        self._lock = threading.Condition()
        self._server_names: dict[int, str | None] = {}
        self.require_official_prefix = require_official_prefix
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                receiver._handle(self, body)

            def do_GET(self) -> None:
                self.send_response(501)
                self.send_header("Content-Length", "0")
                self.end_headers()

        self._server = _Server((host, 0), Handler)
        self.scheme = "http"
        if tls is not None:
            tls.sni_callback = self._record_sni
            self._server.socket = tls.wrap_socket(
                self._server.socket, server_side=True, do_handshake_on_connect=False
            )
            self.scheme = "https"
        self.port: int = self._server.server_address[1]
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},  # stop() waits up to one poll interval
            daemon=True,
            name=f"callback-receiver:{self.port}",
        )

    def _record_sni(
        self, sock: ssl.SSLObject | ssl.SSLSocket, name: str | None, context: ssl.SSLContext
    ) -> None:
        self._server_names[id(sock)] = name

    def url(self, path: str = "/callback") -> str:
        return f"{self.scheme}://127.0.0.1:{self.port}{path}"

    def reply(self, *replies: Reply) -> None:
        """Answer the next callbacks with these, in order, then with ``default_reply``."""
        self._replies.extend(replies)

    def start(self) -> CallbackReceiver:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> CallbackReceiver:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def wait_for(self, count: int = 1, timeout: float = 10.0) -> list[ReceivedCallback]:
        with self._lock:
            if not self._lock.wait_for(lambda: len(self.requests) >= count, timeout):
                raise TimeoutError(f"{len(self.requests)} of {count} callbacks arrived")
            return list(self.requests)

    def _handle(self, handler: BaseHTTPRequestHandler, body: bytes) -> None:
        headers = {name.lower(): value for name, value in handler.headers.items()}
        error = verify_like_sample(
            handler.path, headers, body, require_official_prefix=self.require_official_prefix
        )
        # The SNI callback saw this connection's SSLSocket during the handshake.
        server_name = self._server_names.pop(id(handler.connection), None)
        with self._lock:
            self.requests.append(
                ReceivedCallback(
                    handler.command, handler.path, headers, body, error is None, error, server_name
                )
            )
            self._lock.notify_all()
            reply = self._replies.popleft() if self._replies else self.default_reply
        if reply.delay:
            time.sleep(reply.delay)
        handler.send_response(reply.status)
        handler.send_header("Content-Type", reply.content_type)
        for name, value in reply.headers:
            handler.send_header(name, value)
        if reply.location:
            handler.send_header("Location", reply.location)
        if reply.content_length:
            handler.send_header("Content-Length", str(len(reply.body)))
            handler.end_headers()
            handler.wfile.write(reply.body)
        else:
            handler.send_header("Transfer-Encoding", "chunked")
            handler.end_headers()
            handler.wfile.write(f"{len(reply.body):x}\r\n".encode() + reply.body + b"\r\n0\r\n\r\n")
        handler.close_connection = True
