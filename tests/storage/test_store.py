"""Store: model-based against a plain dict (style.md rule 5), plus examples for each behaviour."""

from __future__ import annotations

import builtins
import gc
import hashlib
import io
import os
import random
import re
import shutil
import tempfile
import threading
import tracemalloc
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
)

from emulator import errors
from emulator.protocol.checksums import (
    appendable_etag,
    crc64,
    etag_from_md5,
    multipart_etag,
)
from emulator.storage.base import ObjectAttrs, ObjectMeta, UploadMeta
from emulator.storage.blobs import INLINE_LIMIT, BlobStore
from emulator.storage.store import MIN_PART_SIZE, Store

BUCKETS = ("b1", "b2")
INTERESTING_KEYS = [
    "a",
    "a/",
    "a/b",
    "a/b/",
    "a/b/c",
    "ab",
    "a b",
    " ",
    "..",
    "../x",
    "a/../b",
    "//",
    "a//b",
    "/a",
    ".",
    "é",
    "é/ü",
    "日本/語.txt",
    "a/b c/d",
    "\x7f",
    "\uff61",
    "😀/x",
    "a/😀",
    "a0",
    "ac",
    "a.",
    "a.b",
    "aê",  # the smallest keys after the groups a/, ab, a., aé
]
keys = st.one_of(
    st.sampled_from(INTERESTING_KEYS),
    st.text(st.sampled_from("ab/. é0c"), min_size=1, max_size=5),  # 0, c: successors of /, b
)
# the state machine draws mostly from a few keys, so that operations meet on the same object
FEW_KEYS = ["a", "a/", "a/b", "a/b/c", "ab", "a0", "..", "é/ü", "a b", "//"]
machine_keys = st.one_of(st.sampled_from(FEW_KEYS), st.sampled_from(FEW_KEYS), keys)
prefixes = st.one_of(
    st.sampled_from(["", "a", "a/", "a/b", "é", "/", "."]),
    st.text(st.sampled_from("ab/é"), max_size=3),
)
delimiters = st.sampled_from(["", "/", "b", ".", "é", "//"])
small_bodies = st.binary(max_size=48)


def md5(data: bytes) -> bytes:
    return hashlib.md5(data).digest()


def put(
    store: Store,
    bucket: str,
    key: str,
    data: bytes,
    now: float = 1.0,
    attrs: ObjectAttrs | None = None,
    **kwargs: Any,
) -> ObjectMeta:
    blob = store.new_blob()
    blob.write(data)
    return store.put_object(bucket, key, blob, attrs or ObjectAttrs(), now, **kwargs)


def append(
    store: Store,
    bucket: str,
    key: str,
    position: int,
    data: bytes,
    now: float = 1.0,
    attrs: ObjectAttrs | None = None,
) -> ObjectMeta:
    blob = store.new_blob()
    blob.write(data)
    return store.append_object(bucket, key, position, blob, attrs or ObjectAttrs(), now)


def put_part(store: Store, upload: UploadMeta, number: int, data: bytes) -> str:
    blob = store.new_blob()
    blob.write(data)
    return store.put_part(upload, number, blob, 1.0).etag


def read(
    store: Store,
    meta: ObjectMeta,
    start: int = 0,
    end: int | None = None,
    chunk_size: int = 1 << 20,
) -> bytes:
    return b"".join(store.read_object(meta, start, end, chunk_size))


def big(seed: int, extra: int = 0) -> bytes:
    """A part body at or above the minimum part size."""
    return random.Random(seed).randbytes(MIN_PART_SIZE + extra)


def blob_files(data_dir: Path) -> set[str]:
    return {path.name for path in (data_dir / "blobs").glob("*/*")}


def temp_files(data_dir: Path) -> list[Path]:
    return list((data_dir / "tmp").iterdir())


def by_bytes(name: str) -> bytes:
    return name.encode()


def model_entries(names: Iterable[str], prefix: str, delimiter: str) -> list[tuple[str, bool]]:
    """The sorted listing a dict model gives: (key or common prefix, is_prefix)."""
    entries: dict[str, bool] = {}
    for name in names:
        if not name.startswith(prefix):
            continue
        rest = name[len(prefix) :]
        if delimiter and delimiter in rest:
            entries[prefix + rest[: rest.index(delimiter) + len(delimiter)]] = True
        else:
            entries[name] = False
    return sorted(entries.items(), key=lambda entry: by_bytes(entry[0]))


def walk_objects(
    store: Store, bucket: str, prefix: str, delimiter: str, start_after: str, max_keys: int
) -> list[tuple[str, bool]]:
    """Every entry after start_after, following next_marker page by page."""
    seen: list[tuple[str, bool]] = []
    marker = start_after
    for _ in range(1000):
        page = store.list_objects(
            bucket, prefix=prefix, delimiter=delimiter, start_after=marker, max_keys=max_keys
        )
        names = sorted(
            [(o.key, False) for o in page.objects] + [(p, True) for p in page.common_prefixes],
            key=lambda entry: by_bytes(entry[0]),
        )
        assert [o.key for o in page.objects] == sorted((o.key for o in page.objects), key=by_bytes)
        seen += names
        if not page.truncated:
            assert len(names) <= max_keys and page.next_marker is None
            return seen
        assert len(names) == max_keys and page.next_marker == names[-1][0]
        marker = page.next_marker
    raise AssertionError("listing did not end")


def walk_uploads(
    store: Store,
    bucket: str,
    prefix: str,
    delimiter: str,
    key_marker: str,
    upload_id_marker: str,
    max_uploads: int,
) -> list[tuple[str, str | None]]:
    """Every upload entry after the markers: (key, upload id) or (common prefix, None)."""
    seen: list[tuple[str, str | None]] = []
    for _ in range(1000):
        page = store.list_uploads(
            bucket,
            prefix=prefix,
            delimiter=delimiter,
            key_marker=key_marker,
            upload_id_marker=upload_id_marker,
            max_uploads=max_uploads,
        )
        entries: list[tuple[str, str | None]] = [(u.key, u.upload_id) for u in page.uploads]
        entries += [(p, None) for p in page.common_prefixes]
        entries.sort(key=lambda e: (by_bytes(e[0]), e[1] or ""))
        seen += entries
        if not page.truncated:
            return seen
        assert len(entries) == max_uploads
        assert (page.next_key_marker, page.next_upload_id_marker) == (
            entries[-1][0],
            entries[-1][1] or "",
        )
        key_marker, upload_id_marker = page.next_key_marker, page.next_upload_id_marker
    raise AssertionError("listing did not end")


def model_uploads(
    uploads: Iterable[tuple[str, str]],
    prefix: str,
    delimiter: str,
    key_marker: str,
    upload_id_marker: str,
) -> list[tuple[str, str | None]]:
    entries: set[tuple[str, str | None]] = set()
    for key, upload_id in uploads:
        if not key.startswith(prefix):
            continue
        rest = key[len(prefix) :]
        if delimiter and delimiter in rest:
            entries.add((prefix + rest[: rest.index(delimiter) + len(delimiter)], None))
        else:
            entries.add((key, upload_id))

    def after(entry: tuple[str, str | None]) -> bool:
        name, upload_id = entry
        if by_bytes(name) > by_bytes(key_marker):
            return True
        return (
            name == key_marker
            and upload_id is not None
            and upload_id_marker != ""
            and upload_id > upload_id_marker
        )

    return sorted(filter(after, entries), key=lambda e: (by_bytes(e[0]), e[1] or ""))


# --- the model-based test ------------------------------------------------------------------------


@dataclass
class ModelObject:
    data: bytes
    object_type: str
    etag: str
    attrs: ObjectAttrs


@dataclass
class ModelUpload:
    meta: UploadMeta
    parts: dict[int, bytes] = field(default_factory=dict)
    live: bool = True


class StoreMachine(RuleBasedStateMachine):
    """Drives a Store and a dict model with the same operations and compares them."""

    uploads = Bundle("uploads")
    inline_limit = INLINE_LIMIT  # small bodies in the index, large ones in files

    @initialize()
    def start(self) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="store-model-"))
        self.data_dir = self.root / "data"
        self.store = Store(self.data_dir, inline_limit=self.inline_limit)
        self.clock = 0.0
        self.objects: dict[str, dict[str, ModelObject]] = {b: {} for b in BUCKETS}
        self.model_uploads: dict[str, ModelUpload] = {}
        for bucket in BUCKETS:
            self.store.create_bucket(bucket, self.now())

    def teardown(self) -> None:
        if hasattr(self, "store"):
            self.store.close()
            shutil.rmtree(self.root, ignore_errors=True)

    def now(self) -> float:
        self.clock += 1
        return self.clock

    def live(self, bucket: str) -> list[ModelUpload]:
        return [u for u in self.model_uploads.values() if u.live and u.meta.bucket == bucket]

    # objects

    @rule(
        bucket=st.sampled_from(BUCKETS), key=machine_keys, data=small_bodies, forbid=st.booleans()
    )
    def put(self, bucket: str, key: str, data: bytes, forbid: bool) -> None:
        attrs = ObjectAttrs(content_type="text/plain", user_meta=(("x-oss-meta-k", key),))
        if forbid and key in self.objects[bucket]:
            with pytest.raises(errors.FileAlreadyExists):
                put(self.store, bucket, key, data, self.now(), attrs, forbid_overwrite=True)
            return
        meta = put(self.store, bucket, key, data, self.now(), attrs, forbid_overwrite=forbid)
        self.objects[bucket][key] = ModelObject(data, "Normal", etag_from_md5(md5(data)), attrs)
        assert (meta.key, meta.size, meta.etag) == (key, len(data), etag_from_md5(md5(data)))

    @rule(bucket=st.sampled_from(BUCKETS), key=machine_keys)
    def delete(self, bucket: str, key: str) -> None:
        existed = self.objects[bucket].pop(key, None) is not None
        assert self.store.delete_object(bucket, key) is existed

    @rule(
        src=st.sampled_from(BUCKETS),
        src_key=machine_keys,
        dst=st.sampled_from(BUCKETS),
        dst_key=machine_keys,
        new_attrs=st.booleans(),
    )
    def copy(self, src: str, src_key: str, dst: str, dst_key: str, new_attrs: bool) -> None:
        attrs = ObjectAttrs(content_type="image/png") if new_attrs else None
        source = self.objects[src].get(src_key)
        if source is None:
            with pytest.raises(errors.NoSuchKey):
                self.store.copy_object(src, src_key, dst, dst_key, attrs, self.now())
            return
        meta = self.store.copy_object(src, src_key, dst, dst_key, attrs, self.now())
        self.objects[dst][dst_key] = ModelObject(
            source.data, source.object_type, source.etag, attrs or source.attrs
        )
        assert (meta.etag, meta.crc64) == (source.etag, crc64(source.data))

    @rule(
        bucket=st.sampled_from(BUCKETS),
        key=machine_keys,
        data=small_bodies,
        offset=st.sampled_from([0, 0, 0, -1, 1, 5]),
    )
    def append(self, bucket: str, key: str, data: bytes, offset: int) -> None:
        current = self.objects[bucket].get(key)
        size = 0 if current is None else len(current.data)
        position = max(size + offset, 0)
        if current is not None and current.object_type != "Appendable":
            with pytest.raises(errors.ObjectNotAppendable):
                append(self.store, bucket, key, position, data, self.now())
        elif position != size:
            with pytest.raises(errors.PositionNotEqualToLength) as caught:
                append(self.store, bucket, key, position, data, self.now())
            assert caught.value.headers == {"x-oss-next-append-position": str(size)}
        else:
            whole = (b"" if current is None else current.data) + data
            attrs = ObjectAttrs() if current is None else current.attrs
            meta = append(self.store, bucket, key, position, data, self.now())
            etag = appendable_etag(crc64(whole), len(whole))
            self.objects[bucket][key] = ModelObject(whole, "Appendable", etag, attrs)
            assert (meta.size, meta.crc64, meta.etag) == (len(whole), crc64(whole), etag)

    # multipart

    @rule(target=uploads, bucket=st.sampled_from(BUCKETS), key=machine_keys)
    def create_upload(self, bucket: str, key: str) -> str:
        meta = self.store.create_upload(bucket, key, ObjectAttrs(content_type="a/b"), self.now())
        assert re.fullmatch("[0-9A-F]{32}", meta.upload_id)
        self.model_uploads[meta.upload_id] = ModelUpload(meta)
        return meta.upload_id

    @rule(
        upload_id=uploads,
        number=st.integers(1, 4),
        large=st.booleans(),
        seed=st.integers(0, 3),
        data=small_bodies,
    )
    def upload_part(self, upload_id: str, number: int, large: bool, seed: int, data: bytes) -> None:
        upload = self.model_uploads[upload_id]
        body = big(seed, len(data)) if large else data
        if not upload.live:
            with pytest.raises(errors.NoSuchUpload):
                put_part(self.store, upload.meta, number, body)
            return
        assert put_part(self.store, upload.meta, number, body) == etag_from_md5(md5(body))
        upload.parts[number] = body

    @rule(
        upload_id=uploads,
        choice=st.data(),
        tamper=st.sampled_from(["", "", "", "order", "etag", "missing"]),
    )
    def complete(self, upload_id: str, choice: st.DataObject, tamper: str) -> None:
        upload = self.model_uploads[upload_id]
        if not upload.live:
            with pytest.raises(errors.NoSuchUpload):
                self.store.complete_upload(upload.meta, None, self.now())
            return
        numbers = sorted(upload.parts)
        all_parts = choice.draw(st.booleans())
        if not all_parts:
            numbers = sorted(choice.draw(st.sets(st.sampled_from(numbers))) if numbers else [])
        listed = [(n, etag_from_md5(md5(upload.parts[n])).lower()) for n in numbers]
        parts = None if all_parts and not tamper else listed
        expected: type[errors.OSSError] | None = None
        if tamper == "order" and len(listed) > 1:
            listed.reverse()
            expected = errors.InvalidPartOrder
        elif tamper == "etag" and listed:
            listed[0] = (listed[0][0], '"00000000000000000000000000000000"')
            expected = errors.InvalidPart
        elif tamper == "missing":
            listed.append((5, '"00000000000000000000000000000000"'))
            expected = errors.InvalidPart
        elif not numbers:
            expected = errors.InvalidPart if parts is None else errors.MalformedXML
        elif any(len(upload.parts[n]) < MIN_PART_SIZE for n in numbers[:-1]):
            expected = errors.EntityTooSmall
        if expected is not None:
            with pytest.raises(expected):
                self.store.complete_upload(upload.meta, parts, self.now())
            return
        meta = self.store.complete_upload(upload.meta, parts, self.now())
        bodies = [upload.parts[n] for n in numbers]
        etag = multipart_etag([md5(body) for body in bodies])
        whole = b"".join(bodies)
        assert (meta.size, meta.etag, meta.crc64) == (len(whole), etag, crc64(whole))
        self.objects[upload.meta.bucket][upload.meta.key] = ModelObject(
            whole, "Multipart", etag, upload.meta.attrs
        )
        upload.live = False

    @rule(bucket=st.sampled_from(BUCKETS), key=machine_keys, choice=st.data())
    def multipart_object(self, bucket: str, key: str, choice: st.DataObject) -> None:
        """A whole upload in one step: some parts, a completion naming some of them."""
        upload = self.store.create_upload(bucket, key, ObjectAttrs(), self.now())
        bodies = {}
        for number in choice.draw(st.sets(st.integers(1, 5), min_size=1, max_size=4)):
            bodies[number] = big(number, choice.draw(st.integers(0, 3)))
            put_part(self.store, upload, number, bodies[number])
        chosen = choice.draw(st.lists(st.sampled_from(sorted(bodies)), min_size=1, unique=True))
        chosen.sort()
        meta = self.store.complete_upload(
            upload, [(n, etag_from_md5(md5(bodies[n]))) for n in chosen], self.now()
        )
        whole = b"".join(bodies[n] for n in chosen)
        etag = multipart_etag([md5(bodies[n]) for n in chosen])
        assert (meta.size, meta.etag, meta.crc64) == (len(whole), etag, crc64(whole))
        self.objects[bucket][key] = ModelObject(whole, "Multipart", etag, ObjectAttrs())

    @rule(upload_id=uploads)
    def abort(self, upload_id: str) -> None:
        upload = self.model_uploads[upload_id]
        if not upload.live:
            with pytest.raises(errors.NoSuchUpload):
                self.store.abort_upload(upload.meta)
            return
        self.store.abort_upload(upload.meta)
        upload.live = False

    # buckets and restarts

    @rule(bucket=st.sampled_from(BUCKETS))
    def delete_bucket(self, bucket: str) -> None:
        if self.objects[bucket] or self.live(bucket):
            with pytest.raises(errors.BucketNotEmpty):
                self.store.delete_bucket(bucket)
            return
        self.store.delete_bucket(bucket)
        with pytest.raises(errors.NoSuchBucket):
            self.store.list_objects(bucket)
        self.store.create_bucket(bucket, self.now())

    @rule()
    def reopen(self) -> None:
        self.store.close()
        self.store = Store(self.data_dir, inline_limit=self.inline_limit)

    # checks

    @rule(bucket=st.sampled_from(BUCKETS), key=machine_keys, choice=st.data())
    def check_object(self, bucket: str, key: str, choice: st.DataObject) -> None:
        expected = self.objects[bucket].get(key)
        if expected is None:
            with pytest.raises(errors.NoSuchKey):
                self.store.head_object(bucket, key)
            return
        meta = self.store.head_object(bucket, key)
        data = expected.data
        assert (meta.size, meta.etag, meta.crc64, meta.object_type, meta.attrs) == (
            len(data),
            expected.etag,
            crc64(data),
            expected.object_type,
            expected.attrs,
        )
        assert meta.md5 == (md5(data) if expected.object_type == "Normal" else None)
        start = choice.draw(st.integers(0, len(data) + 1))
        end = choice.draw(st.one_of(st.none(), st.integers(start, len(data) + 2)))
        chunk_size = choice.draw(st.sampled_from([1, 7, 65536]))
        if chunk_size == 1 and len(data) > 4096:
            chunk_size = 4096
        assert read(self.store, meta, start, end, chunk_size) == data[start:end]

    @rule(
        bucket=st.sampled_from(BUCKETS),
        prefix=prefixes,
        delimiter=delimiters,
        start_after=st.one_of(st.just(""), machine_keys, prefixes),
        max_keys=st.integers(1, 4),
    )
    def check_listing(
        self, bucket: str, prefix: str, delimiter: str, start_after: str, max_keys: int
    ) -> None:
        expected = [
            entry
            for entry in model_entries(self.objects[bucket], prefix, delimiter)
            if by_bytes(entry[0]) > by_bytes(start_after)
        ]
        assert (
            walk_objects(self.store, bucket, prefix, delimiter, start_after, max_keys) == expected
        )

    @rule(
        bucket=st.sampled_from(BUCKETS),
        prefix=prefixes,
        delimiter=delimiters,
        key_marker=st.one_of(st.just(""), machine_keys),
        choice=st.data(),
        max_uploads=st.integers(1, 3),
    )
    def check_upload_listing(
        self,
        bucket: str,
        prefix: str,
        delimiter: str,
        key_marker: str,
        choice: st.DataObject,
        max_uploads: int,
    ) -> None:
        live = [(u.meta.key, u.meta.upload_id) for u in self.live(bucket)]
        id_marker = ""
        use_markers: bool = choice.draw(st.booleans())
        if live and use_markers:
            key_marker, id_marker = choice.draw(st.sampled_from(live))
        expected = model_uploads(live, prefix, delimiter, key_marker, id_marker)
        assert (
            walk_uploads(self.store, bucket, prefix, delimiter, key_marker, id_marker, max_uploads)
            == expected
        )

    @precondition(lambda self: any(u.live for u in self.model_uploads.values()))
    @rule(choice=st.data(), max_parts=st.integers(1, 3))
    def check_parts(self, choice: st.DataObject, max_parts: int) -> None:
        upload = choice.draw(st.sampled_from([u for u in self.model_uploads.values() if u.live]))
        seen, marker = [], 0
        while True:
            page = self.store.list_parts(
                upload.meta, part_number_marker=marker, max_parts=max_parts
            )
            seen += [(p.part_number, p.size, p.etag, p.crc64) for p in page.parts]
            if not page.truncated:
                break
            assert len(page.parts) == max_parts
            marker = page.next_part_number_marker
            assert marker == page.parts[-1].part_number
        assert seen == [
            (n, len(body), etag_from_md5(md5(body)), crc64(body))
            for n, body in sorted(upload.parts.items())
        ]

    @invariant()
    def metadata_matches(self) -> None:
        if not hasattr(self, "store"):
            return
        for bucket in BUCKETS:
            page = self.store.list_objects(bucket, max_keys=1000)
            assert [
                (o.key, o.size, o.etag, o.crc64, o.object_type, o.attrs) for o in page.objects
            ] == [
                (key, len(obj.data), obj.etag, crc64(obj.data), obj.object_type, obj.attrs)
                for key, obj in sorted(self.objects[bucket].items(), key=lambda i: by_bytes(i[0]))
            ]

    @invariant()
    def no_leaked_files(self) -> None:
        if not hasattr(self, "store"):
            return
        assert temp_files(self.data_dir) == []
        assert blob_files(self.data_dir) == self.store._index.blob_ids()


StoreMachine.TestCase.settings = settings(
    max_examples=100,
    stateful_step_count=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)


class TestStoreAgainstModel(StoreMachine.TestCase):  # type: ignore[valid-type,misc]
    """Random sequences of operations, reopens included, agree with the dict model."""


class FilesOnlyMachine(StoreMachine):
    inline_limit = 0  # every body in a file


FilesOnlyMachine.TestCase.settings = settings(
    max_examples=40,
    stateful_step_count=30,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)


class TestFilesOnlyStoreAgainstModel(FilesOnlyMachine.TestCase):  # type: ignore[valid-type,misc]
    """The same, with every body kept in a blob file."""


# --- examples ------------------------------------------------------------------------------------


@pytest.fixture(name="data_dir")
def _data_dir(tmp_path: Path) -> Path:
    return tmp_path / "data"


@pytest.fixture(name="store")
def _store(data_dir: Path) -> Iterator[Store]:
    # These examples count blob files, so every body goes to a file; the model test
    # (default limit) and TestInlineBodies cover bodies kept in the index.
    store = Store(data_dir, inline_limit=0)
    store.create_bucket("b", 1.0)
    yield store
    store.close()


class TestInlineBodies:
    """Bodies up to INLINE_LIMIT live in the index: no file, same bytes and digests."""

    @pytest.fixture(name="mixed")
    def _mixed(self, data_dir: Path) -> Iterator[Store]:
        store = Store(data_dir)
        store.create_bucket("b", 1.0)
        yield store
        store.close()

    def test_small_body_has_no_file(self, mixed: Store, data_dir: Path) -> None:
        """A 1 KiB object is readable, ranged, and leaves no blob or temp file."""
        data = bytes(range(256)) * 4
        meta = put(mixed, "b", "small", data)
        assert blob_files(data_dir) == set() and temp_files(data_dir) == []
        assert read(mixed, meta) == data
        assert b"".join(mixed.read_object(meta, 10, 20, chunk_size=3)) == data[10:20]
        assert meta.crc64 == crc64(data)

    def test_limit_is_inclusive_and_larger_spills(self, mixed: Store, data_dir: Path) -> None:
        """INLINE_LIMIT bytes stay inline; one byte more is a file; both read back."""
        at_limit, over = b"a" * INLINE_LIMIT, b"b" * (INLINE_LIMIT + 1)
        put(mixed, "b", "at", at_limit)
        assert blob_files(data_dir) == set()
        put(mixed, "b", "over", over)
        assert len(blob_files(data_dir)) == 1
        assert read(mixed, mixed.head_object("b", "at")) == at_limit
        assert read(mixed, mixed.head_object("b", "over")) == over

    def test_overwrites_between_kinds(self, mixed: Store, data_dir: Path) -> None:
        """A file replaced by an inline body is unlinked; the reverse works too."""
        put(mixed, "b", "k", b"f" * (INLINE_LIMIT + 1))
        put(mixed, "b", "k", b"small")
        assert blob_files(data_dir) == set()
        put(mixed, "b", "k", b"g" * (INLINE_LIMIT + 5))
        assert read(mixed, mixed.head_object("b", "k")) == b"g" * (INLINE_LIMIT + 5)
        assert blob_files(data_dir) == mixed._index.blob_ids()

    def test_copy_append_and_multipart_mix(self, mixed: Store, data_dir: Path) -> None:
        """Copy carries inline bytes; appends and a small last part mix with files."""
        put(mixed, "b", "src", b"inline source")
        mixed.copy_object("b", "src", "b", "dst", None, 2.0)
        assert read(mixed, mixed.head_object("b", "dst")) == b"inline source"
        for position, chunk in ((0, b"x" * 10), (10, b"y" * (INLINE_LIMIT + 1))):
            blob = mixed.new_blob()
            blob.write(chunk)
            mixed.append_object("b", "log", position, blob, ObjectAttrs(), 3.0)
        assert read(mixed, mixed.head_object("b", "log")) == b"x" * 10 + b"y" * (INLINE_LIMIT + 1)
        upload = mixed.create_upload("b", "mp", ObjectAttrs(), 1.0)
        put_part(mixed, upload, 1, b"p" * MIN_PART_SIZE)
        put_part(mixed, upload, 2, b"tail")
        meta = mixed.complete_upload(upload, None, 4.0)
        assert read(mixed, meta) == b"p" * MIN_PART_SIZE + b"tail"
        assert meta.crc64 == crc64(b"p" * MIN_PART_SIZE + b"tail")
        mixed.delete_object("b", "log")
        assert blob_files(data_dir) == mixed._index.blob_ids()


class TestBlobWriter:
    """Bodies stream into temp files, hashed as they pass, and are committed once."""

    def test_digests_and_size_follow_the_chunks(self, store: Store) -> None:
        """md5(), crc64() and size describe everything written."""
        blob = store.new_blob()
        for chunk in (b"hello", b" ", b"world"):
            blob.write(chunk)
        assert (blob.size, blob.md5(), blob.crc64()) == (
            11,
            md5(b"hello world"),
            crc64(b"hello world"),
        )
        blob.abort()

    def test_abort_deletes_the_temp_file(self, store: Store, data_dir: Path) -> None:
        """A body being received lives in tmp/ until aborted."""
        blob = store.new_blob()
        blob.write(b"x" * 100)
        assert len(temp_files(data_dir)) == 1
        blob.abort()
        blob.abort()
        assert temp_files(data_dir) == []

    def test_commit_after_abort_is_an_error(self, store: Store) -> None:
        """An aborted writer cannot be stored."""
        blob = store.new_blob()
        blob.abort()
        with pytest.raises(ValueError, match="aborted"):
            store.put_object("b", "k", blob, ObjectAttrs(), 1.0)

    def test_second_commit_is_an_error(self, store: Store, data_dir: Path) -> None:
        """A writer is committed once; abort afterwards changes nothing."""
        blob = store.new_blob()
        blob.write(b"x")
        store.put_object("b", "k", blob, ObjectAttrs(), 1.0)
        blob.abort()
        with pytest.raises(ValueError, match="committed"):
            store.put_object("b", "k2", blob, ObjectAttrs(), 1.0)
        assert len(blob_files(data_dir)) == 1

    def test_failed_commit_consumes_the_body(self, store: Store, data_dir: Path) -> None:
        """A put into a missing bucket leaves neither temp file nor blob."""
        with pytest.raises(errors.NoSuchBucket):
            put(store, "missing", "k", b"data")
        assert temp_files(data_dir) == [] and blob_files(data_dir) == set()

    def test_forgotten_writer_is_removed_when_collected(self, store: Store, data_dir: Path) -> None:
        """A writer dropped without commit or abort deletes its temp file."""
        blob = store.new_blob()
        blob.write(b"x")
        del blob
        gc.collect()
        assert temp_files(data_dir) == []

    def test_memory_does_not_grow_with_the_body(self, store: Store) -> None:
        """Writing 32 MiB keeps well under 1 MiB of Python memory beyond the chunk."""
        chunk = b"z" * (1 << 20)
        blob = store.new_blob()
        tracemalloc.start()
        try:
            for _ in range(32):
                blob.write(chunk)
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        meta = store.put_object("b", "big", blob, ObjectAttrs(), 1.0)
        assert peak < 1 << 20
        assert meta.size == 32 << 20 and meta.crc64 == crc64(chunk * 32)


class TestBuckets:
    """Bucket lifecycle and its errors."""

    def test_create_existing_returns_it_unchanged(self, store: Store) -> None:
        """A second create keeps the original creation time and CORS."""
        store.set_bucket_cors("b", "<CORSConfiguration/>")
        again = store.create_bucket("b", 99.0)
        assert (again.created, again.cors) == (1.0, "<CORSConfiguration/>")
        assert [b.name for b in store.list_buckets()] == ["b"]

    def test_buckets_are_listed_by_name(self, store: Store) -> None:
        """list_buckets is sorted."""
        for name in ("zz", "aa", "mm"):
            store.create_bucket(name, 2.0)
        assert [b.name for b in store.list_buckets()] == ["aa", "b", "mm", "zz"]

    def test_cors_is_stored_and_cleared(self, store: Store) -> None:
        """set_bucket_cors replaces the XML; None removes it."""
        store.set_bucket_cors("b", "<x/>")
        assert store.get_bucket("b").cors == "<x/>"
        store.set_bucket_cors("b", None)
        assert store.get_bucket("b").cors is None
        with pytest.raises(errors.NoSuchBucket):
            store.set_bucket_cors("nope", "<x/>")

    def test_missing_bucket_is_nosuchbucket_everywhere(self, store: Store) -> None:
        """Every bucket-scoped call names the missing bucket."""
        calls: list[Callable[[], object]] = [
            lambda: store.get_bucket("nope"),
            lambda: store.delete_bucket("nope"),
            lambda: store.head_object("nope", "k"),
            lambda: store.delete_object("nope", "k"),
            lambda: store.list_objects("nope"),
            lambda: store.list_uploads("nope"),
            lambda: store.create_upload("nope", "k", ObjectAttrs(), 1.0),
            lambda: store.copy_object("b", "k", "nope", "k", None, 1.0),
        ]
        put(store, "b", "k", b"x")
        for call in calls:
            with pytest.raises(errors.NoSuchBucket) as caught:
                call()
            assert caught.value.details == {"BucketName": "nope"}

    def test_delete_refuses_objects_and_uploads(self, store: Store) -> None:
        """BucketNotEmpty while an object or an unfinished upload exists."""
        put(store, "b", "k", b"x")
        with pytest.raises(errors.BucketNotEmpty) as caught:
            store.delete_bucket("b")
        assert caught.value.details == {"BucketName": "b"}
        store.delete_object("b", "k")
        upload = store.create_upload("b", "k", ObjectAttrs(), 1.0)
        with pytest.raises(errors.BucketNotEmpty):
            store.delete_bucket("b")
        store.abort_upload(upload)
        store.delete_bucket("b")
        assert store.list_buckets() == []


class TestObjects:
    """Put, head, read, overwrite and delete."""

    def test_round_trip_with_attrs(self, store: Store) -> None:
        """What was put is read back, with its metadata."""
        attrs = ObjectAttrs(
            "text/plain",
            (("Cache-Control", "no-cache"),),
            (("x-oss-meta-b", "2"), ("x-oss-meta-a", "1")),
            "Standard",
        )
        meta = put(store, "b", "k", b"hello world", 5.0, attrs)
        assert store.head_object("b", "k") == meta
        assert meta == ObjectMeta(
            "b",
            "k",
            11,
            '"5EB63BBBE01EEED093CB22BB8F5ACDC3"',
            crc64(b"hello world"),
            md5(b"hello world"),
            5.0,
            "Normal",
            attrs,
        )
        assert read(store, meta) == b"hello world"
        assert read(store, meta, 6) == b"world"
        assert read(store, meta, 2, 5, chunk_size=1) == b"llo"
        assert read(store, meta, 3, 100) == b"lo world"

    def test_empty_object(self, store: Store) -> None:
        """A zero-byte body is an object with the MD5 of nothing."""
        meta = put(store, "b", "empty", b"")
        assert (meta.size, meta.crc64, meta.etag) == (0, 0, etag_from_md5(md5(b"")))
        assert read(store, meta) == b""

    def test_missing_key_is_nosuchkey(self, store: Store) -> None:
        """NoSuchKey names the key."""
        with pytest.raises(errors.NoSuchKey) as caught:
            store.head_object("b", "nope")
        assert caught.value.details == {"Key": "nope"}

    def test_overwrite_replaces_and_frees_the_old_blob(self, store: Store, data_dir: Path) -> None:
        """After an overwrite only the new bytes remain on disk."""
        put(store, "b", "k", b"old")
        meta = put(store, "b", "k", b"new!", 2.0)
        assert read(store, store.head_object("b", "k")) == b"new!" and meta.size == 4
        assert len(blob_files(data_dir)) == 1

    def test_forbid_overwrite_keeps_the_original(self, store: Store, data_dir: Path) -> None:
        """forbid_overwrite refuses an existing key with FileAlreadyExists."""
        put(store, "b", "k", b"old")
        with pytest.raises(errors.FileAlreadyExists):
            put(store, "b", "k", b"new", forbid_overwrite=True)
        assert read(store, store.head_object("b", "k")) == b"old"
        assert len(blob_files(data_dir)) == 1 and temp_files(data_dir) == []
        put(store, "b", "other", b"new", forbid_overwrite=True)

    def test_stale_meta_is_not_read(self, store: Store) -> None:
        """read_object of a version that was replaced is NoSuchKey, not the new bytes."""
        old = put(store, "b", "k", b"old")
        put(store, "b", "k", b"newer", 2.0)
        with pytest.raises(errors.NoSuchKey):
            store.read_object(old)

    def test_read_in_progress_survives_overwrite(self, store: Store) -> None:
        """An open blob stays readable after its object is overwritten."""
        meta = put(store, "b", "k", b"a" * 10)
        chunks = store.read_object(meta, chunk_size=4)
        assert next(chunks) == b"aaaa"
        put(store, "b", "k", b"b" * 10, 2.0)
        assert b"".join(chunks) == b"a" * 6

    def test_delete_reports_existence(self, store: Store, data_dir: Path) -> None:
        """delete_object is True once, then False, and frees the blob."""
        put(store, "b", "k", b"x")
        assert store.delete_object("b", "k") is True
        assert store.delete_object("b", "k") is False
        assert blob_files(data_dir) == set()


class TestKeysAreData:
    """Keys never become paths (style.md rule 5)."""

    HOSTILE = [
        "../../etc/passwd",
        "../outside",
        "/abs/path",
        "a/../../../b",
        "..",
        ".",
        "tmp/../../x",
        "blobs/00/" + "0" * 32,
        "..\\..\\win",
        "nul\x00byte",
        "lock",
        "index.sqlite3",
        "~/.bashrc",
        "a/",
        "a",
    ]

    def test_hostile_keys_stay_inside_data_dir(
        self, tmp_path: Path, store: Store, data_dir: Path
    ) -> None:
        """Nothing is created outside data_dir, and inside it only generated names."""
        for key in self.HOSTILE:
            put(store, "b", key, key.encode())
        assert sorted(p.name for p in tmp_path.iterdir()) == ["data"]
        allowed = re.compile(
            r"lock|index\.sqlite3(-wal|-shm)?|tmp|blobs|blobs/[0-9a-f]{2}"
            r"|blobs/(?P<fan>[0-9a-f]{2})/(?P=fan)[0-9a-f]{30}"
        )
        for dirpath, dirnames, filenames in os.walk(data_dir):
            for name in dirnames + filenames:
                relative = (Path(dirpath) / name).relative_to(data_dir).as_posix()
                assert allowed.fullmatch(relative), relative
        for key in self.HOSTILE:
            assert read(store, store.head_object("b", key)) == key.encode()
        assert len(blob_files(data_dir)) == len(self.HOSTILE)

    def test_prefix_keys_coexist(self, store: Store) -> None:
        """a, a/ and a/b are three objects."""
        for key in ("a", "a/", "a/b"):
            put(store, "b", key, key.encode())
        assert [o.key for o in store.list_objects("b").objects] == ["a", "a/", "a/b"]
        assert read(store, store.head_object("b", "a/")) == b"a/"

    def test_1023_byte_key_round_trips(self, store: Store) -> None:
        """The longest OSS key, multi-byte characters included."""
        key = "é" * 511 + "k"
        assert len(key.encode()) == 1023
        put(store, "b", key, b"long")
        assert [o.key for o in store.list_objects("b").objects] == [key]
        assert read(store, store.head_object("b", key)) == b"long"
        assert store.delete_object("b", key)


class TestCopy:
    """CopyObject hard-links blobs instead of copying bytes."""

    def test_copy_links_the_same_bytes(
        self, store: Store, data_dir: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """The copy's blob is a new name for the source's inode, made without reading."""
        source = put(store, "b", "src", b"payload")
        monkeypatch.setattr(BlobStore, "read", _refuse)
        copy = store.copy_object("b", "src", "b", "dst", None, 2.0)
        monkeypatch.undo()
        inodes = {os.stat(p).st_ino for p in (data_dir / "blobs").glob("*/*")}
        assert len(blob_files(data_dir)) == 2 and len(inodes) == 1
        assert (copy.etag, copy.crc64, copy.md5, copy.object_type, copy.attrs) == (
            source.etag,
            source.crc64,
            source.md5,
            "Normal",
            source.attrs,
        )
        store.delete_object("b", "src")
        assert read(store, copy) == b"payload"

    def test_copy_onto_itself_replaces_attrs(self, store: Store, data_dir: Path) -> None:
        """Copying a key onto itself with new attrs keeps the bytes and frees the old link."""
        put(store, "b", "k", b"payload")
        copy = store.copy_object("b", "k", "b", "k", ObjectAttrs("text/html"), 2.0)
        assert copy.attrs.content_type == "text/html" and read(store, copy) == b"payload"
        assert len(blob_files(data_dir)) == 1

    def test_copy_of_segments_keeps_them_all(self, store: Store) -> None:
        """An appended object is copied segment by segment."""
        append(store, "b", "log", 0, b"one ")
        append(store, "b", "log", 4, b"two")
        copy = store.copy_object("b", "log", "b", "copy", None, 2.0)
        assert read(store, copy) == b"one two" and copy.crc64 == crc64(b"one two")

    def test_copy_errors(self, store: Store) -> None:
        """Missing source is NoSuchKey; an existing target with forbid_overwrite refuses."""
        with pytest.raises(errors.NoSuchKey):
            store.copy_object("b", "nope", "b", "dst", None, 1.0)
        put(store, "b", "src", b"1")
        put(store, "b", "dst", b"2")
        with pytest.raises(errors.FileAlreadyExists):
            store.copy_object("b", "src", "b", "dst", None, 1.0, forbid_overwrite=True)
        assert read(store, store.head_object("b", "dst")) == b"2"


class TestAppend:
    """AppendObject adds a segment and combines CRCs."""

    def test_appends_build_the_object(self, store: Store, data_dir: Path) -> None:
        """Each append adds its bytes; CRC and ETag follow the whole object."""
        first = append(store, "b", "log", 0, b"hello ", attrs=ObjectAttrs("text/plain"))
        meta = append(store, "b", "log", 6, b"world", 2.0, ObjectAttrs("image/png"))
        assert read(store, meta) == b"hello world" and read(store, meta, 4, 8) == b"o wo"
        assert (meta.object_type, meta.md5, meta.size) == ("Appendable", None, 11)
        assert meta.crc64 == crc64(b"hello world") == 5981764153023615706
        assert meta.etag == appendable_etag(meta.crc64, 11) != first.etag
        assert meta.attrs.content_type == "text/plain" and meta.last_modified == 2.0
        assert len(blob_files(data_dir)) == 2

    def test_wrong_position_names_the_next_one(self, store: Store, data_dir: Path) -> None:
        """PositionNotEqualToLength carries x-oss-next-append-position."""
        with pytest.raises(errors.PositionNotEqualToLength) as caught:
            append(store, "b", "log", 3, b"x")
        assert caught.value.headers == {"x-oss-next-append-position": "0"}
        append(store, "b", "log", 0, b"abc")
        for position in (0, 2, 4):
            with pytest.raises(errors.PositionNotEqualToLength) as caught:
                append(store, "b", "log", position, b"x")
            assert caught.value.headers == {"x-oss-next-append-position": "3"}
        assert len(blob_files(data_dir)) == 1 and temp_files(data_dir) == []

    def test_normal_object_is_not_appendable(self, store: Store) -> None:
        """Appending to a PutObject object is ObjectNotAppendable; a PUT replaces appends."""
        put(store, "b", "k", b"abc")
        with pytest.raises(errors.ObjectNotAppendable):
            append(store, "b", "k", 3, b"x")
        append(store, "b", "log", 0, b"abc")
        assert put(store, "b", "log", b"fresh").object_type == "Normal"


class TestMultipart:
    """Uploads, parts and completion (rest-api.md §11, R9)."""

    @pytest.fixture(name="upload")
    def _upload(self, store: Store) -> UploadMeta:
        return store.create_upload("b", "mp", ObjectAttrs("video/mp4"), 1.0)

    def test_upload_ids_are_32_uppercase_hex(self, store: Store, upload: UploadMeta) -> None:
        """Upload ids look like OSS's and are distinct."""
        other = store.create_upload("b", "mp", ObjectAttrs(), 1.0)
        for meta in (upload, other):
            assert re.fullmatch("[0-9A-F]{32}", meta.upload_id)
        assert upload.upload_id != other.upload_id
        assert store.get_upload("b", "mp", upload.upload_id) == upload

    def test_documented_multipart_etag(self) -> None:
        """Parts "hello " and "world" give the §9.2 example."""
        assert (
            multipart_etag([md5(b"hello "), md5(b"world")])
            == '"E09E4FD6265B36115FE3DB32DF945D84-2"'
        )

    def test_complete_joins_parts_with_etag_and_crc(
        self, store: Store, upload: UploadMeta, data_dir: Path
    ) -> None:
        """ETag from part MD5s, CRC combined, bytes in order; the last part may be small."""
        bodies = {1: big(1), 2: big(2, 7), 3: b"tail"}
        etags = {n: put_part(store, upload, n, body) for n, body in bodies.items()}
        meta = store.complete_upload(upload, [(n, etags[n]) for n in (1, 2, 3)], 3.0)
        whole = b"".join(bodies.values())
        digest = hashlib.md5(b"".join(md5(b) for b in bodies.values())).hexdigest().upper()
        assert meta.etag == f'"{digest}-3"'
        assert (meta.size, meta.crc64, meta.md5, meta.object_type) == (
            len(whole),
            crc64(whole),
            None,
            "Multipart",
        )
        assert meta.attrs.content_type == "video/mp4"
        assert read(store, meta) == whole
        assert (
            read(store, meta, MIN_PART_SIZE - 2, MIN_PART_SIZE + 3)
            == whole[MIN_PART_SIZE - 2 : MIN_PART_SIZE + 3]
        )
        assert len(blob_files(data_dir)) == 3
        with pytest.raises(errors.NoSuchUpload):
            store.get_upload("b", "mp", upload.upload_id)

    def test_complete_does_not_read_or_copy_part_data(
        self,
        store: Store,
        upload: UploadMeta,
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        """No file is opened, read, linked or copied while completing (R9)."""
        etags = [put_part(store, upload, n, big(n)) for n in (1, 2)]
        for target, name in (
            (BlobStore, "read"),
            (BlobStore, "link"),
            (builtins, "open"),
            (io, "open"),
            (os, "link"),
            (shutil, "copyfile"),
        ):
            monkeypatch.setattr(target, name, _refuse)
        meta = store.complete_upload(upload, list(zip((1, 2), etags, strict=True)), 2.0)
        monkeypatch.undo()
        assert read(store, meta) == big(1) + big(2)

    def test_complete_all_uses_every_part_in_order(self, store: Store, upload: UploadMeta) -> None:
        """parts=None (x-oss-complete-all) takes the uploaded parts by number."""
        put_part(store, upload, 3, b"c")
        put_part(store, upload, 1, big(1))
        meta = store.complete_upload(upload, None, 2.0)
        assert read(store, meta) == big(1) + b"c"
        assert meta.etag == multipart_etag([md5(big(1)), md5(b"c")])

    def test_parts_left_out_are_deleted(
        self, store: Store, upload: UploadMeta, data_dir: Path
    ) -> None:
        """Only the chosen parts' blobs survive completion."""
        etags = {n: put_part(store, upload, n, big(n)) for n in (1, 2, 3)}
        store.complete_upload(upload, [(1, etags[1]), (3, etags[3])], 2.0)
        assert len(blob_files(data_dir)) == 2

    def test_reuploaded_part_replaces_the_old_one(
        self, store: Store, upload: UploadMeta, data_dir: Path
    ) -> None:
        """The same part number again replaces it and frees the old blob."""
        old = put_part(store, upload, 1, b"old")
        new = put_part(store, upload, 1, b"new!")
        assert len(blob_files(data_dir)) == 1
        page = store.list_parts(upload)
        assert [(p.part_number, p.size, p.etag) for p in page.parts] == [(1, 4, new)]
        with pytest.raises(errors.InvalidPart):
            store.complete_upload(upload, [(1, old)], 2.0)
        meta = store.complete_upload(upload, [(1, new.lower().strip('"'))], 2.0)
        assert read(store, meta) == b"new!"

    @pytest.mark.parametrize(
        ("numbers", "error"),
        [
            ([2, 1], errors.InvalidPartOrder),
            ([1, 1], errors.InvalidPartOrder),
            ([1, 9], errors.InvalidPart),
            ([], errors.MalformedXML),
            ([1, 2, 3], errors.EntityTooSmall),
        ],
    )
    def test_invalid_completions_change_nothing(
        self,
        store: Store,
        upload: UploadMeta,
        numbers: list[int],
        error: type[errors.OSSError],
        data_dir: Path,
    ) -> None:
        """Each refused completion leaves the upload whole and completable."""
        etags = {
            1: put_part(store, upload, 1, big(1)),
            2: put_part(store, upload, 2, b"small"),
            3: put_part(store, upload, 3, b"last"),
        }
        with pytest.raises(error):
            store.complete_upload(upload, [(n, etags.get(n, '"00"')) for n in numbers], 2.0)
        assert len(store.list_parts(upload).parts) == 3 and len(blob_files(data_dir)) == 3
        with pytest.raises(errors.NoSuchKey):
            store.head_object("b", "mp")
        meta = store.complete_upload(upload, [(1, etags[1]), (2, etags[2])], 3.0)
        assert read(store, meta) == big(1) + b"small"

    def test_wrong_etag_is_invalid_part(self, store: Store, upload: UploadMeta) -> None:
        """An ETag that does not match the stored part is InvalidPart."""
        put_part(store, upload, 1, b"x")
        with pytest.raises(errors.InvalidPart):
            store.complete_upload(upload, [(1, etag_from_md5(md5(b"y")))], 2.0)

    def test_complete_all_without_parts_is_invalid_part(
        self, store: Store, upload: UploadMeta
    ) -> None:
        """x-oss-complete-all with nothing uploaded is InvalidPart (emulator choice)."""
        with pytest.raises(errors.InvalidPart):
            store.complete_upload(upload, None, 2.0)

    def test_forbid_overwrite_on_complete(self, store: Store, upload: UploadMeta) -> None:
        """Completion onto an existing key with forbid_overwrite is FileAlreadyExists."""
        put(store, "b", "mp", b"existing")
        etag = put_part(store, upload, 1, b"x")
        with pytest.raises(errors.FileAlreadyExists):
            store.complete_upload(upload, [(1, etag)], 2.0, forbid_overwrite=True)
        assert store.complete_upload(upload, [(1, etag)], 2.0).object_type == "Multipart"

    def test_finished_uploads_are_nosuchupload(
        self, store: Store, upload: UploadMeta, data_dir: Path
    ) -> None:
        """After abort every call is NoSuchUpload, a late part included, and no blob stays."""
        put_part(store, upload, 1, b"x")
        store.abort_upload(upload)
        assert blob_files(data_dir) == set()
        calls: list[Callable[[], object]] = [
            lambda: store.get_upload("b", "mp", upload.upload_id),
            lambda: put_part(store, upload, 2, b"late"),
            lambda: store.list_parts(upload),
            lambda: store.abort_upload(upload),
            lambda: store.complete_upload(upload, None, 2.0),
        ]
        for call in calls:
            with pytest.raises(errors.NoSuchUpload) as caught:
                call()
            assert caught.value.details == {"UploadId": upload.upload_id}
        assert blob_files(data_dir) == set() and temp_files(data_dir) == []

    def test_upload_belongs_to_its_key(self, store: Store, upload: UploadMeta) -> None:
        """get_upload with another key is NoSuchUpload."""
        with pytest.raises(errors.NoSuchUpload):
            store.get_upload("b", "other", upload.upload_id)

    def test_list_parts_pages(self, store: Store, upload: UploadMeta) -> None:
        """Parts page by part number with next_part_number_marker."""
        for n in (1, 2, 5, 7):
            put_part(store, upload, n, bytes([n]))
        first = store.list_parts(upload, max_parts=2)
        assert [p.part_number for p in first.parts] == [1, 2] and first.truncated
        rest = store.list_parts(upload, part_number_marker=first.next_part_number_marker)
        assert [p.part_number for p in rest.parts] == [5, 7] and not rest.truncated
        assert rest.next_part_number_marker == 7
        assert store.list_parts(upload, max_parts=0).parts == ()

    def test_list_uploads_markers(self, store: Store) -> None:
        """Uploads sort by key then id; key and upload-id markers resume after an entry."""
        made = sorted(
            (
                store.create_upload("b", key, ObjectAttrs(), 1.0)
                for key in ("x", "x", "dir/a", "dir/b", "y")
            ),
            key=lambda u: (u.key, u.upload_id),
        )
        page = store.list_uploads("b", max_uploads=2)
        assert [u.upload_id for u in page.uploads] == [u.upload_id for u in made[:2]]
        assert (page.next_key_marker, page.next_upload_id_marker) == ("dir/b", made[1].upload_id)
        x1 = [u for u in made if u.key == "x"][0]
        after = store.list_uploads("b", key_marker="x", upload_id_marker=x1.upload_id)
        assert [u.key for u in after.uploads] == ["x", "y"]
        grouped = store.list_uploads("b", delimiter="/", max_uploads=1)
        assert grouped.common_prefixes == ("dir/",) and grouped.truncated
        assert (grouped.next_key_marker, grouped.next_upload_id_marker) == ("dir/", "")
        following = store.list_uploads("b", delimiter="/", key_marker="dir/")
        assert [u.key for u in following.uploads] == ["x", "x", "y"]


class TestListing:
    """Byte-wise order, common prefixes and page-proportional cost (rest-api.md §13.1)."""

    def test_documented_example(self, store: Store) -> None:
        """The §13.1 example: one key and one common prefix under dir/."""
        put(store, "b", "dir/a b+c.txt", b"1")
        put(store, "b", "dir/sub/x", b"2")
        page = store.list_objects("b", prefix="dir/", delimiter="/")
        assert [o.key for o in page.objects] == ["dir/a b+c.txt"]
        assert page.common_prefixes == ("dir/sub/",) and not page.truncated

    def test_order_is_byte_wise(self, store: Store) -> None:
        """UTF-8 byte order, not UTF-16 order: U+FF61 sorts before U+1F600."""
        names = ["😀", "\uff61", "é", "a", "B", "a/", "ab", "\x7f"]
        for name in names:
            put(store, "b", name, b"")
        listed = [o.key for o in store.list_objects("b").objects]
        assert listed == ["B", "a", "a/", "ab", "\x7f", "é", "\uff61", "😀"]

    def test_common_prefix_counts_once_and_is_skipped_after(self, store: Store) -> None:
        """A prefix grouping many keys is one entry; next_marker jumps past all of them."""
        for n in range(20):
            put(store, "b", f"dir/{n:02}", b"")
        put(store, "b", "a", b"")
        put(store, "b", "z", b"")
        first = store.list_objects("b", delimiter="/", max_keys=2)
        assert ([o.key for o in first.objects], first.common_prefixes) == (["a"], ("dir/",))
        assert first.truncated and first.next_marker == "dir/"
        second = store.list_objects("b", delimiter="/", start_after="dir/", max_keys=2)
        assert [o.key for o in second.objects] == ["z"] and not second.truncated
        inside = store.list_objects("b", delimiter="/", start_after="dir/05")
        assert [o.key for o in inside.objects] == ["z"] and inside.common_prefixes == ()

    def test_zero_max_keys_is_an_empty_page(self, store: Store) -> None:
        """max_keys 0 answers nothing and nothing to continue."""
        put(store, "b", "a", b"")
        page = store.list_objects("b", max_keys=0)
        assert (page.objects, page.common_prefixes, page.truncated) == ((), (), False)

    def test_cost_follows_the_page_not_the_bucket(self, store: Store) -> None:
        """Listing a page from 2000 keys takes about as many SQLite steps as from 20."""
        store.create_bucket("small", 1.0)
        store.create_bucket("large", 1.0)
        for bucket, per_dir in (("small", 5), ("large", 500)):
            for d in range(4):
                for n in range(per_dir):
                    put(store, bucket, f"d{d}/{n:04}", b"")

        def steps(bucket: str, **kwargs: Any) -> int:
            counter = [0]

            def tick() -> int:
                counter[0] += 1
                return 0

            store._index._db.set_progress_handler(tick, 10)
            try:
                store.list_objects(bucket, **kwargs)
            finally:
                store._index._db.set_progress_handler(None, 10)
            return counter[0]

        for kwargs in (
            {"delimiter": "/"},
            {"max_keys": 3},
            {"prefix": "d2/", "max_keys": 3},
            {"delimiter": "/", "start_after": "d1/0003"},
        ):
            small, large = steps("small", **kwargs), steps("large", **kwargs)
            assert large <= small * 1.5 + 5, (kwargs, small, large)

    def test_listing_queries_use_the_key_index(self, store: Store) -> None:
        """The range query is an index SEARCH on (bucket, key), never a table SCAN."""
        plan = store._index._db.execute(
            "EXPLAIN QUERY PLAN SELECT key FROM objects WHERE bucket = ? AND key > ?"
            " AND key < ? ORDER BY key LIMIT ?",
            ("b", b"a", b"b", 3),
        ).fetchall()
        details = " ".join(row[-1] for row in plan)
        assert "SEARCH" in details and "SCAN" not in details and "TEMP B-TREE" not in details
        plan = store._index._db.execute(
            "EXPLAIN QUERY PLAN SELECT key FROM uploads WHERE bucket = ?"
            " AND (key, upload_id) > (?, ?) AND key < ? ORDER BY key, upload_id LIMIT ?",
            ("b", b"a", "X", b"b", 3),
        ).fetchall()
        details = " ".join(row[-1] for row in plan)
        assert "SEARCH" in details and "TEMP B-TREE" not in details


class TestListingProperties:
    """Any key set, any listing parameters: every page walk equals the dict model's view."""

    @settings(max_examples=150, suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(
        names=st.sets(keys, max_size=16),
        prefix=prefixes,
        delimiter=delimiters,
        start_after=st.one_of(st.just(""), keys, prefixes),
        max_keys=st.integers(1, 4),
    )
    def test_object_pages_match_the_model(
        self,
        store: Store,
        names: set[str],
        prefix: str,
        delimiter: str,
        start_after: str,
        max_keys: int,
    ) -> None:
        """Pagination with prefix, delimiter and start_after agrees with the model."""
        store.reset(["b"], 1.0)
        for name in names:
            put(store, "b", name, b"")
        expected = [
            entry
            for entry in model_entries(names, prefix, delimiter)
            if by_bytes(entry[0]) > by_bytes(start_after)
        ]
        assert walk_objects(store, "b", prefix, delimiter, start_after, max_keys) == expected

    @settings(max_examples=100, suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(
        names=st.lists(keys, max_size=12),
        prefix=prefixes,
        delimiter=delimiters,
        key_marker=st.one_of(st.just(""), keys),
        choice=st.data(),
        max_uploads=st.integers(1, 4),
    )
    def test_upload_pages_match_the_model(
        self,
        store: Store,
        names: list[str],
        prefix: str,
        delimiter: str,
        key_marker: str,
        choice: st.DataObject,
        max_uploads: int,
    ) -> None:
        """Upload listing with key and upload-id markers agrees with the model."""
        store.reset(["b"], 1.0)
        made = [
            (u.key, u.upload_id)
            for u in (store.create_upload("b", name, ObjectAttrs(), 1.0) for name in names)
        ]
        id_marker = ""
        use_markers: bool = choice.draw(st.booleans())
        if made and use_markers:
            key_marker, id_marker = choice.draw(st.sampled_from(made))
        expected = model_uploads(made, prefix, delimiter, key_marker, id_marker)
        assert (
            walk_uploads(store, "b", prefix, delimiter, key_marker, id_marker, max_uploads)
            == expected
        )


class TestLifecycle:
    """Reset, reopen, sweep and threads."""

    def test_reset_drops_everything_and_recreates_buckets(
        self, store: Store, data_dir: Path
    ) -> None:
        """Objects, uploads and blobs go; the named buckets come back empty."""
        put(store, "b", "k", b"x")
        upload = store.create_upload("b", "mp", ObjectAttrs(), 1.0)
        put_part(store, upload, 1, b"p")
        store.create_bucket("other", 1.0)
        in_flight = store.new_blob()
        in_flight.write(b"still arriving")
        store.reset(["b", "fresh"], 7.0)
        assert [(b.name, b.created) for b in store.list_buckets()] == [("b", 7.0), ("fresh", 7.0)]
        assert store.list_objects("b").objects == () and blob_files(data_dir) == set()
        with pytest.raises(errors.NoSuchUpload):
            store.list_parts(upload)
        meta = store.put_object("fresh", "late", in_flight, ObjectAttrs(), 8.0)
        assert read(store, meta) == b"still arriving"

    def test_reopen_keeps_everything(self, store: Store, data_dir: Path) -> None:
        """A closed and reopened store serves the same objects and uploads."""
        meta = put(store, "b", "k", b"persisted")
        upload = store.create_upload("b", "mp", ObjectAttrs(), 1.0)
        put_part(store, upload, 1, b"p")
        store.close()
        store.close()
        again = Store(data_dir)
        try:
            assert again.head_object("b", "k") == meta and read(again, meta) == b"persisted"
            assert len(again.list_parts(upload).parts) == 1
        finally:
            again.close()

    def test_second_store_on_a_directory_is_refused(self, store: Store, data_dir: Path) -> None:
        """Two stores would sweep each other's bodies in flight."""
        with pytest.raises(RuntimeError, match="in use"):
            Store(data_dir)

    def test_start_up_sweeps_orphans(self, store: Store, data_dir: Path) -> None:
        """Temp files and unreferenced blobs go; referenced blobs stay."""
        put(store, "b", "k", b"kept")
        store.close()
        orphan = data_dir / "blobs" / "ab" / ("ab" + "1" * 30)
        orphan.parent.mkdir(exist_ok=True)
        orphan.write_bytes(b"orphan")
        (data_dir / "tmp" / ("f" * 32)).write_bytes(b"partial")
        again = Store(data_dir)
        try:
            assert not orphan.exists() and temp_files(data_dir) == []
            assert read(again, again.head_object("b", "k")) == b"kept"
            assert blob_files(data_dir) == again._index.blob_ids()
        finally:
            again.close()

    def test_threads_share_the_store(self, store: Store) -> None:
        """Puts, reads and listings from several threads all succeed."""
        failures: list[BaseException] = []

        def work(worker: int) -> None:
            try:
                for n in range(40):
                    meta = put(store, "b", f"t{worker}/{n}", f"{worker}-{n}".encode())
                    assert read(store, meta) == f"{worker}-{n}".encode()
                    store.list_objects("b", prefix=f"t{worker}/", max_keys=5)
            except BaseException as error:  # reported below
                failures.append(error)

        threads = [threading.Thread(target=work, args=(w,)) for w in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert failures == []
        assert len(store.list_objects("b", max_keys=1000).objects) == 160


def _refuse(*args: object, **kwargs: object) -> Any:
    raise AssertionError("part data must not be read or copied")
