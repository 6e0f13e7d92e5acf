"""The local STS API: which requests are STS, and AssumeRole (decisions.md S1).

Routing (:func:`is_sts_request`), decided from the request line and headers only, before
the body is read:

- a ``Host`` whose first label is ``sts`` (``sts.cn-hangzhou.aliyuncs.com``,
  ``sts.aliyuncs.com``, ``sts.localhost:PORT``, a docker alias ``sts``) is STS, except
  ``sts.oss-….aliyuncs.com``, the virtual host of an OSS bucket named ``sts``; so on the
  emulator a bucket named ``sts`` cannot be addressed as ``sts.localhost`` (path style and
  ``sts.oss-<region>.aliyuncs.com`` still work);
- otherwise a request that names no bucket (no bucket virtual host, path ``/``) is STS when
  it carries an ``x-acs-action`` header (the Tea/OpenAPI SDKs), an ``Action`` query
  parameter, or is a ``POST`` of an ``application/x-www-form-urlencoded`` body (ali-oss's
  ``STS`` class, which puts ``Action`` in that body). No OSS operation looks like that.

The action comes from ``x-acs-action``, else the ``Action`` parameter, and is dispatched
through :data:`ACTIONS`; any other action is ``InvalidApi.NotFound`` in STS's format.

AssumeRole parameters (https://help.aliyun.com/en/ram/developer-reference/api-sts-2015-04-01-assumerole):
``RoleArn`` (required, ``acs:ram::<account>:role/<name>``), ``RoleSessionName`` (required,
2-64 of ``A-Z a-z 0-9 . @ - _``), ``DurationSeconds`` (900-43200, default 3600: S1),
``Policy`` (optional; must be a JSON object, it is not enforced), ``ExternalId`` and
``SourceIdentity`` (accepted, ignored). Any role can be assumed: the emulator has no RAM.
``Version`` (``2015-04-01``) and ``Format`` are not checked; answers are always JSON.

The response (S1) is ``{"RequestId", "AssumedRoleUser": {"Arn", "AssumedRoleId"},
"Credentials": {"AccessKeyId", "AccessKeySecret", "SecurityToken", "Expiration"}}``, where
``Arn`` is the role ARN + ``/`` + session name and ``AssumedRoleId`` a numeric role id
derived from the ARN + ``:`` + session name, as real STS shapes them.

Pure (style.md §2.1): time, randomness and the request id are parameters.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from emulator.auth.keyring import Keyring
from emulator.auth.model import Credentials
from emulator.sts.errors import (
    InvalidApiNotFound,
    InvalidDurationSeconds,
    InvalidPolicyGrammar,
    InvalidRoleArn,
    InvalidRoleSessionName,
    MissingAction,
    MissingRoleArn,
    MissingRoleSessionName,
    STSError,
    UnsupportedHTTPMethod,
    error_body,
)
from emulator.sts.signature import StsRequest, authenticate

MIN_DURATION = 900  # S1
MAX_DURATION = 43200  # S1
DEFAULT_DURATION = 3600  # S1
FORM_TYPE = "application/x-www-form-urlencoded"
METHODS = frozenset({"GET", "POST"})

_ROLE_ARN = re.compile(r"acs:ram::([^:]*):role/(.+)", re.IGNORECASE)
_SESSION_NAME = re.compile(r"[A-Za-z0-9.@\-_]{2,64}")
_DIGITS = re.compile(r"[0-9]{1,10}")


def is_sts_request(
    host: str,
    path: str,
    *,
    names_bucket: bool,
    method: str,
    query_names: frozenset[str],
    headers: Mapping[str, str],
) -> bool:
    """Whether a request goes to the local STS rather than OSS (see the module docstring).

    Args:
        host: the ``Host`` header, port included.
        path: the decoded path.
        names_bucket: the host is a bucket's virtual host.
        method: the HTTP method.
        query_names: the names of the query parameters.
        headers: lower-cased header names.
    """
    if is_sts_host(host):
        return True
    if names_bucket or path != "/":
        return False
    if "x-acs-action" in headers or "Action" in query_names:
        return True
    content_type = headers.get("content-type", "").split(";", 1)[0].strip().lower()
    return method.upper() == "POST" and content_type == FORM_TYPE


def is_sts_host(host: str) -> bool:
    """``sts`` or ``sts.<anything>`` but not ``sts.oss-…`` (a bucket named ``sts``)."""
    name = host.rsplit(":", 1)[0] if not host.endswith("]") else host
    labels = name.lower().split(".")
    if labels[0] != "sts":
        return False
    return not (len(labels) > 1 and labels[1].startswith("oss-"))


@dataclass(frozen=True)
class Call:
    """What an action needs besides the request: the authenticated caller and the context.

    Attributes:
        caller: the caller's key pair, or None when checking is off.
        keyring: issues temporary pairs.
        now: the current time, epoch seconds.
        random_bytes: fresh randomness for a new access key id.
        request_id: this request's id.
    """

    caller: Credentials | None
    keyring: Keyring
    now: float
    random_bytes: bytes
    request_id: str


def respond(
    req: StsRequest,
    call: Call,
    *,
    host_id: str,
    check_signature: bool = True,
    skew_check: bool = True,
) -> tuple[int, dict[str, Any]]:
    """Answer an STS request: the status and the JSON object to send.

    Args:
        req: the request, body parsed.
        call: keyring, time, randomness and request id (``caller`` is filled in here).
        host_id: the ``Host`` header, for error bodies.
        check_signature: verify the caller's signature (off with ``--auth off``).
        skew_check: refuse request times more than 15 minutes from ``now``.
    """
    try:
        if req.method.upper() not in METHODS:
            raise UnsupportedHTTPMethod()
        action = req.headers.get("x-acs-action") or req.param("Action")
        if not action:
            raise MissingAction()
        handler = ACTIONS.get(action)
        if handler is None:
            raise InvalidApiNotFound(
                f"{InvalidApiNotFound.message} The emulator implements "
                f"{', '.join(sorted(ACTIONS))}; got {action!r}."
            )
        caller = None
        if check_signature:
            caller = authenticate(req, call.keyring, call.now, skew_check=skew_check)
        return 200, handler(req, replace(call, caller=caller))
    except STSError as err:
        return err.status, error_body(err, request_id=call.request_id, host_id=host_id)


# --- AssumeRole -----------------------------------------------------------------------


@dataclass(frozen=True)
class AssumeRoleParams:
    role_arn: str
    account: str
    role_name: str
    session_name: str
    duration: int
    policy: str | None


def parse_assume_role(req: StsRequest) -> AssumeRoleParams:
    """Read and check the AssumeRole parameters.

    Raises:
        MissingRoleArn, MissingRoleSessionName: a required parameter is absent or empty.
        InvalidRoleArn, InvalidRoleSessionName, InvalidDurationSeconds, InvalidPolicyGrammar:
            a parameter is malformed or out of bounds.
    """
    role_arn = req.param("RoleArn")
    if not role_arn:
        raise MissingRoleArn()
    match = _ROLE_ARN.fullmatch(role_arn)
    if match is None:
        raise InvalidRoleArn()
    session_name = req.param("RoleSessionName")
    if not session_name:
        raise MissingRoleSessionName()
    if not _SESSION_NAME.fullmatch(session_name):
        raise InvalidRoleSessionName()
    return AssumeRoleParams(
        role_arn=role_arn,
        account=match.group(1),
        role_name=match.group(2),
        session_name=session_name,
        duration=parse_duration(req.param("DurationSeconds")),
        policy=_policy(req.param("Policy")),
    )


def parse_duration(value: str | None) -> int:
    """``DurationSeconds``: absent or empty is 3600; otherwise an integer in 900-43200."""
    if value is None or value == "":
        return DEFAULT_DURATION
    text = value.strip()
    if not _DIGITS.fullmatch(text) or not MIN_DURATION <= int(text) <= MAX_DURATION:
        raise InvalidDurationSeconds()
    return int(text)


def _policy(value: str | None) -> str | None:
    if value is None or value == "":
        return None
    try:
        document = json.loads(value)
    except (ValueError, RecursionError):
        raise InvalidPolicyGrammar() from None
    if not isinstance(document, dict):
        raise InvalidPolicyGrammar()
    return value


def assume_role(req: StsRequest, call: Call) -> dict[str, Any]:
    """AssumeRole: a new temporary pair for the requested duration (S1)."""
    params = parse_assume_role(req)
    issued = call.keyring.issue(call.now, params.duration, call.random_bytes)
    role_id = role_id_of(params.role_arn)
    return {
        "RequestId": call.request_id,
        "AssumedRoleUser": {
            "Arn": f"{params.role_arn}/{params.session_name}",
            "AssumedRoleId": f"{role_id}:{params.session_name}",
        },
        "Credentials": {
            "AccessKeyId": issued.access_key_id,
            "AccessKeySecret": issued.access_key_secret,
            "SecurityToken": issued.security_token,
            "Expiration": expiration_text(issued.expiration),
        },
    }


def role_id_of(role_arn: str) -> str:
    """A stable 18-digit role id for an ARN (real role ids are long decimal numbers)."""
    digest = hashlib.sha256(role_arn.lower().encode("utf-8", "surrogatepass")).digest()
    return str(10**17 + int.from_bytes(digest[:8], "big") % (9 * 10**17))


def expiration_text(epoch: int) -> str:
    """``YYYY-MM-DDTHH:MM:SSZ`` in UTC (S1)."""
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


Action = Callable[[StsRequest, Call], dict[str, Any]]

# The actions the local STS implements; any other is InvalidApi.NotFound.
ACTIONS: dict[str, Action] = {
    "AssumeRole": assume_role,
}
