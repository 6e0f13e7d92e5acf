"""The emulator's web page at ``/_emulator/``: its JSON API over HTTP, and the page itself in
headless Chromium (buckets, objects with download, the live callback journal, replay).

The browser test keeps a screenshot of the page in test-artifacts/emulator-page.png.
"""

from __future__ import annotations

import base64
import json
import os
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import oss2
import pytest

from emulator.config import Settings
from emulator.receiver import CallbackReceiver
from emulator.server import EmulatorServer
from tests.browser_support import ARTIFACTS, ensure_chromium, ensure_playwright
from tests.node_support import NODE_DIR

pytestmark = [pytest.mark.sdk, pytest.mark.browser]

REFUSED = "Error status : -1.OSS can not connect to your callbackUrl, please check it."
DEAD_URL = "http://127.0.0.1:9/"


def b64(value: object) -> str:
    return base64.b64encode(json.dumps(value).encode()).decode()


@pytest.fixture(name="emulator")
def _emulator(tmp_path: Path) -> Iterator[EmulatorServer]:
    with EmulatorServer(Settings(port=0, data_dir=tmp_path / "data")) as server:
        yield server


@pytest.fixture(name="receiver")
def _receiver() -> Iterator[CallbackReceiver]:
    with CallbackReceiver() as receiver:
        yield receiver


@pytest.fixture(name="bucket")
def _bucket(emulator: EmulatorServer) -> oss2.Bucket:
    auth = oss2.Auth(emulator.access_key_id, emulator.access_key_secret)
    return oss2.Bucket(auth, emulator.endpoint, emulator.bucket)


def with_callback(url: str) -> dict[str, str]:
    return {"x-oss-callback": b64({"callbackUrl": url, "callbackBody": "key=${object}"})}


class TestApi:
    """The JSON the page reads, over plain HTTP."""

    def test_page_and_assets_are_served(self, emulator: EmulatorServer) -> None:
        page = httpx.get(f"{emulator.endpoint}/_emulator/")
        assert page.status_code == 200
        assert page.headers["content-type"].startswith("text/html")
        assert "/_emulator/static/page.js" in page.text
        assert '<script src="http' not in page.text  # nothing from a CDN
        script = httpx.get(f"{emulator.endpoint}/_emulator/static/page.js")
        assert script.status_code == 200
        assert "javascript" in script.headers["content-type"]
        assert "innerHTML" not in script.text  # untrusted text goes through textContent
        assert httpx.get(f"{emulator.endpoint}/_emulator/static/page.css").status_code == 200
        missing = httpx.get(f"{emulator.endpoint}/_emulator/static/../app.py")
        assert missing.status_code == 404
        assert httpx.get(f"{emulator.endpoint}/_emulator/static/secret.txt").status_code == 404

    def test_buckets_objects_and_download(
        self, emulator: EmulatorServer, bucket: oss2.Bucket
    ) -> None:
        odd = "dir/a b/ünï ☃/../x.txt"
        bucket.put_object(odd, b"odd bytes")
        bucket.put_object("dir/plain.txt", b"plain", headers={"Content-Type": "text/plain"})
        bucket.put_object("other.bin", b"\x00\x01")
        api = f"{emulator.endpoint}/_emulator/api"
        (listed,) = httpx.get(f"{api}/buckets").json()
        assert listed["name"] == emulator.bucket
        assert isinstance(listed["created"], float)

        page = httpx.get(f"{api}/objects", params={"bucket": emulator.bucket}).json()
        assert [o["key"] for o in page["objects"]] == [odd, "dir/plain.txt", "other.bin"]
        plain = page["objects"][1]
        assert plain["size"] == 5
        assert plain["content_type"] == "text/plain"
        assert plain["etag"].startswith('"')
        assert page["truncated"] is False and page["next_marker"] is None

        under = httpx.get(f"{api}/objects", params={"bucket": emulator.bucket, "prefix": "dir/"})
        assert [o["key"] for o in under.json()["objects"]] == [odd, "dir/plain.txt"]

        first = httpx.get(
            f"{api}/objects", params={"bucket": emulator.bucket, "max_keys": "2"}
        ).json()
        assert first["truncated"] is True and first["next_marker"] == "dir/plain.txt"
        rest = httpx.get(
            f"{api}/objects",
            params={"bucket": emulator.bucket, "max_keys": "2", "marker": first["next_marker"]},
        ).json()
        assert [o["key"] for o in rest["objects"]] == ["other.bin"]
        assert rest["truncated"] is False

        got = httpx.get(f"{api}/download", params={"bucket": emulator.bucket, "key": odd})
        assert got.status_code == 200
        assert got.content == b"odd bytes"
        disposition = got.headers["content-disposition"]
        assert disposition.startswith("attachment;")
        assert f"filename*=UTF-8''{quote('x.txt')}" in disposition
        # The key's "..": an object key, not a path; the raw query string works the same.
        raw = f"{api}/download?bucket={emulator.bucket}&key={quote(odd, safe='')}"
        assert httpx.get(raw).content == b"odd bytes"
        binary = httpx.get(
            f"{api}/download", params={"bucket": emulator.bucket, "key": "other.bin"}
        )
        assert binary.content == b"\x00\x01"
        assert (
            httpx.head(
                f"{api}/download", params={"bucket": emulator.bucket, "key": "other.bin"}
            ).headers["content-length"]
            == "2"
        )

    def test_unicode_file_name_in_disposition(
        self, emulator: EmulatorServer, bucket: oss2.Bucket
    ) -> None:
        bucket.put_object('年报 "final".txt', b"x")
        got = httpx.get(
            f"{emulator.endpoint}/_emulator/api/download",
            params={"bucket": emulator.bucket, "key": '年报 "final".txt'},
        )
        assert got.headers["content-disposition"] == (
            'attachment; filename="__ _final_.txt"; '
            "filename*=UTF-8''%E5%B9%B4%E6%8A%A5%20%22final%22.txt"
        )

    def test_missing_bucket_and_key_are_404_json(self, emulator: EmulatorServer) -> None:
        api = f"{emulator.endpoint}/_emulator/api"
        listing = httpx.get(f"{api}/objects", params={"bucket": "no-such-bucket"})
        assert listing.status_code == 404
        assert listing.json()["code"] == "NoSuchBucket"
        gone = httpx.get(f"{api}/download", params={"bucket": "no-such-bucket", "key": "k"})
        assert gone.status_code == 404
        assert gone.json()["code"] == "NoSuchBucket"
        no_key = httpx.get(f"{api}/download", params={"bucket": emulator.bucket, "key": "nope"})
        assert no_key.status_code == 404
        assert no_key.json()["code"] == "NoSuchKey"
        assert httpx.get(f"{api}/objects").status_code == 400
        assert httpx.get(f"{api}/download", params={"bucket": emulator.bucket}).status_code == 400
        assert (
            httpx.get(
                f"{api}/objects", params={"bucket": emulator.bucket, "max_keys": "x"}
            ).status_code
            == 400
        )
        assert httpx.post(f"{api}/buckets").status_code == 405

    def test_only_on_hosts_naming_no_bucket(
        self, emulator: EmulatorServer, bucket: oss2.Bucket
    ) -> None:
        """On a bucket's virtual host /_emulator/ is an ordinary (signed) object key."""
        host = f"{emulator.bucket}.localhost:{emulator.port}"
        answer = httpx.get(f"{emulator.endpoint}/_emulator/api/buckets", headers={"Host": host})
        assert answer.status_code == 403  # unsigned request for an object
        assert answer.headers["content-type"] == "application/xml"


def _page_check(env: dict[str, str]) -> subprocess.Popen[str]:
    node = ensure_playwright()
    return subprocess.Popen(
        [node, str(NODE_DIR / "page_check.js")],
        cwd=NODE_DIR,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _read_json_line(process: subprocess.Popen[str]) -> Any:
    assert process.stdout is not None
    line = process.stdout.readline()
    if not line:
        process.wait(timeout=30)
        assert process.stderr is not None
        raise AssertionError(f"page_check.js failed:\n{process.stderr.read()}")
    return json.loads(line)


def test_page_in_chromium(
    emulator: EmulatorServer, bucket: oss2.Bucket, receiver: CallbackReceiver
) -> None:
    """Buckets, objects, download; the journal with both verdicts, updating live; replay."""
    bucket.put_object("photos/cat 1.jpg", b"meow bytes", headers=with_callback(receiver.url("/cb")))
    answer = bucket.put_object("notes/dead.txt", b"dead", headers=with_callback(DEAD_URL))
    assert answer.status == 203
    ARTIFACTS.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory() as profile:
        process = _page_check(
            {
                **os.environ,
                "PAGE_URL": f"{emulator.endpoint}/_emulator/",
                "CHROMIUM": ensure_chromium(),
                "USER_DATA_DIR": profile,
                "SCREENSHOT": str(ARTIFACTS / "emulator-page.png"),
                "INITIAL_OBJECTS": "2",
                "INITIAL_ENTRIES": "2",
                "LIVE_ENTRIES": "3",
                "DOWNLOAD_KEY": "photos/cat 1.jpg",
                "FILTER_PREFIX": "photos/",
                "REPLAY_URL": receiver.url("/replayed"),
            }
        )
        try:
            ready = _read_json_line(process)
            assert ready["ready"] is True
            # Uploaded after the page loaded: the journal must show it without a reload.
            bucket.put_object("live/new.txt", b"live", headers=with_callback(receiver.url("/cb")))
            observed = _read_json_line(process)
            process.wait(timeout=30)
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()
            for stream in (process.stdout, process.stderr):
                if stream is not None:
                    stream.close()
    assert process.returncode == 0
    assert observed["pageErrors"] == [], observed
    initial = observed["initial"]
    assert initial["buckets"] == [emulator.bucket]
    assert initial["selectedBucket"] == [emulator.bucket]
    assert sorted(initial["objects"]) == ["notes/dead.txt", "photos/cat 1.jpg"]
    assert initial["journalCount"] == "2"
    newest, oldest = initial["entries"]  # newest first
    assert (oldest["key"], oldest["verdict"], oldest["message"]) == (
        f"{emulator.bucket}/photos/cat 1.jpg",
        "success",
        None,
    )
    assert oldest["url"] == receiver.url("/cb")
    assert oldest["requestLine"] == "POST /cb HTTP/1.1"
    assert oldest["requestBody"].startswith("key=photos%2Fcat")
    assert oldest["stringToSign"] == "/cb\n" + oldest["requestBody"]
    assert "authorization" in oldest["requestHeaders"].lower()
    assert oldest["responseStatus"] == "200"
    assert oldest["responseBody"] == '{"Status":"OK"}'
    assert oldest["duration"].endswith(" ms")
    assert newest["verdict"] == "failure"
    assert newest["key"] == f"{emulator.bucket}/notes/dead.txt"
    assert newest["message"].startswith(REFUSED)
    assert newest["responseStatus"] == "(no response)"

    live = observed["live"]["entries"]
    assert len(live) == 3
    assert live[0]["key"] == f"{emulator.bucket}/live/new.txt"
    assert live[0]["verdict"] == "success"

    download = observed["download"]
    assert download["found"] is True
    assert download["status"] == 200
    assert download["text"] == "meow bytes"
    assert download["downloadAttribute"] == "cat 1.jpg"
    assert download["contentDisposition"].startswith("attachment;")
    assert sorted(observed["objects"]) == ["live/new.txt", "notes/dead.txt", "photos/cat 1.jpg"]
    assert observed["filtered"] == ["photos/cat 1.jpg"]

    _check_replay(emulator, receiver, observed, success_id=1, failure_id=2)
    assert (ARTIFACTS / "emulator-page.png").stat().st_size > 10_000


def _check_replay(
    emulator: EmulatorServer,
    receiver: CallbackReceiver,
    observed: dict[str, Any],
    *,
    success_id: int,
    failure_id: int,
) -> None:
    """The replay buttons POST to the contract's URL; the success one as is, the other to a
    new URL; each replay is a new journal entry the page shows."""
    base = f"{emulator.endpoint}/_emulator/callbacks"
    requests = observed["replayRequests"]
    assert [(r["method"], r["url"]) for r in requests] == [
        ("POST", f"{base}/{success_id}/replay"),
        ("POST", f"{base}/{failure_id}/replay"),
    ]
    assert requests[0]["body"] is None
    assert json.loads(requests[1]["body"]) == {"url": receiver.url("/replayed")}
    assert requests[1]["contentType"] == "application/json"
    assert [r["status"] for r in requests] == [200, 200], observed["replayed"]
    assert observed["after"]["journalCount"] == observed["before"] + 2
    newest = observed["after"]["entries"][0]
    assert newest["url"] == receiver.url("/replayed")
    assert newest["verdict"] == "success"
    assert observed["replayed"][1].startswith("replayed as #")
