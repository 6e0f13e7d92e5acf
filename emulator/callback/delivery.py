"""The only outbound HTTP: one POST per callback URL (callback.md §7, C6-C8).

``deliver`` sends a built callback request and reports what happened as plain values;
``callback.judge`` decides what that means. The rules of §7:

- each URL has its own budget (``--callback-timeout``, default 5 s) for connecting and the
  whole response; a budget that runs out before the connection is made is a connection
  failure (-1), after it a timeout (A1, G13);
- redirects are not followed; ``Connection: close``; HTTPS certificates are not verified;
- SNI is sent only when ``callbackSNI`` is true (C7). CPython sends no SNI for an IP
  literal, so "no SNI" is an IP literal in httpx's ``sni_hostname`` request extension;
- the answer's body is read only as far as judging needs: never more than 1 MiB.
"""

from __future__ import annotations

import asyncio
import ssl
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import httpx

from emulator.callback.transport import CallbackTransport
from emulator.protocol.headers import is_decimal

MAX_BODY = 1024 * 1024  # C10 rule 5
NO_SNI = "0.0.0.0"


@dataclass(frozen=True)
class Attempt:
    """What one delivery attempt observed."""

    url: str
    status: int | None  # None: no HTTP answer
    headers: tuple[tuple[str, str], ...]
    body: bytes
    elapsed: float  # seconds
    connected: bool
    timed_out: bool
    error: str | None  # transport error text, when there was one


def make_client(transport: httpx.AsyncBaseTransport | None = None) -> httpx.AsyncClient:
    """The callback client: no redirects followed; by default the lean ``CallbackTransport``
    (one connection per callback, no certificate checks, SNI as asked)."""
    client = httpx.AsyncClient(
        transport=transport or CallbackTransport(),
        follow_redirects=False,
        trust_env=False,
        timeout=httpx.Timeout(None),
    )
    # C18 is the whole header set: without this, httpx's defaults (Accept, Accept-Encoding:
    # gzip...) go out too, and an app that compresses its reply would earn a 203.
    client.headers.clear()
    return client


async def deliver(
    client: httpx.AsyncClient,
    url: str,
    headers: Sequence[tuple[bytes, bytes]],
    body: bytes,
    *,
    budget: float,
    sni: bool,
) -> Attempt:
    """POST one callback and report the answer (or its absence) within ``budget`` seconds."""
    host = urlsplit(url).hostname or ""
    connected = False

    async def trace(event: str, info: dict[str, Any]) -> None:
        nonlocal connected
        if event == "connection.connect_tcp.complete":
            connected = True

    request = client.build_request(
        "POST",
        url,
        headers=headers,
        content=body,
        extensions={"sni_hostname": host if sni else NO_SNI, "trace": trace},
    )
    start = time.perf_counter()
    status: int | None = None
    answer_headers: tuple[tuple[str, str], ...] = ()
    answer = b""
    try:
        async with asyncio.timeout(budget):
            response = await client.send(request, stream=True)
            try:
                status = response.status_code
                answer_headers = tuple(response.headers.multi_items())
                answer = await _read_needed(response)
            finally:
                await response.aclose()
    except TimeoutError:
        return Attempt(
            url,
            status,
            answer_headers,
            answer,
            time.perf_counter() - start,
            connected,
            True,
            "timed out",
        )
    except (httpx.HTTPError, ssl.SSLError, OSError) as exc:
        return Attempt(
            url,
            status,
            answer_headers,
            answer,
            time.perf_counter() - start,
            connected,
            False,
            f"{type(exc).__name__}: {exc}",
        )
    return Attempt(
        url, status, answer_headers, answer, time.perf_counter() - start, connected, False, None
    )


async def _read_needed(response: httpx.Response) -> bytes:
    """The body, when judging needs it: a 200 with a sane Content-Length up to 1 MiB."""
    length = response.headers.get("content-length")
    if response.status_code != 200 or length is None or not is_decimal(length.strip()):
        return b""
    if not 0 < int(length) <= MAX_BODY:
        return b""
    chunks: list[bytes] = []
    total = 0
    async for chunk in response.aiter_raw():
        chunks.append(chunk)
        total += len(chunk)
        if total >= int(length):
            break
    return b"".join(chunks)
