"""A lean httpx transport for callbacks: one HTTP/1.1 exchange per connection, then close.

Callbacks are one POST per connection with ``Connection: close`` (C18), so pooling buys
nothing; httpx's default stack (httpcore over anyio) costs about 2 ms a request on loopback,
most of it a thread hop to resolve even an IP literal, which alone would exceed the latency
budget a callback may add. This transport speaks to asyncio streams directly:

- TCP connect first (reported to the ``trace`` extension as
  ``connection.connect_tcp.complete``, so delivery can tell a connect that never completed
  from a slow answer, A1/G13), then TLS on the same stream for ``https``;
- TLS without certificate checks, and SNI only when the ``sni_hostname`` extension names a
  host: an IP literal there means "send no server name" (C7);
- the request written in one piece, headers in the order given (httpx puts ``Host`` first);
- the answer's body streamed from the socket as it comes, never buffered here.
"""

from __future__ import annotations

import asyncio
import ipaddress
import ssl
from collections.abc import AsyncIterator

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


class _Body(httpx.AsyncByteStream):
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

    async def aclose(self) -> None:
        self._writer.close()


class CallbackTransport(httpx.AsyncBaseTransport):
    """``httpx.AsyncClient(transport=CallbackTransport())`` for callback delivery."""

    def __init__(self, tls: ssl.SSLContext | None = None) -> None:
        self._tls = tls or insecure_context()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        url = request.url
        https = url.scheme == "https"
        port = url.port or (443 if https else 80)
        trace = request.extensions.get("trace")
        try:
            reader, writer = await asyncio.open_connection(url.host, port, limit=MAX_HEAD)
        except OSError as exc:
            raise httpx.ConnectError(f"{type(exc).__name__}: {exc}", request=request) from exc
        try:
            if trace is not None:
                await trace("connection.connect_tcp.complete", {})
            if https:
                sni = request.extensions.get("sni_hostname") or url.host
                await writer.start_tls(self._tls, server_hostname=None if _is_ip(sni) else sni)
            writer.write(self._head(request) + request.content)
            await writer.drain()
            status, headers = await self._read_head(reader, request)
        except BaseException:
            writer.close()
            raise
        length = _content_length(headers)
        return httpx.Response(
            status,
            headers=headers,
            stream=_Body(reader, writer, length),
            extensions={"http_version": b"HTTP/1.1"},
            request=request,
        )

    @staticmethod
    def _head(request: httpx.Request) -> bytes:
        target = request.url.raw_path or b"/"
        lines = [request.method.encode() + b" " + target + b" HTTP/1.1"]
        lines += [name + b": " + value for name, value in request.headers.raw]
        return b"\r\n".join(lines) + b"\r\n\r\n"

    @staticmethod
    async def _read_head(
        reader: asyncio.StreamReader, request: httpx.Request
    ) -> tuple[int, list[tuple[bytes, bytes]]]:
        try:
            head = await reader.readuntil(b"\r\n\r\n")
        except (asyncio.IncompleteReadError, asyncio.LimitOverrunError) as exc:
            raise httpx.RemoteProtocolError("no complete HTTP answer", request=request) from exc
        status_line, *header_lines = head[:-4].split(b"\r\n")
        parts = status_line.split(b" ", 2)
        if len(parts) < 2 or not parts[0].startswith(b"HTTP/") or not parts[1].isdigit():
            raise httpx.RemoteProtocolError(f"bad status line {status_line!r}", request=request)
        headers: list[tuple[bytes, bytes]] = []
        for line in header_lines:
            name, colon, value = line.partition(b":")
            if not colon:
                raise httpx.RemoteProtocolError(f"bad header line {line!r}", request=request)
            headers.append((name.strip(), value.strip()))
        return int(parts[1]), headers


def _content_length(headers: list[tuple[bytes, bytes]]) -> int | None:
    """The body length to read, or None (read to the end: the server closes, C18)."""
    if any(name.lower() == b"transfer-encoding" for name, _ in headers):
        return None
    for name, value in headers:
        if name.lower() == b"content-length" and value.isdigit():
            return int(value)
    return None
