"""sts.signature: the RPC HMAC-SHA1 and ACS3-HMAC-SHA256 signatures of the STS clients (S1).

Oracles: the Tea/OpenAPI core's own signers (``Utils.get_rpcsignature``, and the whole
alibabacloud-sts20150401 client with its HTTP call replaced by the emulator's pure STS
service), and ali-oss's ``STS.prototype._getSignature`` run in Node.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import pytest
from alibabacloud_sts20150401.client import Client  # type: ignore[import-untyped]
from alibabacloud_sts20150401.models import AssumeRoleRequest  # type: ignore[import-untyped]
from alibabacloud_tea_openapi.exceptions import ClientException  # type: ignore[import-untyped]
from alibabacloud_tea_openapi.models import Config  # type: ignore[import-untyped]
from alibabacloud_tea_openapi.utils import Utils  # type: ignore[import-untyped]
from darabonba.core import DaraCore  # type: ignore[import-untyped]
from darabonba.response import DaraResponse  # type: ignore[import-untyped]
from hypothesis import given
from hypothesis import strategies as st

from emulator.auth.keyring import RANDOM_SIZE, Keyring
from emulator.auth.model import Credentials, parse_query
from emulator.sts import errors
from emulator.sts.service import Call, respond
from emulator.sts.signature import (
    StsRequest,
    authenticate,
    parse_timestamp,
    percent_encode,
    rpc_signature,
    rpc_string_to_sign,
)
from tests.node_support import NODE_DIR, ensure_ali_oss

# The Tea core dates requests with datetime.utcnow(), deprecated from Python 3.12.
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning:alibabacloud_tea_openapi")

AK, SK = "LTAI-sts-caller", "caller/secret+key="
KEYRING = Keyring(Credentials(AK, SK))
ROLE = "acs:ram::1234567890123456:role/tester"
TRICKY = ["plain", "a b", "a+b", "~-_.", "!'()*", "/?#[]@", "%2F", "中文 ü€", "=&;", ""]

text = st.text(st.characters(blacklist_categories=("Cs",)), max_size=20)


def _timestamp(now: float) -> str:
    return datetime.fromtimestamp(now, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _rpc(
    params: dict[str, str], *, secret: str = SK, method: str = "POST", now: float | None = None
) -> StsRequest:
    """An RPC request signed by the Tea core's own signer, parameters in the form body."""
    signed = {
        "Action": "AssumeRole",
        "Version": "2015-04-01",
        "Format": "JSON",
        "AccessKeyId": AK,
        "SignatureMethod": "HMAC-SHA1",
        "SignatureVersion": "1.0",
        "SignatureNonce": "nonce-1",
        "Timestamp": _timestamp(time.time() if now is None else now),
        **params,
    }
    signed["Signature"] = Utils.get_rpcsignature(signed, method, secret)
    return StsRequest(method, "/", form=tuple(signed.items()))


class TestPercentEncode:
    """RFC 3986 encoding as POP wants it."""

    @pytest.mark.parametrize(
        ("raw", "encoded"),
        [("a b", "a%20b"), ("*", "%2A"), ("~", "~"), ("/", "%2F"), ("é", "%C3%A9"), ("+", "%2B")],
    )
    def test_vectors(self, raw: str, encoded: str) -> None:
        """Space is %20, * is %2A, ~ stays, UTF-8 bytes upper-case."""
        assert percent_encode(raw) == encoded


class TestRpcOracles:
    """Our RPC string to sign and signature equal the official clients'."""

    @given(st.dictionaries(text.filter(bool), text, min_size=1, max_size=6), text)
    def test_tea_core_signer(self, params: dict[str, str], secret: str) -> None:
        """alibabacloud_tea_openapi Utils.get_rpcsignature agrees on any parameters."""
        ours = rpc_signature(secret, rpc_string_to_sign("POST", tuple(params.items())))
        assert ours == Utils.get_rpcsignature(params, "POST", secret)

    @pytest.mark.node
    def test_ali_oss_signer(self) -> None:
        """ali-oss's STS._getSignature (encodeURIComponent plus !'()*) agrees."""
        node = ensure_ali_oss()
        vectors = [{f"K{value}": value, "Action": "AssumeRole", "Z": value} for value in TRICKY]
        script = (
            "const { STS } = require('ali-oss');"
            "const sts = new STS({ accessKeyId: 'a', accessKeySecret: 'b' });"
            "const input = JSON.parse(require('fs').readFileSync(0, 'utf8'));"
            "console.log(JSON.stringify(input.map((p) => sts._getSignature('POST', p, "
            f"{json.dumps(SK)}))));"
        )
        result = subprocess.run(
            [node, "-e", script],
            input=json.dumps(vectors),
            cwd=NODE_DIR,
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        )
        theirs = json.loads(result.stdout)
        ours = [rpc_signature(SK, rpc_string_to_sign("POST", tuple(p.items()))) for p in vectors]
        assert ours == theirs


class TestRpcAuthenticate:
    """authenticate() on RPC requests: the pair, or the STS error a client must see."""

    def test_accepts(self) -> None:
        """A request signed by the Tea core with the configured pair verifies."""
        req = _rpc({"RoleArn": ROLE, "RoleSessionName": "s"})
        assert authenticate(req, KEYRING, time.time()) == Credentials(AK, SK)

    @pytest.mark.parametrize("value", TRICKY)
    def test_tricky_values_in_query(self, value: str) -> None:
        """Parameters in the query, decoded from the wire, verify too."""
        req = _rpc({"RoleSessionName": value})
        wire = "&".join(f"{percent_encode(k)}={percent_encode(v)}" for k, v in req.form)
        moved = replace(req, form=(), query=parse_query(wire))
        assert authenticate(moved, KEYRING, time.time()).access_key_id == AK

    def test_unencoded_plus_in_signature(self) -> None:
        """A '+' of the Base64 signature that arrived as a space is read back as '+'."""
        for nonce in range(50):
            req = _rpc({"SignatureNonce": str(nonce)})
            signature = dict(req.form)["Signature"]
            if "+" in signature:
                spaced = tuple(
                    (k, v.replace("+", " ") if k == "Signature" else v) for k, v in req.form
                )
                assert authenticate(replace(req, form=spaced), KEYRING, time.time())
                return
        pytest.fail("no signature with '+' in 50 tries")

    @pytest.mark.parametrize(
        "mutate",
        [
            lambda r: replace(r, method="GET"),
            lambda r: replace(r, form=(*r.form, ("Extra", "1"))),
            lambda r: replace(
                r, form=tuple((k, v + "x" if k == "RoleArn" else v) for k, v in r.form)
            ),
        ],
        ids=["method", "added-parameter", "changed-value"],
    )
    def test_mutations_fail(self, mutate: Callable[[StsRequest], StsRequest]) -> None:
        """Any change to what was signed is SignatureDoesNotMatch, showing our string to sign."""
        req = mutate(_rpc({"RoleArn": ROLE}))
        with pytest.raises(errors.SignatureDoesNotMatch) as caught:
            authenticate(req, KEYRING, time.time())
        assert "server string to sign is:" + req.method + "&%2F&" in caught.value.error_message

    def test_wrong_secret(self) -> None:
        """Signed with another secret: SignatureDoesNotMatch, status 400."""
        with pytest.raises(errors.SignatureDoesNotMatch) as caught:
            authenticate(_rpc({}, secret="wrong"), KEYRING, time.time())
        assert caught.value.status == 400

    def test_unknown_key(self) -> None:
        """An unknown AccessKeyId is InvalidAccessKeyId.NotFound, status 404."""
        with pytest.raises(errors.InvalidAccessKeyIdNotFound) as caught:
            authenticate(_rpc({"AccessKeyId": "LTAI-nobody"}), KEYRING, time.time())
        assert (caught.value.code, caught.value.status) == ("InvalidAccessKeyId.NotFound", 404)

    @pytest.mark.parametrize(
        ("drop", "error"),
        [
            ("AccessKeyId", errors.MissingAccessKeyId),
            ("SignatureNonce", errors.MissingSignatureNonce),
            ("Timestamp", errors.MissingTimestamp),
        ],
    )
    def test_missing_parameters(self, drop: str, error: type[errors.STSError]) -> None:
        """AccessKeyId, SignatureNonce and (with the skew check) Timestamp are required."""
        req = _rpc({})
        req = replace(req, form=tuple((k, v) for k, v in req.form if k != drop))
        with pytest.raises(error):
            authenticate(req, KEYRING, time.time())

    def test_other_signature_method(self) -> None:
        """SignatureMethod other than HMAC-SHA1 is InvalidSignatureMethod."""
        with pytest.raises(errors.InvalidSignatureMethod):
            authenticate(_rpc({"SignatureMethod": "HMAC-SHA256"}), KEYRING, time.time())

    @pytest.mark.parametrize("offset", [-16 * 60, 16 * 60])
    def test_skewed_timestamp(self, offset: int) -> None:
        """A Timestamp over 15 minutes off is InvalidTimeStamp.Expired, unless switched off."""
        now = time.time()
        req = _rpc({}, now=now + offset)
        with pytest.raises(errors.InvalidTimeStampExpired):
            authenticate(req, KEYRING, now)
        assert authenticate(req, KEYRING, now, skew_check=False)

    def test_unreadable_timestamp(self) -> None:
        """A Timestamp that is not ISO 8601 UTC is InvalidTimeStamp.Format."""
        with pytest.raises(errors.InvalidTimeStampFormat):
            authenticate(_rpc({"Timestamp": "yesterday"}), KEYRING, time.time())

    def test_no_signature(self) -> None:
        """Neither Authorization nor Signature: IncompleteSignature."""
        with pytest.raises(errors.IncompleteSignature):
            authenticate(StsRequest("POST", form=(("Action", "AssumeRole"),)), KEYRING, 0)


class TestTemporaryCaller:
    """A caller may itself use temporary credentials, with its token (role chaining)."""

    def _issued(self, now: float) -> Any:
        return KEYRING.issue(now, 900, os.urandom(RANDOM_SIZE))

    def test_with_token(self) -> None:
        """The issued pair with SecurityToken verifies."""
        issued = self._issued(time.time())
        req = _rpc(
            {"AccessKeyId": issued.access_key_id, "SecurityToken": issued.security_token},
            secret=issued.access_key_secret,
        )
        assert authenticate(req, KEYRING, time.time()) == issued.credentials

    @pytest.mark.parametrize(
        ("token", "error"),
        [(None, errors.MissingSecurityToken), ("CAISwrong", errors.InvalidSecurityTokenMismatch)],
    )
    def test_without_or_wrong_token(self, token: str | None, error: type[errors.STSError]) -> None:
        """No token: MissingSecurityToken; another: InvalidSecurityToken.MismatchWithAccessKey."""
        issued = self._issued(time.time())
        params = {"AccessKeyId": issued.access_key_id}
        if token is not None:
            params["SecurityToken"] = token
        with pytest.raises(error):
            authenticate(_rpc(params, secret=issued.access_key_secret), KEYRING, time.time())

    def test_expired(self) -> None:
        """An expired caller is InvalidSecurityToken.Expired."""
        now = time.time()
        issued = self._issued(now - 3600)
        params = {"AccessKeyId": issued.access_key_id, "SecurityToken": issued.security_token}
        with pytest.raises(errors.InvalidSecurityTokenExpired):
            authenticate(_rpc(params, secret=issued.access_key_secret), KEYRING, now)


# --- the official Python client, in process -----------------------------------------------


def _received(dara: Any) -> StsRequest:
    """What the server would receive for a request the Tea core is about to send."""
    url = urlsplit(DaraCore.compose_url(dara))
    body = dara.body if isinstance(dara.body, bytes) else (dara.body or "").encode()
    headers = {str(k).lower(): str(v) for k, v in dara.headers.items()}
    form: tuple[tuple[str, str], ...] = ()
    if headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
        form = parse_query(body.decode())
    return StsRequest(
        dara.method.upper(), url.path or "/", parse_query(url.query), form, headers, body
    )


class _Loopback:
    """Replaces the Tea core's HTTP call: the request goes to the pure STS service instead."""

    def __init__(self) -> None:
        self.mutate: Callable[[StsRequest], StsRequest] = lambda r: r
        self.seen: list[StsRequest] = []

    def __call__(self, dara: Any, runtime_option: Any = None) -> Any:
        req = self.mutate(_received(dara))
        self.seen.append(req)
        call = Call(None, KEYRING, time.time(), os.urandom(RANDOM_SIZE), "REQ-1")
        status, payload = respond(req, call, host_id=dara.headers["host"])
        response = DaraResponse()
        response.status_code = status
        response.headers = {"content-type": "application/json;charset=utf-8"}
        response.body = json.dumps(payload).encode()
        return response


@pytest.fixture(name="loopback")
def _loopback(monkeypatch: pytest.MonkeyPatch) -> Iterator[_Loopback]:
    loopback = _Loopback()
    monkeypatch.setattr(DaraCore, "do_action", staticmethod(loopback))
    yield loopback


def _client(style: str, ak: str = AK, secret: str = SK, token: str | None = None) -> Any:
    config = Config(
        access_key_id=ak,
        access_key_secret=secret,
        security_token=token,
        endpoint="127.0.0.1:9050",
        protocol="http",
    )
    if style == "rpc":
        config.signature_algorithm = "v2"  # the Tea core's RPC HMAC-SHA1 path
    return Client(config)


def _assume(client: Any) -> Any:
    return client.assume_role(
        AssumeRoleRequest(role_arn=ROLE, role_session_name="py-session", duration_seconds=900)
    ).body


STYLES = ["acs3", "rpc"]


class TestOfficialPythonClient:
    """alibabacloud-sts20150401 signs; our service verifies the exact request it builds."""

    @pytest.mark.parametrize("style", STYLES)
    def test_assume_role(self, loopback: _Loopback, style: str) -> None:
        """Both signing styles of the official client get credentials."""
        body = _assume(_client(style))
        assert body.credentials.access_key_id.startswith("STS.")
        seen = loopback.seen[-1]
        if style == "acs3":
            assert seen.headers["authorization"].startswith("ACS3-HMAC-SHA256 ")
        else:
            assert seen.param("SignatureMethod") == "HMAC-SHA1"

    @pytest.mark.parametrize("style", STYLES)
    def test_temporary_caller(self, loopback: _Loopback, style: str) -> None:
        """Credentials from AssumeRole can call AssumeRole again with their token."""
        first = _assume(_client(style)).credentials
        client = _client(style, first.access_key_id, first.access_key_secret, first.security_token)
        assert _assume(client).credentials.access_key_id != first.access_key_id

    @pytest.mark.parametrize("style", STYLES)
    def test_wrong_secret(self, loopback: _Loopback, style: str) -> None:
        """A wrong secret is the STS error SignatureDoesNotMatch, status 400."""
        with pytest.raises(ClientException) as caught:
            _assume(_client(style, secret="wrong"))
        assert (caught.value.code, caught.value.status_code) == ("SignatureDoesNotMatch", 400)

    @pytest.mark.parametrize(
        "mutate",
        [
            lambda r: replace(r, query=(*r.query, ("Extra", "1"))),
            lambda r: replace(
                r,
                query=tuple(
                    (k, "other-session" if k == "RoleSessionName" else v) for k, v in r.query
                ),
            ),
            lambda r: replace(r, headers={**r.headers, "x-acs-signature-nonce": "replayed"}),
            lambda r: replace(r, body=b"Extra=1"),
            lambda r: replace(r, method="GET"),
        ],
        ids=["added-query", "changed-query", "signed-header", "body", "method"],
    )
    def test_acs3_mutations_fail(
        self, loopback: _Loopback, mutate: Callable[[StsRequest], StsRequest]
    ) -> None:
        """Changing anything ACS3 covers is SignatureDoesNotMatch."""
        loopback.mutate = mutate
        with pytest.raises(ClientException) as caught:
            _assume(_client("acs3"))
        assert caught.value.code == "SignatureDoesNotMatch"
        assert "server canonical request is:" in caught.value.data["Message"]

    def test_acs3_unsigned_header_ignored(self, loopback: _Loopback) -> None:
        """A header added on the way (not in SignedHeaders) does not matter."""
        loopback.mutate = lambda r: replace(r, headers={**r.headers, "x-forwarded-for": "1.2.3.4"})
        assert _assume(_client("acs3")).credentials.access_key_id.startswith("STS.")


class TestAcs3Header:
    """Malformed or foreign Authorization headers."""

    @pytest.mark.parametrize(
        ("authorization", "error"),
        [
            (
                "ACS3-HMAC-SM3 Credential=a,SignedHeaders=host,Signature=00",
                "InvalidSignatureMethod",
            ),
            (
                "ACS3-RSA-SHA256 Credential=a,SignedHeaders=host,Signature=00",
                "InvalidSignatureMethod",
            ),
            ("Bearer abc", "InvalidSignatureMethod"),
            ("ACS3-HMAC-SHA256 Credential=a,Signature=00", "IncompleteSignature"),
            ("ACS3-HMAC-SHA256", "IncompleteSignature"),
            (
                f"ACS3-HMAC-SHA256 Credential={AK},SignedHeaders=host,Signature=00",
                "SignatureDoesNotMatch",
            ),
            (
                "ACS3-HMAC-SHA256 Credential=nobody,SignedHeaders=host,Signature=00",
                "InvalidAccessKeyId.NotFound",
            ),
        ],
    )
    def test_refused(self, authorization: str, error: str) -> None:
        """Each is refused with its STS code."""
        req = StsRequest(
            "POST",
            headers={
                "authorization": authorization,
                "host": "h",
                "x-acs-date": _timestamp(time.time()),
            },
            body=b"",
        )
        with pytest.raises(errors.STSError) as caught:
            authenticate(req, KEYRING, time.time())
        assert caught.value.code == error

    def test_payload_hash_from_body(self) -> None:
        """The canonical request ends with the SHA-256 of the body received."""
        req = StsRequest(
            "POST",
            headers={
                "authorization": f"ACS3-HMAC-SHA256 Credential={AK},SignedHeaders=host,Signature=0",
                "host": "h",
            },
            body=b"abc",
        )
        with pytest.raises(errors.SignatureDoesNotMatch) as caught:
            authenticate(req, KEYRING, 0, skew_check=False)
        assert caught.value.error_message.endswith(hashlib.sha256(b"abc").hexdigest())


class TestTimestamp:
    """parse_timestamp reads what the clients send."""

    @pytest.mark.parametrize(
        ("value", "expected"),
        [
            ("2026-11-25T22:00:00Z", 1795644000.0),
            ("2026-11-25T22:00:00.123Z", 1795644000.0),
            ("2026-11-25T22:00:00", None),
            ("2026-13-25T22:00:00Z", None),
            ("", None),
        ],
    )
    def test_vectors(self, value: str, expected: float | None) -> None:
        """Seconds or milliseconds, Z required, impossible dates refused."""
        assert parse_timestamp(value) == expected


class TestTotality:
    """authenticate() on any input returns a pair or raises an STSError, nothing else."""

    @given(
        st.sampled_from(["GET", "POST", "PUT"]),
        st.lists(st.tuples(text, text), max_size=6),
        st.dictionaries(
            st.sampled_from(["authorization", "x-acs-date", "x-acs-security-token", "host"]),
            st.one_of(text, st.sampled_from(["ACS3-HMAC-SHA256 ", "ACS3-HMAC-SHA256 Credential="])),
        ),
        st.binary(max_size=20),
    )
    def test_total(
        self, method: str, params: list[tuple[str, str]], headers: dict[str, str], body: bytes
    ) -> None:
        """Random requests never crash authenticate."""
        req = StsRequest(method, "/", tuple(params), (("Signature", "x"),), headers, body)
        try:
            authenticate(req, KEYRING, time.time())
        except errors.STSError:
            pass
