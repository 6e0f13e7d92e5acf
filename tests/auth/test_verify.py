"""verify(): dispatch, checks, readings and quirks (rest-api.md §3-§7), plus properties.

The requests here are signed by a small client written from the spec's pseudo-code
(§4.4, §5.6) with the standard library only, independently of ``emulator.auth``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from dataclasses import dataclass, field, replace
from email.utils import formatdate
from urllib.parse import quote, unquote

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from emulator.auth.model import Credentials, Reading, SignedRequest, Verified
from emulator.auth.verify import verify
from emulator.errors import (
    AccessDenied,
    InvalidAccessKeyId,
    InvalidArgument,
    OSSError,
    RequestTimeTooSkewed,
    SignatureDoesNotMatch,
)

AK, SK, TOKEN = "ak", "sk", "sts-token"
NOW = 1795644000  # 2026-11-25T22:00:00Z
PERMANENT = Credentials(AK, SK)
TEMPORARY = Credentials(AK, SK, TOKEN)
SCHEMES = ("v1-header", "v1-query", "v4-header", "v4-query")

# What the test client signs in V1: a subset of the §4.2 list, and some plain parameters.
CLIENT_SUB_RESOURCES = frozenset(
    {
        "acl",
        "uploads",
        "uploadId",
        "partNumber",
        "versionId",
        "tagging",
        "append",
        "position",
        "response-content-type",
        "response-content-disposition",
        "x-oss-process",
        "continuation-token",
        "security-token",
    }
)
PLAIN_PARAMS = ("prefix", "marker", "max-keys", "delimiter", "encoding-type", "foo")


# --- a client written from the spec ---------------------------------------------------


@dataclass
class Call:
    """What a client sends, before signing."""

    method: str = "GET"
    bucket: str | None = "bucket"
    key: str | None = "key"
    query: list[tuple[str, str]] = field(default_factory=list)
    headers: dict[str, str] = field(default_factory=dict)
    additional: tuple[str, ...] = ()  # V4 AdditionalHeaders
    empty_equals: bool = False  # ali-oss: sign empty query values as "name=" (§5.5)
    unsigned: frozenset[str] = frozenset()  # V1 sub-resources the client does not sign
    region: str = "cn-hangzhou"
    oss2_style: bool = False  # V4 header: ", " separators, AdditionalHeaders last

    @property
    def reading(self) -> Reading:
        return Reading(self.bucket, self.key)

    def path(self) -> str:
        if self.bucket is None:
            return "/"
        return f"/{self.bucket}/{quote(self.key or '', safe='/')}"


def _q(text: str) -> str:
    return quote(text, safe="-_.~")


def _pair(name: str, value: str, equals: bool) -> str:
    return f"{name}={value}" if value or equals else name


def _raw_query(pairs: list[tuple[str, str]]) -> str:
    return "&".join(_pair(quote(k, safe=""), quote(v, safe=""), False) for k, v in pairs)


def _build(call: Call, query: list[tuple[str, str]], headers: dict[str, str]) -> SignedRequest:
    path = call.path()
    if call.bucket is not None:  # the router's path-style reading gives the key back
        assert unquote(path) == f"/{call.bucket}/{call.key or ''}"
    return SignedRequest.build(
        call.method, path, _raw_query(query), [("Host", "127.0.0.1:9000"), *headers.items()]
    )


def _v1_sts(
    call: Call, headers: dict[str, str], query: list[tuple[str, str]], expires: str | None = None
) -> str:
    h = {k.lower(): v.strip() for k, v in headers.items()}
    date = expires if expires is not None else (h.get("x-oss-date") or h.get("date", ""))
    oss = sorted((k, v) for k, v in h.items() if k.startswith("x-oss-"))
    res = "/" if call.bucket is None else f"/{call.bucket}/{call.key or ''}"
    sub = sorted((k, v) for k, v in query if k in CLIENT_SUB_RESOURCES and k not in call.unsigned)
    if sub:
        res += "?" + "&".join(_pair(k, v, call.empty_equals) for k, v in sub)
    return (
        f"{call.method}\n{h.get('content-md5', '')}\n{h.get('content-type', '')}\n"
        f"{date}\n" + "".join(f"{k}:{v}\n" for k, v in oss) + res
    )


def _v1_sign(secret: str, sts: str) -> str:
    digest = hmac.new(secret.encode(), sts.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


def _v4_signature(
    call: Call, secret: str, headers: dict[str, str], query: list[tuple[str, str]], stamp: str
) -> str:
    h = {k.lower(): v.strip() for k, v in headers.items()}
    uri = "/" if call.bucket is None else f"/{call.bucket}/{call.key or ''}"
    pairs = sorted((_q(k), _q(v)) for k, v in query)
    canonical_query = "&".join(_pair(k, v, call.empty_equals) for k, v in pairs)
    addl = sorted(a.lower() for a in call.additional)
    names = sorted(
        k for k in h if k.startswith("x-oss-") or k in ("content-type", "content-md5") or k in addl
    )
    canonical = "\n".join(
        [
            call.method,
            quote(uri, safe="-_.~/"),
            canonical_query,
            "".join(f"{k}:{h[k]}\n" for k in names),
            ";".join(addl),
            h.get("x-oss-content-sha256", "UNSIGNED-PAYLOAD"),
        ]
    )
    scope = f"{stamp[:8]}/{call.region}/oss/aliyun_v4_request"
    sts = "\n".join(
        ["OSS4-HMAC-SHA256", stamp, scope, hashlib.sha256(canonical.encode()).hexdigest()]
    )
    key = hmac.new(("aliyun_v4" + secret).encode(), stamp[:8].encode(), hashlib.sha256).digest()
    for part in (call.region, "oss", "aliyun_v4_request"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    return hmac.new(key, sts.encode(), hashlib.sha256).hexdigest()


def sign(
    scheme: str,
    call: Call,
    credentials: Credentials = PERMANENT,
    *,
    now: float = NOW,
    expires_in: int = 300,
) -> SignedRequest:
    """Sign ``call`` the way an SDK would, token in the scheme's carrier (§6)."""
    headers, query = dict(call.headers), list(call.query)
    ak, secret, token = (
        credentials.access_key_id,
        credentials.access_key_secret,
        credentials.security_token,
    )
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(now))
    if scheme == "v1-header":
        headers["Date"] = formatdate(now, usegmt=True)
        if token:
            headers["x-oss-security-token"] = token
        headers["Authorization"] = f"OSS {ak}:{_v1_sign(secret, _v1_sts(call, headers, query))}"
    elif scheme == "v1-query":
        expires = str(int(now) + expires_in)
        if token:
            query.append(("security-token", token))
        signature = _v1_sign(secret, _v1_sts(call, headers, query, expires))
        query += [("OSSAccessKeyId", ak), ("Expires", expires), ("Signature", signature)]
    elif scheme == "v4-header":
        headers.update({"x-oss-date": stamp, "x-oss-content-sha256": "UNSIGNED-PAYLOAD"})
        if token:
            headers["x-oss-security-token"] = token
        signature = _v4_signature(call, secret, headers, query, stamp)
        credential = f"Credential={ak}/{stamp[:8]}/{call.region}/oss/aliyun_v4_request"
        additional = f"AdditionalHeaders={';'.join(call.additional)}" if call.additional else ""
        if call.oss2_style:
            items = [credential, f"Signature={signature}", additional]
            headers["Authorization"] = "OSS4-HMAC-SHA256 " + ", ".join(filter(None, items))
        else:
            items = [credential, additional, f"Signature={signature}"]
            headers["Authorization"] = "OSS4-HMAC-SHA256 " + ",".join(filter(None, items))
    else:
        query += [
            ("x-oss-signature-version", "OSS4-HMAC-SHA256"),
            ("x-oss-credential", f"{ak}/{stamp[:8]}/{call.region}/oss/aliyun_v4_request"),
            ("x-oss-date", stamp),
            ("x-oss-expires", str(expires_in)),
        ]
        if call.additional:
            query.append(("x-oss-additional-headers", ";".join(call.additional)))
        if token:
            query.append(("x-oss-security-token", token))
        query.append(("x-oss-signature", _v4_signature(call, secret, headers, query, stamp)))
    return _build(call, query, headers)


def _error(
    exc_type: type[OSSError],
    req: SignedRequest,
    readings: list[Reading],
    credentials: Credentials = PERMANENT,
    now: float = NOW,
) -> OSSError:
    """The error verify raises, checked to be of ``exc_type``."""
    with pytest.raises(exc_type) as caught:
        verify(req, readings, credentials, now)
    return caught.value


# --- unit behaviour -------------------------------------------------------------------


class TestDispatch:
    """Scheme selection, first matching row of the §3 table."""

    @pytest.mark.parametrize("scheme", SCHEMES)
    def test_each_scheme_is_named(self, scheme: str) -> None:
        """A correctly signed request verifies under its own scheme."""
        verified = verify(sign(scheme, Call()), [Call().reading], PERMANENT, NOW)
        assert verified == Verified(Call().reading, AK, scheme)

    @pytest.mark.parametrize("name", ["OSSAccessKeyId", "Expires", "Signature"])
    def test_authorization_with_url_signature_is_invalid_argument(self, name: str) -> None:
        """An Authorization header and a V1 URL parameter together: 400 InvalidArgument."""
        req = sign("v1-header", Call(query=[(name, "x")]))
        error = _error(InvalidArgument, req, [Call().reading])
        assert error.status == 400
        assert error.details["ArgumentName"] == "Authorization"

    def test_anonymous_is_access_denied(self) -> None:
        """No signature at all: AccessDenied with the class message."""
        req = SignedRequest.build("GET", "/bucket/key", "", [("Host", "h")])
        error = _error(AccessDenied, req, [Call().reading])
        assert error.error_message == AccessDenied.message

    def test_blank_authorization_counts_as_absent(self) -> None:
        """A blank Authorization header does not hide a presigned URL."""
        req = sign("v1-query", Call())
        req = replace(req, headers={**req.headers, "authorization": "  "})
        assert verify(req, [Call().reading], PERMANENT, NOW).scheme == "v1-query"

    def test_v1_url_needs_access_key_and_signature(self) -> None:
        """OSSAccessKeyId without Signature is not a presigned URL: anonymous."""
        req = SignedRequest.build("GET", "/bucket/key", "OSSAccessKeyId=ak&Expires=1", [])
        _error(AccessDenied, req, [Call().reading])

    @pytest.mark.parametrize(
        "raw_query, headers",
        [
            ("", [("Authorization", "OSS2 AccessKeyId:ak,Signature:c2ln")]),
            ("x-oss-signature-version=OSS2&x-oss-access-key-id=ak&x-oss-signature=s", []),
        ],
    )
    def test_oss2_is_signature_does_not_match(
        self, raw_query: str, headers: list[tuple[str, str]]
    ) -> None:
        """oss2 AuthV2 (header or URL) is refused with SignatureDoesNotMatch (G5)."""
        req = SignedRequest.build("GET", "/bucket/key", raw_query, headers)
        assert _error(SignatureDoesNotMatch, req, [Call().reading]).status == 403

    @pytest.mark.parametrize("value", ["AWS ak:sig", "Bearer token", "OSSak:sig"])
    def test_unknown_authorization_scheme_is_access_denied(self, value: str) -> None:
        """An Authorization header of a scheme OSS does not define is refused."""
        req = SignedRequest.build("GET", "/bucket/key", "", [("Authorization", value)])
        _error(AccessDenied, req, [Call().reading])

    def test_readings_must_not_be_empty(self) -> None:
        """The router always gives at least one reading."""
        with pytest.raises(ValueError):
            verify(sign("v1-header", Call()), [], PERMANENT, NOW)


class TestAccessKey:
    """The access key id must be the configured one (§3)."""

    @pytest.mark.parametrize("scheme", SCHEMES)
    def test_unknown_key_is_invalid_access_key_id(self, scheme: str) -> None:
        """Another key id: InvalidAccessKeyId naming it, EC 0002-00000902."""
        req = sign(scheme, Call(), Credentials("other", SK))
        error = _error(InvalidAccessKeyId, req, [Call().reading])
        assert error.details == {"OSSAccessKeyId": "other"}
        assert error.error_ec == "0002-00000902"
        assert error.error_message == InvalidAccessKeyId.message


class TestSecurityToken:
    """Temporary pairs need their token, in the scheme's carrier (§6, G6)."""

    @pytest.mark.parametrize("scheme", SCHEMES)
    def test_right_token_verifies(self, scheme: str) -> None:
        """The token in its carrier, signed where the scheme signs it."""
        req = sign(scheme, Call(), TEMPORARY)
        assert verify(req, [Call().reading], TEMPORARY, NOW).scheme == scheme

    @pytest.mark.parametrize("scheme", SCHEMES)
    def test_missing_token_is_refused(self, scheme: str) -> None:
        """A temporary pair used without its token: InvalidAccessKeyId, G6 message."""
        req = sign(scheme, Call(), PERMANENT)
        error = _error(InvalidAccessKeyId, req, [Call().reading], TEMPORARY)
        assert error.error_message == "The security token you provided is invalid."

    @pytest.mark.parametrize("scheme", SCHEMES)
    def test_other_token_is_refused(self, scheme: str) -> None:
        """A different token, even correctly signed: InvalidAccessKeyId."""
        req = sign(scheme, Call(), Credentials(AK, SK, "other-token"))
        error = _error(InvalidAccessKeyId, req, [Call().reading], TEMPORARY)
        assert error.error_message == "The security token you provided is invalid."

    @pytest.mark.parametrize("scheme", SCHEMES)
    def test_permanent_pair_ignores_a_token(self, scheme: str) -> None:
        """A permanent pair accepts a request that carries some token."""
        req = sign(scheme, Call(), Credentials(AK, SK, "whatever"))
        assert verify(req, [Call().reading], PERMANENT, NOW).scheme == scheme

    def test_v2_plain_security_token_header_for_v1(self) -> None:
        """v2 sends V1 header auth with an unsigned 'security-token' header."""
        req = sign("v1-header", Call(headers={"security-token": TOKEN}))
        assert verify(req, [Call().reading], TEMPORARY, NOW).scheme == "v1-header"

    def test_plain_security_token_header_is_not_a_v4_carrier(self) -> None:
        """V4 header auth takes the token from x-oss-security-token only."""
        req = sign("v4-header", Call(headers={"security-token": TOKEN}))
        _error(InvalidAccessKeyId, req, [Call().reading], TEMPORARY)


class TestExpiry:
    """Presigned URLs expire; they are not subject to the skew check (§3, §4.3, §5.4)."""

    @pytest.mark.parametrize("scheme", ["v1-query", "v4-query"])
    def test_expired_url_is_access_denied(self, scheme: str) -> None:
        """One second past expiry: AccessDenied 'Request has expired.'."""
        req = sign(scheme, Call(), expires_in=60)
        error = _error(AccessDenied, req, [Call().reading], now=NOW + 61)
        assert error.error_message == "Request has expired."

    @pytest.mark.parametrize("scheme", ["v1-query", "v4-query"])
    def test_valid_until_the_last_second(self, scheme: str) -> None:
        """At exactly the expiry time the URL still works; clock skew is irrelevant."""
        req = sign(scheme, Call(), expires_in=7200)
        assert verify(req, [Call().reading], PERMANENT, NOW + 7200).scheme == scheme

    def test_v4_expires_is_at_most_seven_days(self) -> None:
        """x-oss-expires 604800 is accepted, 604801 refused."""
        assert (
            verify(
                sign("v4-query", Call(), expires_in=604800), [Call().reading], PERMANENT, NOW
            ).scheme
            == "v4-query"
        )
        error = _error(AccessDenied, sign("v4-query", Call(), expires_in=604801), [Call().reading])
        assert error.error_message == "Request has expired."

    @pytest.mark.parametrize("expires", ["", "soon", "-5", "1.5", "١٢٣"])
    def test_malformed_v1_expires_is_access_denied(self, expires: str) -> None:
        """An Expires that is not decimal seconds is refused before the signature."""
        req = SignedRequest.build(
            "GET", "/bucket/key", f"OSSAccessKeyId=ak&Expires={quote(expires)}&Signature=x", []
        )
        _error(AccessDenied, req, [Call().reading])

    @pytest.mark.parametrize(
        "param, value", [("x-oss-date", "2026-11-25"), ("x-oss-expires", "-1"), ("x-oss-date", "")]
    )
    def test_malformed_v4_date_or_expires_is_access_denied(self, param: str, value: str) -> None:
        """A presigned V4 URL needs a yyyymmddTHHMMSSZ date and decimal expires."""
        req = sign("v4-query", Call())
        query = tuple((k, value if k == param else v) for k, v in req.query)
        _error(AccessDenied, replace(req, query=query), [Call().reading])


class TestClockSkew:
    """Header-signed requests more than 15 minutes off are refused (§3, G2)."""

    @pytest.mark.parametrize("scheme", ["v1-header", "v4-header"])
    def test_skewed_request_is_request_time_too_skewed(self, scheme: str) -> None:
        """16 minutes off: RequestTimeTooSkewed with the server's time."""
        req = sign(scheme, Call(), now=NOW - 16 * 60)
        error = _error(RequestTimeTooSkewed, req, [Call().reading])
        assert error.details == {"ServerTime": "2026-11-25T22:00:00.000Z"}
        assert error.status == 403

    @pytest.mark.parametrize("scheme", ["v1-header", "v4-header"])
    @pytest.mark.parametrize("offset", [-15 * 60, 15 * 60, 14 * 60])
    def test_within_fifteen_minutes_verifies(self, scheme: str, offset: int) -> None:
        """Up to 15 minutes either way is accepted."""
        req = sign(scheme, Call(), now=NOW + offset)
        assert verify(req, [Call().reading], PERMANENT, NOW).scheme == scheme

    @pytest.mark.parametrize("scheme", ["v1-header", "v4-header"])
    def test_switch_turns_the_check_off(self, scheme: str) -> None:
        """skew_check=False accepts a day-old signature."""
        req = sign(scheme, Call(), now=NOW - 86400)
        assert verify(req, [Call().reading], PERMANENT, NOW, skew_check=False).scheme == scheme

    def test_v1_skew_uses_x_oss_date_over_date(self) -> None:
        """ali-oss sends only x-oss-date; when both are sent x-oss-date counts."""
        call = Call(headers={"x-oss-date": formatdate(NOW, usegmt=True)})
        req = sign("v1-header", call, now=NOW - 86400)  # Date header a day old
        assert verify(req, [call.reading], PERMANENT, NOW).scheme == "v1-header"

    @pytest.mark.parametrize("scheme, header", [("v1-header", "Date"), ("v4-header", "x-oss-date")])
    def test_unreadable_date_is_access_denied(self, scheme: str, header: str) -> None:
        """A date that cannot be parsed is refused (emulator choice), or signed as-is when off."""
        call = Call()
        req = sign(scheme, call)
        req = replace(req, headers={**req.headers, header.lower(): "yesterday"})
        _error(AccessDenied, req, [call.reading])
        if scheme == "v1-header":  # the Date slot is signed text: re-sign with "yesterday"
            signed = sign("v1-header", Call(headers={"x-oss-date": "yesterday"}))
            assert verify(signed, [call.reading], PERMANENT, NOW, skew_check=False)


class TestSignatureMismatch:
    """SignatureDoesNotMatch carries the server's string to sign (§7, §10.2)."""

    def test_v1_header_details_and_ec(self) -> None:
        """V1 header: EC 0002-00000040 and the four elements in order."""
        req = sign("v1-header", Call(), Credentials(AK, "wrong"))
        error = _error(SignatureDoesNotMatch, req, [Call().reading])
        assert list(error.details) == [
            "OSSAccessKeyId",
            "SignatureProvided",
            "StringToSign",
            "StringToSignBytes",
        ]
        sts = error.details["StringToSign"]
        assert sts == f"GET\n\n\n{formatdate(NOW, usegmt=True)}\n/bucket/key"
        assert error.details["StringToSignBytes"] == " ".join(f"{b:02X}" for b in sts.encode())
        assert error.details["SignatureProvided"] == req.headers["authorization"].split(":")[1]
        assert error.error_ec == "0002-00000040"

    def test_v1_query_has_no_ec(self) -> None:
        """Presigned V1: same elements, no EC."""
        req = sign("v1-query", Call(), Credentials(AK, "wrong"))
        error = _error(SignatureDoesNotMatch, req, [Call().reading])
        assert error.error_ec is None
        assert error.details["StringToSign"].endswith(f"\n{NOW + 300}\n/bucket/key")

    @pytest.mark.parametrize("scheme", ["v4-header", "v4-query"])
    def test_v4_adds_the_canonical_request(self, scheme: str) -> None:
        """V4: CanonicalRequest follows StringToSignBytes; no EC."""
        req = sign(scheme, Call(), Credentials(AK, "wrong"))
        error = _error(SignatureDoesNotMatch, req, [Call().reading])
        assert list(error.details)[-1] == "CanonicalRequest"
        assert error.details["CanonicalRequest"].startswith("GET\n/bucket/key\n")
        assert error.details["StringToSign"].startswith("OSS4-HMAC-SHA256\n")
        assert error.error_ec is None

    def test_unicode_string_to_sign_bytes_are_utf8(self) -> None:
        """StringToSignBytes is the UTF-8 of the string, uppercase hex."""
        req = sign("v1-query", Call(key="é"), Credentials(AK, "wrong"))
        error = _error(SignatureDoesNotMatch, req, [Reading("bucket", "é")])
        assert error.details["StringToSignBytes"].endswith("2F C3 A9")


class TestReadings:
    """Several readings: the first that verifies wins; errors show the first (R1)."""

    # ali-oss Node, IP endpoint + sldEnable: Host b.oss-cn-hangzhou.aliyuncs.com, path /b/k.
    READINGS = [Reading("b", "b/k"), Reading("b", "k")]

    @pytest.mark.parametrize("scheme", SCHEMES)
    def test_second_reading_wins_when_it_alone_verifies(self, scheme: str) -> None:
        """Signed as /b/k: the virtual-host reading 'b/k' fails, the path reading wins."""
        req = sign(scheme, Call(bucket="b", key="k"))
        assert verify(req, self.READINGS, PERMANENT, NOW).reading == Reading("b", "k")

    def test_first_reading_wins_when_both_verify(self) -> None:
        """Order decides between readings that both verify."""
        req = sign("v1-header", Call(bucket="b", key="k"))
        readings = [Reading("b", "k"), Reading("b", "k")]
        assert verify(req, readings, PERMANENT, NOW).reading is readings[0]

    @pytest.mark.parametrize("scheme", SCHEMES)
    def test_error_shows_the_first_reading(self, scheme: str) -> None:
        """When none verifies, StringToSign is the first reading's."""
        req = sign(scheme, Call(bucket="b", key="k"), Credentials(AK, "wrong"))
        error = _error(SignatureDoesNotMatch, req, self.READINGS)
        text = error.details.get("CanonicalRequest", error.details["StringToSign"])
        assert "/b/b/k" in text

    def test_service_reading(self) -> None:
        """Bucket None signs the resource '/'."""
        call = Call(bucket=None, key=None)
        assert verify(sign("v1-header", call), [call.reading], PERMANENT, NOW)


class TestQuirks:
    """Client quirks tolerated after the plain form fails (§4.2, §5.5)."""

    def test_v1_without_x_oss_process(self) -> None:
        """v2 does not sign x-oss-process; the retry without it verifies (G3)."""
        call = Call(
            query=[("x-oss-process", "image/resize,w_100"), ("versionId", "v1")],
            unsigned=frozenset({"x-oss-process"}),
        )
        assert verify(sign("v1-header", call), [call.reading], PERMANENT, NOW)

    @pytest.mark.parametrize("scheme", SCHEMES)
    def test_empty_values_signed_with_equals(self, scheme: str) -> None:
        """ali-oss signs empty values as 'name='; the subset retry verifies (G4)."""
        call = Call(query=[("prefix", ""), ("acl", ""), ("max-keys", "10")], empty_equals=True)
        assert verify(sign(scheme, call), [call.reading], PERMANENT, NOW).scheme == scheme

    def test_many_empty_values_try_all_with_equals(self) -> None:
        """Above six empty values only 'none' and 'all' are tried; ali-oss is 'all'."""
        query = [(f"p{i}", "") for i in range(8)]
        call = Call(query=query, empty_equals=True)
        assert verify(sign("v4-header", call), [call.reading], PERMANENT, NOW)

    def test_error_after_retries_shows_the_plain_form(self) -> None:
        """The reported string is the plain one, not a retry variant."""
        call = Call(query=[("prefix", "")])
        req = sign("v4-header", call, Credentials(AK, "wrong"))
        error = _error(SignatureDoesNotMatch, req, [call.reading])
        assert error.details["CanonicalRequest"].split("\n")[2] == "prefix"

    @pytest.mark.parametrize("oss2_style", [False, True])
    def test_v4_additional_headers_any_order_and_separator(self, oss2_style: bool) -> None:
        """AdditionalHeaders unsorted, before or after Signature, ',' or ', '."""
        call = Call(
            headers={"abc": "1", "hzz": "2", "haa": "3"},
            additional=("abc", "hzz", "haa"),
            oss2_style=oss2_style,
        )
        assert verify(sign("v4-header", call), [call.reading], PERMANENT, NOW)

    @pytest.mark.parametrize("region", ["", "oss-cn-hangzhou", "us-east-1"])
    def test_any_v4_region(self, region: str) -> None:
        """The region is taken from the scope verbatim, empty included."""
        call = Call(region=region)
        for scheme in ("v4-header", "v4-query"):
            assert verify(sign(scheme, call), [call.reading], PERMANENT, NOW)

    def test_unencoded_plus_in_v1_url_signature(self) -> None:
        """A '+' left unencoded in Signature (decoded to a space) still verifies."""
        for secret in ("sk", "sk1", "sk2", "sk3", "sk4", "sk5"):
            req = sign("v1-query", Call(), Credentials(AK, secret))
            signature = req.query_value("Signature") or ""
            if "+" in signature:
                break
        else:
            pytest.fail("no signature with '+' among the secrets tried")
        query = tuple((k, v.replace("+", " ") if k == "Signature" else v) for k, v in req.query)
        assert verify(replace(req, query=query), [Call().reading], Credentials(AK, secret), NOW)


# --- properties (style.md rule 10) ----------------------------------------------------

_methods = st.sampled_from(["GET", "PUT", "POST", "DELETE", "HEAD"])
_buckets = st.from_regex(r"[a-z0-9][a-z0-9-]{1,8}[a-z0-9]", fullmatch=True)
_unicode = st.characters(codec="utf-8")
_keys = st.text(st.one_of(_unicode, st.sampled_from(" +/%?#&=")), min_size=1, max_size=20)
_header_values = st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=12)
_values = st.text(st.one_of(_unicode, st.sampled_from(" +/&=%")), max_size=12)
_query_names = st.sampled_from(
    sorted(CLIENT_SUB_RESOURCES - {"security-token"}) + list(PLAIN_PARAMS)
)
_tokens = st.none() | st.text(st.sampled_from("abcXYZ019+/="), min_size=1, max_size=16)


@st.composite
def calls(draw: st.DrawFn) -> Call:
    """Random client calls: unicode keys, spaces, '+', '/', signed and unsigned headers."""
    key = draw(st.none() | _keys)
    headers = {
        f"x-oss-meta-{name}": value
        for name, value in draw(
            st.dictionaries(
                st.from_regex(r"[a-z0-9]{1,6}", fullmatch=True), _header_values, max_size=3
            )
        ).items()
    }
    headers["x-oss-meta-m"] = draw(_header_values.filter(lambda v: v == v.strip()))
    for name in ("Content-Type", "Content-MD5", "abc"):
        if draw(st.booleans()):
            headers[name] = draw(_header_values)
    query = list(draw(st.dictionaries(_query_names, _values, max_size=4)).items())
    query.append(("versionId", draw(_values)))
    additional = ("abc",) if "abc" in headers and draw(st.booleans()) else ()
    return Call(
        method=draw(_methods),
        bucket=draw(_buckets),
        key=key,
        query=query,
        headers=headers,
        additional=additional,
        oss2_style=draw(st.booleans()),
    )


class TestProperties:
    """Sign/verify agreement, single-field mutation and totality."""

    @pytest.mark.parametrize("scheme", SCHEMES)
    @given(call=calls(), token=_tokens)
    def test_round_trip(self, scheme: str, call: Call, token: str | None) -> None:
        """Whatever a client signs, verify accepts under the same reading."""
        credentials = Credentials(AK, SK, token)
        verified = verify(sign(scheme, call, credentials), [call.reading], credentials, NOW)
        assert verified == Verified(call.reading, AK, scheme)

    @pytest.mark.parametrize("scheme", SCHEMES)
    @given(
        call=calls(),
        mutation=st.sampled_from(["method", "key", "header", "sub-resource", "secret"]),
    )
    def test_any_single_mutation_fails(self, scheme: str, call: Call, mutation: str) -> None:
        """Changing one signed field makes verify raise SignatureDoesNotMatch."""
        req, reading, credentials = sign(scheme, call), call.reading, PERMANENT
        if mutation == "method":
            req = replace(req, method="OPTIONS")
        elif mutation == "key":
            reading = Reading(call.bucket, (call.key or "") + "x")
        elif mutation == "header":
            headers = dict(req.headers)
            headers["x-oss-meta-m"] += "x"
            req = replace(req, headers=headers)
        elif mutation == "sub-resource":
            query = tuple((k, v + "x" if k == "versionId" else v) for k, v in req.query)
            req = replace(req, query=query)
        else:
            credentials = Credentials(AK, SK + "x")
        with pytest.raises(SignatureDoesNotMatch):
            verify(req, [reading], credentials, NOW)

    @given(
        method=st.text(max_size=8),
        raw_path=st.text(max_size=20),
        query=st.lists(
            st.tuples(
                st.sampled_from(
                    [
                        "OSSAccessKeyId",
                        "Expires",
                        "Signature",
                        "security-token",
                        "x-oss-signature-version",
                        "x-oss-credential",
                        "x-oss-date",
                        "x-oss-expires",
                        "x-oss-signature",
                        "x-oss-security-token",
                        "x-oss-additional-headers",
                        "x-oss-process",
                        "acl",
                        "prefix",
                    ]
                )
                | st.text(max_size=8),
                st.sampled_from(
                    [
                        "OSS4-HMAC-SHA256",
                        "OSS2",
                        "ak",
                        "ak/20261125/r/oss/aliyun_v4_request",
                        "20261125T192000Z",
                        "604800",
                        "9999999999",
                        "",
                    ]
                )
                | st.text(max_size=16),
            ),
            max_size=6,
        ),
        headers=st.dictionaries(
            st.sampled_from(
                [
                    "authorization",
                    "date",
                    "x-oss-date",
                    "x-oss-security-token",
                    "security-token",
                    "content-type",
                    "x-oss-content-sha256",
                ]
            )
            | st.text(max_size=8),
            st.one_of(
                st.text(max_size=30),
                st.text(max_size=30).map(lambda s: "OSS " + s),
                st.text(max_size=40).map(lambda s: "OSS4-HMAC-SHA256 " + s),
                st.lists(st.text(max_size=10), max_size=6).map(
                    lambda parts: (
                        "OSS4-HMAC-SHA256 Credential="
                        + "/".join(parts)
                        + ",Signature=00,AdditionalHeaders=a;b"
                    )
                ),
                st.text(st.characters(min_codepoint=0xD800, max_codepoint=0xDFFF), max_size=4),
                st.sampled_from(["Wed, 25 Nov 2026 19:20:00 GMT", "20261125T192000Z"]),
            ),
            max_size=5,
        ),
        readings=st.lists(
            st.builds(Reading, st.none() | st.text(max_size=6), st.none() | st.text(max_size=6)),
            min_size=1,
            max_size=3,
        ),
        token=_tokens,
        now=st.integers(min_value=0, max_value=2**33),
        skew_check=st.booleans(),
    )
    @example(
        method="GET",
        raw_path="/",
        query=[],
        readings=[Reading(None, None)],
        token=None,
        headers={
            "authorization": "OSS4-HMAC-SHA256 Credential=ak/20261125/\udc80/oss/"
            "aliyun_v4_request,Signature=00",
            "x-oss-date": "20261125T192000Z",
        },
        now=NOW,
        skew_check=True,
    )
    def test_total(
        self,
        method: str,
        raw_path: str,
        query: list[tuple[str, str]],
        headers: dict[str, str],
        readings: list[Reading],
        token: str | None,
        now: int,
        skew_check: bool,
    ) -> None:
        """Arbitrary requests give a Verified or an OSSError, never another exception."""
        req = SignedRequest(method, raw_path, tuple(query), headers)
        try:
            result = verify(req, readings, Credentials(AK, SK, token), now, skew_check=skew_check)
        except OSSError:
            return
        assert isinstance(result, Verified)
