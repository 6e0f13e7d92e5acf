"""Signature V4 (rest-api.md §5): golden vectors, canonical forms and header parsing."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from urllib.parse import unquote

import pytest
from hypothesis import given
from hypothesis import strategies as st

from emulator.auth import v4
from emulator.auth.canonical import (
    uri_encode,
    v4_additional_headers,
    v4_canonical_headers,
    v4_canonical_query,
    v4_canonical_uri,
)
from emulator.auth.model import Credentials, Reading, SignedRequest
from emulator.auth.verify import verify
from emulator.errors import AccessDenied
from tests.conftest import load_vectors

VECTORS = load_vectors("signatures-v4.json")
REQUEST_VECTORS = VECTORS["request_vectors"]
UNRESERVED = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.~")


def _request(vector: dict[str, Any]) -> tuple[SignedRequest, Reading]:
    """The request of a vector as the app would build it, and its reading."""
    raw = vector["request"]
    headers = [("Host", raw["host"]), *raw["headers"].items()]
    req = SignedRequest.build(raw["method"], raw["raw_path"], raw["raw_query"], headers)
    return req, Reading(raw["bucket"], raw["key"])


def _presigned(req: SignedRequest) -> bool:
    return req.has_query("x-oss-signature")


def _parts(req: SignedRequest) -> tuple[str, v4.Credential, tuple[str, ...], str]:
    """Timestamp, credential, additional headers and signature, from either carrier."""
    if _presigned(req):
        additional = v4_additional_headers(
            (req.query_value("x-oss-additional-headers") or "").split(";")
        )
        return (
            req.query_value("x-oss-date") or "",
            v4.parse_credential(req.query_value("x-oss-credential") or ""),
            additional,
            req.query_value("x-oss-signature") or "",
        )
    authorization = v4.parse_authorization(req.headers["authorization"])
    return (
        req.headers["x-oss-date"],
        authorization.credential,
        authorization.additional_headers,
        authorization.signature,
    )


def _epoch(timestamp: str) -> float:
    return datetime.strptime(timestamp, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC).timestamp()


def _by_id(vectors: list[dict[str, Any]]) -> list[Any]:
    return [pytest.param(vector, id=vector["id"]) for vector in vectors]


class TestRequestVectors:
    """Server-side V4 vectors: canonical request, string to sign, signature, verify."""

    @pytest.mark.parametrize("vector", _by_id(REQUEST_VECTORS))
    def test_canonical_request_matches(self, vector: dict[str, Any]) -> None:
        """The recomputed canonical request equals the SDK's."""
        req, reading = _request(vector)
        _, _, additional, _ = _parts(req)
        canonical = v4.canonical_request(req, reading, additional, presigned=_presigned(req))
        assert canonical == vector["expected"]["canonical_request"]

    @pytest.mark.parametrize("vector", _by_id(REQUEST_VECTORS))
    def test_string_to_sign_matches(self, vector: dict[str, Any]) -> None:
        """The string to sign hashes the canonical request under the presented scope."""
        req, _ = _request(vector)
        timestamp, credential, _, _ = _parts(req)
        expected = vector["expected"]
        assert (
            v4.string_to_sign(timestamp, credential.scope, expected["canonical_request"])
            == (expected["string_to_sign"])
        )

    @pytest.mark.parametrize("vector", _by_id(REQUEST_VECTORS))
    def test_signature_matches(self, vector: dict[str, Any]) -> None:
        """The signing key of the presented scope signs to the expected signature."""
        req, _ = _request(vector)
        _, credential, _, provided = _parts(req)
        key = v4.signing_key(
            vector["access_key_secret"], credential.date, credential.region, credential.product
        )
        signature = v4.sign(key, vector["expected"]["string_to_sign"])
        assert signature == vector["expected"]["signature"] == provided

    @pytest.mark.parametrize("vector", _by_id(REQUEST_VECTORS))
    def test_verify_accepts(self, vector: dict[str, Any]) -> None:
        """verify accepts the request at its signing time and names its scheme."""
        req, reading = _request(vector)
        timestamp, _, _, _ = _parts(req)
        credentials = Credentials(vector["access_key_id"], vector["access_key_secret"])
        verified = verify(req, [reading], credentials, _epoch(timestamp))
        assert (verified.reading, verified.scheme) == (reading, vector["scheme"])

    @pytest.mark.parametrize(
        "vector", _by_id([v for v in REQUEST_VECTORS if v["id"].endswith("-sts")])
    )
    def test_verify_accepts_with_temporary_pair(self, vector: dict[str, Any]) -> None:
        """STS vectors also verify when the pair is configured with their token."""
        req, reading = _request(vector)
        timestamp, _, _, _ = _parts(req)
        credentials = Credentials(vector["access_key_id"], vector["access_key_secret"], "token")
        assert verify(req, [reading], credentials, _epoch(timestamp)).reading == reading

    def test_signing_key_example(self) -> None:
        """The documented signing-key derivation."""
        example = VECTORS["signing_key_example"]
        key = v4.signing_key(
            example["secret"], example["date"], example["region"], example["product"]
        )
        assert key.hex() == example["signing_key_hex"]


class TestUriEncode:
    """uri_encode: UTF-8, unreserved characters kept, uppercase hex (§5.2)."""

    def test_reserved_and_unicode_bytes_are_encoded(self) -> None:
        """'+', space, '/', '|' and non-ASCII become %XX; '~' stays."""
        assert uri_encode("a+b c/d|é~") == "a%2Bb%20c%2Fd%7C%C3%A9~"

    def test_keep_slash_for_the_uri(self) -> None:
        """In the canonical URI '/' is kept."""
        assert uri_encode("/b/dir/a+b", keep_slash=True) == "/b/dir/a%2Bb"

    @given(st.text())
    def test_round_trips_and_uses_only_unreserved(self, text: str) -> None:
        """Decoding gives the text back; the output has only unreserved characters and %XX."""
        encoded = uri_encode(text)
        assert unquote(encoded) == text
        assert set(encoded.replace("%", "")) <= UNRESERVED | set("ABCDEF")


class TestCanonicalForms:
    """Canonical URI, query and headers (§5.2)."""

    def test_uri_has_the_bucket_and_the_re_encoded_key(self) -> None:
        """The bucket is always in the URI; the decoded key is re-encoded keeping '/'."""
        assert v4_canonical_uri(Reading(None, None)) == "/"
        assert v4_canonical_uri(Reading("b", None)) == "/b/"
        assert v4_canonical_uri(Reading("b", "1234+-/123/1.txt")) == "/b/1234%2B-/123/1.txt"

    def test_query_sorted_by_encoded_name_bare_when_empty(self) -> None:
        """Pairs are sorted after encoding; empty values are bare names."""
        query = [
            ("param1", "value1"),
            ("+param1", "value3"),
            ("|param1", "value4"),
            ("+param2", ""),
            ("|param2", ""),
            ("param2", ""),
        ]
        assert v4_canonical_query(query) == (
            "%2Bparam1=value3&%2Bparam2&%7Cparam1=value4&%7Cparam2&param1=value1&param2"
        )

    def test_query_exclude_and_empty_with_equals(self) -> None:
        """Presigned requests drop x-oss-signature; the ali-oss retry writes 'name='."""
        query = [("prefix", ""), ("x-oss-signature", "s"), ("a b", "c/d")]
        assert (
            v4_canonical_query(
                query,
                exclude=frozenset({"x-oss-signature"}),
                empty_with_equals=frozenset({"prefix"}),
            )
            == "a%20b=c%2Fd&prefix="
        )

    def test_headers_default_set_and_listed_only(self) -> None:
        """x-oss-*, content-type, content-md5 always; host and date only when listed."""
        headers = {
            "Host": "h",
            "Date": "d",
            "Content-Type": " t ",
            "content-md5": "m",
            "x-oss-meta-a": "1",
            "abc": "2",
        }
        assert v4_canonical_headers(headers, ()) == (
            "content-md5:m\ncontent-type:t\nx-oss-meta-a:1\n"
        )
        assert v4_canonical_headers(headers, ("abc", "host")) == (
            "abc:2\ncontent-md5:m\ncontent-type:t\nhost:h\nx-oss-meta-a:1\n"
        )

    def test_additional_headers_are_always_sorted(self) -> None:
        """oss2 sends 'abc;hzz;haa' but signs the sorted list (§5.5)."""
        assert v4_additional_headers(["abc", "hzz", "HAA", "", " abc "]) == ("abc", "haa", "hzz")

    def test_payload_line_defaults_to_unsigned(self) -> None:
        """Without x-oss-content-sha256 the last line is UNSIGNED-PAYLOAD."""
        req = SignedRequest.build("GET", "/b/k", "", [])
        assert v4.canonical_request(req, Reading("b", "k")).endswith("\n\n\nUNSIGNED-PAYLOAD")


class TestAuthorizationParsing:
    """OSS4-HMAC-SHA256 Authorization header and credential parsing (§5.1, G13)."""

    CREDENTIAL = "ak/20231216/cn-hangzhou/oss/aliyun_v4_request"

    def test_v2_form(self) -> None:
        """',' separators, AdditionalHeaders before Signature."""
        parsed = v4.parse_authorization(
            f"OSS4-HMAC-SHA256 Credential={self.CREDENTIAL},AdditionalHeaders=zabc;abc,Signature=ff"
        )
        assert parsed == v4.Authorization(
            v4.Credential("ak", "20231216", "cn-hangzhou", "oss"), ("abc", "zabc"), "ff"
        )

    def test_oss2_form(self) -> None:
        """', ' separators, AdditionalHeaders after Signature."""
        parsed = v4.parse_authorization(
            f"OSS4-HMAC-SHA256 Credential={self.CREDENTIAL}, Signature=ff, "
            "AdditionalHeaders=abc;hzz;haa"
        )
        assert parsed.additional_headers == ("abc", "haa", "hzz")
        assert parsed.signature == "ff"

    def test_empty_region_and_other_product_are_kept(self) -> None:
        """Region and product come from the scope verbatim, empty fields kept."""
        credential = v4.parse_credential("ak/20261125//oss-cloudbox/aliyun_v4_request")
        assert credential == v4.Credential("ak", "20261125", "", "oss-cloudbox")
        assert credential.scope == "20261125//oss-cloudbox/aliyun_v4_request"

    @pytest.mark.parametrize(
        "value",
        [
            "OSS4-HMAC-SHA256 Signature=ff",
            "OSS4-HMAC-SHA256 Credential=,Signature=ff",
            f"OSS4-HMAC-SHA256 Credential={CREDENTIAL}",
            "OSS4-HMAC-SHA256 Credential=ak/20231216/cn-hangzhou/oss,Signature=ff",
            "OSS4-HMAC-SHA256 Credential=ak/20231216/cn-hangzhou/oss/abc,Signature=ff",
            "OSS4-HMAC-SHA256 Credential=/20231216/cn-hangzhou/oss/aliyun_v4_request,Signature=f",
            "OSS4-HMAC-SHA256",
        ],
    )
    def test_malformed_is_access_denied_218(self, value: str) -> None:
        """Blank or malformed credential or missing Signature: AccessDenied, EC 0002-00000218."""
        with pytest.raises(AccessDenied) as caught:
            v4.parse_authorization(value)
        assert caught.value.error_message == "Invalid credential in Authorization header."
        assert caught.value.error_ec == "0002-00000218"

    @pytest.mark.parametrize("date", ["2023-12-16", "", "2023121", "2023121a", "٢٠٢٣١٢١٦"])
    def test_bad_date_is_access_denied_223(self, date: str) -> None:
        """A scope date that is not YYYYMMDD: AccessDenied, EC 0002-00000223."""
        with pytest.raises(AccessDenied) as caught:
            v4.parse_credential(f"ak/{date}/cn-hangzhou/oss/aliyun_v4_request")
        assert caught.value.error_ec == "0002-00000223"
