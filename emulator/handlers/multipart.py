"""Multipart upload: Initiate, UploadPart, Complete, Abort, ListParts (rest-api.md §11).

Completion neither re-reads nor copies part data (R9): storage builds the object from the
stored parts' MD5s and CRC-64s.
"""

from __future__ import annotations

import base64

from starlette.responses import Response

from emulator.errors import InvalidArgument
from emulator.handlers.callback_flow import parse_callback, run_callback
from emulator.handlers.context import Context, empty_response, xml_response
from emulator.handlers.object import forbid_overwrite, receive_checked, upload_headers
from emulator.protocol import xml
from emulator.protocol.headers import is_decimal, object_attrs_from_headers
from emulator.protocol.names import validate_object_key
from emulator.storage.base import UploadMeta

MAX_PART_NUMBER = 10000


def _upload(ctx: Context) -> UploadMeta:
    return ctx.storage.get_upload(ctx.bucket, ctx.key, ctx.query("uploadId") or "")


async def initiate(ctx: Context) -> Response:
    validate_object_key(ctx.key)
    ctx.storage.get_bucket(ctx.bucket)
    attrs = object_attrs_from_headers(ctx.headers, ctx.key)
    upload = ctx.storage.create_upload(ctx.bucket, ctx.key, attrs, ctx.now)
    return xml_response(
        xml.render_initiate(ctx.bucket, ctx.key, upload.upload_id, encoding_url=ctx.encoding_url())
    )


async def upload_part(ctx: Context) -> Response:
    raw = ctx.query("partNumber") or ""
    if not is_decimal(raw) or not 1 <= int(raw) <= MAX_PART_NUMBER:
        raise InvalidArgument(
            "Part number must be an integer between 1 and 10000, inclusive.",
            ArgumentName="partNumber",
            ArgumentValue=raw,
        )
    upload = _upload(ctx)
    blob = await receive_checked(ctx)
    try:
        part = ctx.storage.put_part(upload, int(raw), blob, ctx.now)
    except BaseException:
        blob.abort()
        raise
    return empty_response(
        200,
        {
            "ETag": part.etag,
            "x-oss-hash-crc64ecma": str(part.crc64),
            "Content-MD5": base64.b64encode(part.md5).decode("ascii"),
        },
    )


async def complete(ctx: Context) -> Response:
    upload = _upload(ctx)
    body = await ctx.read_small_body()
    complete_all = (ctx.header("x-oss-complete-all") or "").lower()
    if complete_all not in ("", "yes"):
        raise InvalidArgument(
            "x-oss-complete-all must be yes.",
            ArgumentName="x-oss-complete-all",
            ArgumentValue=complete_all,
        )
    if complete_all == "yes" and body.strip():
        raise InvalidArgument(
            "Should not speficy both complete all header and http body.",
            ArgumentName="x-oss-complete-all",
            ArgumentValue="yes",
        )
    parts = None if complete_all == "yes" else xml.parse_complete(body)
    callback = await parse_callback(ctx)  # validated before the upload completes (C5)
    meta = ctx.storage.complete_upload(
        upload, parts, ctx.now, forbid_overwrite=forbid_overwrite(ctx)
    )
    headers = upload_headers(meta)
    if callback is not None:  # the application's body replaces the XML (C21)
        return await run_callback(
            ctx,
            callback,
            meta,
            operation="CompleteMultipartUpload",
            content_md5=None,
            upload_headers=headers,
        )
    location = f"{ctx.base_url}/{ctx.bucket}/{ctx.key}"
    return xml_response(
        xml.render_complete(
            ctx.bucket, ctx.key, meta.etag, location, encoding_url=ctx.encoding_url()
        ),
        headers=headers,
    )


async def abort(ctx: Context) -> Response:
    ctx.storage.abort_upload(_upload(ctx))
    return empty_response(204)


async def list_parts(ctx: Context) -> Response:
    upload = _upload(ctx)
    marker = ctx.bounded_int("part-number-marker", 0, MAX_PART_NUMBER)
    max_parts = ctx.bounded_int("max-parts", 1000)
    page = ctx.storage.list_parts(upload, part_number_marker=marker, max_parts=max_parts)
    return xml_response(
        xml.render_list_parts(
            upload,
            page,
            part_number_marker=marker,
            max_parts=max_parts,
            encoding_url=ctx.encoding_url(),
        )
    )
