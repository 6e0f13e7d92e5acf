"""The callback's one HTTP/1.1 exchange: connect, send, read the answer's head, then close.

Callbacks are one POST per connection with ``Connection: close`` (C18), so pooling buys
nothing; httpx's default stack (httpcore over anyio) costs about 2 ms a request on loopback,
most of it a thread hop to resolve even an IP literal, and even httpx's request and response
objects over a lean transport cost 0.3-0.5 ms a callback (measured against this module), a
large part of the latency budget a callback may add. So the exchange speaks to asyncio
streams directly, and only httpx's URL parser is kept, so the request target goes out
percent-encoded exactly as an httpx client would send it:

- TCP connect first (``on_connect`` is called once it completes, so delivery can tell a
  connect that never completed from a slow answer, A1/G13), then TLS on the same stream for
  ``https``;
- TLS without certificate checks, and SNI only for a host name: an IP literal as
  ``sni_hostname`` means "send no server name" (C7);
- the request written in one piece, headers exactly as given, in that order;
- the answer's body streamed from the socket as it comes, never buffered here.

Failures raise ``httpx.ConnectError`` (no connection) or ``httpx.RemoteProtocolError`` (no
readable answer), or an ``OSError``/``ssl.SSLError`` from the socket; delivery reports them.
"""

from __future__ import annotations

import asyncio
import ipaddress
import ssl
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass

import httpx

MAX_HEAD = 64 * 1024  # status line and headers of an answer


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    return True


def insecure_context() -> ssl.SSLContext:
    """TLS that checks nothing: OSS does not verify callback certificates (C7)."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


class AnswerBody:
    """The answer's body, read from the socket on demand; closing closes the connection."""

    def __init__(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, length: int | None
    ) -> None:
        self._reader, self._writer, self._length = reader, writer, length

    async def __aiter__(self) -> AsyncIterator[bytes]:
        remaining = self._length
        while remaining is None or remaining > 0:
            chunk = await self._reader.read(65536 if remaining is None else min(remaining, 65536))
            if not chunk:
                return
            if remaining is not None:
                remaining -= len(chunk)
            yield chunk

    def close(self) -> None:
        self._writer.close()


@dataclass
class Answer:
    """An answer's status line and headers (names lower-cased, values as text) and its body,
    still on the socket."""

    status: int
    headers: list[tuple[str, str]]
    body: AnswerBody


class CallbackTransport:
    """Sends callbacks; holds the TLS settings (a test may give its own context)."""

    def __init__(self, tls: ssl.SSLContext | None = None) -> None:
        self._tls = tls or insecure_context()

    async def exchange(
        self,
        url: str,
        headers: Sequence[tuple[bytes, bytes]],
        body: bytes,
        *,
        sni_hostname: str | None,
        on_connect: Callable[[], None],
    ) -> Answer:
        """POST ``body`` to ``url`` with exactly ``headers``; the answer, body unread."""
        target = httpx.URL(url)
        https = target.scheme == "https"
        port = target.port or (443 if https else 80)
        try:
            reader, writer = await asyncio.open_connection(target.host, port, limit=MAX_HEAD)
        except OSError as exc:
            raise httpx.ConnectError(f"{type(exc).__name__}: {exc}") from exc
        try:
            on_connect()
            if https:
                sni = sni_hostname or target.host
                await writer.start_tls(self._tls, server_hostname=None if _is_ip(sni) else sni)
            lines = [b"POST " + (target.raw_path or b"/") + b" HTTP/1.1"]
            lines += [name + b": " + value for name, value in headers]
            writer.write(b"\r\n".join(lines) + b"\r\n\r\n" + body)
            await writer.drain()
            status, answer_headers = await _read_head(reader)
        except BaseException:
            writer.close()
            raise
        length = _content_length(answer_headers)
        return Answer(status, _as_text(answer_headers), AnswerBody(reader, writer, length))


async def _read_head(reader: asyncio.StreamReader) -> tuple[int, list[tuple[bytes, bytes]]]:
    try:
        head = await reader.readuntil(b"\r\n\r\n")
    except (asyncio.IncompleteReadError, asyncio.LimitOverrunError) as exc:
        raise httpx.RemoteProtocolError("no complete HTTP answer") from exc
    status_line, *header_lines = head[:-4].split(b"\r\n")
    parts = status_line.split(b" ", 2)
    if len(parts) < 2 or not parts[0].startswith(b"HTTP/") or not parts[1].isdigit():
        raise httpx.RemoteProtocolError(f"bad status line {status_line!r}")
    headers: list[tuple[bytes, bytes]] = []
    for line in header_lines:
        name, colon, value = line.partition(b":")
        if not colon:
            raise httpx.RemoteProtocolError(f"bad header line {line!r}")
        headers.append((name.strip(), value.strip()))
    return int(parts[1]), headers


def _as_text(headers: list[tuple[bytes, bytes]]) -> list[tuple[str, str]]:
    """Names lower-cased; values as UTF-8 when they are, else Latin-1 (as httpx reads them)."""
    text = []
    for name, value in headers:
        try:
            decoded = value.decode("utf-8")
        except UnicodeDecodeError:
            decoded = value.decode("latin-1")
        text.append((name.decode("latin-1").lower(), decoded))
    return text


def _content_length(headers: list[tuple[bytes, bytes]]) -> int | None:
    """The body length to read, or None (read to the end: the server closes, C18)."""
    if any(name.lower() == b"transfer-encoding" for name, _ in headers):
        return None
    for name, value in headers:
        if name.lower() == b"content-length" and value.isdigit():
            return int(value)
    return None
