"""What every handler receives, and the response helpers they share.

A ``Context`` is built once per request by ``app.py`` after routing and signature checking;
handlers are plain ``async def handler(ctx) -> Response`` functions of it (no per-request
state on long-lived objects). Collaborators come from ``request.app.state``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response

from emulator.config import Settings
from emulator.errors import (
    EntityTooLarge,
    IncompleteBody,
    InvalidArgument,
    MalformedXML,
)
from emulator.protocol.checksums import check_content_md5
from emulator.protocol.headers import is_decimal
from emulator.routing import Resolved
from emulator.storage.base import BlobWriter, Storage

MAX_OBJECT_SIZE = 5 * 1024**3  # rest-api.md §10.2 EntityTooLarge
MAX_XML_BODY = 1024**2 * 2  # XML bodies (Complete, Delete, CORS) are small; refuse floods


@dataclass
class Context:
    request: Request
    settings: Settings
    storage: Storage
    resolved: Resolved
    now: float
    request_id: str
    base_url: str
    headers: Mapping[str, str]  # lower-cased names (auth.model.SignedRequest.headers)

    @property
    def bucket(self) -> str:
        assert self.resolved.bucket is not None  # routing guarantees it for bucket ops
        return self.resolved.bucket

    @property
    def key(self) -> str:
        assert self.resolved.key is not None  # routing guarantees it for object ops
        return self.resolved.key

    def header(self, name: str) -> str | None:
        return self.headers.get(name)

    def query(self, name: str) -> str | None:
        for key, value in self.request.query_params.multi_items():
            if key == name:
                return value
        return None

    def has_query(self, name: str) -> bool:
        return name in self.request.query_params

    def bounded_int(self, name: str, default: int, limit: int = 1000) -> int:
        """A listing size parameter (``max-keys``…): absent or empty gives ``default``."""
        raw = self.query(name)
        if raw is None or raw == "":
            return default
        if not is_decimal(raw) or int(raw) > limit:
            raise InvalidArgument(
                f"Argument {name} must be an integer between 0 and {limit}.",
                ArgumentName=name,
                ArgumentValue=raw,
            )
        return int(raw)

    def encoding_url(self) -> bool:
        """Whether ``encoding-type=url`` was asked for (rest-api.md §13.3)."""
        value = self.query("encoding-type")
        if value in (None, ""):
            return False
        if value != "url":
            raise InvalidArgument(
                "The encoding-type must be url.", ArgumentName="encoding-type", ArgumentValue=value
            )
        return True

    def check_content_md5(self, actual: bytes) -> None:
        """Compare a received body's MD5 with ``Content-MD5``, when sent (§9.4).

        Raises:
            InvalidDigest: the header is not Base64 of 16 bytes, or does not match.
        """
        check_content_md5(self.header("content-md5"), actual)

    def declared_length(self) -> int | None:
        """``Content-Length`` as an int, None when absent (chunked); refuses nonsense."""
        raw = self.header("content-length")
        if raw is None:
            return None
        if not is_decimal(raw.strip()):
            raise InvalidArgument(
                "Content-Length is not a number.", ArgumentName="Content-Length", ArgumentValue=raw
            )
        length = int(raw)
        if length > MAX_OBJECT_SIZE:
            raise EntityTooLarge()
        return length

    async def receive_into(self, blob: BlobWriter) -> BlobWriter:
        """Stream the request body into ``blob``; abort it on any failure.

        Raises:
            IncompleteBody: the client stopped before ``Content-Length`` bytes.
            EntityTooLarge: more than 5 GiB arrived.
        """
        expected = self.declared_length()
        try:
            async for chunk in self.request.stream():
                if chunk:
                    blob.write(chunk)
                    if blob.size > MAX_OBJECT_SIZE:
                        raise EntityTooLarge()
            if expected is not None and blob.size != expected:
                raise IncompleteBody()
        except ClientDisconnect:
            blob.abort()
            raise IncompleteBody() from None
        except BaseException:
            blob.abort()
            raise
        return blob

    async def read_small_body(self, limit: int = MAX_XML_BODY) -> bytes:
        """Read an XML request body into memory, refusing anything over ``limit``."""
        chunks: list[bytes] = []
        total = 0
        try:
            async for chunk in self.request.stream():
                total += len(chunk)
                if total > limit:
                    raise MalformedXML("The XML body is too large.")
                chunks.append(chunk)
        except ClientDisconnect:
            raise IncompleteBody() from None
        return b"".join(chunks)


def xml_response(body: bytes, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(body, status_code=status, headers=headers, media_type="application/xml")


def empty_response(status: int = 200, headers: dict[str, str] | None = None) -> Response:
    response = Response(b"", status_code=status, headers=headers)
    if status in (204, 304):
        del response.headers["content-length"]
    return response
