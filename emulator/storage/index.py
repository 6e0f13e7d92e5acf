"""The metadata index in SQLite: buckets, objects as segment lists, uploads and parts.

Why SQLite: one file, real transactions, and a B-tree on ``(bucket, key)``, so listings
walk keys in order and cost what the page costs, not what the bucket holds.

- Keys are BLOBs of their UTF-8 bytes, so ``ORDER BY`` and range comparisons are byte-wise
  lexicographic (rest-api.md §13.1). Always bind keys as ``bytes``: SQLite orders every
  TEXT value before every BLOB, so a ``str`` bound by mistake would silently compare wrong.
- An object row carries the whole object's size, ETag, CRC-64 and MD5; its bytes are the
  ordered rows of ``segments`` (one per PutObject, one per part after CompleteMultipartUpload,
  one more per AppendObject), each naming a blob file (``blobs.py``) or, for a body of at
  most ``blobs.INLINE_LIMIT`` bytes, holding the bytes in its ``data`` column.
- CRC-64 values are unsigned 64-bit and SQLite integers signed: they are stored in two's
  complement (``_i64``/``_u64``).
- WAL with ``synchronous=OFF`` and exclusive locking: a committed transaction survives a
  process crash (its WAL frames are written before COMMIT returns) but not necessarily a
  power failure, the durability target of ``store.py``. The connection is in
  autocommit mode; ``transaction()`` brackets writes with ``BEGIN IMMEDIATE``/``COMMIT``.
  Not thread-safe on its own: ``Store`` serialises every call with a lock.

Listing with a delimiter (``_walk``): rows come from an indexed range query
``key >= lo AND key < upper(prefix) ORDER BY key LIMIT n``; when a key falls in a common
prefix ``P`` (the prefix, then up to and including the first delimiter), ``P`` is emitted and
the next query starts at ``upper(P)``, the smallest byte string above every string starting
with ``P``, so the keys under ``P`` are never visited. A page of ``n`` entries therefore
costs at most ``n + 1`` index searches, whatever the bucket holds. Keys and common prefixes
form one sorted sequence; ``marker``/``start_after`` excludes every entry not greater than
it, so a common prefix ``P`` returned as ``next_marker`` skips all of ``P`` on the next page.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, cast

from emulator.protocol.checksums import etag_from_md5
from emulator.storage.base import (
    BucketMeta,
    ObjectAttrs,
    ObjectMeta,
    ObjectPage,
    ObjectType,
    PartMeta,
    PartPage,
    UploadMeta,
    UploadPage,
)
from emulator.storage.blobs import Segment

SCHEMA = """
CREATE TABLE IF NOT EXISTS buckets (
    name TEXT PRIMARY KEY, created REAL NOT NULL, cors TEXT);
CREATE TABLE IF NOT EXISTS objects (
    id INTEGER PRIMARY KEY, bucket TEXT NOT NULL, key BLOB NOT NULL, size INTEGER NOT NULL,
    etag TEXT NOT NULL, crc64 INTEGER NOT NULL, md5 BLOB, last_modified REAL NOT NULL,
    object_type TEXT NOT NULL, attrs TEXT NOT NULL, UNIQUE (bucket, key));
CREATE TABLE IF NOT EXISTS segments (
    object_id INTEGER NOT NULL, seq INTEGER NOT NULL, blob TEXT NOT NULL,
    size INTEGER NOT NULL, crc64 INTEGER NOT NULL, md5 BLOB NOT NULL, data BLOB,
    PRIMARY KEY (object_id, seq)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS uploads (
    upload_id TEXT PRIMARY KEY, bucket TEXT NOT NULL, key BLOB NOT NULL,
    initiated REAL NOT NULL, attrs TEXT NOT NULL);
CREATE UNIQUE INDEX IF NOT EXISTS uploads_by_key ON uploads (bucket, key, upload_id);
CREATE TABLE IF NOT EXISTS parts (
    upload_id TEXT NOT NULL, part_number INTEGER NOT NULL, blob TEXT NOT NULL,
    size INTEGER NOT NULL, crc64 INTEGER NOT NULL, md5 BLOB NOT NULL, data BLOB,
    last_modified REAL NOT NULL, PRIMARY KEY (upload_id, part_number)) WITHOUT ROWID;
"""

_OBJECT_COLUMNS = "id, key, size, etag, crc64, md5, last_modified, object_type, attrs"
_PART_COLUMNS = "part_number, size, md5, crc64, last_modified, blob, data"

Row = tuple[Any, ...]
Cursor = tuple[bytes, str | None, bool]  # (key, upload id or None, inclusive)


def _i64(value: int) -> int:
    return value - (1 << 64) if value >= 1 << 63 else value


def _u64(value: int) -> int:
    return value + (1 << 64) if value < 0 else value


def after_prefix(prefix: bytes) -> bytes | None:
    """The smallest byte string greater than every string starting with ``prefix``.

    None when there is none (``prefix`` empty or all ``0xFF``): no upper bound.
    """
    stripped = prefix.rstrip(b"\xff")
    if not stripped:
        return None
    return stripped[:-1] + bytes([stripped[-1] + 1])


def _attrs_json(attrs: ObjectAttrs) -> str:
    return json.dumps([attrs.content_type, attrs.headers, attrs.user_meta, attrs.storage_class])


def _attrs(text: str) -> ObjectAttrs:
    content_type, headers, user_meta, storage_class = json.loads(text)
    return ObjectAttrs(
        content_type=content_type,
        headers=tuple((name, value) for name, value in headers),
        user_meta=tuple((name, value) for name, value in user_meta),
        storage_class=storage_class,
    )


def _start(prefix: bytes, delimiter: bytes, marker: bytes, upload_id: str | None) -> Cursor | None:
    """Where a listing starts: after ``marker`` (and its common prefix), within ``prefix``."""
    if delimiter and marker.startswith(prefix):
        cut = marker.find(delimiter, len(prefix))
        if cut >= 0:  # the marker lies in a common prefix, which is not greater than it
            upper = after_prefix(marker[: cut + len(delimiter)])
            return None if upper is None else (upper, None, True)
    if marker and marker >= prefix:
        return (marker, upload_id, False)
    return (prefix, None, True)


def _walk(
    fetch: Callable[[Cursor, bytes | None, int], sqlite3.Cursor],
    prefix: bytes,
    delimiter: bytes,
    start: Cursor | None,
    limit: int,
) -> tuple[list[Row | bytes], bool]:
    """Up to ``limit`` entries (rows, or common prefixes as bytes) and whether more follow.

    A ``limit`` below 1 gives an empty page that is not truncated (nothing to continue from).
    """
    entries: list[Row | bytes] = []
    if limit < 1:
        return entries, False
    upper = after_prefix(prefix)
    cursor = start
    while cursor is not None:
        rows = fetch(cursor, upper, limit - len(entries) + 1)
        cursor = None
        try:
            for row in rows:
                if len(entries) == limit:
                    return entries, True
                key: bytes = row[1]
                cut = key.find(delimiter, len(prefix)) if delimiter else -1
                if cut < 0:
                    entries.append(row)
                    continue
                group = key[: cut + len(delimiter)]
                entries.append(group)
                jump = after_prefix(group)
                cursor = None if jump is None else (jump, None, True)
                break
        finally:
            rows.close()
    return entries, False


class Index:
    """Queries and updates over one SQLite file; see the module docstring."""

    def __init__(self, path: Path) -> None:
        self._db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        # One process owns the data directory (blobs.BlobStore holds its lock file), so the
        # database needs no shared-memory locking between connections.
        self._db.execute("PRAGMA locking_mode=EXCLUSIVE")
        self._db.execute("PRAGMA journal_mode=WAL")
        # Each commit write()s its WAL frames before returning, which a process crash cannot
        # undo; fsyncs (at checkpoints) would only guard against power loss, which the
        # blob files are not guarded against either (store.py, durability target).
        self._db.execute("PRAGMA synchronous=OFF")
        self._db.executescript(SCHEMA)

    def close(self) -> None:
        self._db.close()

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """One write transaction: committed on success, rolled back on any exception."""
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    def _one(self, sql: str, *params: Any) -> Row | None:
        return cast("Row | None", self._db.execute(sql, params).fetchone())

    # --- buckets --------------------------------------------------------------------------

    def buckets(self) -> list[BucketMeta]:
        rows = self._db.execute("SELECT name, created, cors FROM buckets ORDER BY name")
        return [BucketMeta(*row) for row in rows]

    def bucket(self, name: str) -> BucketMeta | None:
        row = self._one("SELECT name, created, cors FROM buckets WHERE name = ?", name)
        return None if row is None else BucketMeta(*row)

    def add_bucket(self, name: str, now: float) -> None:
        self._db.execute("INSERT OR IGNORE INTO buckets (name, created) VALUES (?, ?)", (name, now))

    def remove_bucket(self, name: str) -> None:
        self._db.execute("DELETE FROM buckets WHERE name = ?", (name,))

    def bucket_in_use(self, name: str) -> bool:
        """Whether the bucket holds an object or an unfinished upload."""
        return (
            self._one("SELECT 1 FROM objects WHERE bucket = ? LIMIT 1", name) is not None
            or self._one("SELECT 1 FROM uploads WHERE bucket = ? LIMIT 1", name) is not None
        )

    def set_cors(self, name: str, cors: str | None) -> None:
        self._db.execute("UPDATE buckets SET cors = ? WHERE name = ?", (cors, name))

    # --- objects --------------------------------------------------------------------------

    def _object(self, bucket: str, row: Row) -> ObjectMeta:
        _, key, size, etag, crc, md5, last_modified, object_type, attrs = row
        return ObjectMeta(
            bucket=bucket,
            key=key.decode(),
            size=size,
            etag=etag,
            crc64=_u64(crc),
            md5=md5,
            last_modified=last_modified,
            object_type=cast(ObjectType, object_type),
            attrs=_attrs(attrs),
        )

    def find_object(self, bucket: str, key: str) -> tuple[int, ObjectMeta] | None:
        """The object's row id and metadata."""
        row = self._one(
            f"SELECT {_OBJECT_COLUMNS} FROM objects WHERE bucket = ? AND key = ?",
            bucket,
            key.encode(),
        )
        return None if row is None else (row[0], self._object(bucket, row))

    def segments(self, object_id: int) -> list[Segment]:
        rows = self._db.execute(
            "SELECT blob, size, crc64, md5, data FROM segments WHERE object_id = ? ORDER BY seq",
            (object_id,),
        )
        return [Segment(blob, size, _u64(crc), md5, data) for blob, size, crc, md5, data in rows]

    def remove_object(self, bucket: str, key: str) -> list[str] | None:
        """Delete an object's rows; the ids of the blob files it used, or None when there was
        no object."""
        found = self.find_object(bucket, key)
        if found is None:
            return None
        object_id = found[0]
        blobs = [segment.blob for segment in self.segments(object_id) if segment.has_file]
        self._db.execute("DELETE FROM segments WHERE object_id = ?", (object_id,))
        self._db.execute("DELETE FROM objects WHERE id = ?", (object_id,))
        return blobs

    def add_object(self, meta: ObjectMeta, segments: list[Segment]) -> None:
        """Insert an object (none may exist at its key) and its segments."""
        cursor = self._db.execute(
            "INSERT INTO objects (bucket, key, size, etag, crc64, md5, last_modified,"
            " object_type, attrs) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                meta.bucket,
                meta.key.encode(),
                meta.size,
                meta.etag,
                _i64(meta.crc64),
                meta.md5,
                meta.last_modified,
                meta.object_type,
                _attrs_json(meta.attrs),
            ),
        )
        self._add_segments(cast(int, cursor.lastrowid), 0, segments)

    def append_segment(self, object_id: int, meta: ObjectMeta, segment: Segment) -> None:
        """Add a segment at the end of an object and store its new size, CRC and ETag."""
        row = self._one(
            "SELECT coalesce(max(seq) + 1, 0) FROM segments WHERE object_id = ?", object_id
        )
        self._add_segments(object_id, cast(Row, row)[0], [segment])
        self._db.execute(
            "UPDATE objects SET size = ?, etag = ?, crc64 = ?, md5 = ?, last_modified = ?"
            " WHERE id = ?",
            (meta.size, meta.etag, _i64(meta.crc64), meta.md5, meta.last_modified, object_id),
        )

    def _add_segments(self, object_id: int, first: int, segments: list[Segment]) -> None:
        self._db.executemany(
            "INSERT INTO segments (object_id, seq, blob, size, crc64, md5, data)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            [
                (object_id, first + n, s.blob, s.size, _i64(s.crc64), s.md5, s.data)
                for n, s in enumerate(segments)
            ],
        )

    def list_objects(
        self,
        bucket: str,
        prefix: str,
        delimiter: str,
        start_after: str,
        max_keys: int,
    ) -> ObjectPage:
        def fetch(cursor: Cursor, upper: bytes | None, limit: int) -> sqlite3.Cursor:
            low, _, inclusive = cursor
            sql = (
                f"SELECT {_OBJECT_COLUMNS} FROM objects WHERE bucket = ?"
                f" AND key {'>=' if inclusive else '>'} ?"
            )
            params: list[Any] = [bucket, low]
            if upper is not None:
                sql += " AND key < ?"
                params.append(upper)
            return self._db.execute(sql + " ORDER BY key LIMIT ?", [*params, limit])

        p, d = prefix.encode(), delimiter.encode()
        entries, truncated = _walk(fetch, p, d, _start(p, d, start_after.encode(), None), max_keys)
        objects = tuple(self._object(bucket, e) for e in entries if not isinstance(e, bytes))
        groups = tuple(e.decode() for e in entries if isinstance(e, bytes))
        next_marker = None
        if truncated:
            last = entries[-1]
            next_marker = last.decode() if isinstance(last, bytes) else last[1].decode()
        return ObjectPage(objects, groups, truncated, next_marker)

    # --- uploads and parts ------------------------------------------------------------------

    def add_upload(self, upload: UploadMeta) -> None:
        self._db.execute(
            "INSERT INTO uploads (upload_id, bucket, key, initiated, attrs) VALUES (?, ?, ?, ?, ?)",
            (
                upload.upload_id,
                upload.bucket,
                upload.key.encode(),
                upload.initiated,
                _attrs_json(upload.attrs),
            ),
        )

    def find_upload(self, upload_id: str) -> UploadMeta | None:
        row = self._one(
            "SELECT upload_id, bucket, key, initiated, attrs FROM uploads WHERE upload_id = ?",
            upload_id,
        )
        return None if row is None else self._upload(row)

    @staticmethod
    def _upload(row: Row) -> UploadMeta:
        upload_id, bucket, key, initiated, attrs = row
        return UploadMeta(bucket, key.decode(), upload_id, initiated, _attrs(attrs))

    def remove_upload(self, upload_id: str) -> None:
        self._db.execute("DELETE FROM parts WHERE upload_id = ?", (upload_id,))
        self._db.execute("DELETE FROM uploads WHERE upload_id = ?", (upload_id,))

    @staticmethod
    def _part(row: Row) -> tuple[PartMeta, Segment]:
        number, size, md5, crc, last_modified, blob, data = row
        part = PartMeta(number, size, etag_from_md5(md5), md5, _u64(crc), last_modified)
        return part, Segment(blob, size, part.crc64, md5, data)

    def parts(self, upload_id: str) -> list[tuple[PartMeta, Segment]]:
        """Every part of an upload with its blob, by part number."""
        rows = self._db.execute(
            f"SELECT {_PART_COLUMNS} FROM parts WHERE upload_id = ? ORDER BY part_number",
            (upload_id,),
        )
        return [self._part(row) for row in rows]

    def set_part(self, upload_id: str, part: PartMeta, segment: Segment) -> str | None:
        """Store a part, replacing one with the same number; the replaced blob file's id."""
        old = self._one(
            "SELECT blob FROM parts WHERE upload_id = ? AND part_number = ? AND data IS NULL",
            upload_id,
            part.part_number,
        )
        self._db.execute(
            "INSERT OR REPLACE INTO parts (upload_id, part_number, blob, size, crc64, md5,"
            " data, last_modified) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                upload_id,
                part.part_number,
                segment.blob,
                part.size,
                _i64(part.crc64),
                part.md5,
                segment.data,
                part.last_modified,
            ),
        )
        return None if old is None else cast(str, old[0])

    def list_parts(self, upload_id: str, marker: int, max_parts: int) -> PartPage:
        if max_parts < 1:
            return PartPage((), False, marker)
        rows = self._db.execute(
            f"SELECT {_PART_COLUMNS} FROM parts WHERE upload_id = ? AND part_number > ?"
            " ORDER BY part_number LIMIT ?",
            (upload_id, marker, max_parts + 1),
        ).fetchall()
        parts = tuple(self._part(row)[0] for row in rows[:max_parts])
        last = parts[-1].part_number if parts else marker
        return PartPage(parts, len(rows) > max_parts, last)

    def list_uploads(
        self,
        bucket: str,
        prefix: str,
        delimiter: str,
        key_marker: str,
        upload_id_marker: str,
        max_uploads: int,
    ) -> UploadPage:
        def fetch(cursor: Cursor, upper: bytes | None, limit: int) -> sqlite3.Cursor:
            low, upload_id, inclusive = cursor
            sql = "SELECT upload_id, key, initiated, attrs FROM uploads WHERE bucket = ?"
            params: list[Any] = [bucket]
            if upload_id is not None:
                sql += " AND (key, upload_id) > (?, ?)"
                params += [low, upload_id]
            else:
                sql += f" AND key {'>=' if inclusive else '>'} ?"
                params.append(low)
            if upper is not None:
                sql += " AND key < ?"
                params.append(upper)
            return self._db.execute(sql + " ORDER BY key, upload_id LIMIT ?", [*params, limit])

        p, d = prefix.encode(), delimiter.encode()
        start = _start(p, d, key_marker.encode(), upload_id_marker or None)
        entries, truncated = _walk(fetch, p, d, start, max_uploads)
        uploads = tuple(
            self._upload((e[0], bucket, e[1], e[2], e[3]))
            for e in entries
            if not isinstance(e, bytes)
        )
        groups = tuple(e.decode() for e in entries if isinstance(e, bytes))
        next_key, next_id = "", ""
        if entries:
            last = entries[-1]
            if isinstance(last, bytes):
                next_key = last.decode()
            else:
                next_key, next_id = last[1].decode(), last[0]
        return UploadPage(uploads, groups, truncated, next_key, next_id)

    # --- the whole index --------------------------------------------------------------------

    def blob_ids(self) -> set[str]:
        """Every blob file id the index references (segments and parts kept in files)."""
        rows = self._db.execute(
            "SELECT blob FROM segments WHERE data IS NULL"
            " UNION ALL SELECT blob FROM parts WHERE data IS NULL"
        )
        return {row[0] for row in rows}

    def clear(self) -> None:
        for table in ("segments", "objects", "parts", "uploads", "buckets"):
            self._db.execute(f"DELETE FROM {table}")
