"""Headless Chromium for the browser tests: found or installed, never silently skipped.

* ``ensure_chromium()`` finds Debian's ``chromium`` (or installs it with apt-get when running
  as root) and raises a clear error otherwise; no browser build is ever downloaded.
* ``ensure_playwright()`` makes sure tests/node holds ali-oss and playwright-core (npm).
* ``seed_page()`` cuts the user's HTML page out of a seed document; ``substitute()`` applies
  the edits a user makes to point that page at the emulator, each of which must match once.
* ``StaticSite`` serves a folder over HTTP on its own loopback port, so the page's origin
  differs from the emulator's (cross-origin, as in a real deployment).
"""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
import threading
from collections.abc import Sequence
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from tests.node_support import NODE_DIR, ensure_ali_oss

ROOT = Path(__file__).resolve().parents[1]
#: The user documents the issues quote, beside the repository (``../shared/seed``).
SEED_DIR = ROOT.parent / "shared" / "seed"
#: Test artifacts (screenshots); ignored by git.
ARTIFACTS = ROOT / "test-artifacts"
#: The ali-oss browser bundle npm installs, served to the page instead of the CDN copy.
SDK_BUNDLE = NODE_DIR / "node_modules" / "ali-oss" / "dist" / "aliyun-oss-sdk.min.js"

CHROMIUM_CANDIDATES = ("/usr/bin/chromium", "chromium", "chromium-browser")


def find_chromium() -> str | None:
    """Path of a Chromium binary: ``$CHROMIUM_PATH``, Debian's, or one on PATH."""
    explicit = os.environ.get("CHROMIUM_PATH")
    if explicit:
        return explicit if os.access(explicit, os.X_OK) else None
    for candidate in CHROMIUM_CANDIDATES:
        found = shutil.which(candidate)
        if found:
            return found
    return None


def ensure_chromium() -> str:
    """Path of Chromium, installing Debian's package (as root) when it is missing."""
    found = find_chromium()
    if found:
        return found
    apt_get = shutil.which("apt-get")
    if apt_get is None or os.geteuid() != 0:
        raise RuntimeError(
            "the browser tests need Chromium: install Debian's package "
            "(apt-get install chromium) or set CHROMIUM_PATH to a Chromium binary"
        )
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for command in ([apt_get, "update", "-q"], [apt_get, "install", "-y", "-q", "chromium"]):
        result = subprocess.run(
            command, env=env, capture_output=True, text=True, timeout=1200, check=False
        )
        if result.returncode != 0:
            raise RuntimeError(
                f"installing Chromium failed ({' '.join(command)}):\n"
                f"{result.stdout[-2000:]}\n{result.stderr[-2000:]}"
            )
    found = find_chromium()
    if found is None:
        raise RuntimeError("apt-get installed chromium but no chromium binary is on PATH")
    return found


def ensure_playwright() -> str:
    """Path of node, after making sure ali-oss and playwright-core are in tests/node."""
    node = ensure_ali_oss()
    if not (NODE_DIR / "node_modules" / "playwright-core" / "package.json").exists():
        npm = shutil.which("npm")
        assert npm is not None  # ensure_ali_oss checked
        subprocess.run(
            [npm, "install", "--no-audit", "--no-fund", "--loglevel=error"],
            cwd=NODE_DIR,
            check=True,
            timeout=600,
        )
    return node


def seed_page(name: str) -> str:
    """The HTML page (``<!DOCTYPE html>`` to ``</html>``) inside the seed document ``name``."""
    path = SEED_DIR / name
    if not path.exists():
        raise FileNotFoundError(f"the seed document {path} is missing (shared/seed beside main)")
    text = path.read_text(encoding="utf-8")
    start = text.find("<!DOCTYPE html>")
    end = text.find("</html>", start)
    if start == -1 or end == -1:
        raise ValueError(f"{path} holds no page from <!DOCTYPE html> to </html>")
    return text[start : end + len("</html>")]


def substitute(page: str, edits: Sequence[tuple[str, str]]) -> str:
    """``page`` with each ``(old, new)`` edit applied; each ``old`` must occur exactly once."""
    for old, new in edits:
        count = page.count(old)
        if count != 1:
            raise AssertionError(f"the seed page holds {old!r} {count} times, expected once")
        page = page.replace(old, new)
    return page


class StaticSite:
    """A folder served over HTTP on a free 127.0.0.1 port; a context manager."""

    def __init__(self, directory: Path) -> None:
        class Handler(SimpleHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                pass

        handler = functools.partial(Handler, directory=str(directory))
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._server.daemon_threads = True
        self.port: int = self._server.server_address[1]
        self._thread = threading.Thread(
            target=self._server.serve_forever, daemon=True, name=f"static-site:{self.port}"
        )

    def url(self, path: str = "/") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def __enter__(self) -> StaticSite:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
