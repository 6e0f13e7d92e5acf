"""Object operations: Put, Copy, Get, Head, GetObjectMeta, Delete, Append.

Headers, ranges and conditionals: rest-api.md §9.2-§9.8. Bodies stream into a blob writer
and become visible only when storage commits them (style.md rule 5).
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from urllib.parse import unquote

from starlette.responses import Response, StreamingResponse

from emulator.errors import (
    InvalidArgument,
    MissingArgument,
    PreconditionFailed,
)
from emulator.handlers.callback_flow import parse_callback, run_callback
from emulator.handlers.context import Context, empty_response, xml_response
from emulator.protocol import xml
from emulator.protocol.headers import (
    evaluate_conditions,
    http_date,
    is_decimal,
    object_attrs_from_headers,
    object_response_headers,
    parse_range,
    response_overrides,
)
from emulator.protocol.names import validate_bucket_name, validate_object_key
from emulator.storage.base import BlobWriter, ObjectMeta


def forbid_overwrite(ctx: Context) -> bool:
    return (ctx.header("x-oss-forbid-overwrite") or "").lower() == "true"


def upload_headers(meta: ObjectMeta) -> dict[str, str]:
    """Headers of a successful upload: ETag, CRC-64 and, for Normal objects, Content-MD5."""
    headers = {"ETag": meta.etag, "x-oss-hash-crc64ecma": str(meta.crc64)}
    if meta.md5 is not None:
        headers["Content-MD5"] = base64.b64encode(meta.md5).decode("ascii")
    return headers


async def receive_checked(ctx: Context) -> BlobWriter:
    """Stream the body into a new blob and check it against ``Content-MD5``."""
    blob = await ctx.receive_into(ctx.storage.new_blob())
    try:
        ctx.check_content_md5(blob.md5())
    except BaseException:
        blob.abort()
        raise
    return blob


async def put_object(ctx: Context) -> Response:
    validate_object_key(ctx.key)
    ctx.storage.get_bucket(ctx.bucket)  # NoSuchBucket before reading the body
    callback = await parse_callback(ctx)  # a bad callback is a 400 before anything is stored (C5)
    attrs = object_attrs_from_headers(ctx.headers, ctx.key)
    blob = await receive_checked(ctx)
    meta = ctx.storage.put_object(
        ctx.bucket, ctx.key, blob, attrs, ctx.now, forbid_overwrite=forbid_overwrite(ctx)
    )
    headers = upload_headers(meta)
    if callback is None:
        return empty_response(200, headers)
    return await run_callback(
        ctx,
        callback,
        meta,
        operation="PutObject",
        content_md5=headers.get("Content-MD5"),
        upload_headers=headers,
    )


def _copy_source(ctx: Context) -> tuple[str, str]:
    raw = ctx.header("x-oss-copy-source") or ""
    source = unquote(raw.split("?", 1)[0])
    bucket, _, key = source.lstrip("/").partition("/")
    if not bucket or not key:
        raise InvalidArgument(
            "Copy Source must mention the source bucket and key: /bucket/key.",
            ArgumentName="x-oss-copy-source",
            ArgumentValue=raw,
        )
    validate_bucket_name(bucket)
    validate_object_key(key)
    return bucket, key


# x-oss-copy-source-if-* map onto the ordinary conditional headers (CopyObject doc).
_COPY_CONDITIONS = {
    "x-oss-copy-source-if-match": "if-match",
    "x-oss-copy-source-if-none-match": "if-none-match",
    "x-oss-copy-source-if-modified-since": "if-modified-since",
    "x-oss-copy-source-if-unmodified-since": "if-unmodified-since",
}


def _copy_conditions(headers: Mapping[str, str]) -> dict[str, str]:
    return {plain: headers[name] for name, plain in _COPY_CONDITIONS.items() if name in headers}


async def copy_object(ctx: Context) -> Response:
    validate_object_key(ctx.key)
    ctx.storage.get_bucket(ctx.bucket)
    src_bucket, src_key = _copy_source(ctx)
    source = ctx.storage.head_object(src_bucket, src_key)
    conditions = _copy_conditions(ctx.headers)
    if (
        conditions
        and evaluate_conditions(conditions, etag=source.etag, last_modified=source.last_modified)
        == 304
    ):
        raise PreconditionFailed(Condition="x-oss-copy-source-if-none-match")
    directive = (ctx.header("x-oss-metadata-directive") or "COPY").upper()
    if directive not in ("COPY", "REPLACE"):
        raise InvalidArgument(
            "Unknown metadata directive.",
            ArgumentName="x-oss-metadata-directive",
            ArgumentValue=directive,
        )
    attrs = object_attrs_from_headers(ctx.headers, ctx.key) if directive == "REPLACE" else None
    meta = ctx.storage.copy_object(
        src_bucket,
        src_key,
        ctx.bucket,
        ctx.key,
        attrs,
        ctx.now,
        forbid_overwrite=forbid_overwrite(ctx),
    )
    return xml_response(
        xml.render_copy_result(meta.etag, meta.last_modified),
        headers={"ETag": meta.etag, "x-oss-hash-crc64ecma": str(meta.crc64)},
    )


def _not_modified(meta: ObjectMeta) -> Response:
    return empty_response(304, {"ETag": meta.etag, "Last-Modified": http_date(meta.last_modified)})


async def get_object(ctx: Context) -> Response:
    return _read_response(ctx, with_body=True)


async def head_object(ctx: Context) -> Response:
    return _read_response(ctx, with_body=False)


def _read_response(ctx: Context, *, with_body: bool) -> Response:
    meta = ctx.storage.head_object(ctx.bucket, ctx.key)
    if evaluate_conditions(ctx.headers, etag=meta.etag, last_modified=meta.last_modified) == 304:
        return _not_modified(meta)
    headers = dict(object_response_headers(meta))
    standard = (ctx.header("x-oss-range-behavior") or "").lower() == "standard"
    span = parse_range(ctx.header("range"), meta.size, standard=standard)
    status, (start, end) = 200, (0, meta.size)
    if span is not None:
        status, (start, end) = 206, span
        headers["Content-Range"] = f"bytes {start}-{end - 1}/{meta.size}"
        headers.pop("x-oss-hash-crc64ecma", None)  # never on 206 (R3)
        headers.pop("Content-MD5", None)
    if with_body:
        headers.update(dict(response_overrides(ctx.request.query_params.multi_items())))
    headers["Content-Length"] = str(end - start)
    if not with_body:
        return Response(b"", status_code=status, headers=headers)
    if end == start:
        return Response(b"", status_code=status, headers=headers)
    return StreamingResponse(
        ctx.storage.read_object(meta, start, end), status_code=status, headers=headers
    )


async def get_object_meta(ctx: Context) -> Response:
    meta = ctx.storage.head_object(ctx.bucket, ctx.key)
    headers = {
        "ETag": meta.etag,
        "Last-Modified": http_date(meta.last_modified),
        "x-oss-hash-crc64ecma": str(meta.crc64),
    }
    if ctx.request.method == "HEAD":
        headers["Content-Length"] = str(meta.size)
    return Response(b"", status_code=200, headers=headers)


async def delete_object(ctx: Context) -> Response:
    validate_object_key(ctx.key)
    ctx.storage.get_bucket(ctx.bucket)
    ctx.storage.delete_object(ctx.bucket, ctx.key)
    return empty_response(204)


async def append_object(ctx: Context) -> Response:
    validate_object_key(ctx.key)
    ctx.storage.get_bucket(ctx.bucket)
    raw = ctx.query("position")
    if raw is None or raw == "":
        raise MissingArgument(ArgumentName="position")
    if not is_decimal(raw):
        raise InvalidArgument(
            "Position must be a non-negative integer.", ArgumentName="position", ArgumentValue=raw
        )
    attrs = object_attrs_from_headers(ctx.headers, ctx.key)
    blob = await receive_checked(ctx)
    try:
        meta = ctx.storage.append_object(ctx.bucket, ctx.key, int(raw), blob, attrs, ctx.now)
    except BaseException:
        blob.abort()
        raise
    headers = upload_headers(meta)
    headers.pop("Content-MD5", None)
    headers["x-oss-next-append-position"] = str(meta.size)
    return empty_response(200, headers)
