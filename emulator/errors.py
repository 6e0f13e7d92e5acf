"""OSS errors: one exception class per wire error ``Code``.

Handlers and the pure layer raise these; ``app.py`` renders every one of them through a
single handler into the XML ``<Error>`` of rest-api.md §10.1 (decisions R6). The class name
is the wire ``Code``; the status is a class attribute, never derived from anything else.

Hierarchy::

    OSSError
      + AccessDenied, InvalidAccessKeyId, SignatureDoesNotMatch, RequestTimeTooSkewed,
        SecurityTokenExpired, ...
      + NoSuchBucket, NoSuchKey, NoSuchUpload, ...
      + InvalidArgument, InvalidBucketName, MalformedXML, ...
      + CallbackFailed (status 203: the object is stored, the callback failed)

Extra elements (``<Key>``, ``<BucketName>``, ``<StringToSign>``…) are keyword ``details``,
rendered in the order given, between ``HostId`` and ``EC``.
"""

from __future__ import annotations

from typing import ClassVar

RECOMMEND_DOC = "https://api.aliyun.com/troubleshoot?q="


class OSSError(Exception):
    """An OSS error response.

    Args:
        message: overrides the class's default message.
        ec: the EC code (``0002-00000040``); overrides the class default. Omitted from the
            response when neither is known (rest-api.md §17 G9).
        headers: extra response headers (e.g. ``x-oss-next-append-position``).
        **details: extra XML elements, in order.
    """

    status: ClassVar[int] = 400
    message: ClassVar[str] = ""
    ec: ClassVar[str | None] = None

    def __init__(
        self,
        message: str | None = None,
        *,
        ec: str | None = None,
        headers: dict[str, str] | None = None,
        **details: str,
    ) -> None:
        self.error_message = message if message is not None else type(self).message
        self.error_ec = ec if ec is not None else type(self).ec
        self.headers = dict(headers or {})
        self.details = details
        super().__init__(f"{self.code}: {self.error_message}")

    @property
    def code(self) -> str:
        """The wire ``Code``: the class name."""
        return type(self).__name__


# --- 403: authentication and authorisation (rest-api.md §3) ---------------------------


class AccessDenied(OSSError):
    status = 403
    message = "You have no right to access this object because of bucket acl."


class InvalidAccessKeyId(OSSError):
    status = 403
    message = "The OSS Access Key Id you provided does not exist in our records."
    ec = "0002-00000902"


class SignatureDoesNotMatch(OSSError):
    status = 403
    message = (
        "The request signature we calculated does not match the signature you provided. "
        "Check your key and signing method."
    )


class RequestTimeTooSkewed(OSSError):
    status = 403
    message = "The difference between the request time and the current time is too large."


class SecurityTokenExpired(OSSError):
    """A temporary key issued by the local STS, used after its ``Expiration`` (S1).

    Real OSS: 403 ``SecurityTokenExpired``, ``The security token you provided has expired.``,
    EC 0002-00000007 (an error captured from OSS in developer.aliyun.com/ask/553273; EC page
    https://help.aliyun.com/en/oss/user-guide/0002-00000007).
    """

    status = 403
    message = "The security token you provided has expired."
    ec = "0002-00000007"


class AccessForbidden(OSSError):
    status = 403
    message = "CORSResponse: This CORS request is not allowed. This is usually because the evalution of Origin, request method / Access-Control-Request-Method or Access-Control-Requet-Headers are not whitelisted by the resource's CORS spec."  # noqa: E501


# --- 404 ----------------------------------------------------------------------------


class NoSuchBucket(OSSError):
    status = 404
    message = "The specified bucket does not exist."
    ec = "0015-00000101"


class NoSuchKey(OSSError):
    status = 404
    message = "The specified key does not exist."
    ec = "0026-00000001"


class NoSuchUpload(OSSError):
    status = 404
    message = (
        "The specified upload does not exist. The upload ID may be invalid, "
        "or the upload may have been aborted or completed."
    )
    ec = "0017-00000244"


class NoSuchCORSConfiguration(OSSError):
    status = 404
    message = "The CORS Configuration does not exist."
    ec = "0034-00000001"


# --- 405 / 409 / 411 / 412 / 416 ---------------------------------------------------------


class MethodNotAllowed(OSSError):
    status = 405
    message = "The specified method is not allowed against this resource."


class BucketAlreadyExists(OSSError):
    status = 409
    message = "The requested bucket name is not available."


class BucketNotEmpty(OSSError):
    status = 409
    message = "The bucket you tried to delete is not empty."


class PositionNotEqualToLength(OSSError):
    status = 409
    message = "Position is not equal to file length"


class ObjectNotAppendable(OSSError):
    status = 409
    message = "The object is not appendable"


class FileAlreadyExists(OSSError):
    status = 409
    message = "The object you specified already exists and can not be overwritten."


class MissingContentLength(OSSError):
    status = 411
    message = "You must provide the Content-Length HTTP header."


class PreconditionFailed(OSSError):
    status = 412
    message = "At least one of the pre-conditions you specified did not hold."


class InvalidRange(OSSError):
    status = 416
    message = "The requested range cannot be satisfied"


# --- 400: bad input -----------------------------------------------------------------


class InvalidArgument(OSSError):
    status = 400
    message = "Invalid Argument."


class InvalidBucketName(OSSError):
    status = 400
    message = "The specified bucket is not valid."


class InvalidObjectName(OSSError):
    status = 400
    message = "The specified object is not valid."


class InvalidDigest(OSSError):
    status = 400
    message = "The Content-MD5 you specified is not valid."


class BadDigest(OSSError):
    status = 400
    message = "The Content-MD5 you specified did not match what we received."


class MalformedXML(OSSError):
    status = 400
    message = (
        "The XML you provided was not well-formed or did not validate against our published schema."
    )


class MissingArgument(OSSError):
    status = 400
    message = "Missing Some Required Arguments."


class EntityTooLarge(OSSError):
    status = 400
    message = "Your proposed upload exceeds the maximum allowed object size."


class EntityTooSmall(OSSError):
    status = 400
    message = "Your proposed upload smaller than the minimum allowed object size."


class InvalidPart(OSSError):
    status = 400
    message = (
        "One or more of the specified parts could not be found or the specified entity "
        "tag might not have matched the part's entity tag."
    )


class InvalidPartOrder(OSSError):
    status = 400
    message = "The list of parts was not in ascending order. Parts list must specified in order by part number."  # noqa: E501


class MalformedPOSTRequest(OSSError):
    status = 400
    message = "The body of your POST request is not well-formed multipart/form-data."


class FieldItemTooLong(OSSError):
    status = 400
    message = "Your post form field item is too long."


class BadRequest(OSSError):
    status = 400
    message = "Bad Request."


class IncompleteBody(OSSError):
    """The body ended before ``Content-Length`` bytes arrived (emulator wording)."""

    status = 400
    message = "You did not provide the number of bytes specified by the Content-Length HTTP header."


class InvalidPolicyDocument(OSSError):
    """A PostObject policy that cannot be read (PostObject troubleshooting, EC 0006-002xx)."""

    status = 400
    message = "Invalid Policy: Invalid JSON."


class TooManyBuckets(OSSError):
    status = 400
    message = "You have attempted to create more buckets than allowed."


# --- 203 / 501 ------------------------------------------------------------------------


class CallbackFailed(OSSError):
    """The object is stored; the application server's answer was no success (callback.md §9.3)."""

    status = 203
    message = "Callback failed."
    ec = "0007-00000203"


class NotImplemented(OSSError):
    status = 501
    message = "A header you provided implies functionality that is not implemented."


def all_error_classes() -> list[type[OSSError]]:
    """Every concrete error class, for tests that render each one."""
    found: list[type[OSSError]] = []
    pending = list(OSSError.__subclasses__())
    while pending:
        cls = pending.pop()
        found.append(cls)
        pending.extend(cls.__subclasses__())
    return sorted(found, key=lambda c: c.__name__)


# --- 500: emulated storage failure (fault injection, emulator/faults.py) ---------------


class InternalError(OSSError):
    """What a ``fail_upload`` fault answers; nothing is stored."""

    status = 500
    message = "We encountered an internal error. Please try again."
