"""``Store``: ``base.Storage`` over a SQLite index (``index.py``) and blob files (``blobs.py``).

The commit order is the design (style.md rule 5); every upload follows it:

1. The body streams into ``tmp/<id>`` through a ``FileBlobWriter`` that hashes MD5 and
   CRC-64 as bytes pass. Nothing refers to the file. (A body of at most
   ``blobs.INLINE_LIMIT`` bytes stays in memory instead and skips step 2: its bytes go
   into the index row in step 3, in the same transaction as everything else.)
2. ``os.replace`` moves it to ``blobs/<id[:2]>/<id>``. Still nothing refers to it.
3. One SQLite transaction checks the preconditions (bucket, upload, append position,
   ``forbid_overwrite``…) and makes the bytes visible: the object row and its segments,
   replacing any previous object at the key in the same transaction, or the part row.
   A failed check rolls back and the new blob is unlinked at once.
4. After the commit, blobs the transaction left unreferenced (the overwritten object's
   segments, a replaced part, parts a completion left out, an aborted upload's parts) are
   unlinked.

A crash before 3 leaves a temp file or an orphan blob, a crash between 3 and 4 orphan blobs;
``Store()`` deletes both at start-up (``BlobStore.sweep`` against the ids the index names).
So a reader never sees a partial object, an overwrite is atomic (old or new, never neither),
and the disk does not leak. ``tests/storage/test_crash.py`` kills a child at each step.

Durability target: a process crash (``kill -9``), not power loss. Blob files are not
fsynced (an fsync per upload would dominate small-PUT throughput), and SQLite runs in WAL
mode with ``synchronous=OFF``: committed rows and written bytes survive the process, a
power cut may lose them, which an emulator can afford.

No data is copied once stored: CompleteMultipartUpload turns the chosen parts' blobs into
the object's segments, its ETag from the stored part MD5s and its CRC-64 by combining the
part CRCs (R9); CopyObject hard-links each segment blob under a new id; AppendObject adds a
segment. Emulator choices where OSS is silent or too costly to copy: an Appendable object's
ETag comes from its CRC-64 and size (``checksums.appendable_etag``); attributes given to a
later append are ignored (the first append sets them); an explicit empty part list on
completion is ``MalformedXML``, ``x-oss-complete-all`` with no uploaded part ``InvalidPart``;
a failed ``put_object``/``put_part``/``append_object`` consumes the writer.

Threads: the store serves one event-loop thread, but the test fixture server runs in a
thread of its own and ``reset()`` may come from the test thread, so the SQLite connection
allows any thread and every call holds one lock. ``read_object``'s iterator reads blob files
without it; an object overwritten while being read may end its iterator with ``NoSuchKey``.
One process per data directory: a lock file refuses a second ``Store``, whose start-up sweep
would delete the first one's bodies in flight.
"""

from __future__ import annotations

import dataclasses
import threading
import uuid
from collections.abc import Callable, Iterator, Sequence
from itertools import pairwise
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from emulator import errors
from emulator.protocol.checksums import (
    appendable_etag,
    crc64_combine,
    etag_from_md5,
    etag_matches,
    multipart_etag,
)
from emulator.storage.base import (
    BlobWriter,
    BucketMeta,
    ObjectAttrs,
    ObjectMeta,
    ObjectPage,
    PartMeta,
    PartPage,
    UploadMeta,
    UploadPage,
)
from emulator.storage.blobs import INLINE_LIMIT, BlobStore, FileBlobWriter, Segment
from emulator.storage.index import Index

if TYPE_CHECKING:
    from emulator.storage.base import Storage

MIN_PART_SIZE = 102400  # every part but the last, rest-api.md §11

T = TypeVar("T")


def _choose_parts(
    uploaded: list[tuple[PartMeta, Segment]],
    parts: Sequence[tuple[int, str]] | None,
) -> list[tuple[PartMeta, Segment]]:
    """The parts a completion names, checked as rest-api.md §11 says."""
    if parts is None:
        if not uploaded:
            raise errors.InvalidPart()
        chosen = uploaded
    else:
        if not parts:
            raise errors.MalformedXML()
        numbers = [number for number, _ in parts]
        if any(later <= earlier for earlier, later in pairwise(numbers)):
            raise errors.InvalidPartOrder()
        by_number = {part.part_number: (part, segment) for part, segment in uploaded}
        chosen = []
        for number, etag in parts:
            found = by_number.get(number)
            if found is None or not etag_matches(found[0].etag, etag):
                raise errors.InvalidPart()
            chosen.append(found)
    if any(part.size < MIN_PART_SIZE for part, _ in chosen[:-1]):
        raise errors.EntityTooSmall()
    return chosen


def _position_error(size: int) -> errors.PositionNotEqualToLength:
    return errors.PositionNotEqualToLength(headers={"x-oss-next-append-position": str(size)})


def _same_version(a: ObjectMeta, b: ObjectMeta) -> bool:
    return (a.size, a.etag, a.crc64, a.last_modified) == (b.size, b.etag, b.crc64, b.last_modified)


class Store:
    """Buckets, objects and uploads under ``data_dir`` (created if missing)."""

    def __init__(self, data_dir: Path, *, inline_limit: int = INLINE_LIMIT) -> None:
        """Open (or create) the store; ``inline_limit`` 0 puts every body in a file."""
        data_dir.mkdir(parents=True, exist_ok=True)
        self.data_dir = data_dir
        self._lock = threading.Lock()
        self._closed = False
        self._buckets: dict[str, BucketMeta] = {}
        self._blobs = BlobStore(data_dir, inline_limit)  # takes the directory's lock file
        try:
            self._index = Index(data_dir / "index.sqlite3")
            self._blobs.sweep(self._index.blob_ids())
        except BaseException:
            self._blobs.close()
            raise

    def close(self) -> None:
        with self._lock:
            if not self._closed:
                self._closed = True
                self._index.close()
                self._blobs.close()

    # --- helpers (called with the lock held) ---------------------------------------------------

    def _need_bucket(self, name: str) -> BucketMeta:
        # Every request asks for its bucket, and buckets rarely change: cache the rows,
        # and forget them all whenever any bucket changes (create, delete, CORS, reset).
        bucket = self._buckets.get(name)
        if bucket is None:
            bucket = self._index.bucket(name)
            if bucket is None:
                raise errors.NoSuchBucket(BucketName=name)
            self._buckets[name] = bucket
        return bucket

    def _need_upload(self, upload: UploadMeta) -> None:
        found = self._index.find_upload(upload.upload_id)
        if found is None or (found.bucket, found.key) != (upload.bucket, upload.key):
            raise errors.NoSuchUpload(UploadId=upload.upload_id)

    def _refuse_overwrite(self, bucket: str, key: str, forbid: bool) -> None:
        if forbid and self._index.find_object(bucket, key) is not None:
            raise errors.FileAlreadyExists()

    def _commit(
        self,
        blob: BlobWriter,
        change: Callable[[Segment], tuple[T, list[str]]],
    ) -> T:
        """Steps 2-4 of the commit order for one new body; ``change`` runs in the transaction
        and returns its result and the blob ids it left unreferenced."""
        if not isinstance(blob, FileBlobWriter):
            raise TypeError("the blob must come from Store.new_blob()")
        with self._lock:
            segment = self._blobs.commit(blob)  # ValueError if already committed or aborted
            try:
                with self._index.transaction():
                    result, garbage = change(segment)
            except BaseException:
                if segment.has_file:
                    self._blobs.unlink([segment.blob])
                raise
        self._blobs.unlink(garbage)
        return result

    # --- buckets -------------------------------------------------------------------------------

    def list_buckets(self) -> list[BucketMeta]:
        with self._lock:
            return self._index.buckets()

    def create_bucket(self, name: str, now: float) -> BucketMeta:
        with self._lock, self._index.transaction():
            self._buckets.clear()
            self._index.add_bucket(name, now)
            bucket = self._index.bucket(name)
            assert bucket is not None  # just inserted (or already there)
            return bucket

    def get_bucket(self, name: str) -> BucketMeta:
        with self._lock:
            return self._need_bucket(name)

    def delete_bucket(self, name: str) -> None:
        with self._lock, self._index.transaction():
            self._need_bucket(name)
            if self._index.bucket_in_use(name):
                raise errors.BucketNotEmpty(BucketName=name)
            self._buckets.clear()
            self._index.remove_bucket(name)

    def set_bucket_cors(self, name: str, cors_xml: str | None) -> None:
        with self._lock, self._index.transaction():
            self._need_bucket(name)
            self._buckets.clear()
            self._index.set_cors(name, cors_xml)

    # --- objects -------------------------------------------------------------------------------

    def new_blob(self) -> FileBlobWriter:
        return self._blobs.new_writer()

    def put_object(
        self,
        bucket: str,
        key: str,
        blob: BlobWriter,
        attrs: ObjectAttrs,
        now: float,
        *,
        forbid_overwrite: bool = False,
    ) -> ObjectMeta:
        def change(segment: Segment) -> tuple[ObjectMeta, list[str]]:
            self._need_bucket(bucket)
            self._refuse_overwrite(bucket, key, forbid_overwrite)
            garbage = self._index.remove_object(bucket, key) or []
            meta = ObjectMeta(
                bucket,
                key,
                segment.size,
                etag_from_md5(segment.md5),
                segment.crc64,
                segment.md5,
                now,
                "Normal",
                attrs,
            )
            self._index.add_object(meta, [segment])
            return meta, garbage

        return self._commit(blob, change)

    def head_object(self, bucket: str, key: str) -> ObjectMeta:
        with self._lock:
            self._need_bucket(bucket)
            found = self._index.find_object(bucket, key)
        if found is None:
            raise errors.NoSuchKey(Key=key)
        return found[1]

    def read_object(
        self,
        meta: ObjectMeta,
        start: int = 0,
        end: int | None = None,
        chunk_size: int = 1 << 20,
    ) -> Iterator[bytes]:
        """Bytes ``[start, end)`` of the object ``meta`` describes (``end`` clipped to its size).

        Raises ``NoSuchKey`` now if that version is no longer stored, or from the iterator
        if it is overwritten while being read.
        """
        if start < 0 or chunk_size < 1:
            raise ValueError("start must be >= 0 and chunk_size >= 1")
        with self._lock:
            found = self._index.find_object(meta.bucket, meta.key)
            if found is None or not _same_version(found[1], meta):
                raise errors.NoSuchKey(Key=meta.key)
            segments = self._index.segments(found[0])
        end = meta.size if end is None else min(end, meta.size)
        return self._read(meta.key, segments, start, end, chunk_size)

    def _read(
        self,
        key: str,
        segments: list[Segment],
        start: int,
        end: int,
        chunk_size: int,
    ) -> Iterator[bytes]:
        offset = 0
        for segment in segments:
            if offset >= end:
                break
            low, high = max(start, offset), min(end, offset + segment.size)
            if low < high:
                if segment.data is not None:
                    for at in range(low - offset, high - offset, chunk_size):
                        yield segment.data[at : min(at + chunk_size, high - offset)]
                    offset += segment.size
                    continue
                try:
                    yield from self._blobs.read(
                        segment.blob, low - offset, high - offset, chunk_size
                    )
                except FileNotFoundError:
                    raise errors.NoSuchKey(Key=key) from None
            offset += segment.size

    def delete_object(self, bucket: str, key: str) -> bool:
        with self._lock, self._index.transaction():
            self._need_bucket(bucket)
            garbage = self._index.remove_object(bucket, key)
        if garbage is None:
            return False
        self._blobs.unlink(garbage)
        return True

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
    ) -> ObjectMeta:
        linked: list[str] = []
        with self._lock:
            try:
                with self._index.transaction():
                    self._need_bucket(src_bucket)
                    found = self._index.find_object(src_bucket, src_key)
                    if found is None:
                        raise errors.NoSuchKey(Key=src_key)
                    self._need_bucket(dst_bucket)
                    self._refuse_overwrite(dst_bucket, dst_key, forbid_overwrite)
                    segments = []
                    for segment in self._index.segments(found[0]):
                        if segment.has_file:
                            linked.append(self._blobs.link(segment.blob))
                            new_id = linked[-1]
                        else:  # kept in the index: the row carries its bytes along
                            new_id = uuid.uuid4().hex
                        segments.append(dataclasses.replace(segment, blob=new_id))
                    garbage = self._index.remove_object(dst_bucket, dst_key) or []
                    meta = dataclasses.replace(
                        found[1],
                        bucket=dst_bucket,
                        key=dst_key,
                        last_modified=now,
                        attrs=found[1].attrs if attrs is None else attrs,
                    )
                    self._index.add_object(meta, segments)
            except BaseException:
                self._blobs.unlink(linked)
                raise
        self._blobs.unlink(garbage)
        return meta

    def append_object(
        self,
        bucket: str,
        key: str,
        position: int,
        blob: BlobWriter,
        attrs: ObjectAttrs,
        now: float,
    ) -> ObjectMeta:
        def change(segment: Segment) -> tuple[ObjectMeta, list[str]]:
            self._need_bucket(bucket)
            found = self._index.find_object(bucket, key)
            if found is None:
                if position != 0:
                    raise _position_error(0)
                meta = ObjectMeta(
                    bucket,
                    key,
                    segment.size,
                    appendable_etag(segment.crc64, segment.size),
                    segment.crc64,
                    None,
                    now,
                    "Appendable",
                    attrs,
                )
                self._index.add_object(meta, [segment])
                return meta, []
            object_id, current = found
            if current.object_type != "Appendable":
                raise errors.ObjectNotAppendable()
            if position != current.size:
                raise _position_error(current.size)
            size = current.size + segment.size
            crc = crc64_combine(current.crc64, segment.crc64, segment.size)
            meta = dataclasses.replace(
                current,
                size=size,
                crc64=crc,
                etag=appendable_etag(crc, size),
                last_modified=now,
            )
            self._index.append_segment(object_id, meta, segment)
            return meta, []

        return self._commit(blob, change)

    def list_objects(
        self,
        bucket: str,
        *,
        prefix: str = "",
        delimiter: str = "",
        start_after: str = "",
        max_keys: int = 100,
    ) -> ObjectPage:
        with self._lock:
            self._need_bucket(bucket)
            return self._index.list_objects(bucket, prefix, delimiter, start_after, max_keys)

    # --- multipart -----------------------------------------------------------------------------

    def create_upload(self, bucket: str, key: str, attrs: ObjectAttrs, now: float) -> UploadMeta:
        upload = UploadMeta(bucket, key, uuid.uuid4().hex.upper(), now, attrs)
        with self._lock, self._index.transaction():
            self._need_bucket(bucket)
            self._index.add_upload(upload)
        return upload

    def get_upload(self, bucket: str, key: str, upload_id: str) -> UploadMeta:
        with self._lock:
            self._need_bucket(bucket)
            found = self._index.find_upload(upload_id)
        if found is None or (found.bucket, found.key) != (bucket, key):
            raise errors.NoSuchUpload(UploadId=upload_id)
        return found

    def put_part(
        self, upload: UploadMeta, part_number: int, blob: BlobWriter, now: float
    ) -> PartMeta:
        def change(segment: Segment) -> tuple[PartMeta, list[str]]:
            self._need_upload(upload)
            part = PartMeta(
                part_number,
                segment.size,
                etag_from_md5(segment.md5),
                segment.md5,
                segment.crc64,
                now,
            )
            replaced = self._index.set_part(upload.upload_id, part, segment)
            return part, [] if replaced is None else [replaced]

        return self._commit(blob, change)

    def list_parts(
        self, upload: UploadMeta, *, part_number_marker: int = 0, max_parts: int = 1000
    ) -> PartPage:
        with self._lock:
            self._need_upload(upload)
            return self._index.list_parts(upload.upload_id, part_number_marker, max_parts)

    def complete_upload(
        self,
        upload: UploadMeta,
        parts: Sequence[tuple[int, str]] | None,
        now: float,
        *,
        forbid_overwrite: bool = False,
    ) -> ObjectMeta:
        with self._lock, self._index.transaction():
            self._need_upload(upload)
            uploaded = self._index.parts(upload.upload_id)
            chosen = _choose_parts(uploaded, parts)
            self._refuse_overwrite(upload.bucket, upload.key, forbid_overwrite)
            segments = [segment for _, segment in chosen]
            crc = 0
            for segment in segments:
                crc = crc64_combine(crc, segment.crc64, segment.size)
            meta = ObjectMeta(
                upload.bucket,
                upload.key,
                sum(s.size for s in segments),
                multipart_etag([s.md5 for s in segments]),
                crc,
                None,
                now,
                "Multipart",
                upload.attrs,
            )
            garbage = self._index.remove_object(upload.bucket, upload.key) or []
            self._index.add_object(meta, segments)
            kept = {segment.blob for segment in segments}
            garbage += [s.blob for _, s in uploaded if s.blob not in kept and s.has_file]
            self._index.remove_upload(upload.upload_id)
        self._blobs.unlink(garbage)
        return meta

    def abort_upload(self, upload: UploadMeta) -> None:
        with self._lock, self._index.transaction():
            self._need_upload(upload)
            garbage = [s.blob for _, s in self._index.parts(upload.upload_id) if s.has_file]
            self._index.remove_upload(upload.upload_id)
        self._blobs.unlink(garbage)

    def list_uploads(
        self,
        bucket: str,
        *,
        prefix: str = "",
        delimiter: str = "",
        key_marker: str = "",
        upload_id_marker: str = "",
        max_uploads: int = 1000,
    ) -> UploadPage:
        with self._lock:
            self._need_bucket(bucket)
            return self._index.list_uploads(
                bucket, prefix, delimiter, key_marker, upload_id_marker, max_uploads
            )

    # --- lifecycle -----------------------------------------------------------------------------

    def reset(self, buckets: Sequence[str], now: float) -> None:
        """Drop every bucket, object and upload with their blobs; recreate ``buckets`` empty.

        Bodies still being received keep their temp files; committing one afterwards fails
        with ``NoSuchBucket``/``NoSuchUpload`` or lands in a recreated bucket.
        """
        with self._lock:
            self._buckets.clear()
            with self._index.transaction():
                self._index.clear()
                for name in buckets:
                    self._index.add_bucket(name, now)
            self._blobs.clear()


if TYPE_CHECKING:

    def _implements_storage(store: Store) -> Storage:  # mypy checks Store against the Protocol
        return store
