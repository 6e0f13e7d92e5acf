"""Upload callbacks, end to end: validate, store, expand, sign, deliver, relay (callback.md §10).

``parse_callback`` runs before the body is stored, so a bad parameter is a 400 and nothing
is stored (C5). ``run_callback`` runs after the object is committed: it expands the body,
tries each URL in order (C8), records every attempt in the journal, and answers 200 with
the application's body (C9) or raises 203 ``CallbackFailed`` (§9.3); the object stays
stored either way.
"""

from __future__ import annotations

import time

import httpx
from starlette.requests import Request
from starlette.responses import Response

from emulator import logs
from emulator.callback import journal as journal_module
from emulator.callback.delivery import deliver, make_client
from emulator.callback.judge import judge
from emulator.callback.model import CallbackFailure, CallbackSpec, CallbackVerdict
from emulator.callback.parse import parse
from emulator.callback.signing import build_request
from emulator.callback.template import expand, references, system_variables
from emulator.errors import CallbackFailed
from emulator.handlers.context import Context
from emulator.imaging import PREFIX_BYTES, ImageInfo, image_info
from emulator.protocol.headers import http_date
from emulator.storage.base import ObjectMeta

PUB_KEY_PATH = "/callback_pub_key_v1.pem"

ParsedCallback = tuple[CallbackSpec, dict[str, str]]


def parse_callback(ctx: Context) -> ParsedCallback | None:
    """The header and query carriers of a Put or Complete request (C22), validated."""
    headers = ctx.headers
    header_callback = headers.get("x-oss-callback")
    header_vars = headers.get("x-oss-callback-var")
    query_callback, query_vars = ctx.query("callback"), ctx.query("callback-var")
    if header_callback is query_callback is header_vars is query_vars is None:
        return None  # the common case: an upload without a callback
    return parse(
        header_callback=header_callback,
        header_vars=header_vars,
        query_callback=query_callback,
        query_vars=query_vars,
    )


def pub_key_url(request: Request, base_url: str) -> str:
    configured: str | None = request.app.state.settings.pub_key_url
    return configured or base_url + PUB_KEY_PATH


def http_client(request: Request) -> httpx.AsyncClient:
    """The app's callback client, made on first use inside the serving event loop."""
    state = request.app.state
    if state.callback_client is None:
        state.callback_client = make_client(state.callback_transport)
    client: httpx.AsyncClient = state.callback_client
    return client


def _image_facts(ctx: Context, meta: ObjectMeta, spec: CallbackSpec) -> ImageInfo | None:
    if not any(name.startswith("imageInfo.") for name in references(spec.body_template)):
        return None
    prefix = b"".join(ctx.storage.read_object(meta, 0, min(meta.size, PREFIX_BYTES)))
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
    settings = ctx.settings
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
            image=_image_facts(ctx, meta, spec),
            client_ip=ctx.request.client.host if ctx.request.client else "",
        ),
        **custom,
    }
    body = expand(spec.body_template, spec.body_type, variables)
    state = ctx.request.app.state
    upload = {
        "request_id": ctx.request_id,
        "bucket": meta.bucket,
        "key": meta.key,
        "operation": operation,
    }
    verdict: CallbackVerdict = CallbackFailure("no callback URL", "0007-00000203")
    for url in spec.urls:
        request = build_request(
            spec,
            url,
            body,
            private_key=state.signing_key.private_key,
            date=http_date(ctx.now),
            bucket=meta.bucket,
            pub_key_url=pub_key_url(ctx.request, ctx.base_url),
            request_id=ctx.request_id,
            requester=settings.owner_id,
            owner=settings.owner_id,
        )
        attempt = await deliver(
            http_client(ctx.request),
            request.url,
            request.encoded_headers(),
            request.body,
            budget=settings.callback_timeout,
            sni=request.sni_hostname is not None,
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
        logs.callback_line(
            request.url,
            attempt.status,
            "success" if verdict.ok else "failure",
            None if verdict.ok else verdict.message,
            ctx.request_id,
            attempt.elapsed * 1000,
        )
        state.journal.record(
            journal_module.make_entry(
                upload=upload, request=request, attempt=attempt, verdict=verdict, time=time.time()
            )
        )
        if verdict.ok:
            return Response(
                verdict.body,
                status_code=200,
                headers={**upload_headers, "Content-Type": verdict.content_type},
            )
    assert not verdict.ok
    raise CallbackFailed(verdict.message, ec=verdict.ec, headers=upload_headers)
