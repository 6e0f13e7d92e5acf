"""The emulator's web page at ``/_emulator/`` and the JSON it reads.

* ``GET /_emulator/`` serves ``emulator/static/page.html``; ``/_emulator/static/<name>`` its
  script and stylesheet. Plain HTML, vanilla JS and CSS: no build step, nothing from a CDN.
* ``GET /_emulator/api/buckets`` → ``[{name, created}]``.
* ``GET /_emulator/api/objects?bucket=B&prefix=P&marker=M&delimiter=D&max_keys=N`` →
  ``{objects: [{key, size, etag, last_modified, content_type}], prefixes, truncated,
  next_marker}``.
* ``GET /_emulator/api/download?bucket=B&key=K`` → the object's bytes, as an attachment.

The page itself polls ``GET /_emulator/callbacks`` for the journal and posts to
``/_emulator/callbacks/{id}/replay`` (both in ``handlers.control``).

Like every control endpoint these are unauthenticated and answered only on requests that
name no bucket (S2): the emulator is a local development tool, and on a bucket's virtual
host the same paths are ordinary object keys. Missing buckets and keys are 404 JSON.
"""

from __future__ import annotations

import mimetypes
from collections.abc import Awaitable, Callable
from importlib import resources
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse

from emulator.errors import OSSError
from emulator.storage.base import ObjectMeta, Storage

PageHandler = Callable[[Request], Awaitable[Response]]

#: The files ``/_emulator/static/<name>`` may serve (and ``/_emulator/`` serves page.html).
STATIC_FILES = ("page.html", "page.js", "page.css")
MAX_KEYS_LIMIT = 1000


def _static(name: str) -> bytes:
    return resources.files("emulator").joinpath("static", name).read_bytes()


def _error(message: str, status: int, **extra: str) -> JSONResponse:
    return JSONResponse({"error": message, **extra}, status_code=status)


def _only_get(request: Request) -> JSONResponse | None:
    if request.method not in ("GET", "HEAD"):
        return _error("use GET", 405)
    return None


async def index(request: Request) -> Response:
    """The page: the bucket browser and the live callback journal."""
    if (refused := _only_get(request)) is not None:
        return refused
    return Response(
        _static("page.html"),
        media_type="text/html; charset=utf-8",
        headers={"Cache-Control": "no-store"},
    )


async def static_file(request: Request, name: str) -> Response:
    if (refused := _only_get(request)) is not None:
        return refused
    if name not in STATIC_FILES:
        return _error(f"no static file {name}", 404)
    media_type = mimetypes.guess_type(name)[0] or "application/octet-stream"
    if media_type.startswith("text/") or media_type.endswith("javascript"):
        media_type += "; charset=utf-8"
    return Response(_static(name), media_type=media_type, headers={"Cache-Control": "no-store"})


async def buckets(request: Request) -> Response:
    """Every bucket, by name."""
    if (refused := _only_get(request)) is not None:
        return refused
    storage: Storage = request.app.state.storage
    return JSONResponse(
        [{"name": bucket.name, "created": bucket.created} for bucket in storage.list_buckets()]
    )


def _object_json(meta: ObjectMeta) -> dict[str, object]:
    return {
        "key": meta.key,
        "size": meta.size,
        "etag": meta.etag,
        "last_modified": meta.last_modified,
        "content_type": meta.attrs.content_type,
        "type": meta.object_type,
    }


async def objects(request: Request) -> Response:
    """One page of a bucket's objects: ``prefix`` filters, ``marker`` continues a listing."""
    if (refused := _only_get(request)) is not None:
        return refused
    params = request.query_params
    bucket = params.get("bucket", "")
    if not bucket:
        return _error("the bucket parameter is required", 400)
    try:
        max_keys = int(params.get("max_keys", "100"))
    except ValueError:
        return _error("max_keys must be an integer", 400)
    if not 1 <= max_keys <= MAX_KEYS_LIMIT:
        return _error(f"max_keys must be between 1 and {MAX_KEYS_LIMIT}", 400)
    storage: Storage = request.app.state.storage
    try:
        page = storage.list_objects(
            bucket,
            prefix=params.get("prefix", ""),
            delimiter=params.get("delimiter", ""),
            start_after=params.get("marker", ""),
            max_keys=max_keys,
        )
    except OSSError as err:
        return _error(err.error_message, err.status, code=err.code)
    return JSONResponse(
        {
            "bucket": bucket,
            "objects": [_object_json(meta) for meta in page.objects],
            "prefixes": list(page.common_prefixes),
            "truncated": page.truncated,
            "next_marker": page.next_marker if page.truncated else None,
        }
    )


def _attachment(key: str) -> str:
    """A Content-Disposition naming the key's last segment (RFC 6266, ASCII fallback)."""
    name = key.rsplit("/", 1)[-1] or "download"
    fallback = "".join(c if 0x20 <= ord(c) < 0x7F and c not in '"\\' else "_" for c in name)
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(name, safe='')}"


async def download(request: Request) -> Response:
    """An object's bytes, with ``Content-Disposition: attachment``."""
    if (refused := _only_get(request)) is not None:
        return refused
    params = request.query_params
    bucket, key = params.get("bucket", ""), params.get("key", "")
    if not bucket or not key:
        return _error("the bucket and key parameters are required", 400)
    storage: Storage = request.app.state.storage
    try:
        meta = storage.head_object(bucket, key)
    except OSSError as err:
        return _error(err.error_message, err.status, code=err.code)
    headers = {
        "Content-Disposition": _attachment(key),
        "Content-Length": str(meta.size),
        "ETag": meta.etag,
        "Cache-Control": "no-store",
        "X-Content-Type-Options": "nosniff",
    }
    if request.method == "HEAD":
        return Response(b"", headers=headers, media_type=meta.attrs.content_type)
    return StreamingResponse(
        storage.read_object(meta), headers=headers, media_type=meta.attrs.content_type
    )


PAGE_ROUTES: dict[str, PageHandler] = {
    "/_emulator/": index,
    "/_emulator": index,
    "/_emulator/api/buckets": buckets,
    "/_emulator/api/objects": objects,
    "/_emulator/api/download": download,
}
STATIC_PREFIX = "/_emulator/static/"


def page_handler(path: str) -> PageHandler | None:
    """The page's handler for a decoded path, or None (then ``control_handler`` decides)."""
    if path in PAGE_ROUTES:
        return PAGE_ROUTES[path]
    if path.startswith(STATIC_PREFIX):
        name = path[len(STATIC_PREFIX) :]

        async def serve(request: Request) -> Response:
            return await static_file(request, name)

        return serve
    return None
