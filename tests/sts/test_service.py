"""sts.service: routing, the action table, AssumeRole parameters and response shape (S1)."""

from __future__ import annotations

import json
import re
import time
from typing import Any

import pytest
from alibabacloud_tea_openapi.utils import Utils  # type: ignore[import-untyped]
from hypothesis import given
from hypothesis import strategies as st

from emulator.auth.keyring import RANDOM_SIZE, Keyring
from emulator.auth.model import Credentials
from emulator.sts import errors
from emulator.sts.service import (
    ACTIONS,
    DEFAULT_DURATION,
    Call,
    expiration_text,
    is_sts_request,
    parse_duration,
    respond,
    role_id_of,
)
from emulator.sts.signature import StsRequest

AK, SK = "LTAI-sts-caller", "caller-secret"
KEYRING = Keyring(Credentials(AK, SK))
ROLE = "acs:ram::1234567890123456:role/tester"
NOW = 1795644000.0  # 2026-11-25T22:00:00Z
HOST = "127.0.0.1:9050"


def _call(now: float = NOW) -> Call:
    return Call(None, KEYRING, now, bytes(RANDOM_SIZE), "6894B13B-6D71-4EF5-88FA-F32781734A7F")


def _answer(
    params: dict[str, str], *, method: str = "POST", signed: bool = False
) -> tuple[int, dict[str, Any]]:
    """Respond to AssumeRole with these parameters; unsigned unless asked."""
    form = {"Action": "AssumeRole", **params}
    if signed:
        form.update(
            AccessKeyId=AK,
            SignatureMethod="HMAC-SHA1",
            SignatureNonce="n",
            Timestamp=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        )
        form["Signature"] = Utils.get_rpcsignature(form, method, SK)
    req = StsRequest(method, "/", form=tuple(form.items()))
    now = time.time() if signed else NOW
    return respond(req, _call(now), host_id=HOST, check_signature=signed)


def _error_code(params: dict[str, str]) -> str:
    status, body = _answer(params)
    assert 400 <= status < 500
    return str(body["Code"])


BASE = {"RoleArn": ROLE, "RoleSessionName": "alice"}


class TestDuration:
    """DurationSeconds: 900-43200, default 3600 (S1)."""

    @pytest.mark.parametrize("value", ["900", "3600", "43200", " 1800 "])
    def test_accepted(self, value: str) -> None:
        """Inside the bounds, the expiry is now + duration."""
        status, body = _answer({**BASE, "DurationSeconds": value})
        assert status == 200
        assert body["Credentials"]["Expiration"] == expiration_text(int(NOW) + int(value))

    @pytest.mark.parametrize("value", ["899", "43201", "0", "-900", "1e3", "abc", "3600.5"])
    def test_refused(self, value: str) -> None:
        """Outside the bounds or not an integer: 400 InvalidParameter.DurationSeconds."""
        assert _error_code({**BASE, "DurationSeconds": value}) == "InvalidParameter.DurationSeconds"

    @pytest.mark.parametrize("value", [None, ""])
    def test_default(self, value: str | None) -> None:
        """Absent or empty is 3600 seconds."""
        assert parse_duration(value) == DEFAULT_DURATION == 3600


class TestParameters:
    """Required and checked AssumeRole parameters."""

    @pytest.mark.parametrize(
        ("params", "code"),
        [
            ({"RoleSessionName": "alice"}, "MissingRoleArn"),
            ({"RoleArn": "", "RoleSessionName": "alice"}, "MissingRoleArn"),
            ({"RoleArn": ROLE}, "MissingRoleSessionName"),
            (
                {"RoleArn": "arn:aws:iam::1:role/x", "RoleSessionName": "a1"},
                "InvalidParameter.RoleArn",
            ),
            ({**BASE, "RoleSessionName": "a"}, "InvalidParameter.RoleSessionName"),
            ({**BASE, "RoleSessionName": "a b"}, "InvalidParameter.RoleSessionName"),
            ({**BASE, "RoleSessionName": "x" * 65}, "InvalidParameter.RoleSessionName"),
            ({**BASE, "Policy": "{not json"}, "InvalidParameter.PolicyGrammar"),
            ({**BASE, "Policy": "[1, 2]"}, "InvalidParameter.PolicyGrammar"),
        ],
    )
    def test_refused(self, params: dict[str, str], code: str) -> None:
        """Each bad parameter has its STS code and a 400."""
        assert _error_code(params) == code

    @pytest.mark.parametrize("name", ["a.b@c-d_e", "x" * 64, "12"])
    def test_session_names(self, name: str) -> None:
        """2-64 of A-Z a-z 0-9 . @ - _ are accepted."""
        assert _answer({**BASE, "RoleSessionName": name})[0] == 200

    def test_policy_accepted(self) -> None:
        """A JSON object policy is accepted (and not enforced)."""
        policy = json.dumps({"Version": "1", "Statement": []})
        assert _answer({**BASE, "Policy": policy, "ExternalId": "e"})[0] == 200


class TestResponse:
    """The S1 success body."""

    def test_shape(self) -> None:
        """RequestId, AssumedRoleUser {Arn, AssumedRoleId}, Credentials with four fields."""
        status, body = _answer(BASE)
        assert status == 200
        assert list(body) == ["RequestId", "AssumedRoleUser", "Credentials"]
        assert body["RequestId"] == "6894B13B-6D71-4EF5-88FA-F32781734A7F"
        assert body["AssumedRoleUser"] == {
            "Arn": f"{ROLE}/alice",
            "AssumedRoleId": f"{role_id_of(ROLE)}:alice",
        }
        creds = body["Credentials"]
        assert list(creds) == ["AccessKeyId", "AccessKeySecret", "SecurityToken", "Expiration"]
        assert creds["AccessKeyId"].startswith("STS.")
        assert creds["Expiration"] == "2026-11-25T23:00:00Z"

    def test_credentials_usable(self) -> None:
        """The returned pair is what the keyring finds for its id."""
        creds = _answer(BASE)[1]["Credentials"]
        found = KEYRING.find(creds["AccessKeyId"], NOW)
        assert found == Credentials(
            creds["AccessKeyId"], creds["AccessKeySecret"], creds["SecurityToken"]
        )

    def test_role_id(self) -> None:
        """Role ids are 18 digits, stable per ARN (case-insensitive), different across ARNs."""
        assert re.fullmatch(r"[1-9][0-9]{17}", role_id_of(ROLE))
        assert role_id_of(ROLE) == role_id_of(ROLE.upper())
        assert role_id_of(ROLE) != role_id_of(ROLE + "2")

    def test_signed_request(self) -> None:
        """With signature checking on, a correctly signed request succeeds."""
        assert _answer(BASE, signed=True)[0] == 200


class TestErrors:
    """STS's JSON error shape and the dispatch errors."""

    def test_error_shape(self) -> None:
        """RequestId, HostId, Code, Message, Recommend; HostId is the Host header."""
        status, body = _answer({"RoleSessionName": "alice"})
        assert status == 400
        assert list(body) == ["RequestId", "HostId", "Code", "Message", "Recommend"]
        assert body["HostId"] == HOST
        assert body["Message"] == "RoleArn is mandatory for this action."
        assert "MissingRoleArn" in body["Recommend"]

    def test_unknown_action(self) -> None:
        """An action the emulator does not implement: 404 InvalidApi.NotFound in STS format."""
        req = StsRequest("POST", form=(("Action", "GetCallerIdentity"),))
        status, body = respond(req, _call(), host_id=HOST)
        assert (status, body["Code"]) == (404, "InvalidApi.NotFound")

    def test_action_from_header(self) -> None:
        """x-acs-action names the action (the Tea/OpenAPI SDKs)."""
        req = StsRequest("POST", headers={"x-acs-action": "AssumeRole"}, query=tuple(BASE.items()))
        assert respond(req, _call(), host_id=HOST, check_signature=False)[0] == 200

    def test_missing_action(self) -> None:
        """No action at all: MissingAction."""
        status, body = respond(StsRequest("GET"), _call(), host_id=HOST)
        assert (status, body["Code"]) == (400, "MissingAction")

    @pytest.mark.parametrize("method", ["PUT", "DELETE", "OPTIONS"])
    def test_methods(self, method: str) -> None:
        """Only GET and POST: others are UnsupportedHTTPMethod."""
        status, body = _answer(BASE, method=method)
        assert body["Code"] == "UnsupportedHTTPMethod"

    def test_get_with_query(self) -> None:
        """GET with the parameters in the query works like POST."""
        req = StsRequest("GET", query=(("Action", "AssumeRole"), *BASE.items()))
        assert respond(req, _call(), host_id=HOST, check_signature=False)[0] == 200

    def test_signature_checked_before_parameters(self) -> None:
        """An unsigned request with bad parameters is a signature error first."""
        req = StsRequest("POST", form=(("Action", "AssumeRole"), ("DurationSeconds", "1")))
        status, body = respond(req, _call(), host_id=HOST)
        assert body["Code"] == "IncompleteSignature"

    def test_table(self) -> None:
        """The action table lists AssumeRole."""
        assert sorted(ACTIONS) == ["AssumeRole"]

    @given(st.lists(st.tuples(st.text(max_size=15), st.text(max_size=15)), max_size=8))
    def test_total(self, params: list[tuple[str, str]]) -> None:
        """Any parameters give a 200 or a 4xx STS body, never an exception."""
        req = StsRequest("POST", form=(("Action", "AssumeRole"), *params))
        status, body = respond(req, _call(), host_id=HOST, check_signature=False)
        assert status == 200 or (400 <= status < 500 and "Code" in body)


class TestRouting:
    """is_sts_request: STS hosts, and STS-looking requests that name no bucket."""

    @pytest.mark.parametrize(
        "host",
        [
            "sts.aliyuncs.com",
            "sts.cn-hangzhou.aliyuncs.com",
            "sts.localhost:9050",
            "STS.example.test",
            "sts:9050",
        ],
    )
    def test_sts_hosts(self, host: str) -> None:
        """A Host whose first label is sts is STS whatever the request."""
        assert is_sts_request(
            host, "/any", names_bucket=True, method="GET", query_names=frozenset(), headers={}
        )

    @pytest.mark.parametrize(
        "host", ["sts.oss-cn-hangzhou.aliyuncs.com", "stsx.localhost:9050", "127.0.0.1:9050"]
    )
    def test_not_sts_hosts(self, host: str) -> None:
        """A bucket named sts on an oss- endpoint, or another name, is not an STS host."""
        assert not is_sts_request(
            host, "/b/k", names_bucket=False, method="GET", query_names=frozenset(), headers={}
        )

    @pytest.mark.parametrize(
        ("method", "query", "headers", "expected"),
        [
            ("POST", set(), {"x-acs-action": "AssumeRole"}, True),
            ("GET", {"Action"}, {}, True),
            (
                "POST",
                set(),
                {"content-type": "application/x-www-form-urlencoded; charset=utf-8"},
                True,
            ),
            ("GET", set(), {}, False),  # ListBuckets
            ("POST", set(), {"content-type": "multipart/form-data; boundary=x"}, False),
            ("PUT", set(), {"content-type": "application/x-www-form-urlencoded"}, False),
        ],
    )
    def test_no_bucket(
        self, method: str, query: set[str], headers: dict[str, str], expected: bool
    ) -> None:
        """On a request naming no bucket: x-acs-action, Action or a POSTed form mean STS."""
        got = is_sts_request(
            HOST,
            "/",
            names_bucket=False,
            method=method,
            query_names=frozenset(query),
            headers=headers,
        )
        assert got is expected

    @pytest.mark.parametrize(("path", "names_bucket"), [("/bucket", False), ("/", True)])
    def test_bucket_requests_stay_oss(self, path: str, names_bucket: bool) -> None:
        """A request naming a bucket is OSS even with an Action parameter."""
        assert not is_sts_request(
            HOST,
            path,
            names_bucket=names_bucket,
            method="GET",
            query_names=frozenset({"Action"}),
            headers={"x-acs-action": "AssumeRole"},
        )


class TestErrorClasses:
    """Every STS error class has a dotted or plain POP code and a 4xx status."""

    def test_codes_and_statuses(self) -> None:
        """Codes are unique; statuses are 4xx; messages are non-empty."""
        found: list[type[errors.STSError]] = []
        pending = list(errors.STSError.__subclasses__())
        while pending:
            cls = pending.pop()
            found.append(cls)
            pending.extend(cls.__subclasses__())
        codes = [cls.code for cls in found]
        assert len(codes) == len(set(codes))
        assert all(400 <= cls.status < 500 and cls.message for cls in found)
        assert {"SignatureDoesNotMatch", "InvalidAccessKeyId.NotFound"} <= set(codes)
