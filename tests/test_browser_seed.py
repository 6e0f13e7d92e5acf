"""The user's own upload-callback page (shared/seed) in headless Chromium, cross-origin.

The page is cut out of the seed document at test time and changed only where a user would
point it at the emulator: the SDK script comes from the ali-oss bundle npm installed (no CDN
here), the region, STS credentials and an ``endpoint`` are the emulator's, and the callback
URL is the test's receiver. Everything else (``authorizationV4``, ``callbackSNI``,
``customValue``, the callback body, the click handler, ``console.log(r)``) is the page's own.
The page is served from its own loopback port, so every OSS request is cross-origin, and
Chromium resolves ``examplebucket.localhost`` to loopback (virtual-host addressing).
"""

from __future__ import annotations

import os
import shutil
import ssl
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs

import oss2
import pytest
import trustme

from emulator.config import Settings
from emulator.receiver import CallbackReceiver, Reply
from emulator.server import EmulatorServer
from tests.browser_support import (
    ARTIFACTS,
    SDK_BUNDLE,
    StaticSite,
    ensure_chromium,
    ensure_playwright,
    seed_page,
    substitute,
)
from tests.node_support import run_script

pytestmark = [pytest.mark.sdk, pytest.mark.browser]

SEED = "upload-callback-browser.txt"
BUCKET = "examplebucket"
ACCESS_KEY_ID = "STS.browserSeedPageKeyId"
ACCESS_KEY_SECRET = "BrowserSeedPageTemporarySecret"
SECURITY_TOKEN = "CAIS.browser-seed-page.security-token"
#: What the receiver answers: distinctive, so the page's ``data`` can only have come from it.
RECEIVER_JSON = b'{"Status":"OK","from":"browser-seed-receiver"}'


@pytest.fixture(name="chromium", scope="module")
def _chromium() -> str:
    return ensure_chromium()


@pytest.fixture(name="node", scope="module")
def _node() -> str:
    return ensure_playwright()


@pytest.fixture(name="emulator")
def _emulator(tmp_path: Path) -> Iterator[EmulatorServer]:
    """An emulator whose only key pair is temporary: every request must carry the STS token."""
    settings = Settings(
        port=0,
        data_dir=tmp_path / "data",
        access_key_id=ACCESS_KEY_ID,
        access_key_secret=ACCESS_KEY_SECRET,
        security_token=SECURITY_TOKEN,
        buckets=(BUCKET,),
    )
    with EmulatorServer(settings) as server:
        yield server


def user_page(
    emulator_port: int,
    callback_url: str,
    credentials: tuple[str, str, str] = (ACCESS_KEY_ID, ACCESS_KEY_SECRET, SECURITY_TOKEN),
) -> str:
    """The seed page with exactly the edits a user makes to run it against the emulator."""
    access_key_id, access_key_secret, security_token = credentials
    return substitute(
        seed_page(SEED),
        [
            (
                'src="https://gosspublic.alicdn.com/aliyun-oss-sdk-6.16.0.min.js"',
                f'src="{SDK_BUNDLE.name}"',
            ),
            (
                'region: "yourRegion",',
                f'region: "oss-cn-hangzhou",\nendpoint: "http://localhost:{emulator_port}",',
            ),
            ('accessKeyId: "yourAccessKeyId",', f'accessKeyId: "{access_key_id}",'),
            (
                'accessKeySecret: "yourAccessKeySecret",',
                f'accessKeySecret: "{access_key_secret}",',
            ),
            ('stsToken: "yourSecurityToken",', f'stsToken: "{security_token}",'),
            ('bucket: "examplebucket",', f'bucket: "{BUCKET}",'),
            ('url: "http://examplebucket.aliyuncs.com:23450",', f'url: "{callback_url}",'),
        ],
    )


def tls_context() -> ssl.SSLContext:
    """A server context with a certificate for localhost that no client trusts."""
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    trustme.CA().issue_cert("localhost", "127.0.0.1").configure_cert(context)
    return context


@pytest.mark.parametrize("scheme", ["http", "https"])
def test_seed_page_upload_callback(
    chromium: str, node: str, emulator: EmulatorServer, tmp_path: Path, scheme: str
) -> None:
    """Clicking the page's button logs a 200 result whose data is the receiver's JSON."""
    credentials = (ACCESS_KEY_ID, ACCESS_KEY_SECRET, SECURITY_TOKEN)
    run_seed_page(chromium, node, emulator, tmp_path, scheme, credentials)


@pytest.fixture(name="permanent_emulator")
def _permanent_emulator(tmp_path: Path) -> Iterator[EmulatorServer]:
    """An emulator with a permanent key pair, whose local STS hands out temporary ones."""
    settings = Settings(port=0, data_dir=tmp_path / "data", buckets=(BUCKET,))
    with EmulatorServer(settings) as server:
        yield server


def assume_role_python(server: EmulatorServer) -> tuple[str, str, str]:
    """Temporary credentials from the local AssumeRole, through alibabacloud-sts20150401."""
    from alibabacloud_sts20150401.client import Client  # type: ignore[import-untyped]
    from alibabacloud_sts20150401.models import AssumeRoleRequest  # type: ignore[import-untyped]
    from alibabacloud_tea_openapi.models import Config  # type: ignore[import-untyped]

    config = Config(
        access_key_id=server.access_key_id,
        access_key_secret=server.access_key_secret,
        endpoint=f"127.0.0.1:{server.port}",
        protocol="http",
    )
    body = (
        Client(config)
        .assume_role(
            AssumeRoleRequest(
                role_arn="acs:ram::1234567890123456:role/browser-upload",
                role_session_name="browser-page",
                duration_seconds=900,
            )
        )
        .body
    )
    creds = body.credentials
    return creds.access_key_id, creds.access_key_secret, creds.security_token


def assume_role_node(node: str, server: EmulatorServer) -> tuple[str, str, str]:
    """Temporary credentials from the local AssumeRole, through ali-oss's STS class."""
    creds = run_script(
        node,
        "assume_role.js",
        {
            **os.environ,
            "OSS_AK": server.access_key_id,
            "OSS_SK": server.access_key_secret,
            "OSS_ENDPOINT": server.endpoint,
        },
    )
    return creds["AccessKeyId"], creds["AccessKeySecret"], creds["SecurityToken"]


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # the Tea SDK's datetime.utcnow()
@pytest.mark.parametrize("client", ["python-sts-sdk", "ali-oss-sts"])
def test_seed_page_with_assumed_role(
    chromium: str, node: str, permanent_emulator: EmulatorServer, tmp_path: Path, client: str
) -> None:
    """Credentials from the local AssumeRole drive the user's page end to end."""
    if client == "python-sts-sdk":
        credentials = assume_role_python(permanent_emulator)
    else:
        credentials = assume_role_node(node, permanent_emulator)
    assert credentials[0].startswith("STS.")
    run_seed_page(chromium, node, permanent_emulator, tmp_path, "http", credentials)


def run_seed_page(
    chromium: str,
    node: str,
    emulator: EmulatorServer,
    tmp_path: Path,
    scheme: str,
    credentials: tuple[str, str, str],
) -> None:
    access_key_id, access_key_secret, security_token = credentials
    with CallbackReceiver(tls=tls_context() if scheme == "https" else None) as receiver:
        receiver.default_reply = Reply(body=RECEIVER_JSON)
        # https: a host name, so that callbackSNI: true has a server name to offer.
        host = "localhost" if scheme == "https" else "127.0.0.1"
        callback_url = f"{scheme}://{host}:{receiver.port}/callback"
        site_dir = tmp_path / "site"
        site_dir.mkdir()
        (site_dir / "index.html").write_text(
            user_page(emulator.port, callback_url, credentials), encoding="utf-8"
        )
        shutil.copyfile(SDK_BUNDLE, site_dir / SDK_BUNDLE.name)
        ARTIFACTS.mkdir(exist_ok=True)
        screenshot = ARTIFACTS / f"browser-seed-{scheme}.png"
        screenshot.unlink(missing_ok=True)

        with StaticSite(site_dir) as site, tempfile.TemporaryDirectory() as profile:
            env = {
                **os.environ,
                "PAGE_URL": site.url("/index.html"),
                "CHROMIUM": chromium,
                "USER_DATA_DIR": profile,
                "SCREENSHOT": str(screenshot),
            }
            started = time.monotonic()
            observed = run_script(node, "seed_page.js", env, timeout=180)
            elapsed = time.monotonic() - started

        diagnostics = f"in {elapsed:.1f}s the page showed: {observed}"
        assert observed["sdkLoaded"], diagnostics
        assert observed["origin"] == f"http://127.0.0.1:{site.port}", diagnostics
        assert not observed["errors"] and not observed["pageErrors"], diagnostics
        assert len(observed["logs"]) == 1, diagnostics
        (result,) = observed["logs"][0]
        assert result["res"]["status"] == 200, diagnostics
        assert result["name"] == "example.txt", diagnostics
        assert result["data"] == {"Status": "OK", "from": "browser-seed-receiver"}, diagnostics
        # Cross-origin, virtual-host style: the bucket is in the host name.
        assert result["res"]["requestUrls"] == [
            f"http://{BUCKET}.localhost:{emulator.port}/example.txt"
        ], diagnostics
        # The SDK signed with V4 and the temporary key, and sent the token, from the page's origin.
        (put,) = [request for request in observed["network"] if request["method"] == "PUT"]
        assert put["status"] == 200, diagnostics
        assert put["headers"]["origin"] == observed["origin"], diagnostics
        assert put["headers"]["authorization"].startswith(
            f"OSS4-HMAC-SHA256 Credential={access_key_id}/"
        ), diagnostics
        assert put["headers"]["x-oss-security-token"] == security_token, diagnostics
        assert screenshot.stat().st_size > 0

        (received,) = receiver.requests
        assert received.verified, received.verify_error
        assert received.path == "/callback"
        form = parse_qs(received.body.decode(), keep_blank_values=True)
        fields = {name: values[0] for name, values in form.items()}
        assert fields["bucket"] == BUCKET
        assert fields["object"] == "example.txt"
        assert fields["size"] == "11"
        assert fields["var1"] == "value1"
        assert fields["var2"] == "value2"
        if scheme == "https":
            assert received.server_name == "localhost"

    auth = oss2.StsAuth(access_key_id, access_key_secret, security_token)
    stored = oss2.Bucket(auth, emulator.endpoint, BUCKET).get_object("example.txt")
    assert stored.read() == b"Hello World"
    assert fields["etag"] == stored.etag
