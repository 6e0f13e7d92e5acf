"""PostObject: a browser form upload with a policy, optionally with a callback (rest-api.md §8).

The form streams in (``form.py``); the fields before ``file`` are authenticated by the policy
signature (``auth.post_policy``), the policy's conditions are checked against them and the
file's size, and only then is the file committed. An ``Authorization`` header or URL
signature on the request is not checked (§8.1). A callback comes from the ``callback`` form
field with ``x:`` fields and a ``callback-var`` field (C20); on success the application's
body is the answer whatever ``success_action_status`` says.
"""

from __future__ import annotations

from urllib.parse import urlencode

from starlette.requests import ClientDisconnect
from starlette.responses import RedirectResponse, Response

from emulator.auth.model import Credentials
from emulator.auth.post_policy import PostForm, authenticate, check_policy, expand_key
from emulator.errors import EntityTooLarge, IncompleteBody, InvalidArgument
from emulator.handlers.callback_flow import ParsedCallback, parse_with_hosts, run_callback
from emulator.handlers.context import MAX_OBJECT_SIZE, Context, empty_response, xml_response
from emulator.handlers.form import FormReader, ReceivedForm, boundary_of
from emulator.handlers.object import upload_headers
from emulator.protocol import xml
from emulator.protocol.checksums import check_content_md5
from emulator.protocol.headers import (
    STORED_HEADERS,
    header_text,
    is_header_name,
    object_attrs_from_headers,
)
from emulator.protocol.names import validate_object_key
from emulator.storage.base import ObjectAttrs

SUCCESS_STATUSES = {"200": 200, "201": 201, "204": 204}


async def receive_form(ctx: Context) -> ReceivedForm:
    reader = FormReader(boundary_of(ctx.header("content-type")), ctx.storage.new_blob)
    try:
        async for chunk in ctx.request.stream():
            reader.feed(chunk)
            blob = reader.form.blob
            if blob is not None and blob.size > MAX_OBJECT_SIZE:
                raise EntityTooLarge()
        return reader.finish()
    except ClientDisconnect:
        reader.abort()
        raise IncompleteBody() from None
    except BaseException:
        reader.abort()
        raise


def post_form(received: ReceivedForm) -> PostForm:
    fields: dict[str, str] = {}
    names: dict[str, str] = {}
    for name, value in received.fields:
        fields.setdefault(name.lower(), value)
        names.setdefault(name.lower(), name)
    return PostForm(
        fields=fields,
        field_names=names,
        file_name=received.file_name,
        file_content_type=received.file_content_type,
    )


#: Form fields that become headers of the object's GET and HEAD answers (§9.5).
_HEADER_FIELDS = frozenset(name.lower() for name in ("Content-Type", *STORED_HEADERS))


def form_attrs(form: PostForm, key: str) -> ObjectAttrs:
    """Object attributes from form fields: x-oss-content-type > Content-Type field > the
    file part's own type (§8.1), the stored headers and x-oss-meta-* fields. Fields that
    GET and HEAD answer as headers are checked and encoded now (``header_text``): an
    unsendable one would break every later read of the object."""
    content_type = (
        form.fields.get("x-oss-content-type")
        or form.fields.get("content-type")
        or form.file_content_type
        or ""
    )
    headers: dict[str, str] = {}
    for name, value in {**form.fields, "content-type": content_type}.items():
        if name.startswith("x-oss-meta-"):
            sent_name = form.field_names.get(name, name)
            if not is_header_name(sent_name):
                raise InvalidArgument(
                    "The form field name is not a valid header name.",
                    ArgumentName=sent_name,
                    ArgumentValue=value,
                )
            headers[sent_name] = header_text(sent_name, value)
        elif name in _HEADER_FIELDS:
            headers[name] = header_text(name, value)
        else:
            headers[name] = value
    return object_attrs_from_headers(headers, key)


def _credentials_lookup(ctx: Context):  # type: ignore[no-untyped-def]
    keyring = getattr(ctx.request.app.state, "keyring", None)
    settings = ctx.settings

    def lookup(access_key_id: str) -> Credentials | None:
        if keyring is not None:
            found: Credentials | None = keyring.find(access_key_id, ctx.now)
            return found
        if access_key_id == settings.access_key_id:
            return Credentials(
                settings.access_key_id, settings.access_key_secret, settings.security_token
            )
        return None

    return lookup


async def _form_callback(ctx: Context, form: PostForm) -> ParsedCallback | None:
    x_fields = [
        (form.field_names[name], value)
        for name, value in form.fields.items()
        if name.startswith("x:")
    ]
    return await parse_with_hosts(
        ctx,
        header_callback=ctx.header("x-oss-callback"),
        header_vars=ctx.header("x-oss-callback-var"),
        query_callback=ctx.query("callback"),
        query_vars=ctx.query("callback-var"),
        form_callback=form.fields.get("callback"),
        form_vars=form.fields.get("callback-var"),
        form_x_fields=x_fields,
    )


async def post_object(ctx: Context) -> Response:
    ctx.storage.get_bucket(ctx.bucket)
    received = await receive_form(ctx)
    blob = received.blob
    try:
        form = post_form(received)
        if blob is None:
            raise InvalidArgument(
                "The body of your POST request is missing the file field.",
                ArgumentName="file",
                ArgumentValue="",
            )
        if "key" not in form.fields:
            raise InvalidArgument(
                "The bucket POST must contain the specified 'key'. If it is specified, please "
                "check the order of the fields",
                ArgumentName="key",
                ArgumentValue="",
            )
        key = expand_key(form.fields["key"], form.file_name)
        validate_object_key(key)
        if ctx.settings.auth:
            auth = authenticate(form, ctx.bucket, _credentials_lookup(ctx), ctx.now)
            if auth.policy is not None:
                check_policy(
                    auth.policy,
                    form,
                    bucket=ctx.bucket,
                    key=key,
                    content_length=blob.size,
                    now=ctx.now,
                )
        check_content_md5(form.fields.get("content-md5"), blob.md5())  # as PutObject's (§8.4)
        callback = await _form_callback(ctx, form)
        attrs = form_attrs(form, key)
        forbid = form.fields.get("x-oss-forbid-overwrite", "").lower() == "true"
    except BaseException:
        if blob is not None:
            blob.abort()
        raise
    meta = ctx.storage.put_object(ctx.bucket, key, blob, attrs, ctx.now, forbid_overwrite=forbid)
    headers = upload_headers(meta)
    if callback is not None:  # the app's body, whatever success_action_status says (C20)
        return await run_callback(
            ctx,
            callback,
            meta,
            operation="PostObject",
            content_md5=headers.get("Content-MD5"),
            upload_headers=headers,
        )
    redirect = form.fields.get("success_action_redirect")
    if redirect:  # 303 with bucket, key and etag (G7)
        query = urlencode({"bucket": ctx.bucket, "key": key, "etag": meta.etag.strip('"')})
        separator = "&" if "?" in redirect else "?"
        return RedirectResponse(f"{redirect}{separator}{query}", status_code=303, headers=headers)
    status = SUCCESS_STATUSES.get(form.fields.get("success_action_status", ""), 204)
    if status == 201:
        location = f"{ctx.base_url}/{ctx.bucket}/{key}"
        return xml_response(
            xml.render_post_response(ctx.bucket, location, key, meta.etag), 201, headers
        )
    return empty_response(status, headers)
