"""The README's Python snippets run as written, against a live emulator (ports aside)."""

from __future__ import annotations

import ast
import contextlib
import io
import re
import threading
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from http.server import HTTPServer
from pathlib import Path
from typing import Any

import pytest

from emulator.config import Settings
from emulator.server import EmulatorServer
from tests.conftest import ROOT

pytestmark = pytest.mark.sdk

README = (ROOT / "README.md").read_text(encoding="utf-8")
BLOCKS = re.findall(r"```python\n(.*?)```", README, re.DOTALL)
DEFAULT_URL = "http://127.0.0.1:9050"


def block(starting: str) -> str:
    (found,) = [b for b in BLOCKS if b.startswith(starting) or starting in b.splitlines()[0]]
    return found


@pytest.fixture(name="defaults_server", scope="module")
def _defaults_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmulatorServer]:
    """The emulator with its documented default credentials and bucket."""
    with EmulatorServer(Settings(port=0, data_dir=tmp_path_factory.mktemp("readme"))) as server:
        yield server


def run(code: str, server: EmulatorServer, **replacements: str) -> tuple[dict[str, Any], str]:
    code = code.replace(DEFAULT_URL, server.endpoint)
    for old, new in replacements.items():
        code = code.replace(old, new)
    namespace: dict[str, Any] = {"__name__": "readme_snippet"}
    output = io.StringIO()
    with contextlib.redirect_stdout(output):
        exec(compile(code, "README.md", "exec"), namespace)  # our own README's code
    return namespace, output.getvalue()


class TestSnippets:
    """Each snippet does what the README says it does."""

    def test_oss2_snippet(self, defaults_server: EmulatorServer) -> None:
        """The oss2 snippet stores and reads hello.txt."""
        _, printed = run(block("import oss2\nauth"), defaults_server)
        assert printed.strip() == "b'hello world'"

    def test_v2_snippet(self, defaults_server: EmulatorServer) -> None:
        """The alibabacloud-oss-v2 snippet puts hello.txt with the default credentials."""
        namespace, _ = run(block("import alibabacloud_oss_v2 as oss"), defaults_server)
        oss = namespace["oss"]
        got = namespace["client"].get_object(
            oss.GetObjectRequest(bucket="test-bucket", key="hello.txt")
        )
        assert got.body.read() == b"hello"

    def test_worked_callback_example(self, defaults_server: EmulatorServer, tmp_path: Path) -> None:
        """The sample-style app server verifies the callback; the upload prints its reply."""
        app_code = block("# app_server.py")
        setup, serve_line = app_code.rstrip().rsplit("\n", 1)
        assert serve_line.startswith("HTTPServer((")
        namespace, _ = run(setup, defaults_server)
        app = HTTPServer(("127.0.0.1", 0), namespace["Callback"])
        app_url = f"http://127.0.0.1:{app.server_address[1]}"
        thread = threading.Thread(target=app.serve_forever, daemon=True)
        thread.start()
        upload = block("# upload_with_callback.py")
        try:
            namespace, printed = run(upload, defaults_server, **{"http://127.0.0.1:8000": app_url})
        finally:
            app.shutdown()
            app.server_close()
        expected = re.search(r"# (200 b'.*')", upload)
        assert expected is not None
        assert printed.strip() == expected.group(1)
        # With the app server gone, the same upload is a 203 with the -1 message.
        namespace, printed = run(upload, defaults_server, **{"http://127.0.0.1:8000": app_url})
        assert namespace["result"].status == 203
        body = printed.strip().split(" ", 1)[1]
        message = ET.fromstring(ast.literal_eval(body)).findtext("Message")
        assert message == (
            "Error status : -1.OSS can not connect to your callbackUrl, please check it."
        )
        assert message in README


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # the Tea SDK's datetime.utcnow()
def test_sts_snippet(defaults_server: EmulatorServer) -> None:
    """The STS snippet gets temporary credentials that then work with oss2."""
    import oss2

    code = block("# alibabacloud-sts20150401")
    namespace, printed = run(
        code, defaults_server, **{"127.0.0.1:9050": f"127.0.0.1:{defaults_server.port}"}
    )
    assert printed.startswith("STS.")
    creds = namespace["creds"]
    auth = oss2.StsAuth(creds.access_key_id, creds.access_key_secret, creds.security_token)
    bucket = oss2.Bucket(auth, defaults_server.endpoint, "test-bucket")
    bucket.put_object("sts-readme.txt", b"temporary")
    assert bucket.get_object("sts-readme.txt").read() == b"temporary"


def test_local_links_and_images_exist() -> None:
    """Every relative link or image in the README names a file or folder of the repository,
    and every in-page anchor names a heading."""
    targets = re.findall(r"\]\(([^)\s]+)\)", README)
    assert targets, "the README links nothing"
    anchors = {
        re.sub(r"[^a-z0-9 -]", "", heading.lower()).replace(" ", "-")
        for heading in re.findall(r"^#+ (.+)$", README, re.MULTILINE)
    }
    for target in targets:
        if target.startswith(("http://", "https://")):
            continue
        if target.startswith("#"):
            assert target[1:] in anchors, target
        else:
            assert (ROOT / target).exists(), target
