"""The starlette application: one catch-all endpoint that resolves, authenticates, handles.

Order for every request (rest-api.md §3 dispatch table):

1. The local STS (S1): a ``Host`` of ``sts.…``, or an STS-looking request that names no
   bucket (``sts.service.is_sts_request``), is answered by ``handlers.sts`` in STS's JSON.
2. ``OPTIONS``: CORS preflight, before authentication (R8).
3. Control endpoints and the callback public key, on requests that name no bucket (S2).
4. ``routing.resolve`` gives the candidate readings (R1); ``auth.verify`` picks the one
   whose signature verifies against the keyring (the configured pair and the local STS's
   temporary pairs; skipped with ``--auth off``: the first reading is used).
5. The operation's handler from ``handlers.HANDLERS``.

Every ``OSSError`` is rendered in one place, ``error_response`` (R6); every response gets
``x-oss-request-id``, ``Date`` and ``Server: AliyunOSS`` (§9.1) and, for a cross-origin
request, the CORS headers (§12.2). All of it happens inside the endpoint, because
starlette's exception middleware is innermost (style.md rule 3).
"""

from __future__ import annotations

import base64
import functools
import os
import random
import threading
import time
from collections.abc import Callable

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import request_response

from emulator import logs
from emulator.auth.keyring import Keyring
from emulator.auth.model import Credentials, Reading, SignedRequest, parse_query
from emulator.auth.verify import verify
from emulator.callback import keys
from emulator.callback.journal import Journal
from emulator.callback.transport import CallbackTransport
from emulator.config import Settings
from emulator.errors import OSSError
from emulator.faults import Faults
from emulator.handlers import HANDLERS
from emulator.handlers.admin import upload_faults
from emulator.handlers.context import Context
from emulator.handlers.control import control_handler
from emulator.handlers.page import page_handler
from emulator.handlers.sts import sts_endpoint
from emulator.protocol import cors, xml
from emulator.protocol.headers import http_date
from emulator.routing import (
    BUCKET_NAME,
    Operation,
    Resolved,
    decode_path,
    resolve,
    virtual_host_bucket,
)
from emulator.storage.base import Storage
from emulator.sts.service import is_sts_request

Clock = Callable[[], float]


class RequestIds:
    """24 upper-case hex request IDs (R4); reproducible when a seed is given."""

    def __init__(self, seed: int | None) -> None:
        self._random = random.Random(seed) if seed is not None else None
        self._lock = threading.Lock()

    def next(self) -> str:
        if self._random is None:
            return os.urandom(12).hex().upper()
        with self._lock:
            return f"{self._random.getrandbits(96):024X}"


@functools.lru_cache(maxsize=256)
def _parsed_cors(cors_xml: str) -> cors.CorsConfig:
    return xml.parse_cors(cors_xml.encode("utf-8"))


def create_app(
    settings: Settings,
    *,
    storage: Storage | None = None,
    clock: Clock | None = None,
    transport: CallbackTransport | None = None,
) -> Starlette:
    """Build the emulator's ASGI app.

    Args:
        settings: the configuration.
        storage: the storage to serve; default a ``Store`` on ``settings.data_dir``
            with the configured buckets created.
        clock: seconds since the epoch; default ``time.time``.
        transport: what sends callbacks; default a ``CallbackTransport`` (tests may give
            one with their own TLS context).
    """
    clock = clock or time.time
    signing_key = keys.load_or_create(settings.data_dir, settings.callback_private_key)
    if storage is None:
        from emulator.storage.store import Store

        storage = Store(settings.data_dir)
        for name in settings.buckets:
            storage.create_bucket(name, clock())
    app = Starlette()
    # Every request, whatever its method and path, goes to the one endpoint. Not through a
    # ``Route("/{path:path}")``: its pattern does not match a path that decodes to a line
    # break (object keys may hold LF and CR), and it answers other methods itself, both in
    # plain text instead of an OSS error.
    app.router.default = request_response(endpoint)
    app.state.settings = settings
    app.state.storage = storage
    app.state.clock = clock
    app.state.request_ids = RequestIds(settings.seed)
    app.state.bound_port = settings.port
    app.state.signing_key = signing_key
    # The configured pair and the local STS's temporary pairs (R7, S1).
    app.state.keyring = Keyring(
        Credentials(settings.access_key_id, settings.access_key_secret, settings.security_token)
    )
    app.state.journal = Journal()
    app.state.faults = Faults()
    app.state.callback_transport = transport or CallbackTransport()
    return app


def base_url(request: Request) -> str:
    settings: Settings = request.app.state.settings
    return settings.base_url(request.app.state.bound_port)


async def endpoint(request: Request) -> Response:
    state = request.app.state
    settings: Settings = state.settings
    started = time.perf_counter()
    request_id = state.request_ids.next()
    now = state.clock()
    host = request.headers.get("host", "")
    raw_path = request.scope.get("raw_path", b"/").decode("utf-8", "surrogateescape")
    raw_path = raw_path.split("?", 1)[0] or "/"
    bucket_for_cors: str | None = None
    try:
        vh_bucket = virtual_host_bucket(host, settings.virtual_host_base)
        path = decode_path(raw_path)
        if _is_sts(request, host, path, vh_bucket):  # the local STS answers in its own format
            return await sts_endpoint(request, now)
        bucket_for_cors = vh_bucket or _path_bucket(path)
        if request.method == "OPTIONS":
            response = _preflight(request, bucket_for_cors)
        elif vh_bucket is None and (page := page_handler(path)) is not None:
            response = await page(request)
        elif vh_bucket is None and (control := control_handler(path)) is not None:
            response = await control(request)
        else:
            response = await _dispatch(request, raw_path, now, request_id, vh_bucket)
    except OSSError as err:
        response = error_response(
            err, request_id=request_id, host_id=host, head=request.method == "HEAD"
        )
    _finish(request, response, request_id, now, bucket_for_cors, started)
    return response


def _is_sts(request: Request, host: str, path: str, vh_bucket: str | None) -> bool:
    """STS or OSS, from the request line and headers only (S1; body not read yet)."""
    names: frozenset[str] = frozenset()
    if path == "/":  # only there can a query parameter make a request STS
        query = parse_query(request.scope.get("query_string", b"").decode("latin-1"))
        names = frozenset(name for name, _ in query)
    return is_sts_request(
        host,
        path,
        names_bucket=vh_bucket is not None,
        method=request.method,
        query_names=names,
        headers=request.headers,
    )


def _path_bucket(path: str) -> str | None:
    first = path.lstrip("/").split("/", 1)[0]
    return first or None


async def _dispatch(
    request: Request, raw_path: str, now: float, request_id: str, vh_bucket: str | None
) -> Response:
    settings: Settings = request.app.state.settings
    raw_query = request.scope.get("query_string", b"").decode("latin-1")
    signed = SignedRequest.build(
        request.method,
        raw_path,
        raw_query,
        [(k.decode("latin-1"), v.decode("latin-1")) for k, v in request.scope["headers"]],
    )
    readings = resolve(
        request.method,
        request.headers.get("host", ""),
        raw_path,
        signed.query,
        has_copy_source="x-oss-copy-source" in signed.headers,
        known_bucket=vh_bucket,
    )
    chosen = readings[0]
    # A PostObject is authenticated by its form's policy signature, not by headers (§8.1).
    if settings.auth and chosen.operation is not Operation.POST_OBJECT:
        verified = verify(
            signed,
            [Reading(r.bucket, r.key) for r in readings],
            request.app.state.keyring,
            now,
            skew_check=settings.clock_skew_check,
        )
        chosen = _chosen(readings, verified.reading)
    ctx = Context(
        request=request,
        settings=settings,
        storage=request.app.state.storage,
        resolved=chosen,
        now=now,
        request_id=request_id,
        base_url=base_url(request),
        headers=signed.headers,
    )
    await upload_faults(request, chosen.operation, chosen.bucket, chosen.key)  # faults.py
    return await HANDLERS[chosen.operation](ctx)


def _chosen(readings: list[Resolved], reading: Reading) -> Resolved:
    for candidate in readings:
        if (candidate.bucket, candidate.key) == (reading.bucket, reading.key):
            return candidate
    return readings[0]


def _bucket_cors(request: Request, bucket: str | None) -> cors.CorsConfig | None:
    """The bucket's CORS rules; None without rules, for no bucket, or for a name that cannot
    be one (``/_emulator/...`` and the like: no lookup at all)."""
    if bucket is None or not BUCKET_NAME.match(bucket):
        return None
    try:
        meta = request.app.state.storage.get_bucket(bucket)
        # Rules are checked when PutBucketCors stores them; rules a data directory kept from
        # an older, laxer version must not turn every answer of the bucket into a 500.
        return _parsed_cors(meta.cors) if meta.cors else None
    except OSSError:
        return None


def _preflight(request: Request, bucket: str | None) -> Response:
    settings: Settings = request.app.state.settings
    headers = cors.preflight(
        _bucket_cors(request, bucket),
        origin=request.headers.get("origin"),
        method=request.headers.get("access-control-request-method"),
        request_headers=request.headers.get("access-control-request-headers"),
        default_allow=settings.cors_default,
    )
    response = Response(b"", status_code=200)
    for name, value in headers:
        response.headers.append(name, value)
    return response


def error_response(err: OSSError, *, request_id: str, host_id: str, head: bool) -> Response:
    """The one place an ``OSSError`` becomes a response (R6; HEAD: ``x-oss-err``)."""
    body = xml.render_error(err, request_id=request_id, host_id=host_id)
    headers = dict(err.headers)
    if err.error_ec:
        headers["x-oss-ec"] = err.error_ec
    if head:
        headers["x-oss-err"] = base64.b64encode(body).decode("ascii")
        headers["Content-Type"] = "application/xml"
        headers["Content-Length"] = "0"
        return Response(b"", status_code=err.status, headers=headers)
    return Response(body, status_code=err.status, headers=headers, media_type="application/xml")


def _finish(
    request: Request,
    response: Response,
    request_id: str,
    now: float,
    bucket: str | None,
    started: float,
) -> None:
    # Straight onto the raw list: handlers never set these three, and MutableHeaders would
    # rescan and rebuild the list for each.
    response.raw_headers.extend(
        (
            (b"x-oss-request-id", request_id.encode()),
            (b"date", http_date(now).encode()),
            (b"server", b"AliyunOSS"),
        )
    )
    origin = request.headers.get("origin")
    # A bucket's rules matter without Origin too: ResponseVary puts Vary: Origin on every
    # response (rest-api.md §12.2). Existing buckets' metadata is cached by the store.
    if request.method != "OPTIONS":  # a preflight's CORS headers are its own (_preflight)
        rules = _bucket_cors(request, bucket)
        if origin or rules is not None:
            settings: Settings = request.app.state.settings
            for name, value in cors.actual_headers(
                rules,
                origin=origin,
                method=request.method,
                response_header_names=list(response.headers.keys()),
                default_allow=settings.cors_default,
            ):
                response.headers.append(name, value)
    logs.request_line(
        request.method,
        request.scope.get("path", ""),
        response.status_code,
        request_id,
        (time.perf_counter() - started) * 1000,
    )
