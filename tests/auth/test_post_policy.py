"""PostObject policy layer (rest-api.md §8, §17 G8): vectors, conditions, V1/V4 rules, oracles.

Forms here are signed by a few lines of standard-library code written from §8.3, by
ali-oss's own helpers (tests/node/post_signature.js) and by alibabacloud-oss-v2's signing
primitives as its ``sample/post_object.py`` uses them; never by the code under test, except
in the tests of ``sign_form_v1`` / ``sign_form_v4`` themselves.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from collections.abc import Callable
from typing import Any

import pytest
from alibabacloud_oss_v2.signer import SignerV1, SignerV4  # type: ignore[import-untyped]
from hypothesis import example, given
from hypothesis import strategies as st

from emulator.auth import post_conditions as pc
from emulator.auth.model import Credentials
from emulator.auth.post_policy import (
    InvalidPolicyDocument,
    Policy,
    PostAuth,
    PostForm,
    authenticate,
    check_length,
    check_policy,
    decode_policy,
    encode_policy,
    expand_key,
    sign_form_v1,
    sign_form_v4,
    signature_v1,
    signature_v4,
)
from emulator.errors import (
    AccessDenied,
    InvalidAccessKeyId,
    InvalidArgument,
    OSSError,
    RequestTimeTooSkewed,
    SecurityTokenExpired,
    SignatureDoesNotMatch,
)
from tests.conftest import load_vectors
from tests.node_support import ensure_ali_oss, run_script

VECTORS = load_vectors("post-policy.json")["vectors"]
AK, SK, TOKEN = "LTAI-post-ak", "post/secret+key=", "CAIS+sts/token=="
BUCKET, REGION = "examplebucket", "cn-hangzhou"
NOW = 1795644000.0  # 2026-11-25T22:00:00Z
LATER = NOW + 3600
FAILED = "Invalid according to Policy: Policy Condition failed: "
EXPIRED = "Invalid according to Policy: Policy expired."
BAD_CREDENTIAL = "Invalid credential in Authorization header."
PERMANENT = Credentials(AK, SK)
TEMPORARY = Credentials(AK, SK, TOKEN)


# --- an independent signer (§8.3) --------------------------------------------------------


def _iso(when: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime(when))


def _b64_policy(conditions: list[Any], expiration: float = LATER, **extra: Any) -> str:
    document = {"expiration": _iso(expiration), "conditions": conditions, **extra}
    return base64.b64encode(json.dumps(document).encode()).decode()


def _v1_signature(secret: str, policy: str) -> str:
    return base64.b64encode(
        hmac.new(secret.encode(), policy.encode(), hashlib.sha1).digest()
    ).decode()


def _v4_signature(secret: str, date: str, region: str, policy: str) -> str:
    key = ("aliyun_v4" + secret).encode()
    for part in (date, region, "oss", "aliyun_v4_request"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    return hmac.new(key, policy.encode(), hashlib.sha256).hexdigest()


def v1_form(
    conditions: list[Any], *, secret: str = SK, token: str | None = None, **fields: str
) -> dict[str, str]:
    policy = _b64_policy(conditions)
    form = {
        "key": "user/a.txt",
        "OSSAccessKeyId": AK,
        "policy": policy,
        "Signature": _v1_signature(secret, policy),
    }
    if token is not None:
        form["x-oss-security-token"] = token
    return {**form, **fields}


def v4_form(
    conditions: list[Any],
    *,
    at: float = NOW,
    token: str | None = None,
    pin: tuple[str, ...] = (
        "x-oss-signature-version",
        "x-oss-credential",
        "x-oss-date",
        "x-oss-security-token",
    ),
    expiration: float = LATER,
    **fields: str,
) -> dict[str, str]:
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(at))
    v4_fields = {
        "x-oss-signature-version": "OSS4-HMAC-SHA256",
        "x-oss-credential": f"{AK}/{stamp[:8]}/{REGION}/oss/aliyun_v4_request",
        "x-oss-date": stamp,
    }
    if token is not None:
        v4_fields["x-oss-security-token"] = token
    pins = [{name: value} for name, value in v4_fields.items() if name in pin]
    policy = _b64_policy([*conditions, *pins], expiration)
    signature = _v4_signature(SK, stamp[:8], REGION, policy)
    return {
        "key": "user/a.txt",
        **v4_fields,
        "policy": policy,
        "x-oss-signature": signature,
        **fields,
    }


def lookup_of(*pairs: Credentials) -> Callable[[str], Credentials | None]:
    return {pair.access_key_id: pair for pair in pairs}.get


def auth(fields: dict[str, str], *, pair: Credentials = PERMANENT, now: float = NOW) -> PostAuth:
    return authenticate(PostForm.build(fields), BUCKET, lookup_of(pair), now)


def check(
    conditions: list[Any],
    fields: dict[str, str] | None = None,
    *,
    bucket: str = BUCKET,
    key: str = "user/a.txt",
    size: int | None = 5,
    now: float = NOW,
) -> None:
    policy = decode_policy(_b64_policy(conditions))
    check_policy(
        policy, PostForm.build(fields or {}), bucket=bucket, key=key, content_length=size, now=now
    )


def fails(call: Callable[[], object], error: type[OSSError]) -> OSSError:
    with pytest.raises(error) as caught:
        call()
    return caught.value


# --- golden vectors -------------------------------------------------------------------


@pytest.mark.parametrize("vector", VECTORS, ids=[v["id"] for v in VECTORS])
class TestVectors:
    """Every vector of fixtures/vectors/post-policy.json."""

    def test_policy_is_base64_of_the_json(self, vector: dict[str, Any]) -> None:
        """The policy field is the Base64 of the vector's JSON text."""
        assert base64.b64decode(vector["policy"]).decode() == vector["policy_json"]

    def test_signature_reproduces(self, vector: dict[str, Any]) -> None:
        """signature_v1 / signature_v4 give the expected value."""
        expected = vector["expected"]
        if vector["version"] == "V1":
            assert (
                signature_v1(vector["access_key_secret"], vector["policy"]) == expected["Signature"]
            )
        else:
            got = signature_v4(
                vector["access_key_secret"], vector["date"], vector["region"], vector["policy"]
            )
            assert got == expected["x-oss-signature"]

    def test_form_authenticates(self, vector: dict[str, Any]) -> None:
        """The vector's form fields authenticate within the policy's validity."""
        pair = Credentials(
            vector["access_key_id"], vector["access_key_secret"], vector.get("security_token")
        )
        policy = decode_policy(vector["policy"])
        now = policy.expiration - 60
        result = authenticate(PostForm.build(vector["form_fields"]), BUCKET, lookup_of(pair), now)
        assert result == PostAuth(
            pair.access_key_id, vector["version"].lower(), policy, pair.security_token
        )
        assert result.policy is not None and result.policy.text == vector["policy"]

    def test_mutated_signature_fails(self, vector: dict[str, Any]) -> None:
        """Changing the last character of the signature is SignatureDoesNotMatch 0002-00000705."""
        pair = Credentials(
            vector["access_key_id"], vector["access_key_secret"], vector.get("security_token")
        )
        fields = dict(vector["form_fields"])
        name = "Signature" if vector["version"] == "V1" else "x-oss-signature"
        fields[name] = fields[name][:-1] + ("0" if fields[name][-1] != "0" else "1")
        now = decode_policy(vector["policy"]).expiration - 60
        error = fails(
            lambda: authenticate(PostForm.build(fields), BUCKET, lookup_of(pair), now),
            SignatureDoesNotMatch,
        )
        assert error.error_ec == "0002-00000705"
        assert error.details["StringToSign"] == vector["policy"]


def test_v4_vector_signing_key() -> None:
    """The V4 vector's signing key is the §5.3 derivation."""
    from emulator.auth.v4 import signing_key

    vector = next(v for v in VECTORS if v["id"] == "v4-doc-policy")
    key = signing_key(vector["access_key_secret"], vector["date"], vector["region"])
    assert key.hex() == vector["expected"]["signing_key_hex"]


def test_doc_policy_conditions_pass_and_fail() -> None:
    """The documented policy accepts a form that meets it and names the first failure."""
    vector = next(v for v in VECTORS if v["id"] == "v1-doc-policy")
    policy = decode_policy(vector["policy"])
    form = PostForm.build(
        {
            "key": "user/eric/a.png",
            "success_action_status": "201",
            "Content-Type": "image/png",
            "Cache-Control": "max-age=1",
        }
    )
    now = policy.expiration - 1
    check_policy(
        policy, form, bucket="examplebucket", key="user/eric/a.png", content_length=10, now=now
    )
    error = fails(
        lambda: check_policy(
            policy, form, bucket="examplebucket", key="user/bob/a.png", content_length=10, now=now
        ),
        AccessDenied,
    )
    assert error.error_message == FAILED + '["starts-with", "$key", "user/eric/"]'


# --- conditions (§8.2, §17 G8) ------------------------------------------------------------


class TestConditions:
    """Each condition form passes and fails with the exact G8 message."""

    @pytest.mark.parametrize(
        ("condition", "fields", "key", "bucket"),
        [
            ({"bucket": BUCKET}, {}, "k", BUCKET),
            (["eq", "$bucket", BUCKET], {"bucket": "ignored"}, "k", BUCKET),
            ({"key": "user/photo.png"}, {}, "user/photo.png", BUCKET),
            (
                ["eq", "$success_action_status", "201"],
                {"success_action_status": "201"},
                "k",
                BUCKET,
            ),
            (["eq", "success_action_status", "201"], {"success_action_status": "201"}, "k", BUCKET),
            (["starts-with", "$key", "user/"], {}, "user/x", BUCKET),
            (["starts-with", "$x-oss-meta-a", ""], {}, "k", BUCKET),
            (
                ["in", "$content-type", ["image/jpg", "image/png"]],
                {"Content-Type": "image/png"},
                "k",
                BUCKET,
            ),
            (
                ["not-in", "$cache-control", ["no-cache"]],
                {"Cache-Control": "max-age=3"},
                "k",
                BUCKET,
            ),
            (["not-in", "$cache-control", ["no-cache"]], {}, "k", BUCKET),
            (["eq", "$x-oss-meta-a", ""], {}, "k", BUCKET),
            (["EQ", "$Content-Type", "text/plain"], {"content-TYPE": "text/plain"}, "k", BUCKET),
            ({"X-OSS-Meta-Owner": "eric"}, {"x-oss-meta-owner": "eric"}, "k", BUCKET),
            ({"callback": "eyJhIjoxfQ=="}, {"callback": "eyJhIjoxfQ=="}, "k", BUCKET),
        ],
    )
    def test_passes(self, condition: Any, fields: dict[str, str], key: str, bucket: str) -> None:
        """A form that meets the condition passes; names are case-insensitive."""
        check([condition], fields, key=key, bucket=bucket)

    @pytest.mark.parametrize(
        ("condition", "fields", "message", "ec"),
        [
            ({"bucket": "other"}, {}, '["eq", "$bucket", "other"]', "0006-00000227"),
            (
                ["eq", "$bucket", "other"],
                {"bucket": "other"},
                '["eq", "$bucket", "other"]',
                "0006-00000227",
            ),
            (["eq", "$key", "user/b.txt"], {}, '["eq", "$key", "user/b.txt"]', "0006-00000227"),
            (
                ["eq", "$success_action_status", "201"],
                {"success_action_status": "200"},
                '["eq", "$success_action_status", "201"]',
                "0006-00000227",
            ),
            (
                ["eq", "success_action_status", "200"],
                {},
                '["eq", "$success_action_status", "200"]',
                "0006-00000226",
            ),
            (
                ["starts-with", "$key", "admin/"],
                {},
                '["starts-with", "$key", "admin/"]',
                "0006-00000227",
            ),
            (
                ["starts-with", "$x-oss-meta-prop", "prop-"],
                {"x-oss-meta-prop": "other"},
                '["starts-with", "$x-oss-meta-prop", "prop-"]',
                "0006-00000227",
            ),
            (
                ["in", "$content-type", ["image/jpg", "image/png"]],
                {"Content-Type": "text/plain"},
                '["in", "$content-type", ["image/jpg", "image/png"]]',
                "0006-00000227",
            ),
            (
                ["in", "$content-type", ["image/jpg"]],
                {},
                '["in", "$content-type", ["image/jpg"]]',
                "0006-00000226",
            ),
            (
                ["not-in", "$cache-control", ["no-cache"]],
                {"Cache-Control": "no-cache"},
                '["not-in", "$cache-control", ["no-cache"]]',
                "0006-00000227",
            ),
            (
                {"Content-Encoding": "ZLIB"},
                {"content-encoding": "zlib"},
                '["eq", "$Content-Encoding", "ZLIB"]',
                "0006-00000227",
            ),
            (
                ["starts-with", "$key", "用户/"],
                {},
                '["starts-with", "$key", "用户/"]',
                "0006-00000227",
            ),
        ],
    )
    def test_fails_with_g8_message(
        self, condition: Any, fields: dict[str, str], message: str, ec: str
    ) -> None:
        """403 AccessDenied, message per G8, EC 0006-00000227 (or -226 for an absent field)."""
        error = fails(lambda: check([condition], fields), AccessDenied)
        assert (error.status, error.error_message, error.error_ec) == (403, FAILED + message, ec)

    @pytest.mark.parametrize(("size", "ec"), [(0, "0006-00000004"), (11, "0006-00000003")])
    def test_content_length_range_fails(self, size: int, ec: str) -> None:
        """Outside the inclusive range: G8 message with bare numbers, EC by direction."""
        error = fails(lambda: check([["content-length-range", 1, 10]], size=size), AccessDenied)
        assert (error.error_message, error.error_ec) == (
            FAILED + '["content-length-range", 1, 10]',
            ec,
        )

    @pytest.mark.parametrize("size", [1, 5, 10, None])
    def test_content_length_range_passes(self, size: int | None) -> None:
        """Inclusive bounds; an unknown size (None) is left to check_length."""
        check([["content-length-range", 1, 10]], size=size)

    def test_check_length(self) -> None:
        """check_length judges every range once the size is known."""
        policy = decode_policy(
            _b64_policy([["content-length-range", 0, 3], ["content-length-range", 2, 9]])
        )
        check_length(policy, 2)
        assert fails(lambda: check_length(policy, 1), AccessDenied).error_ec == "0006-00000004"
        assert fails(lambda: check_length(policy, 4), AccessDenied).error_ec == "0006-00000003"

    def test_first_failure_in_policy_order(self) -> None:
        """Conditions are checked in order; the first failing one is reported."""
        conditions = [["starts-with", "$key", "a/"], {"bucket": "other"}]
        error = fails(lambda: check(conditions, key="b/x"), AccessDenied)
        assert error.error_message == FAILED + '["starts-with", "$key", "a/"]'

    def test_unlisted_fields_need_no_condition(self) -> None:
        """Form fields no condition names are accepted (G8)."""
        check(
            [["starts-with", "$key", "user/"]],
            {"x-oss-meta-free": "1", "x:uid": "7", "whatever": "x"},
        )

    def test_key_is_compared_after_filename_substitution(self) -> None:
        """The key argument (after ${filename}) is what key conditions see."""
        form = PostForm.build({"key": "user/${filename}"}, file_name="photo.png")
        key = expand_key(form.fields["key"], form.file_name)
        policy = decode_policy(_b64_policy([{"key": "user/photo.png"}]))
        check_policy(policy, form, bucket=BUCKET, key=key, content_length=1, now=NOW)

    def test_lone_surrogate_renders_as_utf8(self) -> None:
        """A policy value with an escaped lone surrogate still gives an encodable message."""
        policy = base64.b64encode(
            (
                '{"expiration": "' + _iso(LATER) + '", "conditions": [["eq", "$a", "\\ud800"]]}'
            ).encode()
        ).decode()
        error = fails(
            lambda: check_policy(
                decode_policy(policy),
                PostForm.build({}),
                bucket=BUCKET,
                key="k",
                content_length=1,
                now=NOW,
            ),
            AccessDenied,
        )
        error.error_message.encode("utf-8")


class TestExpiration:
    """expiration (§8.2): past is AccessDenied 'Policy expired.' EC 0006-00000213."""

    def test_expired(self) -> None:
        """One second after expiration the policy is refused."""
        error = fails(lambda: check([{"bucket": BUCKET}], now=LATER + 1), AccessDenied)
        assert (error.status, error.error_message, error.error_ec) == (
            403,
            EXPIRED,
            "0006-00000213",
        )

    @pytest.mark.parametrize("now", [NOW, LATER])
    def test_valid_until_the_instant(self, now: float) -> None:
        """Before and at the expiration instant the policy holds."""
        check([{"bucket": BUCKET}], now=now)

    @pytest.mark.parametrize(
        ("text", "seconds"),
        [
            ("2013-12-01T12:00:00Z", 1385899200.0),
            ("2023-12-03T13:00:00.000Z", 1701608400.0),
            ("2023-12-03T13:00:00.5Z", 1701608400.5),
        ],
    )
    def test_formats(self, text: str, seconds: float) -> None:
        """With or without fractional seconds."""
        document = json.dumps({"expiration": text, "conditions": [{"bucket": "b"}]})
        assert decode_policy(base64.b64encode(document.encode()).decode()).expiration == seconds


# --- decoding (§8.2) -------------------------------------------------------------------


def _raw_policy(document: Any) -> str:
    return base64.b64encode(json.dumps(document).encode()).decode()


GOOD_EXPIRATION = "2023-02-19T13:19:00.000Z"


class TestDecodePolicy:
    """Malformed policies are 400 InvalidPolicyDocument with the EC of the OSS page."""

    @pytest.mark.parametrize(
        ("policy", "ec"),
        [
            ("not base64!", "0006-00000201"),
            (base64.b64encode(b"\xff\xfe").decode(), "0006-00000201"),
            (base64.b64encode(b"{nope").decode(), "0006-00000201"),
            (_raw_policy([1, 2]), "0006-00000201"),
            (_raw_policy({"conditions": [{"a": "b"}]}), "0006-00000208"),
            (_raw_policy({"expiration": GOOD_EXPIRATION}), "0006-00000207"),
            (_raw_policy({}), "0006-00000209"),
            (_raw_policy({"expiration": 123, "conditions": [{"a": "b"}]}), "0006-00000210"),
            (_raw_policy({"expiration": "", "conditions": [{"a": "b"}]}), "0006-00000211"),
            (
                _raw_policy({"expiration": "2023-02-19 13:19:00", "conditions": [{"a": "b"}]}),
                "0006-00000212",
            ),
            (
                _raw_policy({"expiration": "2023-02-30T13:19:00Z", "conditions": [{"a": "b"}]}),
                "0006-00000212",
            ),
            (_raw_policy({"expiration": GOOD_EXPIRATION, "conditions": []}), "0006-00000215"),
        ],
    )
    def test_document(self, policy: str, ec: str) -> None:
        """Base64, UTF-8, JSON, object, expiration and conditions are required."""
        error = fails(lambda: decode_policy(policy), InvalidPolicyDocument)
        assert (error.status, error.code, error.error_ec) == (400, "InvalidPolicyDocument", ec)
        assert error.error_message.startswith("Invalid Policy: ")

    def test_invalid_json_message(self) -> None:
        """Syntax errors say 'Invalid Policy: Invalid JSON' as OSS does."""
        error = fails(
            lambda: decode_policy(base64.b64encode(b'{"a": ]').decode()), InvalidPolicyDocument
        )
        assert error.error_message.startswith("Invalid Policy: Invalid JSON")

    @pytest.mark.parametrize(
        ("condition", "ec"),
        [
            (123, "0006-00000222"),
            ("bucket", "0006-00000222"),
            (["$key"], "0006-00000216"),
            ([], "0006-00000216"),
            ([7, "$key", "a"], "0006-00000216"),
            (["ends-with", "$key", "user/user1"], "0006-00000217"),
            (["starts-with", "$key", "user/user1", "test"], "0006-00000218"),
            (["eq", "$key"], "0006-00000218"),
            (["content-length-range", 20, 10], "0006-00000219"),
            (["content-length-range", 10, "test"], "0006-00000221"),
            (["content-length-range", [1], "test"], "0006-00000221"),
            (["content-length-range", -1, 10], "0006-00000221"),
            (["content-length-range", 1.5, 10], "0006-00000221"),
            (["content-length-range", True, 10], "0006-00000221"),
            (["not-in", "$cache-control", "no-cache"], "0006-00000224"),
            (["in", "$content-type", ["a", 1]], "0006-00000224"),
            (["eq", "$key", 5], "0006-00000224"),
            (["eq", 5, "x"], "0006-00000224"),
            ({"bucket": 123}, "0006-00000224"),
        ],
    )
    def test_condition(self, condition: Any, ec: str) -> None:
        """Each malformed condition has its OSS EC."""
        policy = _raw_policy({"expiration": GOOD_EXPIRATION, "conditions": [condition]})
        assert fails(lambda: decode_policy(policy), InvalidPolicyDocument).error_ec == ec

    @pytest.mark.parametrize("condition", [{}, {"bucket": "a", "key": "b"}])
    def test_simple_condition_message(self, condition: dict[str, str]) -> None:
        """An object condition with other than one property: the documented message."""
        policy = _raw_policy({"expiration": GOOD_EXPIRATION, "conditions": [condition]})
        error = fails(lambda: decode_policy(policy), InvalidPolicyDocument)
        assert error.error_message == (
            "Invalid Policy: Invalid Simple-Condition: Simple-Conditions must have exactly one "
            "property specified."
        )

    def test_whitespace_in_base64_is_ignored(self) -> None:
        """MIME-style line breaks in the Base64 (base64.encodebytes) are accepted."""
        text = base64.encodebytes(
            json.dumps({"expiration": GOOD_EXPIRATION, "conditions": [{"a": "b"}]}).encode()
        )
        policy = decode_policy(text.decode())
        assert (policy.text, policy.conditions[0].field) == (text.decode(), "a")

    def test_policy_value(self) -> None:
        """The decoded value: expiration in epoch seconds, conditions parsed, text as sent."""
        text = _raw_policy(
            {"expiration": "2013-12-01T12:00:00Z", "conditions": [["content-length-range", 0, 9]]}
        )
        assert decode_policy(text) == Policy(
            1385899200.0,
            (
                pc.Condition(
                    "content-length-range", low=0, high=9, text='["content-length-range", 0, 9]'
                ),
            ),
            text,
        )


# --- authenticate: V1 -------------------------------------------------------------------


class TestAuthenticateV1:
    """OSSAccessKeyId + policy + Signature (§8.1, §8.3)."""

    def test_signed_form(self) -> None:
        """A correctly signed form authenticates as v1."""
        fields = v1_form([{"bucket": BUCKET}])
        result = auth(fields)
        assert (result.access_key_id, result.version, result.security_token) == (AK, "v1", None)
        assert result.policy == decode_policy(fields["policy"])

    def test_field_names_are_case_insensitive(self) -> None:
        """ossaccesskeyid / POLICY / signature are the same fields (§8.1)."""
        fields = v1_form([{"bucket": BUCKET}])
        renamed = {
            "ossaccesskeyid": fields["OSSAccessKeyId"],
            "POLICY": fields["policy"],
            "signature": fields["Signature"],
        }
        assert auth(renamed).version == "v1"

    @pytest.mark.parametrize(
        ("name", "value", "ec"),
        [
            ("Signature", None, "0002-00000703"),
            ("Signature", "", "0002-00000704"),
            ("policy", None, "0002-00000702"),
            ("policy", "", "0002-00000702"),
            ("OSSAccessKeyId", None, "0002-00000706"),
            ("OSSAccessKeyId", "", "0002-00000707"),
        ],
    )
    def test_all_three_required(self, name: str, value: str | None, ec: str) -> None:
        """Any of the three present: all three, non-empty, are required (400 InvalidArgument)."""
        fields = v1_form([{"bucket": BUCKET}])
        if value is None:
            del fields[name]
        else:
            fields[name] = value
        error = fails(lambda: auth(fields), InvalidArgument)
        assert (error.status, error.error_ec, error.details["ArgumentName"]) == (400, ec, name)

    def test_unknown_access_key(self) -> None:
        """An unknown key id: 403 InvalidAccessKeyId naming it."""
        fields = {**v1_form([{"bucket": BUCKET}]), "OSSAccessKeyId": "nobody"}
        error = fails(lambda: auth(fields), InvalidAccessKeyId)
        assert (error.status, error.error_ec, error.details) == (
            403,
            "0002-00000902",
            {"OSSAccessKeyId": "nobody"},
        )

    def test_signature_mismatch_details(self) -> None:
        """Another secret: SignatureDoesNotMatch 0002-00000705 with StringToSign = the policy."""
        fields = v1_form([{"bucket": BUCKET}], secret="wrong")
        error = fails(lambda: auth(fields), SignatureDoesNotMatch)
        policy = fields["policy"]
        assert error.error_ec == "0002-00000705"
        assert error.details == {
            "OSSAccessKeyId": AK,
            "SignatureProvided": fields["Signature"],
            "StringToSign": policy,
            "StringToSignBytes": " ".join(f"{b:02X}" for b in policy.encode()),
        }

    def test_signature_checked_before_the_policy_is_read(self) -> None:
        """An unreadable policy: InvalidPolicyDocument if signed, SignatureDoesNotMatch if not."""
        policy = base64.b64encode(b"{broken").decode()
        signed = {"OSSAccessKeyId": AK, "policy": policy, "Signature": _v1_signature(SK, policy)}
        fails(lambda: auth(signed), InvalidPolicyDocument)
        fails(
            lambda: auth({**signed, "Signature": _v1_signature("x", policy)}), SignatureDoesNotMatch
        )

    @pytest.mark.parametrize(
        "fields", [{}, {"key": "a.txt", "x-oss-meta-a": "1", "submit": "Upload"}]
    )
    def test_anonymous(self, fields: dict[str, str]) -> None:
        """No signature fields at all: 403 AccessDenied (R7, §17 G11)."""
        error = fails(lambda: auth(fields), AccessDenied)
        assert error.error_message == AccessDenied.message

    def test_unknown_signature_version(self) -> None:
        """x-oss-signature-version other than OSS4-HMAC-SHA256: 400, EC 0002-00000701."""
        fields = {**v1_form([{"bucket": BUCKET}]), "x-oss-signature-version": "2"}
        assert fails(lambda: auth(fields), InvalidArgument).error_ec == "0002-00000701"

    def test_oss2_is_refused_like_header_signatures(self) -> None:
        """OSS2 is not supported (§17 G5): SignatureDoesNotMatch."""
        fields = {**v1_form([{"bucket": BUCKET}]), "x-oss-signature-version": "OSS2"}
        fails(lambda: auth(fields), SignatureDoesNotMatch)


# --- authenticate: V4 -------------------------------------------------------------------


class TestAuthenticateV4:
    """x-oss-signature-version, -credential, -date, -signature + policy (V4 PostObject doc)."""

    def test_signed_form(self) -> None:
        """A correctly signed form authenticates as v4."""
        result = auth(v4_form([{"bucket": BUCKET}]))
        assert (result.access_key_id, result.version, result.security_token) == (AK, "v4", None)

    @pytest.mark.parametrize(
        ("credential", "ec"),
        [
            ("", "0002-00000710"),
            (f"{AK}/20261125/{REGION}/oss", "0002-00000710"),
            (f"/20261125/{REGION}/oss/aliyun_v4_request", "0002-00000710"),
            (f"{AK}/20261125/{REGION}/oss/aws4_request", "0002-00000710"),
            (f"{AK}/2026-11-25/{REGION}/oss/aliyun_v4_request", "0002-00000709"),
            (f"{AK}/20261124/{REGION}/oss/aliyun_v4_request", "0002-00000709"),
        ],
    )
    def test_bad_credential(self, credential: str, ec: str) -> None:
        """403 AccessDenied 'Invalid credential in Authorization header.' (§17 G13)."""
        fields = {**v4_form([{"bucket": BUCKET}]), "x-oss-credential": credential}
        error = fails(lambda: auth(fields), AccessDenied)
        assert (error.error_message, error.error_ec) == (BAD_CREDENTIAL, ec)

    @pytest.mark.parametrize(
        "stamp", ["", "20261125T220000", "2026-11-25T22:00:00Z", "20261125T250000Z"]
    )
    def test_unreadable_date(self, stamp: str) -> None:
        """An x-oss-date that is not yyyymmddTHHMMSSZ: 403 AccessDenied."""
        fields = {**v4_form([{"bucket": BUCKET}]), "x-oss-date": stamp}
        fails(lambda: auth(fields), AccessDenied)

    def test_up_to_15_minutes_ahead(self) -> None:
        """x-oss-date 15 minutes ahead is accepted; 16 is RequestTimeTooSkewed."""
        auth(v4_form([{"bucket": BUCKET}], at=NOW + 900))
        error = fails(
            lambda: auth(v4_form([{"bucket": BUCKET}], at=NOW + 960)), RequestTimeTooSkewed
        )
        assert error.details == {"ServerTime": "2026-11-25T22:00:00.000Z"}

    def test_valid_seven_days(self) -> None:
        """A form signed 7 days ago still authenticates; a second more is expired."""
        week = 7 * 24 * 3600
        fields = v4_form([{"bucket": BUCKET}], at=NOW - week, expiration=NOW + 10)
        auth(fields)
        error = fails(lambda: auth(fields, now=NOW + 1), AccessDenied)
        assert error.error_message == "Request has expired."

    @pytest.mark.parametrize(
        ("name", "value", "ec", "error"),
        [
            ("x-oss-signature", None, "0002-00000703", InvalidArgument),
            ("x-oss-signature", "", "0002-00000704", InvalidArgument),
            ("policy", None, "0002-00000702", InvalidArgument),
            ("x-oss-signature-version", None, "0002-00000701", InvalidArgument),
            ("x-oss-credential", None, "0002-00000710", AccessDenied),
        ],
    )
    def test_required_fields(
        self, name: str, value: str | None, ec: str, error: type[OSSError]
    ) -> None:
        """Missing or empty V4 fields are refused with their ECs."""
        fields = v4_form([{"bucket": BUCKET}])
        if value is None:
            del fields[name]
        else:
            fields[name] = value
        assert fails(lambda: auth(fields), error).error_ec == ec

    def test_signature_mismatch(self) -> None:
        """A V4 signature over another policy: SignatureDoesNotMatch 0002-00000705."""
        fields = v4_form([{"bucket": BUCKET}])
        fields["x-oss-signature"] = v4_form([{"bucket": "other"}])["x-oss-signature"]
        error = fails(lambda: auth(fields), SignatureDoesNotMatch)
        assert (error.error_ec, error.details["StringToSign"]) == (
            "0002-00000705",
            fields["policy"],
        )

    @pytest.mark.parametrize("name", ["x-oss-signature-version", "x-oss-credential", "x-oss-date"])
    def test_policy_must_pin_v4_fields(self, name: str) -> None:
        """A policy without {name: form value}: AccessDenied naming the missing condition."""
        pins = tuple(
            n for n in ("x-oss-signature-version", "x-oss-credential", "x-oss-date") if n != name
        )
        fields = v4_form([{"bucket": BUCKET}], pin=pins)
        error = fails(lambda: auth(fields), AccessDenied)
        assert error.error_message == FAILED + json.dumps(["eq", "$" + name, fields[name]])

    def test_pin_with_another_value_fails(self) -> None:
        """A pinned x-oss-date that differs from the form's is refused."""
        fields = v4_form(
            [{"x-oss-date": "20261125T215959Z"}],
            pin=("x-oss-signature-version", "x-oss-credential"),
        )
        fails(lambda: auth(fields), AccessDenied)

    def test_pin_as_eq_list(self) -> None:
        """The pins may be written ["eq", "$x-oss-date", …] as well."""
        stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(NOW))
        fields = v4_form(
            [["eq", "$X-OSS-Date", stamp]], pin=("x-oss-signature-version", "x-oss-credential")
        )
        assert auth(fields).version == "v4"


# --- security tokens (§6, §17 G6) ---------------------------------------------------------


class TestSecurityToken:
    """A temporary pair needs its own token in x-oss-security-token."""

    @pytest.mark.parametrize("build", [v1_form, v4_form], ids=["v1", "v4"])
    def test_accepted(self, build: Callable[..., dict[str, str]]) -> None:
        """The right token: authenticated, the token reported."""
        assert (
            auth(build([{"bucket": BUCKET}], token=TOKEN), pair=TEMPORARY).security_token == TOKEN
        )

    @pytest.mark.parametrize("build", [v1_form, v4_form], ids=["v1", "v4"])
    @pytest.mark.parametrize("token", [None, "CAIS-other"])
    def test_missing_or_wrong(
        self, build: Callable[..., dict[str, str]], token: str | None
    ) -> None:
        """No token or another token: InvalidAccessKeyId with the G6 message."""
        error = fails(
            lambda: auth(build([{"bucket": BUCKET}], token=token), pair=TEMPORARY),
            InvalidAccessKeyId,
        )
        assert error.error_message == "The security token you provided is invalid."

    def test_permanent_pair_ignores_token(self) -> None:
        """A permanent pair ignores a sent token (as header signatures do)."""
        assert auth(v1_form([{"bucket": BUCKET}], token="anything")).security_token is None

    def test_v4_policy_must_pin_the_token(self) -> None:
        """V4 with a token: the policy must contain {"x-oss-security-token": token}."""
        fields = v4_form(
            [{"bucket": BUCKET}],
            token=TOKEN,
            pin=("x-oss-signature-version", "x-oss-credential", "x-oss-date"),
        )
        error = fails(lambda: auth(fields, pair=TEMPORARY), AccessDenied)
        assert error.error_message == FAILED + json.dumps(["eq", "$x-oss-security-token", TOKEN])

    def test_lookup_errors_propagate(self) -> None:
        """An expired STS key (the keyring raises) reaches the caller unchanged."""

        def expired(access_key_id: str) -> Credentials | None:
            raise SecurityTokenExpired()

        form = PostForm.build(v1_form([{"bucket": BUCKET}], token=TOKEN))
        fails(lambda: authenticate(form, BUCKET, expired, NOW), SecurityTokenExpired)


# --- helpers ----------------------------------------------------------------------------


class TestHelpers:
    """expand_key, PostForm.build and the form builders."""

    @pytest.mark.parametrize(
        ("template", "name", "expected"),
        [
            ("user/${filename}", "a b.png", "user/a b.png"),
            ("${filename}/${filename}", "x", "x/x"),
            ("fixed.txt", "x", "fixed.txt"),
            ("user/${filename}", None, "user/"),
            ("user/${FILENAME}", "x", "user/${FILENAME}"),
        ],
    )
    def test_expand_key(self, template: str, name: str | None, expected: str) -> None:
        """Every ${filename} is replaced by the file part's name."""
        assert expand_key(template, name) == expected

    def test_form_build_first_occurrence_wins(self) -> None:
        """Lower-cased lookup, first value and first spelling kept."""
        form = PostForm.build([("X:UID", "1"), ("x:uid", "2"), ("Key", "k")], "f.txt", "text/plain")
        assert dict(form.fields) == {"x:uid": "1", "key": "k"}
        assert dict(form.field_names) == {"x:uid": "X:UID", "key": "Key"}
        assert (form.file_name, form.file_content_type) == ("f.txt", "text/plain")

    def test_sign_form_v1(self) -> None:
        """sign_form_v1 gives fields the independent signer agrees with."""
        fields = sign_form_v1(
            AK, SK, expiration=LATER, conditions=[{"bucket": BUCKET}], security_token=TOKEN
        )
        assert fields["Signature"] == _v1_signature(SK, fields["policy"])
        assert fields["x-oss-security-token"] == TOKEN
        assert auth({"key": "k", **fields}, pair=TEMPORARY).version == "v1"

    def test_sign_form_v4(self) -> None:
        """sign_form_v4 pins the V4 fields and the token; the form authenticates."""
        fields = sign_form_v4(
            AK,
            SK,
            region=REGION,
            now=NOW,
            expiration=LATER,
            conditions=[{"bucket": BUCKET}],
            security_token=TOKEN,
        )
        assert fields["x-oss-signature"] == _v4_signature(SK, "20261125", REGION, fields["policy"])
        assert auth({"key": "k", **fields}, pair=TEMPORARY).version == "v4"

    def test_encode_policy(self) -> None:
        """encode_policy round-trips through decode_policy."""
        policy = decode_policy(encode_policy(LATER, [["starts-with", "$key", "a/"]]))
        assert (policy.expiration, policy.conditions[0].text) == (
            LATER,
            '["starts-with", "$key", "a/"]',
        )


# --- totality and properties (style.md rule 10) -----------------------------------------

NAMES = st.sampled_from(
    [
        "key",
        "policy",
        "Signature",
        "OSSAccessKeyId",
        "x-oss-signature-version",
        "x-oss-credential",
        "x-oss-date",
        "x-oss-signature",
        "x-oss-security-token",
        "success_action_status",
        "Content-Type",
        "bucket",
    ]
)
JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=12,
)
CONDITIONS = st.lists(
    st.one_of(
        st.dictionaries(
            st.sampled_from(["bucket", "key", "Content-Type", "x-oss-meta-a"]),
            st.text(max_size=4),
            min_size=1,
            max_size=1,
        ),
        st.tuples(
            st.sampled_from(["eq", "starts-with"]),
            st.sampled_from(["$key", "$bucket", "$a", "b"]),
            st.text(max_size=4),
        ).map(list),
        st.tuples(
            st.sampled_from(["in", "not-in"]),
            st.sampled_from(["$key", "$a"]),
            st.lists(st.text(max_size=3), max_size=3),
        ).map(list),
        st.tuples(st.just("content-length-range"), st.integers(0, 20), st.integers(0, 20))
        .filter(lambda t: t[1] <= t[2])
        .map(list),
    ),
    min_size=1,
    max_size=5,
)


class TestProperties:
    """Totality: arbitrary input returns a value or raises OSSError; sign/verify agreement."""

    @given(st.text())
    @example("")
    @example("e30=")
    @example(base64.b64encode(b"[" * 5000).decode())
    @example(
        base64.b64encode(
            b'{"expiration": "2023-01-01T00:00:00Z", "conditions": [1' + b"0" * 5000 + b"]}"
        ).decode()
    )
    def test_decode_policy_text(self, text: str) -> None:
        """decode_policy on any text."""
        try:
            assert isinstance(decode_policy(text), Policy)
        except OSSError:
            pass

    @given(
        st.one_of(
            JSON,
            st.fixed_dictionaries({"expiration": st.just(GOOD_EXPIRATION), "conditions": JSON}),
        )
    )
    def test_decode_policy_json(self, document: Any) -> None:
        """decode_policy on the Base64 of any JSON value."""
        try:
            decode_policy(_raw_policy(document))
        except InvalidPolicyDocument:
            pass

    @given(
        st.dictionaries(NAMES | st.text(max_size=6), st.text(max_size=12), max_size=8),
        st.floats(0, 4e9),
    )
    def test_authenticate_any_form(self, fields: dict[str, str], now: float) -> None:
        """authenticate on any form."""
        try:
            assert isinstance(
                authenticate(PostForm.build(fields), BUCKET, lookup_of(TEMPORARY), now), PostAuth
            )
        except OSSError:
            pass

    @given(
        CONDITIONS,
        st.dictionaries(st.sampled_from(["key", "a", "b", "content-type"]), st.text(max_size=4)),
        st.integers(0, 25),
    )
    def test_check_policy_any_form(
        self, conditions: list[Any], fields: dict[str, str], size: int
    ) -> None:
        """check_policy returns or raises AccessDenied only."""
        try:
            check(conditions, fields, key=fields.get("key", ""), size=size)
        except AccessDenied as error:
            assert error.error_message.startswith(FAILED)

    @given(CONDITIONS, st.sampled_from(["v1", "v4"]), st.sampled_from(["policy", "sig", "ak"]))
    def test_sign_verify_and_mutation(
        self, conditions: list[Any], version: str, mutate: str
    ) -> None:
        """A signed form authenticates; changing one signed field breaks it."""
        fields = v1_form(conditions) if version == "v1" else v4_form(conditions)
        assert auth(fields).version == version
        policy_name, sig_name = "policy", "Signature" if version == "v1" else "x-oss-signature"
        if mutate == "policy":
            fields[policy_name] = _b64_policy([*conditions, {"bucket": "x"}])
        elif mutate == "sig":
            fields[sig_name] = (
                fields[sig_name][::-1] if fields[sig_name] != fields[sig_name][::-1] else "x"
            )
        elif version == "v1":
            fields["OSSAccessKeyId"] = "other"
        else:
            fields["x-oss-credential"] = fields["x-oss-credential"].replace(AK, "other")
        with pytest.raises((SignatureDoesNotMatch, InvalidAccessKeyId)):
            auth(fields)


# --- oracles: forms signed by the official SDKs ------------------------------------------

ORACLE_CASES: list[dict[str, Any]] = [
    {
        "ak": AK,
        "sk": SK,
        "conditions": [["content-length-range", 1, 1024], ["starts-with", "$key", "ali-oss/"]],
    },
    {
        "ak": "LTAI5t",
        "sk": "s3cr3t/+=ü",
        "conditions": [{"bucket": BUCKET}, ["starts-with", "$key", "ali-oss/用户/"]],
    },
    {"ak": AK, "sk": SK, "token": TOKEN, "conditions": [["eq", "$success_action_status", "201"]]},
    {
        "ak": AK,
        "sk": SK,
        "asString": True,
        "conditions": [["in", "$content-type", ["text/plain", "image/png"]]],
    },
]
ORACLE_FORM = {
    "key": "ali-oss/用户/a.txt",
    "success_action_status": "201",
    "Content-Type": "text/plain",
}


@pytest.mark.node
def test_ali_oss_signed_forms() -> None:
    """calculatePostSignature (V1) and signPostObjectPolicyV4 (V4) forms authenticate and pass."""
    cases = [
        {
            **case,
            "region": REGION,
            "bucket": BUCKET,
            "expiration": _iso(LATER),
            "date": _iso(NOW - 30),
        }
        for case in ORACLE_CASES
    ]
    import os

    results = run_script(
        ensure_ali_oss(), "post_signature.js", {**os.environ, "POST_CASES": json.dumps(cases)}
    )
    assert len(results) == len(cases)
    for case, signed in zip(cases, results, strict=True):
        pair = Credentials(case["ak"], case["sk"], case.get("token"))
        for version in ("v1", "v4"):
            form = PostForm.build({**ORACLE_FORM, **signed[version]})
            result = authenticate(form, BUCKET, lookup_of(pair), NOW)
            assert (result.version, result.access_key_id, result.security_token) == (
                version,
                case["ak"],
                case.get("token"),
            )
            assert result.policy is not None
            key = "ali-oss/用户/a.txt"
            check_policy(result.policy, form, bucket=BUCKET, key=key, content_length=9, now=NOW)
            broken = PostForm.build(
                {
                    **ORACLE_FORM,
                    **signed[version],
                    "policy": signed["v1" if version == "v4" else "v4"]["policy"],
                }
            )
            with pytest.raises(SignatureDoesNotMatch):
                authenticate(broken, BUCKET, lookup_of(pair), NOW)


@pytest.mark.parametrize("token", [None, TOKEN])
def test_v2_sdk_signed_forms(token: str | None) -> None:
    """Forms built as alibabacloud-oss-v2's sample/post_object.py, signed by SignerV1/SignerV4."""
    pair = Credentials(AK, SK, token)
    date, stamp = (
        time.strftime("%Y%m%d", time.gmtime(NOW)),
        time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(NOW)),
    )
    credential = f"{AK}/{date}/{REGION}/oss/aliyun_v4_request"
    conditions: list[Any] = [
        {"bucket": BUCKET},
        {"x-oss-signature-version": "OSS4-HMAC-SHA256"},
        {"x-oss-credential": credential},
        {"x-oss-date": stamp},
        ["content-length-range", 1, 1024],
    ]
    if token is not None:
        conditions.append({"x-oss-security-token": token})
    # sample/post_object.py: json.dumps of the policy map, Base64 of that is the string to sign.
    policy = base64.b64encode(
        json.dumps({"expiration": _iso(LATER), "conditions": conditions}).encode()
    ).decode()
    extra = {} if token is None else {"x-oss-security-token": token}
    v4_fields = {
        "key": "sample.txt",
        "policy": policy,
        "x-oss-signature-version": "OSS4-HMAC-SHA256",
        "x-oss-credential": credential,
        "x-oss-date": stamp,
        "x-oss-signature": SignerV4()._calc_signature(SK, date, REGION, "oss", policy),
        **extra,
    }
    # A V1 form carries no V4 fields, so its policy pins none.
    v1_policy = base64.b64encode(
        json.dumps(
            {"expiration": _iso(LATER), "conditions": [conditions[0], conditions[4]]}
        ).encode()
    ).decode()
    v1_fields = {
        "key": "sample.txt",
        "OSSAccessKeyId": AK,
        "policy": v1_policy,
        "Signature": SignerV1()._calc_signature(SK, v1_policy),
        **extra,
    }
    for version, fields in (("v4", v4_fields), ("v1", v1_fields)):
        form = PostForm.build(fields)
        result = authenticate(form, BUCKET, lookup_of(pair), NOW)
        assert (result.version, result.security_token) == (version, token)
        assert result.policy is not None
        check_policy(
            result.policy,
            form,
            bucket=BUCKET,
            key="sample.txt",
            content_length=len("hi oss"),
            now=NOW,
        )
