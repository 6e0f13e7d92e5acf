"""Signature V1 (rest-api.md §4): golden vectors and canonical-form units."""

from __future__ import annotations

from email.utils import parsedate_to_datetime
from typing import Any

import pytest

from emulator.auth import v1
from emulator.auth.canonical import SUB_RESOURCES, v1_oss_headers, v1_resource
from emulator.auth.model import Credentials, Reading, SignedRequest
from emulator.auth.verify import verify
from emulator.errors import SignatureDoesNotMatch
from tests.conftest import load_vectors

VECTORS = load_vectors("signatures-v1.json")
REQUEST_VECTORS = VECTORS["request_vectors"]
CLASSIC_VECTORS = VECTORS["classic_vectors"]


def _request(vector: dict[str, Any]) -> tuple[SignedRequest, Reading]:
    """The request of a request vector as the app would build it, and its reading."""
    raw = vector["request"]
    headers = [("Host", raw["host"]), *raw["headers"].items()]
    req = SignedRequest.build(raw["method"], raw["raw_path"], raw["raw_query"], headers)
    return req, Reading(raw["bucket"], raw["key"])


def _now(req: SignedRequest) -> float:
    """A clock matching the vector: the signing date, or just before the URL expires."""
    expires = req.query_value("Expires")
    if expires is not None:
        return int(expires) - 60
    return parsedate_to_datetime(v1.date_slot(req.headers)).timestamp()


def _classic_request(vector: dict[str, Any]) -> tuple[SignedRequest, Reading]:
    """A classic vector's canonicalized resource turned back into a request and reading."""
    path, _, raw_query = vector["canonicalized_resource"].partition("?")
    bucket, _, key = path[1:].partition("/")
    reading = Reading(bucket or None, key or None)
    headers = dict(vector["headers"])
    query = raw_query
    if "expires" in vector:
        query = "&".join(
            filter(
                None,
                [
                    raw_query,
                    "OSSAccessKeyId=ak",
                    f"Expires={vector['expires']}",
                    f"Signature={vector['expected']['signature']}",
                ],
            )
        )
    else:
        headers["Authorization"] = f"OSS ak:{vector['expected']['signature']}"
    return SignedRequest.build(vector["method"], path, query, headers.items()), reading


def _by_id(vectors: list[dict[str, Any]]) -> list[Any]:
    return [pytest.param(vector, id=vector["id"]) for vector in vectors]


class TestRequestVectors:
    """Server-side V1 vectors: string to sign, signature and acceptance by verify."""

    @pytest.mark.parametrize("vector", _by_id(REQUEST_VECTORS))
    def test_string_to_sign_matches(self, vector: dict[str, Any]) -> None:
        """The recomputed string to sign equals the SDK's."""
        req, reading = _request(vector)
        expires = req.query_value("Expires")
        assert (
            v1.string_to_sign(req, reading, date_override=expires)
            == (vector["expected"]["string_to_sign"])
        )

    @pytest.mark.parametrize("vector", _by_id(REQUEST_VECTORS))
    def test_signature_matches(self, vector: dict[str, Any]) -> None:
        """HMAC-SHA1 of the expected string gives the expected signature."""
        expected = vector["expected"]
        assert (
            v1.sign(vector["access_key_secret"], expected["string_to_sign"])
            == (expected["signature"])
        )

    @pytest.mark.parametrize(
        "vector", _by_id([v for v in REQUEST_VECTORS if "authorization" in v["expected"]])
    )
    def test_authorization_header_parses(self, vector: dict[str, Any]) -> None:
        """The vector's Authorization header splits into its access key id and signature."""
        assert v1.parse_authorization(vector["expected"]["authorization"]) == (
            vector["access_key_id"],
            vector["expected"]["signature"],
        )

    @pytest.mark.parametrize("vector", _by_id(REQUEST_VECTORS))
    def test_verify_accepts(self, vector: dict[str, Any]) -> None:
        """verify accepts the request under its reading and names its scheme."""
        req, reading = _request(vector)
        credentials = Credentials(vector["access_key_id"], vector["access_key_secret"])
        verified = verify(req, [reading], credentials, _now(req))
        assert (verified.reading, verified.scheme) == (reading, vector["scheme"])

    @pytest.mark.parametrize(
        "vector",
        _by_id([v for v in REQUEST_VECTORS if "security-token" in v["request"]["raw_query"]]),
    )
    def test_verify_accepts_with_temporary_pair(self, vector: dict[str, Any]) -> None:
        """STS vectors also verify when the pair is configured with their token."""
        req, reading = _request(vector)
        credentials = Credentials(vector["access_key_id"], vector["access_key_secret"], "token")
        assert verify(req, [reading], credentials, _now(req)).reading == reading


class TestClassicVectors:
    """Vectors giving the canonicalized resource directly (docs, libcloud, Ruby SDK)."""

    @pytest.mark.parametrize("vector", _by_id(CLASSIC_VECTORS))
    def test_string_to_sign_matches(self, vector: dict[str, Any]) -> None:
        """assemble() builds the documented string from headers and resource."""
        sts = v1.assemble(
            vector["method"],
            vector["headers"],
            vector["canonicalized_resource"],
            date=vector.get("expires"),
        )
        assert sts == vector["expected"]["string_to_sign"]

    @pytest.mark.parametrize("vector", _by_id(CLASSIC_VECTORS))
    def test_signature_matches(self, vector: dict[str, Any]) -> None:
        """The documented signature is the HMAC-SHA1 of the documented string."""
        expected = vector["expected"]
        assert (
            v1.sign(vector["access_key_secret"], expected["string_to_sign"])
            == (expected["signature"])
        )

    @pytest.mark.parametrize(
        "vector", _by_id([v for v in CLASSIC_VECTORS if v["id"] != "ruby-bucket-no-slash"])
    )
    def test_verify_accepts(self, vector: dict[str, Any]) -> None:
        """The vector, rebuilt as a request, verifies (header form or presigned URL)."""
        req, reading = _classic_request(vector)
        credentials = Credentials("ak", vector["access_key_secret"])
        verified = verify(req, [reading], credentials, _now(req))
        assert verified.reading == reading

    def test_legacy_bucket_resource_is_not_accepted(self) -> None:
        """The old '/bucket' resource (no trailing slash) is not a form current SDKs sign."""
        vector = next(v for v in CLASSIC_VECTORS if v["id"] == "ruby-bucket-no-slash")
        req = SignedRequest.build(
            "PUT",
            "/bucket/",
            "",
            [
                *vector["headers"].items(),
                ("Authorization", f"OSS ak:{vector['expected']['signature']}"),
            ],
        )
        with pytest.raises(SignatureDoesNotMatch):
            verify(
                req,
                [Reading("bucket", None)],
                Credentials("ak", vector["access_key_secret"]),
                _now(req),
            )


class TestCanonicalizedResource:
    """CanonicalizedResource: decoded resource plus sorted sub-resources (§4.1, §4.2)."""

    def test_service_bucket_and_object_resources(self) -> None:
        """Service is '/', a bucket '/b/', an object '/b/k' with its key decoded."""
        assert v1_resource(Reading(None, None), ()) == "/"
        assert v1_resource(Reading("b", None), ()) == "/b/"
        assert v1_resource(Reading("b", ""), ()) == "/b/"
        assert v1_resource(Reading("b", "dir/a b+c ключ"), ()) == "/b/dir/a b+c ключ"

    def test_only_sub_resources_are_signed_sorted(self) -> None:
        """Non-sub-resources are ignored; sub-resources sorted by name; empty values bare."""
        query = [("uploads", ""), ("prefix", "p"), ("acl", ""), ("max-keys", "10")]
        assert v1_resource(Reading("b", None), query) == "/b/?acl&uploads"

    def test_values_are_written_decoded(self) -> None:
        """Values keep their decoded form (no percent-encoding)."""
        query = [("response-content-disposition", "attachment; filename=a b.txt")]
        assert v1_resource(Reading("b", "k"), query) == (
            "/b/k?response-content-disposition=attachment; filename=a b.txt"
        )

    def test_names_are_case_sensitive(self) -> None:
        """'ACL' is not the sub-resource 'acl'."""
        assert v1_resource(Reading("b", "k"), [("ACL", "")]) == "/b/k"

    def test_drop_leaves_a_sub_resource_out(self) -> None:
        """The x-oss-process retry signs without that parameter (§4.2)."""
        query = [("x-oss-process", "image/resize,w_10"), ("versionId", "v")]
        assert v1_resource(Reading("b", "k"), query, drop=frozenset({"x-oss-process"})) == (
            "/b/k?versionId=v"
        )

    def test_empty_with_equals_writes_name_equals(self) -> None:
        """The ali-oss retry writes a chosen empty value as 'name=' (§5.5)."""
        query = [("acl", ""), ("uploads", "")]
        assert v1_resource(Reading("b", None), query, empty_with_equals=frozenset({"acl"})) == (
            "/b/?acl=&uploads"
        )

    def test_sub_resource_set_has_the_documented_names(self) -> None:
        """A sample of the §4.2 union, including x-oss-process and security-token."""
        assert {
            "acl",
            "uploadId",
            "partNumber",
            "security-token",
            "x-oss-process",
            "continuation-token",
            "response-content-type",
            "resourceGroup",
        } <= SUB_RESOURCES
        assert (
            not {
                "prefix",
                "marker",
                "max-keys",
                "delimiter",
                "encoding-type",
                "list-type",
                "OSSAccessKeyId",
                "Expires",
                "Signature",
            }
            & SUB_RESOURCES
        )


class TestHeadersAndDate:
    """CanonicalizedOSSHeaders and the Date slot (§4.1)."""

    def test_oss_headers_lower_cased_trimmed_sorted(self) -> None:
        """x-oss-* names are lower-cased, values trimmed, entries sorted."""
        headers = {"X-OSS-Meta-B": "  2 ", "x-oss-meta-a": "1", "Content-Type": "t"}
        assert v1_oss_headers(headers) == "x-oss-meta-a:1\nx-oss-meta-b:2\n"

    def test_x_oss_date_takes_the_date_slot(self) -> None:
        """x-oss-date wins over Date when present and non-empty."""
        assert v1.date_slot({"date": "D", "x-oss-date": "X"}) == "X"
        assert v1.date_slot({"date": "D", "x-oss-date": ""}) == "D"
        assert v1.date_slot({}) == ""

    def test_host_is_never_signed(self) -> None:
        """Host does not appear in the string to sign."""
        sts = v1.assemble("GET", {"Host": "b.localhost", "Date": "D"}, "/b/k")
        assert sts == "GET\n\n\nD\n/b/k"


class TestAuthorizationHeader:
    """Parsing 'OSS <ak>:<signature>' (§4.1)."""

    def test_splits_on_the_first_colon(self) -> None:
        """The access key id ends at the first ':'."""
        assert v1.parse_authorization("OSS ak:a:b") == ("ak", "a:b")

    def test_missing_colon_gives_an_empty_signature(self) -> None:
        """No ':' reads as an access key id with an empty signature."""
        assert v1.parse_authorization("OSS ak") == ("ak", "")

    def test_rejects_other_schemes(self) -> None:
        """A non-V1 value is a caller bug."""
        with pytest.raises(ValueError):
            v1.parse_authorization("OSS4-HMAC-SHA256 Credential=x")
