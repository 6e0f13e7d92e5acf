"""Bucket operations: create, delete, info, location, ACL, listings, CORS, batch delete.

Shapes and status codes: rest-api.md §9.8, §12.3, §13, §14.
"""

from __future__ import annotations

import base64
import binascii
import hashlib

from starlette.responses import Response

from emulator.errors import InvalidArgument, NoSuchCORSConfiguration
from emulator.handlers.context import Context, empty_response, xml_response
from emulator.protocol import xml
from emulator.protocol.names import validate_object_key


async def put_bucket(ctx: Context) -> Response:
    body = await ctx.read_small_body()
    xml.parse_create_bucket(body)  # validates; every bucket is Standard here
    ctx.storage.create_bucket(ctx.bucket, ctx.now)
    return empty_response(200, {"Location": f"/{ctx.bucket}"})


async def delete_bucket(ctx: Context) -> Response:
    ctx.storage.delete_bucket(ctx.bucket)
    return empty_response(204)


async def get_bucket_info(ctx: Context) -> Response:
    bucket = ctx.storage.get_bucket(ctx.bucket)
    return xml_response(
        xml.render_bucket_info(bucket, owner_id=ctx.settings.owner_id, region=ctx.settings.region)
    )


async def get_bucket_location(ctx: Context) -> Response:
    ctx.storage.get_bucket(ctx.bucket)
    return xml_response(xml.render_bucket_location(ctx.settings.region))


async def get_bucket_acl(ctx: Context) -> Response:
    ctx.storage.get_bucket(ctx.bucket)
    return xml_response(xml.render_bucket_acl(ctx.settings.owner_id))


async def list_objects(ctx: Context) -> Response:
    ctx.storage.get_bucket(ctx.bucket)
    prefix, delimiter = ctx.query("prefix") or "", ctx.query("delimiter") or ""
    marker, max_keys = ctx.query("marker") or "", ctx.bounded_int("max-keys", 100)
    page = ctx.storage.list_objects(
        ctx.bucket, prefix=prefix, delimiter=delimiter, start_after=marker, max_keys=max_keys
    )
    return xml_response(
        xml.render_list_objects(
            page,
            bucket=ctx.bucket,
            prefix=prefix,
            marker=marker,
            max_keys=max_keys,
            delimiter=delimiter,
            encoding_url=ctx.encoding_url(),
            owner_id=ctx.settings.owner_id,
        )
    )


def encode_token(key: str) -> str:
    """A continuation token: URL-safe Base64 of the last key returned (§13.2)."""
    return base64.urlsafe_b64encode(key.encode("utf-8")).decode("ascii")


def decode_token(token: str) -> str:
    try:
        return base64.urlsafe_b64decode(token.encode("ascii")).decode("utf-8")
    except (binascii.Error, UnicodeError, ValueError):
        raise InvalidArgument(
            "The continuation token provided is incorrect.",
            ArgumentName="continuation-token",
            ArgumentValue=token,
        ) from None


async def list_objects_v2(ctx: Context) -> Response:
    ctx.storage.get_bucket(ctx.bucket)
    prefix, delimiter = ctx.query("prefix") or "", ctx.query("delimiter") or ""
    start_after, token = ctx.query("start-after") or "", ctx.query("continuation-token") or ""
    max_keys = ctx.bounded_int("max-keys", 100)
    after = decode_token(token) if token else start_after
    page = ctx.storage.list_objects(
        ctx.bucket, prefix=prefix, delimiter=delimiter, start_after=after, max_keys=max_keys
    )
    next_token = encode_token(page.next_marker) if page.truncated and page.next_marker else None
    return xml_response(
        xml.render_list_objects_v2(
            page,
            bucket=ctx.bucket,
            prefix=prefix,
            start_after=start_after,
            continuation_token=token,
            next_continuation_token=next_token,
            max_keys=max_keys,
            delimiter=delimiter,
            encoding_url=ctx.encoding_url(),
            fetch_owner=(ctx.query("fetch-owner") or "").lower() == "true",
            owner_id=ctx.settings.owner_id,
        )
    )


async def put_bucket_cors(ctx: Context) -> Response:
    ctx.storage.get_bucket(ctx.bucket)
    body = await ctx.read_small_body()
    config = xml.parse_cors(body)
    ctx.storage.set_bucket_cors(ctx.bucket, xml.render_cors(config).decode("utf-8"))
    return empty_response(200)


async def get_bucket_cors(ctx: Context) -> Response:
    bucket = ctx.storage.get_bucket(ctx.bucket)
    if bucket.cors is None:
        raise NoSuchCORSConfiguration(BucketName=ctx.bucket)
    return xml_response(bucket.cors.encode("utf-8"))


async def delete_bucket_cors(ctx: Context) -> Response:
    ctx.storage.get_bucket(ctx.bucket)
    ctx.storage.set_bucket_cors(ctx.bucket, None)
    return empty_response(204)


async def delete_multiple_objects(ctx: Context) -> Response:
    ctx.storage.get_bucket(ctx.bucket)
    body = await ctx.read_small_body()
    ctx.check_content_md5(hashlib.md5(body).digest())
    keys, quiet = xml.parse_delete(body)
    for key in keys:
        validate_object_key(key)
    for key in keys:
        ctx.storage.delete_object(ctx.bucket, key)  # missing keys count as deleted (G12)
    return xml_response(
        xml.render_delete_result(keys, quiet=quiet, encoding_url=ctx.encoding_url())
    )


async def list_multipart_uploads(ctx: Context) -> Response:
    ctx.storage.get_bucket(ctx.bucket)
    prefix, delimiter = ctx.query("prefix") or "", ctx.query("delimiter") or ""
    key_marker = ctx.query("key-marker") or ""
    upload_id_marker = ctx.query("upload-id-marker") or ""
    max_uploads = ctx.bounded_int("max-uploads", 1000)
    page = ctx.storage.list_uploads(
        ctx.bucket,
        prefix=prefix,
        delimiter=delimiter,
        key_marker=key_marker,
        upload_id_marker=upload_id_marker,
        max_uploads=max_uploads,
    )
    return xml_response(
        xml.render_list_uploads(
            page,
            bucket=ctx.bucket,
            prefix=prefix,
            delimiter=delimiter,
            key_marker=key_marker,
            upload_id_marker=upload_id_marker,
            max_uploads=max_uploads,
            encoding_url=ctx.encoding_url(),
        )
    )
