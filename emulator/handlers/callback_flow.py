"""Upload callbacks, end to end: validate, store, expand, sign, deliver, relay (callback.md §10).

``parse_callback`` runs before the body is stored, so a bad parameter is a 400 and nothing
is stored (C5); with ``--callback-strict-hosts`` it also resolves the URLs' host names, so
private, loopback and unresolvable hosts are refused as OSS refuses them (C12).
``run_callback`` runs after the object is committed: it expands the body,
tries each URL in order (C8), records every attempt in the journal, and answers 200 with
the application's body (C9) or raises 203 ``CallbackFailed`` (§9.3); the object stays
stored either way.

``deliver_callback`` is the part shared with the control API's replay and trigger
(``handlers.admin``); the callback faults of ``emulator.faults`` act there.
"""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import Mapping, Sequence
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from emulator import logs
from emulator.callback import journal as journal_module
from emulator.callback.delivery import Attempt, deliver
from emulator.callback.journal import Entry, ReplaySource
from emulator.callback.judge import EC_TIMEOUT, MSG_TIMEOUT, TOO_MANY_REQUESTS, judge
from emulator.callback.model import CallbackFailure, CallbackRequest, CallbackSpec, CallbackVerdict
from emulator.callback.parse import hosts_to_resolve, parse
from emulator.callback.signing import build_request
from emulator.callback.template import expand, references, system_variables
from emulator.callback.transport import CallbackTransport
from emulator.errors import CallbackFailed
from emulator.faults import DELAY, LOSE_REPLY, REFUSE, Fault, Faults
from emulator.handlers.context import Context
from emulator.imaging import PREFIX_BYTES, ImageInfo, image_info
from emulator.protocol.headers import http_date
from emulator.storage.base import ObjectMeta, Storage

PUB_KEY_PATH = "/callback_pub_key_v1.pem"

ParsedCallback = tuple[CallbackSpec, dict[str, str]]


async def parse_callback(ctx: Context) -> ParsedCallback | None:
    """The header and query carriers of a Put or Complete request (C22), validated."""
    headers = ctx.headers
    header_callback = headers.get("x-oss-callback")
    header_vars = headers.get("x-oss-callback-var")
    query_callback, query_vars = ctx.query("callback"), ctx.query("callback-var")
    if header_callback is query_callback is header_vars is query_vars is None:
        return None  # the common case: an upload without a callback
    return await parse_with_hosts(
        ctx,
        header_callback=header_callback,
        header_vars=header_vars,
        query_callback=query_callback,
        query_vars=query_vars,
    )


async def parse_with_hosts(ctx: Context, **carriers: Any) -> ParsedCallback | None:
    """``parse`` on an upload's callback carriers. With ``--callback-strict-hosts`` the URLs'
    host names are resolved first, so ``parse`` judges them at their step of callback.md
    §4.1 (C12)."""
    if not ctx.settings.callback_strict_hosts:
        return parse(**carriers)
    names = hosts_to_resolve(**carriers)
    budget = ctx.settings.callback_timeout  # the same per-URL budget as delivery (A1)
    addresses = await asyncio.gather(*(resolve(name, budget) for name in names))
    resolved = dict(zip(names, addresses, strict=True))
    return parse(**carriers, strict_hosts=True, resolved=resolved)


async def resolve(name: str, timeout: float) -> tuple[str, ...]:
    """The addresses a host name resolves to; none when it does not within ``timeout``."""
    loop = asyncio.get_running_loop()
    try:
        async with asyncio.timeout(timeout):
            infos = await loop.getaddrinfo(name, None, type=socket.SOCK_STREAM)
    except (OSError, TimeoutError, UnicodeError):
        return ()
    return tuple(dict.fromkeys(str(info[4][0]) for info in infos))


def pub_key_url(request: Request, base_url: str) -> str:
    configured: str | None = request.app.state.settings.pub_key_url
    return configured or base_url + PUB_KEY_PATH


def callback_transport(request: Request) -> CallbackTransport:
    """The app's callback transport (one per app: it holds the TLS settings)."""
    transport: CallbackTransport = request.app.state.callback_transport
    return transport


def image_facts(storage: Storage, meta: ObjectMeta, spec: CallbackSpec) -> ImageInfo | None:
    """The object's image facts, read only when the body template references them (C23)."""
    if not any(name.startswith("imageInfo.") for name in references(spec.body_template)):
        return None
    prefix = b"".join(storage.read_object(meta, 0, min(meta.size, PREFIX_BYTES)))
    return image_info(prefix)


async def run_callback(
    ctx: Context,
    parsed: ParsedCallback,
    meta: ObjectMeta,
    *,
    operation: str,
    content_md5: str | None,
    upload_headers: dict[str, str],
) -> Response:
    """Deliver the callback of a stored upload and answer the uploader (§9)."""
    spec, custom = parsed
    variables: dict[str, str] = {
        **system_variables(
            bucket=meta.bucket,
            key=meta.key,
            etag=meta.etag,
            size=meta.size,
            mime_type=meta.attrs.content_type,
            crc64=meta.crc64,
            request_id=ctx.request_id,
            operation=operation,
            content_md5=content_md5,
            image=image_facts(ctx.storage, meta, spec),
            client_ip=ctx.request.client.host if ctx.request.client else "",
        ),
        **custom,
    }
    body = expand(spec.body_template, spec.body_type, variables)
    upload = {
        "request_id": ctx.request_id,
        "bucket": meta.bucket,
        "key": meta.key,
        "operation": operation,
    }
    verdict, _ = await deliver_callback(
        ctx.request,
        spec,
        body,
        upload,
        spec.urls,
        now=ctx.now,
        base_url=ctx.base_url,
    )
    if verdict.ok:
        return Response(
            verdict.body,
            status_code=200,
            headers={**upload_headers, "Content-Type": verdict.content_type},
        )
    raise CallbackFailed(verdict.message, ec=verdict.ec, headers=upload_headers)


#: What the uploader is told when a ``lose_reply`` fault drops the application's answer.
LOST_REPLY = CallbackFailure(MSG_TIMEOUT, EC_TIMEOUT)


async def deliver_callback(
    request: Request,
    spec: CallbackSpec,
    body: bytes,
    upload: Mapping[str, str],
    urls: Sequence[str],
    *,
    now: float,
    base_url: str,
    marks: Mapping[str, object] | None = None,
) -> tuple[CallbackVerdict, list[Entry]]:
    """Sign and send an expanded callback to each URL in turn until one succeeds (C8).

    Used by uploads, replays and triggers alike: the faults switched on apply (``refuse``
    before anything is sent, ``delay`` before the first URL, ``lose_reply`` after an
    accepted answer, which ends the callback), and every attempt is journaled with what a
    replay needs; ``marks`` (``{"replay_of": id}``, ``{"trigger": True}``) are added to each
    entry. Returns the verdict the uploader gets and the journal entries made.
    """
    state = request.app.state
    settings = state.settings
    faults: Faults = state.faults
    bucket, key = upload["bucket"], upload["key"]
    source = ReplaySource(spec, body, dict(upload))
    fired: list[Fault] = []
    entries: list[Entry] = []
    date = http_date(now)

    def sign(url: str) -> CallbackRequest:
        return build_request(
            spec,
            url,
            body,
            private_key=state.signing_key.private_key,
            date=date,
            bucket=bucket,
            pub_key_url=pub_key_url(request, base_url),
            request_id=upload["request_id"],
            requester=settings.owner_id,
            owner=settings.owner_id,
        )

    def record(signed: CallbackRequest, attempt: Attempt, verdict: CallbackVerdict) -> None:
        logs.callback_line(
            signed.url,
            attempt.status,
            "success" if verdict.ok else "failure",
            None if verdict.ok else verdict.message,
            upload["request_id"],
            attempt.elapsed * 1000,
        )
        entry = journal_module.make_entry(
            upload=upload, request=signed, attempt=attempt, verdict=verdict, time=time.time()
        )
        entry.update(marks or {})
        if fired:
            entry["fault"] = fired[-1].to_json()
            entry["faults"] = [fault.to_json() for fault in fired]
        entries.append(state.journal.record(entry, source))

    if (refused := faults.fire(REFUSE, bucket, key, state.clock())) is not None:
        fired.append(refused)
        signed = sign(urls[0])
        refusal = Attempt(signed.url, None, (), b"", 0.0, False, False, "refused (fault)")
        record(signed, refusal, TOO_MANY_REQUESTS)
        return TOO_MANY_REQUESTS, entries
    if (delayed := faults.fire(DELAY, bucket, key, state.clock())) is not None:
        fired.append(delayed)
        await asyncio.sleep(delayed.seconds or 0.0)
        date = http_date(state.clock())
    verdict: CallbackVerdict = CallbackFailure("no callback URL", "0007-00000203")
    for url in urls:
        signed = sign(url)
        attempt = await deliver(
            callback_transport(request),
            signed.url,
            signed.encoded_headers(),
            signed.body,
            budget=settings.callback_timeout,
            sni=signed.sni_hostname is not None,
        )
        # A budget spent after connecting is "Cost too long time."; before, a -1 (A1, G13).
        error = None if attempt.connected and attempt.timed_out else attempt.error
        verdict = judge(
            attempt.status,
            dict(attempt.headers),
            attempt.body,
            elapsed=attempt.elapsed,
            timeout=settings.callback_timeout,
            error=error,
        )
        lost = faults.fire(LOSE_REPLY, bucket, key, state.clock()) if verdict.ok else None
        if lost is not None:
            fired.append(lost)
            verdict = LOST_REPLY
        record(signed, attempt, verdict)
        if verdict.ok or lost is not None:
            break
    return verdict, entries
