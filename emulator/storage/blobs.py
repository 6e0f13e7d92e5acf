"""Blob files: the bytes of objects and parts, named by generated ids, never by keys.

Layout under the data directory (style.md rule 5: no key ever becomes a path, so ``a`` and
``a/b`` coexist and ``../../etc/passwd`` is just data in the index)::

    tmp/<id>              a body being received through a ``FileBlobWriter``
    blobs/<id[:2]>/<id>   a committed blob; <id> is a uuid4 in hex

A writer hashes chunks (MD5 and CRC-64) as they pass. It keeps a body of up to
``INLINE_LIMIT`` bytes in memory: such a body never becomes a file, its bytes are stored in
the index row itself (``Segment.data``), which spares small uploads every file-system call.
A larger body spills into ``tmp/<id>`` and streams there, so memory use stays bounded.
``BlobStore.commit`` closes it and ``os.replace``s it into ``blobs/``; only then does the
store commit the index row (``store.py`` documents the whole order). Until that row
exists the blob is an orphan, and ``sweep`` at start-up deletes every temp file and every
blob the index does not name.

Durability target: a process crash (``kill -9``), not power loss. Bytes written and closed
sit in the OS page cache and outlive the process, so there is no ``fsync``: one per upload
would dominate the cost of small PUTs, and an emulator's data is disposable on power loss.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import sys
import uuid
import weakref
from collections.abc import Iterable, Iterator, Set
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from emulator.protocol.checksums import Crc64

if sys.platform != "win32":
    import fcntl

_BLOB_ID = re.compile(r"[0-9a-f]{32}")

INLINE_LIMIT = 64 * 1024  # bodies up to this size live in the index, not in files


@dataclass(frozen=True)
class Segment:
    """A committed blob as part of an object: its id, size and digests.

    ``data`` holds the bytes of a small blob kept in the index; such a blob has no file.
    """

    blob: str
    size: int
    crc64: int
    md5: bytes
    data: bytes | None = None

    @property
    def has_file(self) -> bool:
        return self.data is None


def _discard(handle: BinaryIO, path: Path) -> None:
    handle.close()
    path.unlink(missing_ok=True)


class FileBlobWriter:
    """A body being received (implements ``base.BlobWriter``): in memory up to
    ``INLINE_LIMIT`` bytes, in ``tmp/<id>`` beyond.

    Abort deletes the temp file, if there is one; so does garbage collection of a writer
    that was neither committed nor aborted. ``abort()`` is idempotent and a no-op once
    committed, so a handler may call it in a ``finally``. Committing twice, or after abort,
    is a ``ValueError``.
    """

    def __init__(self, tmp_dir: Path, inline_limit: int = INLINE_LIMIT) -> None:
        self.blob_id = uuid.uuid4().hex
        self._inline_limit = inline_limit
        self.path = tmp_dir / self.blob_id
        self.size = 0
        self._buffer: bytearray | None = bytearray()  # None once spilled to the file
        self._handle: BinaryIO | None = None
        self._md5 = hashlib.md5(usedforsecurity=False)
        self._crc = Crc64()
        self._state = "open"
        self._finalizer: weakref.finalize[[BinaryIO, Path], FileBlobWriter] | None = None

    def _spill(self) -> BinaryIO:
        handle: BinaryIO = open(self.path, "xb")  # closed by commit or abort
        self._finalizer = weakref.finalize(self, _discard, handle, self.path)
        if self._buffer:
            handle.write(self._buffer)
        self._buffer = None
        self._handle = handle
        return handle

    def write(self, chunk: bytes) -> None:
        """Append a chunk to the body and to both digests."""
        if self._state != "open":
            raise ValueError(f"cannot write to a blob writer that is {self._state}")
        if self._buffer is not None and len(self._buffer) + len(chunk) <= self._inline_limit:
            self._buffer += chunk
        else:
            (self._handle or self._spill()).write(chunk)
        self._md5.update(chunk)
        self._crc.update(chunk)
        self.size += len(chunk)

    def md5(self) -> bytes:
        """Binary MD5 of the bytes written so far."""
        return self._md5.digest()

    def crc64(self) -> int:
        """CRC-64/XZ of the bytes written so far."""
        return self._crc.value

    @property
    def in_memory(self) -> bool:
        return self._buffer is not None

    def abort(self) -> None:
        """Drop the body: forget the buffer, or close and delete the temp file."""
        if self._state != "open":
            return
        self._state = "aborted"
        self._buffer = None
        self._handle = None
        if self._finalizer is not None:
            self._finalizer()

    def close_for_commit(self) -> Segment:
        """Finish the body for ``BlobStore.commit``; the writer is spent afterwards."""
        if self._state != "open":
            raise ValueError(f"cannot commit a blob writer that is {self._state}")
        self._state = "committed"
        data = None if self._buffer is None or self._inline_limit == 0 else bytes(self._buffer)
        if data is None and self._handle is None:  # nothing spilled yet: an empty body
            self._spill()
        if self._handle is not None:
            self._handle.close()
            self._handle = None
        if self._finalizer is not None:
            self._finalizer.detach()
        return Segment(self.blob_id, self.size, self._crc.value, self._md5.digest(), data)


class BlobStore:
    """The ``tmp/`` and ``blobs/`` directories under a data directory.

    Holds an exclusive lock on ``<data_dir>/lock`` until ``close``: a second store on the
    same directory would sweep away the first one's bodies in flight.
    """

    def __init__(self, data_dir: Path, inline_limit: int = INLINE_LIMIT) -> None:
        self.inline_limit = inline_limit
        self.tmp_dir = data_dir / "tmp"
        self.blob_dir = data_dir / "blobs"
        self.tmp_dir.mkdir(parents=True, exist_ok=True)
        self.blob_dir.mkdir(parents=True, exist_ok=True)
        self._lock_fd = os.open(data_dir / "lock", os.O_RDWR | os.O_CREAT, 0o644)
        if sys.platform != "win32":
            try:
                fcntl.flock(self._lock_fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                os.close(self._lock_fd)
                raise RuntimeError(f"{data_dir} is in use by another store") from None

    def close(self) -> None:
        """Release the directory lock."""
        os.close(self._lock_fd)

    def path(self, blob_id: str) -> Path:
        """Where a committed blob lives; refuses anything but a generated id."""
        if not _BLOB_ID.fullmatch(blob_id):
            raise ValueError(f"not a blob id: {blob_id!r}")
        return self.blob_dir / blob_id[:2] / blob_id

    def new_writer(self) -> FileBlobWriter:
        return FileBlobWriter(self.tmp_dir, self.inline_limit)

    def commit(self, writer: FileBlobWriter) -> Segment:
        """Move a finished body from ``tmp/`` to ``blobs/``; nothing references it yet.

        A body small enough to stay in memory has no file: its segment carries the bytes.
        """
        segment = writer.close_for_commit()
        if not segment.has_file:
            return segment
        target = self.path(segment.blob)
        try:
            target.parent.mkdir(exist_ok=True)
            os.replace(writer.path, target)
        except BaseException:
            writer.path.unlink(missing_ok=True)
            raise
        return segment

    def link(self, blob_id: str) -> str:
        """A new id for the same bytes: a hard link, so CopyObject copies no data.

        Falls back to copying the file where hard links are refused (some mounted volumes).
        """
        new_id = uuid.uuid4().hex
        source, target = self.path(blob_id), self.path(new_id)
        target.parent.mkdir(exist_ok=True)
        try:
            os.link(source, target)
        except FileNotFoundError:
            raise
        except OSError:
            temp = self.tmp_dir / new_id
            try:
                shutil.copyfile(source, temp)
                os.replace(temp, target)
            finally:
                temp.unlink(missing_ok=True)
        return new_id

    def read(self, blob_id: str, start: int, end: int, chunk_size: int) -> Iterator[bytes]:
        """Bytes ``[start, end)`` of a blob, in chunks; the file is opened on first ``next``.

        Raises:
            FileNotFoundError: the blob is gone (its object was overwritten or deleted).
            OSError: the file is shorter than ``end``.
        """
        with open(self.path(blob_id), "rb") as handle:
            handle.seek(start)
            remaining = end - start
            while remaining > 0:
                data = handle.read(min(chunk_size, remaining))
                if not data:
                    raise OSError(f"blob {blob_id} ends {remaining} bytes early")
                remaining -= len(data)
                yield data

    def unlink(self, blob_ids: Iterable[str]) -> None:
        """Delete blobs; already missing ones are fine (a sweep may have run)."""
        for blob_id in blob_ids:
            self.path(blob_id).unlink(missing_ok=True)

    def clear(self) -> None:
        """Delete every committed blob (``Store.reset``). Temp files of writers in flight stay."""
        shutil.rmtree(self.blob_dir, ignore_errors=True)
        self.blob_dir.mkdir(parents=True, exist_ok=True)

    def sweep(self, referenced: Set[str]) -> int:
        """Delete every temp file and every blob not in ``referenced``; return how many.

        Only safe when no writer is open and no commit is in progress: at start-up.
        """
        removed = 0
        for entry in self.tmp_dir.iterdir():
            _remove(entry)
            removed += 1
        for entry in self.blob_dir.iterdir():
            if not entry.is_dir() or entry.is_symlink():
                _remove(entry)
                removed += 1
                continue
            for blob in entry.iterdir():
                if blob.name not in referenced or blob.name[:2] != entry.name:
                    _remove(blob)
                    removed += 1
        return removed


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)
