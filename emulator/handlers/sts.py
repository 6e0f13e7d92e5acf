"""The STS endpoint: starlette request in, STS JSON out (decisions.md S1).

Reads the query and, for ``application/x-www-form-urlencoded`` bodies, the form (GET and
POST), then lets the pure ``sts.service.respond`` answer. Collaborators come from
``app.state``: the keyring (``auth.keyring``), settings, request ids. The response carries
``x-acs-request-id`` like POP responses, and none of OSS's headers.
"""

from __future__ import annotations

import os

from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response

from emulator.auth.keyring import RANDOM_SIZE
from emulator.auth.model import parse_query
from emulator.config import Settings
from emulator.sts.errors import RequestTooLarge, error_body
from emulator.sts.service import FORM_TYPE, Call, respond
from emulator.sts.signature import StsRequest

MAX_BODY = 64 * 1024  # AssumeRole's largest parameter, Policy, is a few KiB


def sts_request_id(request: Request) -> str:
    """A POP-style request id (``8-4-4-4-12`` upper-case hex) from the emulator's ids (R4)."""
    ids = request.app.state.request_ids
    raw = (ids.next() + ids.next())[:32]
    return f"{raw[:8]}-{raw[8:12]}-{raw[12:16]}-{raw[16:20]}-{raw[20:]}"


async def _read_body(request: Request) -> bytes | None:
    """The body, or None when it is larger than :data:`MAX_BODY`."""
    chunks: list[bytes] = []
    size = 0
    try:
        async for chunk in request.stream():
            size += len(chunk)
            if size > MAX_BODY:
                return None
            chunks.append(chunk)
    except ClientDisconnect:
        pass
    return b"".join(chunks)


async def sts_endpoint(request: Request, now: float) -> Response:
    """Answer one STS request."""
    state = request.app.state
    settings: Settings = state.settings
    request_id = sts_request_id(request)
    host = request.headers.get("host", "")
    headers = {"x-acs-request-id": request_id}
    body = await _read_body(request)
    if body is None:
        payload = error_body(RequestTooLarge(), request_id=request_id, host_id=host)
        return JSONResponse(payload, status_code=RequestTooLarge.status, headers=headers)
    content_type = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    form = parse_query(body.decode("utf-8", "replace")) if content_type == FORM_TYPE else ()
    raw_path = request.scope.get("raw_path", b"/").decode("utf-8", "surrogateescape")
    merged: dict[str, str] = {}
    for name, value in request.headers.items():  # starlette lower-cases names
        merged[name] = f"{merged[name]},{value}" if name in merged else value
    req = StsRequest(
        method=request.method,
        raw_path=raw_path.split("?", 1)[0] or "/",
        query=parse_query(request.scope.get("query_string", b"").decode("latin-1")),
        form=form,
        headers=merged,
        body=body,
    )
    call = Call(None, state.keyring, now, os.urandom(RANDOM_SIZE), request_id)
    status, payload = respond(
        req,
        call,
        host_id=host,
        check_signature=settings.auth,
        skew_check=settings.clock_skew_check,
    )
    return JSONResponse(payload, status_code=status, headers=headers)
