"""Control API for replaying and triggering callbacks, and for fault injection.

Registered in ``handlers.control`` (answered only on hosts naming no bucket, S2):

- ``POST /_emulator/callbacks/{id}/replay`` (optional JSON ``{"url": ...}``): re-send a
  recorded callback, same body and callback parameters, re-signed with a new ``Date`` (and
  for the new URL's path and query); answers the new journal entry (``"replay_of": id``).
- ``POST /_emulator/callbacks/trigger`` (JSON ``bucket``, ``key``, ``callback``, optional
  ``callback_var`` and ``operation``): the callback of an upload of the stored object,
  without uploading; validated like an upload's (400 with the OSS code, message and EC);
  answers the new journal entry (``"trigger": true``).
- ``GET|POST|DELETE /_emulator/faults`` and ``DELETE /_emulator/faults/{id}``: the faults
  of ``emulator.faults``; ``upload_faults`` applies the storage ones before an upload.

Errors are JSON ``{"error": ...}`` (plus ``code``, ``message``, ``ec`` for OSS errors).
"""

from __future__ import annotations

import asyncio
import base64
import json
import re
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from emulator.callback.model import split_url
from emulator.callback.parse import parse
from emulator.callback.template import expand, system_variables
from emulator.errors import InternalError, OSSError
from emulator.faults import FAIL_UPLOAD, KINDS, SLOW_UPLOAD, Faults
from emulator.handlers.callback_flow import deliver_callback, image_facts
from emulator.routing import Operation
from emulator.storage.base import Storage

#: Operations that store data, where the storage faults act.
UPLOAD_OPERATIONS = frozenset(
    {
        Operation.PUT_OBJECT,
        Operation.POST_OBJECT,
        Operation.APPEND_OBJECT,
        Operation.UPLOAD_PART,
        Operation.COMPLETE_MULTIPART_UPLOAD,
    }
)

_REPLAY = re.compile(r"/_emulator/callbacks/([0-9]{1,18})/replay")
_FAULT = re.compile(r"/_emulator/faults/([0-9]{1,18})")


def _error(text: str, status: int, **extra: Any) -> JSONResponse:
    return JSONResponse({"error": text, **extra}, status_code=status)


def _oss_error(err: OSSError, status: int | None = None) -> JSONResponse:
    return _error(
        err.error_message,
        status or err.status,
        code=err.code,
        message=err.error_message,
        ec=err.error_ec,
    )


async def _json_object(request: Request, *, optional: bool = False) -> dict[str, Any]:
    """The request's JSON object body (``{}`` when optional and empty); ValueError if bad."""
    raw = await request.body()
    if not raw.strip() and optional:
        return {}
    try:
        data = json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ValueError(f"the body is not JSON: {exc}") from exc
    if not isinstance(data, dict):
        raise ValueError("the body must be a JSON object")
    return data


def _base_url(request: Request) -> str:
    base: str = request.app.state.settings.base_url(request.app.state.bound_port)
    return base


async def replay(request: Request) -> Response:
    """Re-send a recorded callback, to its URL or ``{"url": ...}``; the new entry."""
    if request.method != "POST":
        return _error("use POST", 405)
    match = _REPLAY.fullmatch(request.scope["path"])
    assert match is not None
    entry_id = int(match.group(1))
    try:
        data = await _json_object(request, optional=True)
        url = data.get("url")
        if url is not None:
            if not isinstance(url, str):
                raise ValueError("url must be a string")
            url = split_url(url.strip()).url
    except ValueError as exc:
        return _error(f"bad replay request: {exc}", 400)
    found = request.app.state.journal.get(entry_id)
    if found is None:
        return _error(f"no callback {entry_id} in the journal", 404)
    entry, source = found
    if source is None:
        return _error(f"callback {entry_id} cannot be replayed", 404)
    _, entries = await deliver_callback(
        request,
        source.spec,
        source.body,
        source.upload,
        [url or entry["url"]],
        now=request.app.state.clock(),
        base_url=_base_url(request),
        marks={"replay_of": entry_id},
    )
    return JSONResponse(entries[-1])


def _text_field(data: dict[str, Any], name: str, *, required: bool) -> str | None:
    value = data.get(name)
    if value is None and not required:
        return None
    if not isinstance(value, str) or (required and not value):
        raise ValueError(f"{name} must be a non-empty string")
    return value


async def trigger(request: Request) -> Response:
    """Fire the callback of an upload of a stored object, without uploading; the entry."""
    if request.method != "POST":
        return _error("use POST", 405)
    try:
        data = await _json_object(request)
        bucket = _text_field(data, "bucket", required=True)
        key = _text_field(data, "key", required=True)
        callback = _text_field(data, "callback", required=True)
        callback_var = _text_field(data, "callback_var", required=False)
        operation = _text_field(data, "operation", required=False) or "PutObject"
    except ValueError as exc:
        return _error(f"bad trigger request: {exc}", 400)
    assert bucket is not None and key is not None
    try:
        parsed = parse(header_callback=callback, header_vars=callback_var)
    except OSSError as err:
        return _oss_error(err)
    if parsed is None:
        return _error("callback is required", 400)
    storage: Storage = request.app.state.storage
    try:
        meta = storage.head_object(bucket, key)
    except OSSError as err:
        return _oss_error(err, 404)
    spec, custom = parsed
    request_id: str = request.app.state.request_ids.next()
    complete = operation == "CompleteMultipartUpload"
    md5 = None if complete or meta.md5 is None else base64.b64encode(meta.md5).decode("ascii")
    variables = {
        **system_variables(
            bucket=meta.bucket,
            key=meta.key,
            etag=meta.etag,
            size=meta.size,
            mime_type=meta.attrs.content_type,
            crc64=meta.crc64,
            request_id=request_id,
            operation=operation,
            content_md5=md5,
            image=image_facts(storage, meta, spec),
            client_ip=request.client.host if request.client else "",
        ),
        **custom,
    }
    body = expand(spec.body_template, spec.body_type, variables)
    upload = {"request_id": request_id, "bucket": bucket, "key": key, "operation": operation}
    _, entries = await deliver_callback(
        request,
        spec,
        body,
        upload,
        spec.urls,
        now=request.app.state.clock(),
        base_url=_base_url(request),
        marks={"trigger": True},
    )
    return JSONResponse(entries[-1])


async def faults(request: Request) -> Response:
    """GET: the faults (fired ones stay listed, ``active`` false); POST: add; DELETE: clear."""
    state: Faults = request.app.state.faults
    if request.method == "GET":
        return JSONResponse(state.list())
    if request.method == "DELETE":
        state.clear()
        return Response(b"", status_code=204)
    if request.method != "POST":
        return _error("use GET, POST or DELETE", 405)
    try:
        data = await _json_object(request)
        return JSONResponse(state.add(data, request.app.state.clock()))
    except ValueError as exc:  # FaultError included
        return _error(str(exc), 400, kinds=list(KINDS))


async def fault(request: Request) -> Response:
    """DELETE one fault by id."""
    if request.method != "DELETE":
        return _error("use DELETE", 405)
    match = _FAULT.fullmatch(request.scope["path"])
    assert match is not None
    fault_id = int(match.group(1))
    if not request.app.state.faults.remove(fault_id):
        return _error(f"no fault {fault_id}", 404)
    return Response(b"", status_code=204)


def dynamic_handler(path: str) -> Callable[[Request], Awaitable[Response]] | None:
    """The handler for a control path with an id in it, or None."""
    if _REPLAY.fullmatch(path):
        return replay
    if _FAULT.fullmatch(path):
        return fault
    return None


async def upload_faults(
    request: Request, operation: Operation, bucket: str | None, key: str | None
) -> None:
    """Apply the storage faults to an upload before it is handled (nothing stored yet).

    Raises:
        InternalError: a ``fail_upload`` fault fired (after the body was read and dropped,
            so the client gets to read the answer).
    """
    if operation not in UPLOAD_OPERATIONS:
        return
    state: Faults = request.app.state.faults
    if state.fire(FAIL_UPLOAD, bucket, key, request.app.state.clock()) is not None:
        async for _ in request.stream():
            pass
        raise InternalError()
    slow = state.fire(SLOW_UPLOAD, bucket, key, request.app.state.clock())
    if slow is not None:
        await asyncio.sleep(slow.seconds or 0.0)
