"""The local STS end to end: official STS clients get credentials that OSS then accepts (S1).

alibabacloud-sts20150401 (both of its signing styles) and ali-oss's ``STS`` class talk to a
live emulator at its own address; oss2 and ali-oss then use the temporary credentials.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import oss2  # type: ignore[import-untyped]
import pytest
import requests
from alibabacloud_sts20150401.client import Client  # type: ignore[import-untyped]
from alibabacloud_sts20150401.models import AssumeRoleRequest  # type: ignore[import-untyped]
from alibabacloud_tea_openapi.exceptions import ClientException  # type: ignore[import-untyped]
from alibabacloud_tea_openapi.models import Config  # type: ignore[import-untyped]
from alibabacloud_tea_openapi.utils import Utils  # type: ignore[import-untyped]

from emulator.auth.keyring import RANDOM_SIZE, Keyring
from emulator.auth.model import Credentials
from emulator.config import Settings
from emulator.server import EmulatorServer
from tests.node_support import ensure_ali_oss, run_script

pytestmark = [
    pytest.mark.sdk,
    # The Tea core dates requests with datetime.utcnow(), deprecated from Python 3.12.
    pytest.mark.filterwarnings("ignore::DeprecationWarning:alibabacloud_tea_openapi"),
]

ROLE = "acs:ram::1234567890123456:role/emulator-tests"


@pytest.fixture(name="server", scope="module")
def _server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmulatorServer]:
    with EmulatorServer(Settings(port=0, data_dir=tmp_path_factory.mktemp("sts"))) as server:
        yield server


def _sts_client(server: EmulatorServer, style: str = "acs3", *, secret: str | None = None) -> Any:
    config = Config(
        access_key_id=server.access_key_id,
        access_key_secret=secret or server.access_key_secret,
        endpoint=f"127.0.0.1:{server.port}",
        protocol="http",
    )
    if style == "rpc":
        config.signature_algorithm = "v2"
    return Client(config)


def _assume(client: Any, duration: int = 900) -> Any:
    request = AssumeRoleRequest(
        role_arn=ROLE, role_session_name="e2e-session", duration_seconds=duration
    )
    return client.assume_role(request).body


def _bucket(server: EmulatorServer, creds: Any, version: str, token: str | None = None) -> Any:
    auth = oss2.StsAuth(
        creds.access_key_id,
        creds.access_key_secret,
        creds.security_token if token is None else token,
        auth_version=version,
    )
    return oss2.Bucket(auth, server.endpoint, server.bucket, region=server.region)


class TestPythonClient:
    """alibabacloud-sts20150401 at 127.0.0.1:PORT, then oss2.StsAuth with what it returned."""

    @pytest.mark.parametrize("version", ["v1", "v4"])
    @pytest.mark.parametrize("style", ["acs3", "rpc"])
    def test_assume_role_then_oss(self, server: EmulatorServer, style: str, version: str) -> None:
        """Put and get an object with temporary credentials, V1 and V4."""
        body = _assume(_sts_client(server, style))
        creds = body.credentials
        assert creds.access_key_id.startswith("STS.")
        assert body.assumed_role_user.arn == f"{ROLE}/e2e-session"
        bucket = _bucket(server, creds, version)
        key = f"sts/{style}-{version} a+b.txt"
        bucket.put_object(key, b"temporary hello")
        assert bucket.get_object(key).read() == b"temporary hello"

    def test_expiration_honours_duration(self, server: EmulatorServer) -> None:
        """Expiration is DurationSeconds from now, in YYYY-MM-DDTHH:MM:SSZ."""
        before = int(time.time())
        expiration = _assume(_sts_client(server), duration=1800).credentials.expiration
        parsed = time.mktime(time.strptime(expiration, "%Y-%m-%dT%H:%M:%SZ")) - time.timezone
        assert before + 1800 <= parsed <= time.time() + 1800

    def test_presigned_url(self, server: EmulatorServer) -> None:
        """A URL presigned with temporary credentials carries the token and works."""
        bucket = _bucket(server, _assume(_sts_client(server)).credentials, "v1")
        bucket.put_object("sts/presigned.txt", b"signed")
        url = bucket.sign_url("GET", "sts/presigned.txt", 300)
        assert "security-token=" in url
        assert requests.get(url, timeout=10).content == b"signed"

    @pytest.mark.parametrize("version", ["v1", "v4"])
    def test_wrong_token_refused(self, server: EmulatorServer, version: str) -> None:
        """The temporary id with another token: 403 InvalidAccessKeyId (G6)."""
        creds = _assume(_sts_client(server)).credentials
        bucket = _bucket(server, creds, version, token=creds.security_token[:-2] + "xx")
        with pytest.raises(oss2.exceptions.ServerError) as caught:
            bucket.put_object("sts/refused.txt", b"x")
        assert (caught.value.status, caught.value.code) == (403, "InvalidAccessKeyId")
        assert caught.value.message == "The security token you provided is invalid."

    def test_wrong_secret_refused(self, server: EmulatorServer) -> None:
        """The temporary id and token with another secret: SignatureDoesNotMatch."""
        creds = _assume(_sts_client(server)).credentials
        auth = oss2.StsAuth(creds.access_key_id, "guessed", creds.security_token)
        bucket = oss2.Bucket(auth, server.endpoint, server.bucket)
        with pytest.raises(oss2.exceptions.ServerError) as caught:
            bucket.put_object("sts/refused.txt", b"x")
        assert caught.value.code == "SignatureDoesNotMatch"

    @pytest.mark.parametrize("style", ["acs3", "rpc"])
    def test_wrong_permanent_secret(self, server: EmulatorServer, style: str) -> None:
        """A wrong configured secret on the STS client: 400 SignatureDoesNotMatch, STS format."""
        with pytest.raises(ClientException) as caught:
            _assume(_sts_client(server, style, secret="wrong-secret"))
        assert (caught.value.status_code, caught.value.code) == (400, "SignatureDoesNotMatch")
        assert set(caught.value.data) >= {"RequestId", "HostId", "Code", "Message", "Recommend"}

    @pytest.mark.parametrize("duration", [899, 43201])
    def test_duration_bounds(self, server: EmulatorServer, duration: int) -> None:
        """DurationSeconds outside 900-43200: 400 InvalidParameter.DurationSeconds."""
        with pytest.raises(ClientException) as caught:
            _assume(_sts_client(server), duration=duration)
        assert (caught.value.status_code, caught.value.code) == (
            400,
            "InvalidParameter.DurationSeconds",
        )

    @pytest.mark.parametrize("duration", [900, 43200])
    def test_duration_limits_accepted(self, server: EmulatorServer, duration: int) -> None:
        """The bounds themselves are accepted."""
        assert _assume(_sts_client(server), duration=duration).credentials.access_key_id


class TestExpiry:
    """Expired temporary credentials are refused as OSS refuses them."""

    @pytest.mark.parametrize("version", ["v1", "v4"])
    def test_expired_refused(self, server: EmulatorServer, version: str) -> None:
        """Issued two hours ago for 15 minutes: 403 SecurityTokenExpired, EC 0002-00000007."""
        keyring = Keyring(Credentials(server.access_key_id, server.access_key_secret))
        issued = keyring.issue(time.time() - 7200, 900, os.urandom(RANDOM_SIZE))
        auth = oss2.StsAuth(
            issued.access_key_id,
            issued.access_key_secret,
            issued.security_token,
            auth_version=version,
        )
        bucket = oss2.Bucket(auth, server.endpoint, server.bucket, region=server.region)
        with pytest.raises(oss2.exceptions.ServerError) as caught:
            bucket.put_object("sts/expired.txt", b"x")
        assert (caught.value.status, caught.value.code) == (403, "SecurityTokenExpired")
        assert caught.value.message == "The security token you provided has expired."
        assert caught.value.ec == "0002-00000007"

    def test_forged_id_unknown(self, server: EmulatorServer) -> None:
        """An STS-looking id the emulator never issued: 403 InvalidAccessKeyId."""
        bucket = oss2.Bucket(
            oss2.StsAuth("STS." + "A" * 32, "secret", "CAIStoken"), server.endpoint, server.bucket
        )
        with pytest.raises(oss2.exceptions.ServerError) as caught:
            bucket.put_object("sts/forged.txt", b"x")
        assert caught.value.code == "InvalidAccessKeyId"

    def test_survive_restart(self, tmp_path: Path) -> None:
        """Credentials issued before a restart still work after it: nothing is stored."""
        settings = Settings(port=0, data_dir=tmp_path)
        with EmulatorServer(settings) as first:
            creds = _assume(_sts_client(first)).credentials
        with EmulatorServer(settings) as second:
            bucket = _bucket(second, creds, "v1")
            bucket.put_object("after-restart.txt", b"still valid")
            assert bucket.get_object("after-restart.txt").read() == b"still valid"


def _rpc_form(server: EmulatorServer, **extra: str) -> dict[str, str]:
    """An AssumeRole form signed by hand with the Tea core's RPC signer."""
    form = {
        "Action": "AssumeRole",
        "Version": "2015-04-01",
        "Format": "JSON",
        "AccessKeyId": server.access_key_id,
        "SignatureMethod": "HMAC-SHA1",
        "SignatureVersion": "1.0",
        "SignatureNonce": os.urandom(8).hex(),
        "Timestamp": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "RoleArn": ROLE,
        "RoleSessionName": "by-hand",
        **extra,
    }
    form["Signature"] = Utils.get_rpcsignature(form, "POST", server.access_key_secret)
    return form


class TestWire:
    """Hosts, formats and headers on the wire."""

    def test_sts_host(self, server: EmulatorServer) -> None:
        """Host: sts.localhost:PORT reaches the STS, and its credentials work with OSS."""
        response = httpx.post(
            server.endpoint + "/",
            data=_rpc_form(server),
            headers={"Host": f"sts.localhost:{server.port}"},
        )
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("application/json")
        assert "x-acs-request-id" in response.headers
        assert "x-oss-request-id" not in response.headers
        creds = response.json()["Credentials"]
        auth = oss2.StsAuth(creds["AccessKeyId"], creds["AccessKeySecret"], creds["SecurityToken"])
        oss2.Bucket(auth, server.endpoint, server.bucket).put_object("sts/by-hand.txt", b"ok")

    def test_sts_host_errors_in_sts_format(self, server: EmulatorServer) -> None:
        """On an sts.* host even an OSS-looking request gets an STS JSON error."""
        response = httpx.get(
            server.endpoint + "/bucket/key", headers={"Host": f"sts.localhost:{server.port}"}
        )
        assert response.status_code == 400
        assert response.json()["Code"] == "MissingAction"
        assert response.json()["HostId"] == f"sts.localhost:{server.port}"

    def test_query_action_on_plain_host(self, server: EmulatorServer) -> None:
        """GET /?Action=AssumeRole&… on the emulator's address is STS too."""
        form = _rpc_form(server)
        form["Signature"] = Utils.get_rpcsignature(
            {k: v for k, v in form.items() if k != "Signature"}, "GET", server.access_key_secret
        )
        response = httpx.get(server.endpoint + "/", params=form)
        assert response.status_code == 200, response.text
        assert response.json()["Credentials"]["AccessKeyId"].startswith("STS.")

    def test_unknown_action(self, server: EmulatorServer) -> None:
        """Another action: 404 InvalidApi.NotFound as STS JSON, not OSS XML."""
        response = httpx.post(server.endpoint + "/", data=_rpc_form(server, Action="GetFoo"))
        assert response.status_code == 404
        assert response.json()["Code"] == "InvalidApi.NotFound"

    def test_list_buckets_still_oss(self, server: EmulatorServer) -> None:
        """GET / without an action is still OSS ListBuckets."""
        auth = oss2.Auth(server.access_key_id, server.access_key_secret)
        names = [b.name for b in oss2.Service(auth, server.endpoint).list_buckets().buckets]
        assert server.bucket in names

    def test_bucket_named_sts_path_style(self, server: EmulatorServer) -> None:
        """A bucket named sts still works path style on the emulator's address."""
        auth = oss2.Auth(server.access_key_id, server.access_key_secret)
        bucket = oss2.Bucket(auth, server.endpoint, "sts")
        bucket.create_bucket()
        bucket.put_object("k", b"v")
        assert bucket.get_object("k").read() == b"v"


@pytest.mark.node
def test_ali_oss_sts_class(server: EmulatorServer) -> None:
    """ali-oss: STS.assumeRole, then OSS with stsToken (V1 and V4); errors in STS format."""
    node = ensure_ali_oss()
    env = {
        **os.environ,
        "OSS_AK": server.access_key_id,
        "OSS_SK": server.access_key_secret,
        "OSS_BUCKET": server.bucket,
        "OSS_REGION": server.region,
        "OSS_ENDPOINT": server.endpoint,
    }
    seen = run_script(node, "sts.js", env)
    assert 890 <= seen["expiresInSeconds"] <= 900
    assert seen["contents"] == {"v1": "hello from STS", "v4": "hello from STS"}
    assert seen["wrongToken"] == "InvalidAccessKeyId"
    assert (seen["badSecret"]["status"], seen["badSecret"]["code"]) == (
        400,
        "SignatureDoesNotMatch",
    )
    assert seen["tooLong"]["code"] == "InvalidParameter.DurationSeconds"
