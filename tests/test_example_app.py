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
import select
import socket
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
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


@contextmanager
def app_server(env: dict[str, str]) -> Iterator[str]:
    """fixtures/app/appserver.py as its own process; its base URL once it listens. Stopped
    (killed if it does not stop) whatever happens; a start that fails or hangs is an error
    with the app's output, never a hung test."""
    process = subprocess.Popen(
        [sys.executable, str(APP / "appserver.py")],
        env={**os.environ, "PORT": "0", **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        assert process.stdout is not None
        ready, _, _ = select.select([process.stdout], [], [], 30)
        line = process.stdout.readline() if ready else ""
        match = re.search(r"listening on (\d+)", line)
        assert match, f"the app server did not start: {line!r}"
        yield f"http://127.0.0.1:{match.group(1)}"
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
        if process.stdout is not None:
            process.stdout.close()


@pytest.fixture(name="app_url")
def _app_url(emulator: EmulatorServer, tmp_path: Path) -> Iterator[str]:
    """The sample-style app server, pointing its pages at the emulator."""
    env = {
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
    with app_server(env) as url:
        yield url


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


def test_sts_token_reports_an_unreachable_sts() -> None:
    """The app answers 502 with the reason when AssumeRole cannot be reached (not a hang)."""
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))  # bound, never listening: connects are refused
        sts = f"http://127.0.0.1:{closed.getsockname()[1]}"
        with app_server({"STS_ENDPOINT": sts}) as url:
            with pytest.raises(urllib.error.HTTPError) as answer:
                urllib.request.urlopen(f"{url}/sts_token", timeout=20)
            reason = answer.value.read().decode()  # while the app still serves it
    assert answer.value.code == 502
    assert "AssumeRole failed" in reason
