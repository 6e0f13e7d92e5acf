"""The storage interface: what handlers may ask of storage, and the values it returns.

One implementation (``store.Store``: SQLite index + blob files) sits behind this narrow
Protocol (style.md rule 5). Storage raises ``emulator.errors`` classes for the OSS errors
that only it can detect (``NoSuchBucket``, ``NoSuchKey``, ``NoSuchUpload``, ``InvalidPart``,
``InvalidPartOrder``, ``EntityTooSmall``, ``BucketNotEmpty``, ``PositionNotEqualToLength``,
``ObjectNotAppendable``, ``FileAlreadyExists``).

Bodies arrive through a ``BlobWriter``: the handler streams chunks into it (it hashes MD5
and CRC-64 as they pass), checks what it must (Content-MD5, length), then hands it to
``put_object``/``put_part``/``append_object``, which commit it, or calls ``abort()``.
Nothing written through a writer is visible until that commit.

Times are float seconds since the epoch, passed in by the caller (no clock here).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Literal, Protocol

ObjectType = Literal["Normal", "Multipart", "Appendable"]


@dataclass(frozen=True)
class ObjectAttrs:
    """What a client sets on an object besides its bytes.

    ``headers`` holds the standard headers OSS stores and returns, with their canonical
    names (``Cache-Control``, ``Content-Disposition``, ``Content-Encoding``, ``Expires``,
    ``Content-Language``); ``user_meta`` the ``x-oss-meta-*`` headers, names lower-cased
    and kept whole (``x-oss-meta-author``), in the order received.
    """

    content_type: str = "application/octet-stream"
    headers: tuple[tuple[str, str], ...] = ()
    user_meta: tuple[tuple[str, str], ...] = ()
    storage_class: str = "Standard"


@dataclass(frozen=True)
class BucketMeta:
    name: str
    created: float
    cors: str | None = None  # the CORSConfiguration XML as last stored, or None


@dataclass(frozen=True)
class ObjectMeta:
    bucket: str
    key: str
    size: int
    etag: str  # quoted uppercase hex, "-N" for multipart (R2)
    crc64: int  # CRC-64/XZ of the whole object (R3)
    md5: bytes | None  # binary MD5 of the content; None for Multipart and Appendable
    last_modified: float
    object_type: ObjectType
    attrs: ObjectAttrs = field(default_factory=ObjectAttrs)


@dataclass(frozen=True)
class UploadMeta:
    bucket: str
    key: str
    upload_id: str
    initiated: float
    attrs: ObjectAttrs = field(default_factory=ObjectAttrs)


@dataclass(frozen=True)
class PartMeta:
    part_number: int
    size: int
    etag: str  # quoted uppercase hex MD5
    md5: bytes
    crc64: int
    last_modified: float


@dataclass(frozen=True)
class ObjectPage:
    """One page of a listing, in byte-wise key order."""

    objects: tuple[ObjectMeta, ...]
    common_prefixes: tuple[str, ...]
    truncated: bool
    next_marker: str | None  # the last key or common prefix returned, when truncated


@dataclass(frozen=True)
class UploadPage:
    uploads: tuple[UploadMeta, ...]
    common_prefixes: tuple[str, ...]
    truncated: bool
    next_key_marker: str
    next_upload_id_marker: str


@dataclass(frozen=True)
class PartPage:
    parts: tuple[PartMeta, ...]
    truncated: bool
    next_part_number_marker: int


class BlobWriter(Protocol):
    """A body being received: write chunks, read the digests, then commit or abort."""

    size: int

    def write(self, chunk: bytes) -> None: ...

    def md5(self) -> bytes: ...

    def crc64(self) -> int: ...

    def abort(self) -> None: ...


class Storage(Protocol):
    """Buckets, objects and multipart uploads. All methods are synchronous and quick
    except ``read_object``'s iterator, which reads the blob files."""

    # buckets
    def list_buckets(self) -> list[BucketMeta]: ...

    def create_bucket(self, name: str, now: float) -> BucketMeta: ...  # existing: returned as is

    def get_bucket(self, name: str) -> BucketMeta: ...  # NoSuchBucket

    def delete_bucket(self, name: str) -> None: ...  # NoSuchBucket, BucketNotEmpty

    def set_bucket_cors(self, name: str, cors_xml: str | None) -> None: ...

    # objects
    def new_blob(self) -> BlobWriter: ...

    def put_object(
        self,
        bucket: str,
        key: str,
        blob: BlobWriter,
        attrs: ObjectAttrs,
        now: float,
        *,
        forbid_overwrite: bool = False,
    ) -> ObjectMeta: ...

    def head_object(self, bucket: str, key: str) -> ObjectMeta: ...  # NoSuchBucket, NoSuchKey

    def read_object(
        self, meta: ObjectMeta, start: int = 0, end: int | None = None, chunk_size: int = 1 << 20
    ) -> Iterator[bytes]: ...  # bytes [start, end)

    def delete_object(self, bucket: str, key: str) -> bool: ...  # True if it existed

    def copy_object(
        self,
        src_bucket: str,
        src_key: str,
        dst_bucket: str,
        dst_key: str,
        attrs: ObjectAttrs | None,
        now: float,
        *,
        forbid_overwrite: bool = False,
    ) -> ObjectMeta: ...  # attrs None: keep the source's

    def append_object(
        self,
        bucket: str,
        key: str,
        position: int,
        blob: BlobWriter,
        attrs: ObjectAttrs,
        now: float,
    ) -> ObjectMeta: ...

    def list_objects(
        self,
        bucket: str,
        *,
        prefix: str = "",
        delimiter: str = "",
        start_after: str = "",
        max_keys: int = 100,
    ) -> ObjectPage: ...

    # multipart
    def create_upload(
        self,
        bucket: str,
        key: str,
        attrs: ObjectAttrs,
        now: float,
    ) -> UploadMeta: ...

    def get_upload(self, bucket: str, key: str, upload_id: str) -> UploadMeta: ...  # NoSuchUpload

    def put_part(
        self, upload: UploadMeta, part_number: int, blob: BlobWriter, now: float
    ) -> PartMeta: ...

    def list_parts(
        self, upload: UploadMeta, *, part_number_marker: int = 0, max_parts: int = 1000
    ) -> PartPage: ...

    def complete_upload(
        self,
        upload: UploadMeta,
        parts: Sequence[tuple[int, str]] | None,
        now: float,
        *,
        forbid_overwrite: bool = False,
    ) -> ObjectMeta: ...  # parts None: every uploaded part (x-oss-complete-all)

    def abort_upload(self, upload: UploadMeta) -> None: ...

    def list_uploads(
        self,
        bucket: str,
        *,
        prefix: str = "",
        delimiter: str = "",
        key_marker: str = "",
        upload_id_marker: str = "",
        max_uploads: int = 1000,
    ) -> UploadPage: ...

    # lifecycle
    def reset(self, buckets: Sequence[str], now: float) -> None: ...  # drop all; recreate these

    def close(self) -> None: ...
