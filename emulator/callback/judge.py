"""Judging the application server's answer (callback.md §8; decisions C8, C10, C11, A1 G13).

The rules apply in this order and the first that matches decides:

1. no connection: refused, DNS or TLS failure, connect timeout (``error`` given, G13), or
   a connection that ended without any status line before the budget ran out ->
   ``Error status : -1.OSS can not connect to your callbackUrl, please check it.`` (C11,
   no space after ``-1.``);
2. status not exactly 200 (redirects are not followed) -> ``Error status : <N>.``;
3. no ``Content-Length`` -> ``Error Status : 400.User server missing content-length.``;
4. ``Content-Length`` not a positive decimal integer -> ``Error Status : 400.User server
   return invalid conent-length value.`` (the typo is OSS's);
5. ``Content-Length`` above 1 MiB -> ``Error Status : 400.User server return too long
   content-length value.``;
6. budget exhausted after connecting (``elapsed >= timeout``; also when no status line
   arrived in time) -> ``Cost too long time.`` (EC 0007-00000202);
7. body not JSON (strict UTF-8, a BOM is not JSON, ``NaN`` is not JSON) -> ``Response body
   is not valid json format.`` (EC 0007-00000205);
8. otherwise success: any JSON value (object, array, string, number, literal).

Every other failure uses EC 0007-00000203. The capitalisation ``Error status`` (rules 1-2)
versus ``Error Status`` (rules 3-5) is deliberate (callback.md §8).
"""

from __future__ import annotations

import json
from collections.abc import Mapping

from emulator.callback.model import CallbackFailure, CallbackSuccess, CallbackVerdict
from emulator.protocol.headers import is_decimal

EC_DEFAULT = "0007-00000203"
EC_TIMEOUT = "0007-00000202"
EC_NOT_JSON = "0007-00000205"
EC_TOO_MANY = "0007-00000201"

#: Largest application body accepted (rule 5).
MAX_BODY_BYTES = 1024 * 1024

MSG_CONNECT = "Error status : -1.OSS can not connect to your callbackUrl, please check it."
MSG_MISSING_LENGTH = "Error Status : 400.User server missing content-length."
MSG_INVALID_LENGTH = "Error Status : 400.User server return invalid conent-length value."
MSG_TOO_LONG = "Error Status : 400.User server return too long content-length value."
MSG_TIMEOUT = "Cost too long time."
MSG_NOT_JSON = "Response body is not valid json format."
MSG_TOO_MANY = "Too many callback requests."

#: The failure for a callback refused by a configured concurrency limit (EC 201).
TOO_MANY_REQUESTS = CallbackFailure(MSG_TOO_MANY, EC_TOO_MANY)


def _status_message(status: int) -> str:
    return f"Error status : {status}."


def _header(headers: Mapping[str, str], name: str) -> str | None:
    for key, value in headers.items():
        if key.lower() == name:
            return value
    return None


def _reject_constant(name: str) -> object:
    raise ValueError(f"{name} is not JSON")


def is_json(body: bytes) -> bool:
    """Whether a body is one JSON value in UTF-8 (rule 7).

    Args:
        body: the application's body.

    Returns:
        False for invalid UTF-8, a leading BOM, ``NaN``/``Infinity``, empty or blank
        bodies and anything else that is not RFC 8259 JSON; True otherwise.
    """
    try:
        # numbers stay text: a 5000-digit integer is JSON even if int() refuses it
        json.loads(
            body.decode("utf-8"), parse_constant=_reject_constant, parse_int=str, parse_float=str
        )
    except (ValueError, RecursionError):  # UnicodeDecodeError, JSONDecodeError included
        return False
    return True


def judge(
    status: int | None,
    headers: Mapping[str, str],
    body: bytes,
    *,
    elapsed: float,
    timeout: float,
    error: str | None,
) -> CallbackVerdict:
    """Classify one attempt's answer (callback.md §8, rules in the module docstring).

    Args:
        status: the response status, or None when no status line arrived.
        headers: the response headers (names compared case-insensitively).
        body: the body bytes received (possibly incomplete after a timeout).
        elapsed: seconds from the start of the attempt (connect included) to its end.
        timeout: the attempt's budget in seconds (5 by default, C8).
        error: a description of a failure to connect (refused, DNS, TLS, connect
            timeout: rule 1, G13), or None when a connection was made. A budget that runs
            out after connecting is reported with ``error=None`` and ``elapsed >=
            timeout``.

    Returns:
        ``CallbackSuccess`` with the status, headers and body, or ``CallbackFailure``
        with the message and EC.
    """
    if error is not None:
        return CallbackFailure(MSG_CONNECT, EC_DEFAULT)
    if status is None:
        if elapsed >= timeout:
            return CallbackFailure(MSG_TIMEOUT, EC_TIMEOUT)
        return CallbackFailure(MSG_CONNECT, EC_DEFAULT)
    if status != 200:
        return CallbackFailure(_status_message(status), EC_DEFAULT)
    length = _header(headers, "content-length")
    if length is None:
        return CallbackFailure(MSG_MISSING_LENGTH, EC_DEFAULT)
    length = length.strip(" \t")
    significant = length.lstrip("0")  # no int() of a huge digit string
    if not is_decimal(length) or not significant:
        return CallbackFailure(MSG_INVALID_LENGTH, EC_DEFAULT)
    if len(significant) > len(str(MAX_BODY_BYTES)) or int(significant) > MAX_BODY_BYTES:
        return CallbackFailure(MSG_TOO_LONG, EC_DEFAULT)
    if elapsed >= timeout:
        return CallbackFailure(MSG_TIMEOUT, EC_TIMEOUT)
    if not is_json(body):
        return CallbackFailure(MSG_NOT_JSON, EC_NOT_JSON)
    return CallbackSuccess(status, tuple(headers.items()), body)
