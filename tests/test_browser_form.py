"""Browser direct upload with a signed form and a callback, as Alibaba's web demo does it.

The app server (fixtures/app/appserver.py, written like Alibaba's Python "server-side
signature, direct upload, upload callback" sample) signs a policy with a callback; its page
(fixtures/app/index.html) runs in headless Chromium, posts the form straight to the
emulator from another origin, and reads the app server's answer relayed through the
emulator.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs

import pytest

from emulator.config import Settings
from emulator.server import EmulatorServer
from tests.browser_support import ARTIFACTS, ensure_chromium, ensure_playwright
from tests.conftest import FIXTURES
from tests.node_support import run_script

pytestmark = [pytest.mark.sdk, pytest.mark.browser]

APP = FIXTURES / "app"


@pytest.fixture(name="emulator")
def _emulator(tmp_path: Path) -> Iterator[EmulatorServer]:
    with EmulatorServer(Settings(port=0, data_dir=tmp_path / "data")) as server:
        yield server


@pytest.fixture(name="app_url")
def _app_url(emulator: EmulatorServer) -> Iterator[str]:
    """The sample-style app server as its own process, pointing the page at the emulator."""
    env = {
        **os.environ,
        "PORT": "0",
        "STATIC_DIR": str(APP),
        "OSS_HOST": f"http://{emulator.bucket}.localhost:{emulator.port}",
        "OSS_ACCESS_KEY_ID": emulator.access_key_id,
        "OSS_ACCESS_KEY_SECRET": emulator.access_key_secret,
        # No alias for gosspublic.alicdn.com here: let the sample fetch the emulator's key.
        "ALLOW_ANY_KEY_URL": "1",
    }
    process = subprocess.Popen(
        [sys.executable, str(APP / "appserver.py")], env=env, stdout=subprocess.PIPE, text=True
    )
    assert process.stdout is not None
    match = re.search(r"listening on (\d+)", process.stdout.readline())
    assert match, "the app server did not start"
    try:
        yield f"http://127.0.0.1:{match.group(1)}"
    finally:
        process.terminate()
        process.wait(timeout=10)
        process.stdout.close()


def test_signed_form_upload_with_callback(emulator: EmulatorServer, app_url: str) -> None:
    """The page gets 200 and the app server's JSON; the app verified the callback."""
    node = ensure_playwright()
    ARTIFACTS.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory() as profile:
        observed = run_script(
            node,
            "seed_page.js",
            {
                **os.environ,
                "PAGE_URL": app_url + "/index.html",
                "CHROMIUM": ensure_chromium(),
                "USER_DATA_DIR": profile,
                "SCREENSHOT": str(ARTIFACTS / "browser-form.png"),
            },
        )
    assert observed["errors"] == [], observed
    (logged,) = observed["logs"]
    result = logged[0]
    assert result["status"] == 200, observed
    answer = __import__("json").loads(result["body"])
    assert answer["Status"] == "OK"  # only a verified callback gets this from the app server
    fields = parse_qs(answer["received"])
    assert fields["filename"] == ["user-dir/hello.txt"]
    assert fields["size"] == [str(len("Hello from the form page"))]
    assert fields["uid"] == ["42"]
    assert any(
        entry["url"].startswith(f"http://{emulator.bucket}.localhost")
        for entry in observed["network"]
    )
    meta = emulator.storage.head_object(emulator.bucket, "user-dir/hello.txt")
    assert b"".join(emulator.storage.read_object(meta)) == b"Hello from the form page"
    (attempt,) = emulator.callbacks
    assert attempt["verdict"] == "success"
