"""The emulator as a process: killed mid-upload and restarted, it has lost nothing acknowledged."""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from email.utils import formatdate
from pathlib import Path

import oss2
import pytest

pytestmark = pytest.mark.slow

AK, SK, BUCKET = "restart-ak", "restart-sk", "restart-bucket"


class Process:
    """``python -m emulator`` on a free port, its URL read from the start-up banner."""

    def __init__(self, data_dir: Path) -> None:
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "emulator",
                "--port",
                "0",
                "--data-dir",
                str(data_dir),
                "--access-key-id",
                AK,
                "--access-key-secret",
                SK,
                "--bucket",
                BUCKET,
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        assert self.proc.stdout is not None
        deadline = time.monotonic() + 30
        self.url = ""
        while time.monotonic() < deadline and not self.url:
            line = self.proc.stdout.readline()
            if match := re.search(r"listening on (http://\S+)", line):
                self.url = match.group(1)
        assert self.url, "no start-up banner"
        self.port = int(self.url.rsplit(":", 1)[1])

    def bucket(self) -> oss2.Bucket:
        return oss2.Bucket(oss2.Auth(AK, SK), self.url, BUCKET)

    def kill(self) -> None:
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=10)
        self.proc.stdout.close()  # type: ignore[union-attr]

    def stop(self) -> int:
        self.proc.send_signal(signal.SIGTERM)
        code = self.proc.wait(timeout=10)
        self.proc.stdout.close()  # type: ignore[union-attr]
        return code


@pytest.fixture(name="data_dir")
def _data_dir(tmp_path: Path) -> Iterator[Path]:
    yield tmp_path / "data"


def signed_v1_headers(method: str, key: str) -> str:
    """Date and Authorization lines for a raw request (V1, rest-api.md §4.1)."""
    date = formatdate(usegmt=True)
    to_sign = f"{method}\n\n\n{date}\n/{BUCKET}/{key}".encode()
    signature = base64.b64encode(hmac.new(SK.encode(), to_sign, hashlib.sha1).digest()).decode()
    return f"Date: {date}\r\nAuthorization: OSS {AK}:{signature}\r\n"


def files_under(path: Path) -> list[Path]:
    return sorted(p for p in path.rglob("*") if p.is_file())


class TestCrash:
    """SIGKILL mid-upload, then restart on the same data directory."""

    def test_killed_mid_upload_keeps_acknowledged_and_drops_partial(self, data_dir: Path) -> None:
        """Acknowledged objects survive; the interrupted one is invisible and leaves no files."""
        first = Process(data_dir)
        bucket = first.bucket()
        bucket.put_object("kept/one", b"1" * 1000)
        bucket.put_object("kept/two", b"2" * 200_000)
        bucket.put_object("overwritten", b"old version")
        upload_id = bucket.init_multipart_upload("mp").upload_id
        bucket.upload_part("mp", upload_id, 1, b"p" * 102400)
        blobs_before = len(files_under(data_dir / "blobs"))
        # Start an overwrite and a new object, send part of each body, then kill the server.
        sockets = []
        for key in ("overwritten", "partial"):
            sock = socket.create_connection(("127.0.0.1", first.port), timeout=10)
            sock.sendall(
                f"PUT /{BUCKET}/{key} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                f"{signed_v1_headers('PUT', key)}"
                "Content-Length: 10000000\r\n\r\n".encode()
                + b"x" * 300_000
            )
            sockets.append(sock)
        time.sleep(0.3)
        first.kill()
        for sock in sockets:
            sock.close()
        assert any((data_dir / "tmp").iterdir()), "the kill should have left temp files"

        second = Process(data_dir)
        try:
            bucket = second.bucket()
            assert bucket.get_object("kept/one").read() == b"1" * 1000
            assert bucket.get_object("kept/two").read() == b"2" * 200_000
            assert bucket.get_object("overwritten").read() == b"old version"
            assert not bucket.object_exists("partial")
            assert [p.part_number for p in oss2.PartIterator(bucket, "mp", upload_id)] == [1]
            assert list((data_dir / "tmp").iterdir()) == []
            assert len(files_under(data_dir / "blobs")) == blobs_before
        finally:
            assert second.stop() == 0

    def test_restart_keeps_everything(self, data_dir: Path) -> None:
        """A clean stop and start keeps buckets, objects, metadata and CORS rules."""
        first = Process(data_dir)
        bucket = first.bucket()
        other = oss2.Bucket(oss2.Auth(AK, SK), first.url, "made-later")
        other.create_bucket()
        other.put_object("k", b"v", headers={"x-oss-meta-color": "blue"})
        bucket.append_object("log", 0, b"a")
        assert first.stop() == 0
        second = Process(data_dir)
        try:
            other = oss2.Bucket(oss2.Auth(AK, SK), second.url, "made-later")
            got = other.get_object("k")
            assert got.read() == b"v"
            assert got.headers["x-oss-meta-color"] == "blue"
            assert second.bucket().append_object("log", 1, b"b").next_position == 2
        finally:
            assert second.stop() == 0
