"""The example app (fixtures/app) as a local process, its pages in headless Chromium.

The app server is written like Alibaba's Python "server-side signature, direct upload,
upload callback" sample. Its two pages run cross-origin against the emulator:

- ``index.html``: the seed's upload (ali-oss, V4, temporary credentials the app got from the
  emulator's local STS, a callback with callbackSNI and custom variables);
- ``form.html``: a form posted straight to the emulator with a policy the app signed.

Each reads the app server's answer relayed through the emulator; the app answers
``{"Status": "OK"}`` only for a callback whose signature it verified. The same pages run in
the compose stack in test_compose.py.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from emulator.config import Settings
from emulator.server import EmulatorServer
from tests.example_app import (
    APP,
    FORM_CONTENT,
    SEED_CONTENT,
    SEED_KEY,
    assert_form_verified,
    assert_seed_upload_verified,
    run_page,
    static_dir,
)

pytestmark = [pytest.mark.sdk, pytest.mark.browser]


@pytest.fixture(name="emulator")
def _emulator(tmp_path: Path) -> Iterator[EmulatorServer]:
    with EmulatorServer(Settings(port=0, data_dir=tmp_path / "data")) as server:
        yield server


@pytest.fixture(name="app_url")
def _app_url(emulator: EmulatorServer, tmp_path: Path) -> Iterator[str]:
    """The sample-style app server as its own process, pointing its pages at the emulator."""
    env = {
        **os.environ,
        "PORT": "0",
        "STATIC_DIR": str(static_dir(tmp_path / "static")),
        "OSS_HOST": f"http://{emulator.bucket}.localhost:{emulator.port}",
        "OSS_ENDPOINT": f"http://localhost:{emulator.port}",
        "OSS_BUCKET": emulator.bucket,
        "STS_ENDPOINT": f"http://127.0.0.1:{emulator.port}",
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


def stored(emulator: EmulatorServer, key: str) -> bytes:
    meta = emulator.storage.head_object(emulator.bucket, key)
    return b"".join(emulator.storage.read_object(meta))


def test_signed_form_upload_with_callback(emulator: EmulatorServer, app_url: str) -> None:
    """The form page gets 200 and the app server's JSON; the app verified the callback."""
    observed = run_page(app_url + "/form.html", "example-app-form.png")
    assert_form_verified(observed)
    assert any(
        entry["url"].startswith(f"http://{emulator.bucket}.localhost")
        for entry in observed["network"]
    )
    assert stored(emulator, "user-dir/hello.txt") == FORM_CONTENT
    (attempt,) = emulator.callbacks
    assert attempt["verdict"] == "success"


def test_seed_upload_with_temporary_credentials(emulator: EmulatorServer, app_url: str) -> None:
    """index.html: ali-oss put with STS credentials from the app; the app verified the callback."""
    observed = run_page(app_url + "/", "example-app-seed.png")
    assert_seed_upload_verified(observed, emulator.bucket)
    assert stored(emulator, SEED_KEY) == SEED_CONTENT
    (attempt,) = emulator.callbacks
    assert attempt["verdict"] == "success"
    # The key the temporary credentials signed with came from the local STS, not the config.
    (put,) = [e for e in observed["network"] if e["method"] == "PUT"]
    assert emulator.access_key_id not in put["headers"]["authorization"]


def test_sts_token_reports_an_unreachable_sts(tmp_path: Path) -> None:
    """The app answers 502 with the reason when AssumeRole cannot be reached (not a hang)."""
    import socket
    import urllib.error
    import urllib.request

    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        dead_port = closed.getsockname()[1]
    env = {**os.environ, "PORT": "0", "STS_ENDPOINT": f"http://127.0.0.1:{dead_port}"}
    process = subprocess.Popen(
        [sys.executable, str(APP / "appserver.py")], env=env, stdout=subprocess.PIPE, text=True
    )
    assert process.stdout is not None
    try:
        match = re.search(r"listening on (\d+)", process.stdout.readline())
        assert match
        with pytest.raises(urllib.error.HTTPError) as answer:
            urllib.request.urlopen(f"http://127.0.0.1:{match.group(1)}/sts_token", timeout=20)
        assert answer.value.code == 502
        assert "AssumeRole failed" in answer.value.read().decode()
    finally:
        process.terminate()
        process.wait(timeout=10)
        process.stdout.close()
