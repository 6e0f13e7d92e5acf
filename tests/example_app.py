"""Driving the example app's pages (fixtures/app) in headless Chromium, and what they must show.

Shared by the tests that run the app as a local process (test_example_app.py) and inside the
compose stack (test_compose.py): the same page, the same click, the same expectations.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

from tests.browser_support import ARTIFACTS, SDK_BUNDLE, ensure_chromium, ensure_playwright
from tests.conftest import FIXTURES
from tests.node_support import run_script

APP = FIXTURES / "app"
#: What the form page uploads when no file is chosen (fixtures/app/form.html).
FORM_CONTENT = b"Hello from the form page"
#: What the ali-oss page uploads (fixtures/app/index.html, the seed's upload).
SEED_KEY, SEED_CONTENT = "example.txt", b"Hello World"


def static_dir(into: Path) -> Path:
    """The app's pages plus the ali-oss browser bundle, as the app's container holds them."""
    ensure_playwright()  # installs ali-oss (and its bundle) into tests/node when missing
    into.mkdir(parents=True, exist_ok=True)
    for page in ("index.html", "form.html"):
        shutil.copy(APP / page, into / page)
    shutil.copy(SDK_BUNDLE, into / SDK_BUNDLE.name)
    return into


def run_page(page_url: str, screenshot: str) -> dict[str, Any]:
    """Open a page, click its button and return what it logged (tests/node/seed_page.js)."""
    node = ensure_playwright()
    ARTIFACTS.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory() as profile:
        observed: dict[str, Any] = run_script(
            node,
            "seed_page.js",
            {
                **os.environ,
                "PAGE_URL": page_url,
                "CHROMIUM": ensure_chromium(),
                "USER_DATA_DIR": profile,
                "SCREENSHOT": str(ARTIFACTS / screenshot),
            },
        )
    return observed


def assert_form_verified(observed: dict[str, Any]) -> None:
    """form.html got 200 and the app's JSON, which the app only sends for a verified callback."""
    assert observed["errors"] == [], observed
    (logged,) = observed["logs"]
    result = logged[0]
    assert result["status"] == 200, observed
    answer = json.loads(result["body"])
    assert answer["Status"] == "OK", answer
    fields = parse_qs(answer["received"])
    assert fields["filename"] == ["user-dir/hello.txt"]
    assert fields["size"] == [str(len(FORM_CONTENT))]
    assert fields["uid"] == ["42"]


def assert_seed_upload_verified(observed: dict[str, Any], bucket: str) -> None:
    """index.html's ali-oss put got 200 with the app's JSON relayed: the callback verified."""
    assert observed["errors"] == [], observed
    assert observed["sdkLoaded"], observed
    (logged,) = observed["logs"]
    shown = logged[0]
    assert shown.get("status") == 200, observed
    assert shown["name"] == SEED_KEY
    answer = shown["data"]
    assert answer["Status"] == "OK", observed
    fields = parse_qs(answer["received"])
    assert fields["bucket"] == [bucket]
    assert fields["object"] == [SEED_KEY]
    assert fields["size"] == [str(len(SEED_CONTENT))]
    assert fields["var1"] == ["value1"] and fields["var2"] == ["value2"]
    # Temporary credentials: every request the SDK made carried the STS token.
    uploads = [entry for entry in observed["network"] if entry["method"] == "PUT"]
    assert uploads and all("x-oss-security-token" in entry["headers"] for entry in uploads)
    assert all("x-oss-callback" in entry["headers"] for entry in uploads)
