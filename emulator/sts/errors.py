"""STS errors: one exception class per wire ``Code``, rendered as STS's JSON (decisions.md S1).

STS is an Alibaba Cloud RPC ("POP") API, and its errors are not OSS's XML: they are JSON
``{"RequestId", "HostId", "Code", "Message", "Recommend"}`` with a 4xx status. Codes are
dotted (``InvalidAccessKeyId.NotFound``), so unlike ``emulator.errors`` the code is a class
attribute, not the class name. Nothing here is an ``OSSError``: the OSS handler never sees
these, and the STS handler renders them with :func:`error_body`.

Sources for codes and messages:

- the POP gateway's common codes, as listed from Alibaba's error centre by
  hashicorp/terraform-provider-alicloud (``alicloud/errors.go``): ``IncompleteSignature``,
  ``SignatureDoesNotMatch``, ``InvalidAccessKeyId.NotFound``, ``MissingSecurityToken``,
  ``InvalidSecurityToken.Expired`` / ``.MismatchWithAccessKey``, ``InvalidTimeStamp.Expired``
  / ``.Format``, ``InvalidSignatureMethod``, ``UnsupportedHTTPMethod``, ``InvalidApi.NotFound``,
  ``Missing{ParameterName}``;
- a real POP error body (NewFuture/DDNS#57): ``SignatureDoesNotMatch`` with
  ``Specified signature is not matched with our calculation. server string to sign is:…``,
  ``HostId`` = the host name, ``Recommend`` = the error-centre search URL below;
- the STS troubleshooting page (https://www.alibabacloud.com/help/doc-detail/42775.htm):
  ``InvalidAccessKeyId.NotFound`` ``Specified access key is not found``,
  ``MissingSecurityToken`` ``SecurityToken is mandatory for this action.``,
  ``InvalidParameter.PolicyGrammar``, ``InvalidParameter.RoleSessionName`` and
  ``InvalidParameter.DurationSeconds`` with their messages.

Statuses follow POP (400 for bad input and signatures, 404 for unknown keys and APIs);
messages not found in those sources are emulator wording, and tests must not depend on
them.

Hierarchy::

    STSError
      + IncompleteSignature, SignatureDoesNotMatch, InvalidSignatureMethod,
        InvalidAccessKeyId (.NotFound), MissingSecurityToken, InvalidSecurityToken (.Expired,
        .MismatchWithAccessKey), InvalidTimeStamp (.Expired, .Format)
      + MissingParameter (MissingRoleArn, MissingRoleSessionName, ...), InvalidParameter
        (.DurationSeconds, .RoleArn, .RoleSessionName, .PolicyGrammar), RequestTooLarge
      + InvalidApiNotFound, UnsupportedHTTPMethod
"""

from __future__ import annotations

from typing import Any, ClassVar

RECOMMEND = "https://error-center.aliyun.com/status/search?Keyword={code}&source=PopGw"


class STSError(Exception):
    """An STS error response.

    Args:
        message: overrides the class's default message.
    """

    code: ClassVar[str] = "InternalError"
    status: ClassVar[int] = 400
    message: ClassVar[str] = ""

    def __init__(self, message: str | None = None) -> None:
        self.error_message = message if message is not None else type(self).message
        super().__init__(f"{self.code}: {self.error_message}")


def error_body(err: STSError, *, request_id: str, host_id: str) -> dict[str, Any]:
    """The JSON object of an STS error (S1), keys in the order real STS sends."""
    return {
        "RequestId": request_id,
        "HostId": host_id,
        "Code": err.code,
        "Message": err.error_message,
        "Recommend": RECOMMEND.format(code=err.code),
    }


# --- authentication -------------------------------------------------------------------


class IncompleteSignature(STSError):
    """A request without a readable signature (no Authorization, no Signature, bad header)."""

    code = "IncompleteSignature"
    message = "The request signature does not conform to Aliyun standards."


class SignatureDoesNotMatch(STSError):
    code = "SignatureDoesNotMatch"
    message = "Specified signature is not matched with our calculation."


class InvalidSignatureMethod(STSError):
    code = "InvalidSignatureMethod"
    message = "Specified signature method is not supported."


class InvalidAccessKeyIdNotFound(STSError):
    code = "InvalidAccessKeyId.NotFound"
    status = 404
    message = "Specified access key is not found."


class MissingSecurityToken(STSError):
    code = "MissingSecurityToken"
    message = "SecurityToken is mandatory for this action."


class InvalidSecurityTokenExpired(STSError):
    code = "InvalidSecurityToken.Expired"
    message = "Specified SecurityToken is expired."


class InvalidSecurityTokenMismatch(STSError):
    code = "InvalidSecurityToken.MismatchWithAccessKey"
    message = "Specified SecurityToken mismatch with the AccessKey."


class InvalidTimeStampExpired(STSError):
    code = "InvalidTimeStamp.Expired"
    message = "Specified time stamp or date value is expired."


class InvalidTimeStampFormat(STSError):
    code = "InvalidTimeStamp.Format"
    message = "Specified time stamp or date value is not well formatted."


# --- parameters -----------------------------------------------------------------------


class MissingParameter(STSError):
    """A required parameter is absent; subclasses name it (``Missing{ParameterName}``)."""

    code = "MissingParameter"
    message = "A required parameter is missing."


def _missing(name: str) -> type[MissingParameter]:
    return type(
        f"Missing{name}",
        (MissingParameter,),
        {"code": f"Missing{name}", "message": f"{name} is mandatory for this action."},
    )


MissingRoleArn = _missing("RoleArn")
MissingRoleSessionName = _missing("RoleSessionName")
MissingAccessKeyId = _missing("AccessKeyId")
MissingSignature = _missing("Signature")
MissingSignatureNonce = _missing("SignatureNonce")
MissingTimestamp = _missing("Timestamp")
MissingAction = _missing("Action")


class InvalidParameter(STSError):
    code = "InvalidParameter"
    message = "The specified parameter is not valid."


class InvalidDurationSeconds(InvalidParameter):
    code = "InvalidParameter.DurationSeconds"
    message = "The Min/Max value of DurationSeconds is 15min/12hr."


class InvalidRoleArn(InvalidParameter):
    code = "InvalidParameter.RoleArn"
    message = "The parameter RoleArn is wrongly formed."


class InvalidRoleSessionName(InvalidParameter):
    code = "InvalidParameter.RoleSessionName"
    message = "The parameter RoleSessionName is wrongly formed."


class InvalidPolicyGrammar(InvalidParameter):
    code = "InvalidParameter.PolicyGrammar"
    message = "The parameter Policy has not passed grammar check."


class RequestTooLarge(InvalidParameter):
    """A request body over the emulator's limit (emulator code and wording)."""

    code = "InvalidParameter.RequestBody"
    message = "The request body is too large."


# --- the API itself -------------------------------------------------------------------


class InvalidApiNotFound(STSError):
    code = "InvalidApi.NotFound"
    status = 404
    message = "Specified api is not found, please check your url and method."


class UnsupportedHTTPMethod(STSError):
    code = "UnsupportedHTTPMethod"
    message = "This http method is not supported."
