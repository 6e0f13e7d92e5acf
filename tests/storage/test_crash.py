"""Kill a child process at each step of the commit order (store.py) and reopen its data dir."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from emulator import errors
from emulator.protocol.checksums import crc64
from emulator.storage.blobs import INLINE_LIMIT
from emulator.storage.store import MIN_PART_SIZE, Store
from tests.conftest import ROOT

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(sys.platform == "win32", reason="needs SIGKILL"),
]

PRELUDE = """
import os, signal, sys, time
from pathlib import Path
from emulator.storage.base import ObjectAttrs
from emulator.storage.blobs import BlobStore
from emulator.storage.index import Index
from emulator.storage.store import Store

def die(*args, **kwargs):
    os.kill(os.getpid(), signal.SIGKILL)

def put(store, key, data):
    blob = store.new_blob()
    blob.write(data)
    return store.put_object("b", key, blob, ObjectAttrs(), time.time())

PAD = b"." * 65536  # with it every body is over INLINE_LIMIT, so it goes through files

store = Store(Path(sys.argv[1]))
store.create_bucket("b", 1.0)
"""


def child(data_dir: Path, body: str) -> subprocess.Popen[str]:
    """Start a Python child that opens a Store on data_dir, then runs body."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    return subprocess.Popen(
        [sys.executable, "-c", PRELUDE + textwrap.dedent(body), str(data_dir)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def run_until_killed(data_dir: Path, body: str) -> str:
    """Run a child to its (expected) SIGKILL; return what it printed."""
    process = child(data_dir, body)
    stdout, stderr = process.communicate(timeout=120)
    assert process.returncode == -signal.SIGKILL, stderr
    return stdout


def files(data_dir: Path, area: str) -> list[Path]:
    pattern = "*/*" if area == "blobs" else "*"
    return list((data_dir / area).glob(pattern))


PAD = b"." * 65536  # the children's PAD
assert len(PAD) + 1 > INLINE_LIMIT


@contextmanager
def reopened(data_dir: Path) -> Iterator[Store]:
    store = Store(data_dir)
    try:
        yield store
    finally:
        store.close()


def assert_clean(store: Store, data_dir: Path) -> None:
    """No temp file, and exactly the blobs the index references."""
    assert files(data_dir, "tmp") == []
    assert {p.name for p in files(data_dir, "blobs")} == store._index.blob_ids()


def content(store: Store, key: str) -> bytes:
    return b"".join(store.read_object(store.head_object("b", key)))


class TestCrashBeforeCommit:
    """A process killed before the index commit leaves no visible object and no files."""

    @pytest.mark.parametrize("death", ["die()", "os._exit(3)"])
    def test_kill_while_receiving_a_body(self, tmp_path: Path, death: str) -> None:
        """A half-received body is a temp file, swept at start-up."""
        process = child(
            tmp_path,
            f"""
            blob = store.new_blob()
            for _ in range(8):
                blob.write(b"x" * 65536)
            {death}
        """,
        )
        process.communicate(timeout=120)
        assert process.returncode in (-signal.SIGKILL, 3)
        assert len(files(tmp_path, "tmp")) == 1
        with reopened(tmp_path) as store:
            assert store.list_objects("b").objects == ()
            assert files(tmp_path, "tmp") == [] and files(tmp_path, "blobs") == []

    def test_kill_between_rename_and_index_commit(self, tmp_path: Path) -> None:
        """A renamed blob whose row never committed is an orphan, swept at start-up."""
        run_until_killed(
            tmp_path,
            """
            Index.add_object = die
            put(store, "k", PAD + b"data")
        """,
        )
        assert len(files(tmp_path, "blobs")) == 1 and files(tmp_path, "tmp") == []
        with reopened(tmp_path) as store:
            with pytest.raises(errors.NoSuchKey):
                store.head_object("b", "k")
            assert files(tmp_path, "blobs") == []

    def test_interrupted_overwrite_keeps_the_old_version(self, tmp_path: Path) -> None:
        """Killed inside the overwrite's transaction: the old object is intact."""
        run_until_killed(
            tmp_path,
            """
            put(store, "k", PAD + b"old version")
            Index.add_object = die
            put(store, "k", PAD + b"new version")
        """,
        )
        assert len(files(tmp_path, "blobs")) == 2
        with reopened(tmp_path) as store:
            assert content(store, "k") == PAD + b"old version"
            assert store.head_object("b", "k").crc64 == crc64(PAD + b"old version")
            assert_clean(store, tmp_path)
            assert len(files(tmp_path, "blobs")) == 1

    def test_interrupted_copy_leaves_no_links(self, tmp_path: Path) -> None:
        """Hard links made for a copy that never committed are swept."""
        run_until_killed(
            tmp_path,
            """
            put(store, "src", PAD + b"source")
            Index.add_object = die
            store.copy_object("b", "src", "b", "dst", None, 2.0)
        """,
        )
        with reopened(tmp_path) as store:
            assert [o.key for o in store.list_objects("b").objects] == ["src"]
            assert content(store, "src") == PAD + b"source"
            assert_clean(store, tmp_path)

    def test_interrupted_completion_keeps_the_upload(self, tmp_path: Path) -> None:
        """Killed while completing: no object, and the upload can still be completed."""
        stdout = run_until_killed(
            tmp_path,
            f"""
            upload = store.create_upload("b", "mp", ObjectAttrs(), 1.0)
            for number in (1, 2):
                blob = store.new_blob()
                blob.write(bytes([number]) * {MIN_PART_SIZE})
                store.put_part(upload, number, blob, 1.0)
            print(upload.upload_id, flush=True)
            Index.add_object = die
            store.complete_upload(upload, None, 2.0)
        """,
        )
        with reopened(tmp_path) as store:
            with pytest.raises(errors.NoSuchKey):
                store.head_object("b", "mp")
            upload = store.get_upload("b", "mp", stdout.strip())
            assert len(store.list_parts(upload).parts) == 2
            store.complete_upload(upload, None, 3.0)
            assert content(store, "mp") == b"\x01" * MIN_PART_SIZE + b"\x02" * MIN_PART_SIZE
            assert_clean(store, tmp_path)

    def test_interrupted_small_overwrite_keeps_the_old_version(self, tmp_path: Path) -> None:
        """A body small enough to live in the index: killed mid-commit, the old one stays."""
        run_until_killed(
            tmp_path,
            """
            put(store, "k", b"old small")
            Index.add_object = die
            put(store, "k", b"new small")
        """,
        )
        assert files(tmp_path, "blobs") == [] and files(tmp_path, "tmp") == []
        with reopened(tmp_path) as store:
            assert content(store, "k") == b"old small"
            assert_clean(store, tmp_path)


class TestCrashAfterCommit:
    """Once the index has committed, a kill loses nothing and leaks nothing."""

    def test_kill_before_old_blobs_are_unlinked(self, tmp_path: Path) -> None:
        """The new version is visible; the old blob left behind is swept."""
        run_until_killed(
            tmp_path,
            """
            put(store, "k", PAD + b"old")
            BlobStore.unlink = die
            put(store, "k", PAD + b"new")
        """,
        )
        assert len(files(tmp_path, "blobs")) == 2
        with reopened(tmp_path) as store:
            assert content(store, "k") == PAD + b"new"
            assert_clean(store, tmp_path)
            assert len(files(tmp_path, "blobs")) == 1

    def test_acknowledged_uploads_survive_sigkill(self, tmp_path: Path) -> None:
        """Put, append and multipart results acknowledged before the kill are all there."""
        process = child(
            tmp_path,
            f"""
            put(store, "plain", b"hello world")
            for position, data in ((0, b"hello "), (6, b"world")):
                blob = store.new_blob()
                blob.write(data)
                store.append_object("b", "log", position, blob, ObjectAttrs(), 1.0)
            upload = store.create_upload("b", "mp", ObjectAttrs(), 1.0)
            for number, data in ((1, b"a" * {MIN_PART_SIZE}), (2, b"tail")):
                blob = store.new_blob()
                blob.write(data)
                store.put_part(upload, number, blob, 1.0)
            store.complete_upload(upload, None, 2.0)
            print("committed", flush=True)
            time.sleep(120)
        """,
        )
        assert process.stdout is not None
        line = process.stdout.readline()
        process.kill()
        _, stderr = process.communicate(timeout=120)
        assert line == "committed\n", stderr
        with reopened(tmp_path) as store:
            assert content(store, "plain") == b"hello world"
            assert content(store, "log") == b"hello world"
            assert store.head_object("b", "log").crc64 == crc64(b"hello world")
            assert content(store, "mp") == b"a" * MIN_PART_SIZE + b"tail"
            assert_clean(store, tmp_path)
