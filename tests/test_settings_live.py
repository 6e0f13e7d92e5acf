"""Settings that change what a running emulator does, seen over real HTTP.

``--cors-default``, ``--virtual-host-base``, ``--public-url``, ``--callback-strict-hosts``
and the generated callback signing key: each test starts its own ``EmulatorServer`` with
the settings under test.
Host names that only exist in a test (``example.test``, ``emulator.test``) are resolved to
the emulator by the ``hosts`` fixture, a per-test hosts file: the SDKs then send the
``Host`` header a real deployment would see.
"""

from __future__ import annotations

import base64
import socket
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import alibabacloud_oss_v2 as oss
import httpx
import oss2
import pytest

from emulator.config import Settings
from emulator.errors import NoSuchKey
from emulator.receiver import CallbackReceiver
from emulator.server import EmulatorServer
from tests.conftest import b64
from tests.test_post_object import policy_b64, v1_fields

ORIGIN = "http://app.local:3000"
PEM_PATH = "/callback_pub_key_v1.pem"


@contextmanager
def running(data_dir: Path, **options: Any) -> Iterator[EmulatorServer]:
    with EmulatorServer(Settings(port=0, data_dir=data_dir, **options)) as server:
        yield server


def direct_url(server: EmulatorServer) -> str:
    """The bound address, whatever ``public_url`` says."""
    return f"http://127.0.0.1:{server.port}"


def oss2_bucket(server: EmulatorServer, endpoint: str, *, v4: bool = False) -> oss2.Bucket:
    auth_class = oss2.AuthV4 if v4 else oss2.Auth
    auth = auth_class(server.access_key_id, server.access_key_secret)
    return oss2.Bucket(auth, endpoint, server.bucket, region=server.region)


def access_control(headers: Any) -> dict[str, str]:
    """The ``Access-Control-*`` headers of a response, names in lower case."""
    return {
        name.lower(): value
        for name, value in headers.items()
        if name.lower().startswith("access-control-")
    }


def post_photo_201(server: EmulatorServer, url: str) -> httpx.Response:
    """A signed form upload of ``upload/photo.png`` to ``url`` asking for the 201 answer."""
    fields = {
        "key": "upload/photo.png",
        "success_action_status": "201",
        **v1_fields(server, policy_b64([["content-length-range", 0, 100]])),
    }
    return httpx.post(
        f"{url}/{server.bucket}/",
        data=fields,
        files={"file": ("photo.png", b"png", "image/png")},
    )


@pytest.fixture(name="hosts")
def _hosts(monkeypatch: pytest.MonkeyPatch) -> dict[str, int]:
    """Name -> port on 127.0.0.1, for the name and its subdomains, for this test only."""
    table: dict[str, int] = {}
    real = socket.getaddrinfo

    def getaddrinfo(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        name = host.decode() if isinstance(host, bytes) else host
        for base, target in table.items():
            if isinstance(name, str) and (name == base or name.endswith("." + base)):
                return real("127.0.0.1", target, *args, **kwargs)
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return table


@pytest.mark.sdk
class TestCorsDefault:
    """--cors-default: what a bucket without CORS rules answers a browser (R8, S3)."""

    def test_on_allows_every_origin(self, tmp_path: Path) -> None:
        """The default: the preflight is allowed and the actual response carries CORS headers."""
        with running(tmp_path) as server:
            preflight = httpx.options(
                f"{direct_url(server)}/{server.bucket}/page.txt",
                headers={"Origin": ORIGIN, "Access-Control-Request-Method": "PUT"},
            )
            result = oss2_bucket(server, server.endpoint).put_object(
                "page.txt", b"x", headers={"Origin": ORIGIN}
            )
        assert preflight.status_code == 200
        assert preflight.headers["access-control-allow-origin"] == ORIGIN
        assert "PUT" in preflight.headers["access-control-allow-methods"]
        actual = access_control(result.headers)
        assert actual["access-control-allow-origin"] == ORIGIN
        assert "etag" in actual["access-control-expose-headers"].lower()

    def test_off_refuses_browsers(self, tmp_path: Path) -> None:
        """false: preflight 403 AccessForbidden; actual requests work, with no CORS headers."""
        with running(tmp_path, cors_default=False) as server:
            preflight = httpx.options(
                f"{direct_url(server)}/{server.bucket}/page.txt",
                headers={"Origin": ORIGIN, "Access-Control-Request-Method": "PUT"},
            )
            bucket = oss2_bucket(server, server.endpoint)
            result = bucket.put_object("page.txt", b"x", headers={"Origin": ORIGIN})
            read = bucket.get_object("page.txt", headers={"Origin": ORIGIN})
            assert read.read() == b"x"
        assert preflight.status_code == 403
        assert ET.fromstring(preflight.content).findtext("Code") == "AccessForbidden"
        assert access_control(preflight.headers) == {}
        assert result.status == 200
        assert access_control(result.headers) == {}
        assert access_control(read.headers) == {}

    def test_off_still_applies_bucket_rules(self, tmp_path: Path) -> None:
        """false only concerns buckets without rules: PutBucketCors rules still answer."""
        with running(tmp_path, cors_default=False) as server:
            bucket = oss2_bucket(server, server.endpoint)
            rule = oss2.models.CorsRule(
                allowed_origins=[ORIGIN], allowed_methods=["PUT"], expose_headers=["ETag"]
            )
            bucket.put_bucket_cors(oss2.models.BucketCors([rule]))
            preflight = httpx.options(
                f"{direct_url(server)}/{server.bucket}/page.txt",
                headers={"Origin": ORIGIN, "Access-Control-Request-Method": "PUT"},
            )
            result = bucket.put_object("page.txt", b"x", headers={"Origin": ORIGIN})
        assert preflight.status_code == 200
        assert preflight.headers["access-control-allow-origin"] == ORIGIN
        assert access_control(result.headers)["access-control-expose-headers"] == "ETag"


@pytest.mark.sdk
class TestVirtualHostBase:
    """--virtual-host-base: ``<bucket>.<base>`` is virtual-host addressing (R1)."""

    @pytest.mark.parametrize("client", ["oss2-v1", "oss2-v4", "v2"])
    def test_sdk_on_configured_base(
        self, tmp_path: Path, hosts: dict[str, int], client: str
    ) -> None:
        """SDKs addressing ``test-bucket.example.test:<port>`` store into and read the bucket."""
        with running(tmp_path, virtual_host_base=("example.test",)) as server:
            hosts["example.test"] = server.port
            endpoint = f"http://example.test:{server.port}"
            if client == "v2":
                cfg = oss.config.load_default()
                cfg.credentials_provider = oss.credentials.StaticCredentialsProvider(
                    server.access_key_id, server.access_key_secret
                )
                cfg.region, cfg.endpoint, cfg.retry_max_attempts = server.region, endpoint, 1
                v2 = oss.Client(cfg)
                v2.put_object(oss.PutObjectRequest(bucket=server.bucket, key="vh.txt", body=b"vh"))
                got = v2.get_object(oss.GetObjectRequest(bucket=server.bucket, key="vh.txt"))
                assert got.body is not None
                assert got.body.read() == b"vh"
            else:
                bucket = oss2_bucket(server, endpoint, v4=client == "oss2-v4")
                bucket.put_object("vh.txt", b"vh")
                assert bucket.get_object("vh.txt").read() == b"vh"
                with pytest.raises(oss2.exceptions.NoSuchKey) as info:
                    bucket.get_object("missing.txt")
                # HostId is the Host header as received (S4): the virtual host, port included.
                assert info.value.details["HostId"] == f"{server.bucket}.example.test:{server.port}"
            meta = server.storage.head_object(server.bucket, "vh.txt")
            assert b"".join(server.storage.read_object(meta)) == b"vh"

    def test_bucket_host_paths_are_object_keys(self, tmp_path: Path, hosts: dict[str, int]) -> None:
        """On the bucket's host /callback_pub_key_v1.pem is a key; the bare base serves the PEM."""
        with running(tmp_path, virtual_host_base=("example.test",)) as server:
            hosts["example.test"] = server.port
            bucket = oss2_bucket(server, f"http://example.test:{server.port}")
            bucket.put_object(PEM_PATH.lstrip("/"), b"an object, not the key")
            assert bucket.get_object(PEM_PATH.lstrip("/")).read() == b"an object, not the key"
            pem = httpx.get(f"http://example.test:{server.port}{PEM_PATH}")
            assert pem.status_code == 200
            assert pem.content == server.public_key_pem

    def test_unconfigured_base_is_path_style(self, tmp_path: Path, hosts: dict[str, int]) -> None:
        """Without the setting the same request reads ``/vh.txt`` as a bucket name: refused."""
        with running(tmp_path) as server:
            hosts["example.test"] = server.port
            bucket = oss2_bucket(server, f"http://example.test:{server.port}")
            with pytest.raises(oss2.exceptions.OssError) as info:
                bucket.put_object("vh.txt", b"vh")
            assert (info.value.status, info.value.code) == (400, "InvalidBucketName")
            assert not server.storage.list_objects(server.bucket).objects


@pytest.mark.sdk
class TestPublicUrl:
    """--public-url: the address app servers and browsers are told to use (C17)."""

    def test_pub_key_url_and_post_location(
        self, tmp_path: Path, hosts: dict[str, int], receiver: CallbackReceiver
    ) -> None:
        """x-oss-pub-key-url names <public URL>/callback_pub_key_v1.pem (fetchable there), and
        a PostObject 201 answers Location <public URL>/<bucket>/<key>."""
        public = "http://emulator.test"
        with running(tmp_path, public_url=public) as server:
            hosts["emulator.test"] = server.port  # port 80 of that name is the emulator
            bucket = oss2_bucket(server, direct_url(server))
            headers = {"x-oss-callback": b64({"callbackUrl": receiver.url(), "callbackBody": "a"})}
            assert bucket.put_object("k.txt", b"x", headers=headers).status == 200

            response = post_photo_201(server, direct_url(server))
        (got,) = receiver.requests
        key_url = base64.b64decode(got.headers["x-oss-pub-key-url"]).decode()
        assert key_url == f"{public}{PEM_PATH}"
        assert got.verified, got.verify_error  # the receiver fetched the key from there
        assert response.status_code == 201, response.text
        root = ET.fromstring(response.content)
        assert root.findtext("Location") == f"{public}/{server.bucket}/upload/photo.png"

    def test_default_location_is_the_bound_address(self, oss_emulator: EmulatorServer) -> None:
        """Without --public-url the Location names the address the emulator listens on."""
        response = post_photo_201(oss_emulator, oss_emulator.endpoint)
        assert response.status_code == 201, response.text
        location = ET.fromstring(response.content).findtext("Location")
        assert location == f"{oss_emulator.endpoint}/{oss_emulator.bucket}/upload/photo.png"


class TestSigningKey:
    """The callback key is generated once per data directory and kept (C16)."""

    def test_stable_across_restarts(self, tmp_path: Path) -> None:
        """Two starts on one data dir serve the same PEM; another data dir gets another key."""

        def served(data_dir: Path) -> bytes:
            with running(data_dir) as server:
                response = httpx.get(f"{server.endpoint}{PEM_PATH}")
                assert response.status_code == 200
                return response.content

        first = served(tmp_path / "one")
        assert first.startswith(b"-----BEGIN PUBLIC KEY-----")
        assert served(tmp_path / "one") == first
        assert served(tmp_path / "two") != first


@pytest.fixture(name="addresses")
def _addresses(monkeypatch: pytest.MonkeyPatch) -> dict[str, str | None]:
    """Name -> the one address it resolves to (None: does not resolve), for this test only.
    Strict mode only resolves names; with the ``refuse`` fault nothing is ever sent, so a
    public address here is never contacted."""
    table: dict[str, str | None] = {}
    real = socket.getaddrinfo

    def getaddrinfo(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        name = host.decode() if isinstance(host, bytes) else host
        if name in table:
            address = table[name]
            if address is None:
                raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port or 0))]
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return table


class TestStrictHosts:
    """--callback-strict-hosts: callback URLs OSS itself would refuse are refused (C12)."""

    @pytest.mark.parametrize(
        ("urls", "ec"),
        [
            ("http://127.0.0.1:9/cb", "0007-00000008"),
            ("http://localhost:9/cb", "0007-00000008"),
            ("http://private.test/cb", "0007-00000008"),
            ("http://public.test/cb;http://private.test/cb", "0007-00000008"),
            ("http://nowhere.test/cb", "0007-00000007"),
        ],
    )
    def test_refused_before_anything_is_stored(
        self, tmp_path: Path, addresses: dict[str, str | None], urls: str, ec: str
    ) -> None:
        """400 InvalidArgument with C12's EC; no object, no callback attempt."""
        addresses.update({"private.test": "10.1.2.3", "public.test": "93.184.216.34"})
        addresses["nowhere.test"] = None
        with running(tmp_path, callback_strict_hosts=True) as server:
            bucket = oss2_bucket(server, server.endpoint)
            headers = {"x-oss-callback": b64({"callbackUrl": urls, "callbackBody": "a"})}
            with pytest.raises(oss2.exceptions.OssError) as refused:
                bucket.put_object("strict.txt", b"x", headers=headers)
            assert (refused.value.status, refused.value.code) == (400, "InvalidArgument")
            assert refused.value.ec == ec
            assert not bucket.object_exists("strict.txt")
            assert server.callbacks == []

    def test_public_name_passes(self, tmp_path: Path, addresses: dict[str, str | None]) -> None:
        """A name resolving to a public address is accepted: the upload stores and goes on to
        delivery (refused here by the fault, so nothing leaves the machine)."""
        addresses["public.test"] = "93.184.216.34"
        with running(tmp_path, callback_strict_hosts=True) as server:
            server.add_fault("refuse")
            bucket = oss2_bucket(server, server.endpoint)
            headers = {
                "x-oss-callback": b64({"callbackUrl": "public.test/cb", "callbackBody": "a"})
            }
            result = bucket.put_object("public.txt", b"x", headers=headers)
            assert result.status == 203  # oss2 returns CallbackFailed's 203 as a result
            (attempt,) = server.callbacks
            assert attempt["message"] == "Too many callback requests."
            assert bucket.get_object("public.txt").read() == b"x"

    def test_off_by_default(self, tmp_path: Path, addresses: dict[str, str | None]) -> None:
        """Without the setting, private and unresolvable hosts pass validation (C12)."""
        addresses.update({"private.test": "10.1.2.3", "nowhere.test": None})
        with running(tmp_path) as server:
            server.add_fault("refuse")
            bucket = oss2_bucket(server, server.endpoint)
            for url in ("private.test/cb", "nowhere.test/cb", "127.0.0.1:9/cb"):
                headers = {"x-oss-callback": b64({"callbackUrl": url, "callbackBody": "a"})}
                assert bucket.put_object("lax.txt", b"x", headers=headers).status == 203

    @pytest.mark.parametrize(
        ("url", "ec"),
        [
            ("http://127.0.0.1:9/cb", "0007-00000008"),
            ("http://private.test/cb", "0007-00000008"),
            ("http://nowhere.test/cb", "0007-00000007"),
        ],
    )
    def test_form_callback(
        self, tmp_path: Path, addresses: dict[str, str | None], url: str, ec: str
    ) -> None:
        """PostObject's callback field is checked the same way, names resolved too."""
        addresses.update({"private.test": "10.1.2.3", "nowhere.test": None})
        with running(tmp_path, callback_strict_hosts=True) as server:
            fields = {
                "key": "form.txt",
                "callback": b64({"callbackUrl": url, "callbackBody": "a"}),
                **v1_fields(server, policy_b64([["content-length-range", 0, 100]])),
            }
            response = httpx.post(
                f"{direct_url(server)}/{server.bucket}/",
                data=fields,
                files={"file": ("form.txt", b"x", "text/plain")},
            )
            assert response.status_code == 400, response.text
            assert response.headers["x-oss-ec"] == ec
            assert server.callbacks == []
            with pytest.raises(NoSuchKey):
                server.storage.head_object(server.bucket, "form.txt")
