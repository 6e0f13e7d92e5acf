"""The only outbound HTTP: one POST per callback URL (callback.md §7, C6-C8).

``deliver`` sends a built callback request and reports what happened as plain values;
``callback.judge`` decides what that means. The rules of §7:

- each URL has its own budget (``--callback-timeout``, default 5 s) for connecting and the
  whole response; a budget that runs out before the connection is made is a connection
  failure (-1), after it a timeout (A1, G13);
- redirects are not followed; ``Connection: close``; HTTPS certificates are not verified;
- SNI is sent only when ``callbackSNI`` is true (C7). CPython sends no SNI for an IP
  literal, so "no SNI" is an IP literal as the exchange's ``sni_hostname``;
- the answer's body is read only as far as judging needs: never more than 1 MiB.
"""

from __future__ import annotations

import asyncio
import ssl
import time
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

import httpx

from emulator.callback.transport import Answer, CallbackTransport
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


async def deliver(
    transport: CallbackTransport,
    url: str,
    headers: Sequence[tuple[bytes, bytes]],
    body: bytes,
    *,
    budget: float,
    sni: bool,
) -> Attempt:
    """POST one callback and report the answer (or its absence) within ``budget`` seconds.

    ``headers`` are the whole header set (C18), sent as given; nothing is added.
    """
    host = urlsplit(url).hostname or ""
    connected = False

    def on_connect() -> None:
        nonlocal connected
        connected = True

    start = time.perf_counter()
    status: int | None = None
    answer_headers: tuple[tuple[str, str], ...] = ()
    answer = b""
    try:
        async with asyncio.timeout(budget):
            response = await transport.exchange(
                url, headers, body, sni_hostname=host if sni else NO_SNI, on_connect=on_connect
            )
            try:
                status = response.status
                answer_headers = tuple(response.headers)
                answer = await _read_needed(response)
            finally:
                response.body.close()
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


async def _read_needed(response: Answer) -> bytes:
    """The body, when judging needs it: a 200 with a sane Content-Length up to 1 MiB."""
    length = dict(response.headers).get("content-length")
    if response.status != 200 or length is None or not is_decimal(length.strip()):
        return b""
    if not 0 < int(length) <= MAX_BODY:
        return b""
    chunks: list[bytes] = []
    total = 0
    async for chunk in response.body:
        chunks.append(chunk)
        total += len(chunk)
        if total >= int(length):
            break
    return b"".join(chunks)
