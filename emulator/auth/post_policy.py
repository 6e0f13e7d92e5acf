"""PostObject authentication: the policy, its signature and its conditions (rest-api.md §8).

V1 forms carry ``OSSAccessKeyId``, ``policy``, ``Signature``; V4 forms
``x-oss-signature-version``, ``x-oss-credential``, ``x-oss-date``, ``x-oss-signature``,
``policy``. The string to sign is the ``policy`` field as sent (§8.3; docs
https://help.aliyun.com/en/oss/developer-reference/signature-version-1 and
…/signature-version-4-recommend). :func:`authenticate` checks the scheme (none: anonymous,
403 ``AccessDenied``, R7), the fields present (400 ``InvalidArgument``), the V4 credential
and date, the key (``InvalidAccessKeyId``), a temporary pair's token (§17 G6), the signature
(``SignatureDoesNotMatch``), and only then reads the policy (so an unsigned request learns
nothing from the parser) and, for V4, requires it to pin the V4 fields and a sent token.
:func:`check_policy` checks expiration and the conditions (``post_conditions``) against the
form, the bucket addressed and the key after ``${filename}`` substitution (as S3 does, whose
POST semantics OSS follows). ECs are those of the OSS page for each cause (constants below);
messages not quoted from OSS are emulator wording, which tests must not depend on.

Pure (style.md §2.1): no I/O; the time is the ``now`` parameter.
"""

from __future__ import annotations

import hmac
import re
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from emulator.auth import v1, v4
from emulator.auth.canonical import utf8
from emulator.auth.model import Credentials
from emulator.auth.post_conditions import (
    EQ,
    LENGTH,
    Condition,
    Policy,
    check_length,
    decode_policy,
    encode_policy,
    exact,
)
from emulator.errors import (
    AccessDenied,
    InvalidAccessKeyId,
    InvalidArgument,
    InvalidPolicyDocument,
    RequestTimeTooSkewed,
    SignatureDoesNotMatch,
)
from emulator.timestamps import epoch

__all__ = [
    "Condition",
    "InvalidPolicyDocument",
    "Policy",
    "PostAuth",
    "PostForm",
    "authenticate",
    "check_length",
    "check_policy",
    "decode_policy",
    "encode_policy",
    "expand_key",
    "sign_form_v1",
    "sign_form_v4",
    "signature_v1",
    "signature_v4",
]

POLICY_EXPIRED = "Invalid according to Policy: Policy expired."  # PostObject troubleshooting
INVALID_TOKEN = "The security token you provided is invalid."  # §17 G6
REQUEST_EXPIRED = "Request has expired."  # §3
INVALID_DATE = "Invalid x-oss-date form field: expected yyyymmddTHHMMSSZ."
SKEW_LIMIT = 15 * 60  # V4 doc: x-oss-date may be up to 15 minutes ahead of the server
V4_LIFETIME = 7 * 24 * 3600  # V4 doc: a form is valid at most 7 days after x-oss-date

EC_SIGNATURE_VERSION = "0002-00000701"  # x-oss-signature-version not supported
EC_POLICY_MISSING = "0002-00000702"
EC_SIGNATURE_MISSING = "0002-00000703"  # Signature (V1) / x-oss-signature (V4)
EC_SIGNATURE_EMPTY = "0002-00000704"
EC_SIGNATURE_MISMATCH = "0002-00000705"
EC_ACCESS_KEY_MISSING = "0002-00000706"
EC_ACCESS_KEY_EMPTY = "0002-00000707"
EC_SIGN_DATE = "0002-00000709"  # credential date malformed or not x-oss-date's day
EC_CREDENTIAL = "0002-00000710"  # x-oss-credential malformed
EC_POLICY_EXPIRED = "0006-00000213"

_STAMP = re.compile(r"([0-9]{4})([0-9]{2})([0-9]{2})T([0-9]{2})([0-9]{2})([0-9]{2})Z")


@dataclass(frozen=True)
class PostForm:
    """The form fields that count (those before ``file``) and the file part's attributes.

    Attributes:
        fields: lower-cased name -> value as sent (first occurrence wins).
        field_names: lower-cased name -> name as sent (for ``x:`` variables, C20).
        file_name: the file part's ``filename``.
        file_content_type: the file part's own ``Content-Type``.
    """

    fields: Mapping[str, str]
    field_names: Mapping[str, str] = field(default_factory=dict)
    file_name: str | None = None
    file_content_type: str | None = None

    @classmethod
    def build(
        cls,
        pairs: Iterable[tuple[str, str]] | Mapping[str, str],
        file_name: str | None = None,
        file_content_type: str | None = None,
    ) -> PostForm:
        """A form from (name, value) pairs in order; the first occurrence of a name wins."""
        items = pairs.items() if isinstance(pairs, Mapping) else pairs
        fields: dict[str, str] = {}
        names: dict[str, str] = {}
        for name, value in items:
            fields.setdefault(name.lower(), value)
            names.setdefault(name.lower(), name)
        return cls(fields, names, file_name, file_content_type)


@dataclass(frozen=True)
class PostAuth:
    """Who signed the form: key id, ``"v1"`` or ``"v4"``, the policy, the checked token."""

    access_key_id: str
    version: str
    policy: Policy | None
    security_token: str | None


# --- signatures (§8.3) -----------------------------------------------------------------


def signature_v1(secret: str, policy_b64: str) -> str:
    """``Base64(HMAC-SHA1(secret, policy))``: the V1 ``Signature`` field (§8.3)."""
    return v1.sign(secret, policy_b64)


def signature_v4(
    secret: str, date: str, region: str, policy_b64: str, *, product: str = "oss"
) -> str:
    """``hex(HMAC-SHA256(SigningKey(secret, date, region, product), policy))`` (§8.3)."""
    return v4.sign(v4.signing_key(secret, date, region, product), policy_b64)


# --- authentication ----------------------------------------------------------------------


def authenticate(
    form: PostForm, bucket: str, lookup: Callable[[str], Credentials | None], now: float
) -> PostAuth:
    """Authenticate a PostObject form by its policy signature (§8.1, §8.3).

    Args:
        form: the fields before ``file``.
        bucket: the bucket addressed (unused by the signature; kept for the caller's symmetry).
        lookup: the pair of an access key id, or None when unknown; may raise an OSSError
            (e.g. ``SecurityTokenExpired``).
        now: the current time, epoch seconds.

    Returns:
        The access key id, the scheme and the decoded policy.

    Raises:
        AccessDenied: no signature fields (R7), a malformed V4 credential or date, a
            V4 form older than 7 days, a V4 policy that does not pin the V4 fields.
        InvalidArgument: a required field missing or empty, an unsupported signature version.
        InvalidAccessKeyId: unknown key, or a temporary pair's token missing or different.
        RequestTimeTooSkewed: ``x-oss-date`` more than 15 minutes ahead of ``now``.
        SignatureDoesNotMatch: the signature does not match the policy.
        InvalidPolicyDocument: a signed policy that cannot be read.
    """
    fields = form.fields
    version = fields.get("x-oss-signature-version")
    if version is not None:
        if version == v4.ALGORITHM:
            return _authenticate_v4(fields, lookup, now)
        if version == "OSS2":  # §17 G5, as for header and URL signatures
            raise SignatureDoesNotMatch(
                SignatureDoesNotMatch.message + " Signature version 2 (OSS2) is not supported "
                "by the emulator; sign with V1 or V4."
            )
        raise _argument(
            "x-oss-signature-version", version, EC_SIGNATURE_VERSION, "is not supported"
        )
    if "ossaccesskeyid" in fields or "signature" in fields:
        return _authenticate_v1(fields, lookup)
    if "x-oss-credential" in fields or "x-oss-signature" in fields:
        raise _argument("x-oss-signature-version", "", EC_SIGNATURE_VERSION, "is missing")
    if "policy" in fields:  # §8.1: any of the V1 three present requires all three
        return _authenticate_v1(fields, lookup)
    raise AccessDenied()  # R7, §17 G11: anonymous uploads are refused


def _authenticate_v1(
    fields: Mapping[str, str], lookup: Callable[[str], Credentials | None]
) -> PostAuth:
    """V1: ``OSSAccessKeyId``, ``policy`` and ``Signature``, all three required (§8.1)."""
    access_key_id = _required(fields, "OSSAccessKeyId", EC_ACCESS_KEY_MISSING, EC_ACCESS_KEY_EMPTY)
    policy_text = _required(fields, "policy", EC_POLICY_MISSING, EC_POLICY_MISSING)
    provided = _required(fields, "Signature", EC_SIGNATURE_MISSING, EC_SIGNATURE_EMPTY)
    credentials = _credentials(lookup, access_key_id)
    token = _check_token(credentials, access_key_id, fields.get("x-oss-security-token"))
    expected = signature_v1(credentials.access_key_secret, policy_text)
    _check_signature(access_key_id, expected, provided, policy_text)
    return PostAuth(access_key_id, "v1", decode_policy(policy_text), token)


def _authenticate_v4(
    fields: Mapping[str, str], lookup: Callable[[str], Credentials | None], now: float
) -> PostAuth:
    """V4: credential, date, policy pinning them, signature (V4 PostObject doc)."""
    credential_text = fields.get("x-oss-credential", "")
    try:
        credential = v4.parse_credential(credential_text)
    except AccessDenied as error:
        date_error = error.error_ec == v4.EC_CREDENTIAL_DATE
        raise AccessDenied(
            v4.INVALID_CREDENTIAL, ec=EC_SIGN_DATE if date_error else EC_CREDENTIAL
        ) from None
    stamp_text = fields.get("x-oss-date", "")
    stamp = _basic_iso8601(stamp_text)
    if stamp is None:
        raise AccessDenied(INVALID_DATE)
    if stamp_text[:8] != credential.date:
        raise AccessDenied(v4.INVALID_CREDENTIAL, ec=EC_SIGN_DATE)
    if stamp - now > SKEW_LIMIT:
        server_time = datetime.fromtimestamp(now, UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")
        raise RequestTimeTooSkewed(ServerTime=server_time)
    if now - stamp > V4_LIFETIME:
        raise AccessDenied(REQUEST_EXPIRED)
    policy_text = _required(fields, "policy", EC_POLICY_MISSING, EC_POLICY_MISSING)
    provided = _required(fields, "x-oss-signature", EC_SIGNATURE_MISSING, EC_SIGNATURE_EMPTY)
    access_key_id = credential.access_key_id
    credentials = _credentials(lookup, access_key_id)
    sent_token = fields.get("x-oss-security-token")
    token = _check_token(credentials, access_key_id, sent_token)
    expected = signature_v4(
        credentials.access_key_secret,
        credential.date,
        credential.region,
        policy_text,
        product=credential.product,
    )
    _check_signature(access_key_id, expected, provided, policy_text)
    policy = decode_policy(policy_text)
    pinned = [
        ("x-oss-signature-version", v4.ALGORITHM),
        ("x-oss-credential", credential_text),
        ("x-oss-date", stamp_text),
    ]
    if sent_token is not None:
        pinned.append(("x-oss-security-token", sent_token))
    for name, value in pinned:
        if not any(
            c.op == EQ and c.field == name and c.values == (value,) for c in policy.conditions
        ):
            raise exact(name, value).failure()
    return PostAuth(access_key_id, "v4", policy, token)


def _required(fields: Mapping[str, str], name: str, ec_missing: str, ec_empty: str) -> str:
    """A field that must be present and non-empty (§8.1: the V1 three, policy, signature)."""
    value = fields.get(name.lower())
    if value is None:
        raise _argument(
            name,
            "",
            ec_missing,
            message=f"The bucket POST must contain the specified '{name}'. "
            "If it is specified, please check the order of the fields.",
        )
    if not value:
        raise _argument(name, "", ec_empty, "is empty")
    return value


def _argument(
    name: str, value: str, ec: str, problem: str = "", *, message: str = ""
) -> InvalidArgument:
    text = message or f"The {name} form field {problem}."
    return InvalidArgument(text, ec=ec, ArgumentName=name, ArgumentValue=value)


def _credentials(lookup: Callable[[str], Credentials | None], access_key_id: str) -> Credentials:
    found = lookup(access_key_id)
    if found is None:
        raise InvalidAccessKeyId(OSSAccessKeyId=access_key_id)
    return found


def _check_token(credentials: Credentials, access_key_id: str, sent: str | None) -> str | None:
    """A temporary pair needs its token in ``x-oss-security-token`` (§6, §17 G6)."""
    expected = credentials.security_token
    if expected is None:
        return None  # a permanent pair ignores any token, as header signatures do
    if sent is None or not hmac.compare_digest(utf8(sent), utf8(expected)):
        raise InvalidAccessKeyId(INVALID_TOKEN, OSSAccessKeyId=access_key_id)
    return expected


def _check_signature(access_key_id: str, expected: str, provided: str, policy_text: str) -> None:
    if hmac.compare_digest(utf8(expected), utf8(provided)):
        return
    raise SignatureDoesNotMatch(
        ec=EC_SIGNATURE_MISMATCH,
        OSSAccessKeyId=access_key_id,
        SignatureProvided=provided,
        StringToSign=policy_text,
        StringToSignBytes=" ".join(f"{byte:02X}" for byte in utf8(policy_text)),
    )


def _basic_iso8601(value: str) -> float | None:
    """``yyyymmddTHHMMSSZ`` as epoch seconds, or None."""
    match = _STAMP.fullmatch(value)
    return None if match is None else epoch(match.groups())


# --- the policy document (§8.2) ----------------------------------------------------------


def check_policy(
    policy: Policy,
    form: PostForm,
    *,
    bucket: str,
    key: str,
    content_length: int | None,
    now: float,
) -> None:
    """Check expiration and every condition, in policy order (§8.2, §17 G8).

    ``bucket`` conditions compare the bucket addressed, ``key`` conditions the object key
    after ``${filename}`` substitution; every other field the form value as sent, a field
    the form lacks counting as the empty string. Form fields no condition names need none.

    Args:
        policy: from :func:`authenticate` / :func:`decode_policy`.
        form: the fields before ``file``.
        bucket: the bucket addressed.
        key: the object key, ``${filename}`` already substituted (:func:`expand_key`).
        content_length: the file size; None while unknown (then call :func:`check_length`).
        now: the current time, epoch seconds.

    Raises:
        AccessDenied: ``Policy expired.`` (EC 0006-00000213) or ``Policy Condition failed``.
    """
    if now > policy.expiration:
        raise AccessDenied(POLICY_EXPIRED, ec=EC_POLICY_EXPIRED)
    for condition in policy.conditions:
        if condition.op == LENGTH:
            failure = None if content_length is None else condition.size_failure(content_length)
            if failure is not None:
                raise failure
            continue
        value = (
            bucket
            if condition.field == "bucket"
            else key
            if condition.field == "key"
            else form.fields.get(condition.field)
        )
        if not condition.holds(value or ""):
            raise condition.failure(absent=value is None)


def expand_key(key_template: str, file_name: str | None) -> str:
    """Replace every ``${filename}`` in the ``key`` field with the file part's name (§8.1)."""
    return key_template.replace("${filename}", file_name or "")


# --- building signed forms (tests, docs) -------------------------------------------------


def sign_form_v1(
    access_key_id: str,
    secret: str,
    *,
    expiration: float,
    conditions: Sequence[object],
    security_token: str | None = None,
) -> dict[str, str]:
    """The V1 signature fields of a form, as an app server hands them out (§8.3).

    Returns:
        ``OSSAccessKeyId``, ``policy``, ``Signature`` and, given a token,
        ``x-oss-security-token``.
    """
    policy = encode_policy(expiration, conditions)
    fields = {
        "OSSAccessKeyId": access_key_id,
        "policy": policy,
        "Signature": signature_v1(secret, policy),
    }
    if security_token is not None:
        fields["x-oss-security-token"] = security_token
    return fields


def sign_form_v4(
    access_key_id: str,
    secret: str,
    *,
    region: str,
    now: float,
    expiration: float,
    conditions: Sequence[object],
    security_token: str | None = None,
    product: str = "oss",
) -> dict[str, str]:
    """The V4 signature fields of a form; the policy pins the V4 fields (V4 PostObject doc).

    Returns:
        ``x-oss-signature-version``, ``x-oss-credential``, ``x-oss-date``, ``policy``,
        ``x-oss-signature`` and, given a token, ``x-oss-security-token``.
    """
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(now))
    credential = f"{access_key_id}/{stamp[:8]}/{region}/{product}/{v4.TERMINATOR}"
    fields = {
        "x-oss-signature-version": v4.ALGORITHM,
        "x-oss-credential": credential,
        "x-oss-date": stamp,
    }
    if security_token is not None:
        fields["x-oss-security-token"] = security_token
    pins = [{name: value} for name, value in fields.items()]
    policy = encode_policy(expiration, [*conditions, *pins])
    fields["policy"] = policy
    fields["x-oss-signature"] = signature_v4(secret, stamp[:8], region, policy, product=product)
    return fields
