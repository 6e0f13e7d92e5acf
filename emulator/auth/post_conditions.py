"""PostObject policy document: ``expiration`` and ``conditions`` parsed and judged (§8.2).

Decoding (:func:`decode_policy`): the ``policy`` field is Base64 (ASCII whitespace ignored)
of a UTF-8 JSON object with ``expiration`` (ISO 8601 UTC with ``T`` and ``Z``, fractional
seconds optional) and a non-empty ``conditions`` list. Anything else is 400
``InvalidPolicyDocument`` (PostObject troubleshooting table: ``Invalid Policy: Invalid JSON:
…``, ``Invalid Policy: Invalid Simple-Condition: Simple-Conditions must have exactly one
property specified.``), with the EC of the OSS page describing the case (0006-00000201 …
0006-00000224, listed with the constants below). Other text after ``Invalid Policy: `` is
emulator wording.

Conditions (PostObject "Appendix: Policy"): ``{"field": "value"}`` and
``["eq", "$field", "value"]`` (exact), ``["starts-with", "$field", "prefix"]``,
``["in", "$field", [...]]``, ``["not-in", "$field", [...]]`` and
``["content-length-range", min, max]`` (file size in bytes, inclusive). Field names are
case-insensitive (§17 G8); values are compared as sent (§8.1). The ``$`` is optional: OSS's
page 0006-00000227 writes ``["eq", "success_action_status", "200"]`` and reports it as
``["eq", "$success_action_status", "200"]``.

A failed condition is 403 ``AccessDenied`` ``Invalid according to Policy: Policy Condition
failed: <condition>`` (§17 G8, same text on the 0006-00000227 page): the JSON list with
``", "`` separators, non-ASCII kept, the field as the policy wrote it with one ``$``; the
object form renders as ``["eq", "$<field>", "<value>"]`` (the troubleshooting table shows
``["eq", "$bucket", …]`` for a bucket mismatch), content-length-range with bare numbers.
ECs: 0006-00000227 (mismatch), 0006-00000226 (the form lacks the field, which then counts
as the empty string), 0006-00000003 / -004 (file larger / smaller than the range).

Known difference: real OSS most likely answers a content-length-range violation with
``EntityTooLarge`` / ``EntityTooSmall`` (400: page 0006-00000003 covers the 5 GB limit and
this condition alike); the emulator follows §17 G8 (``AccessDenied``).

Pure (style.md §2.1): no I/O, no clock.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass

from emulator.errors import AccessDenied, InvalidPolicyDocument
from emulator.timestamps import epoch

EQ, STARTS_WITH, IN, NOT_IN, LENGTH = "eq", "starts-with", "in", "not-in", "content-length-range"
OPERATORS = (EQ, STARTS_WITH, IN, NOT_IN, LENGTH)

CONDITION_FAILED = "Invalid according to Policy: Policy Condition failed: "
SIMPLE_CONDITION = (
    "Invalid Policy: Invalid Simple-Condition: Simple-Conditions must have exactly one "
    "property specified."
)

EC_FIELD_ABSENT = "0006-00000226"  # a condition names a field the form does not carry
EC_FIELD_MISMATCH = "0006-00000227"  # a form field does not satisfy its condition
EC_TOO_LARGE = "0006-00000003"  # file larger than content-length-range allows
EC_TOO_SMALL = "0006-00000004"  # file smaller than content-length-range allows
EC_NO_OPERATOR = "0006-00000216"  # e.g. ["$key"]
EC_UNKNOWN_OPERATOR = "0006-00000217"  # e.g. ["ends-with", "$key", "x"]
EC_ARITY = "0006-00000218"  # e.g. ["starts-with", "$key", "a", "b"]
EC_RANGE_ORDER = "0006-00000219"  # content-length-range min > max
EC_RANGE_VALUE = "0006-00000221"  # content-length-range bound not a non-negative integer
EC_NOT_MAP_OR_LIST = "0006-00000222"  # e.g. 123
EC_VALUE_TYPE = "0006-00000224"  # e.g. ["not-in", "$cache-control", "no-cache"]
EC_POLICY_SYNTAX = "0006-00000201"  # not Base64 of UTF-8 JSON of an object
EC_NO_CONDITIONS = "0006-00000207"
EC_EMPTY_CONDITIONS = "0006-00000215"  # "conditions": []
EC_NO_EXPIRATION = "0006-00000208"
EC_NO_EXPIRATION_NOR_CONDITIONS = "0006-00000209"
EC_EXPIRATION_TYPE = "0006-00000210"
EC_EXPIRATION_EMPTY = "0006-00000211"
EC_EXPIRATION_FORMAT = "0006-00000212"
_EXPIRATION = re.compile(
    r"([0-9]{4})-([0-9]{2})-([0-9]{2})T([0-9]{2}):([0-9]{2}):([0-9]{2})(\.[0-9]{1,9})?Z"
)
_WHITESPACE = re.compile(r"[ \t\r\n]+")


@dataclass(frozen=True)
class Condition:
    """One parsed condition.

    Attributes:
        op: the operator, lower-case (one of :data:`OPERATORS`).
        field: the field name lower-cased, without ``$``; empty for content-length-range.
        values: ``eq`` / ``starts-with``: the one value; ``in`` / ``not-in``: the list.
        low: content-length-range minimum (bytes, inclusive).
        high: content-length-range maximum (bytes, inclusive).
        text: the condition as a failure message shows it (§17 G8).
    """

    op: str
    field: str = ""
    values: tuple[str, ...] = ()
    low: int = 0
    high: int = 0
    text: str = ""

    def holds(self, value: str) -> bool:
        """Whether a field value satisfies this (field) condition.

        Args:
            value: the form field's value, the empty string when the form lacks it.

        Returns:
            True when it satisfies the condition.
        """
        if self.op == EQ:
            return value == self.values[0]
        if self.op == STARTS_WITH:
            return value.startswith(self.values[0])
        if self.op == IN:
            return value in self.values
        if self.op == NOT_IN:
            return value not in self.values
        return True

    def failure(self, *, absent: bool = False) -> AccessDenied:
        """The 403 this condition answers when a field fails it (§17 G8)."""
        return AccessDenied(
            CONDITION_FAILED + self.text, ec=EC_FIELD_ABSENT if absent else EC_FIELD_MISMATCH
        )

    def size_failure(self, size: int) -> AccessDenied | None:
        """The 403 for a file of ``size`` bytes outside content-length-range, else None."""
        if self.op != LENGTH or self.low <= size <= self.high:
            return None
        return AccessDenied(
            CONDITION_FAILED + self.text, ec=EC_TOO_LARGE if size > self.high else EC_TOO_SMALL
        )


def render(items: Sequence[object]) -> str:
    """A condition as JSON text with ``", "`` separators and non-ASCII kept (§17 G8).

    Lone surrogates (possible from ``\\ud800`` escapes) are written as escapes, so the
    message always encodes as UTF-8.
    """
    text = json.dumps(list(items), ensure_ascii=False)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        text = json.dumps(list(items))
    return text


def exact(name: str, value: str) -> Condition:
    """An exact-match condition on ``name`` (as written, with or without ``$``)."""
    bare = name[1:] if name.startswith("$") else name
    return Condition(EQ, bare.lower(), (value,), text=render([EQ, "$" + bare, value]))


def parse_conditions(raw: object) -> tuple[Condition, ...]:
    """Parse the ``conditions`` member of a policy.

    Args:
        raw: the decoded JSON value.

    Returns:
        The conditions in order.

    Raises:
        InvalidPolicyDocument: not a non-empty list (0006-00000215), or a malformed item.
    """
    if not isinstance(raw, list):
        raise InvalidPolicyDocument("Invalid Policy: conditions must be a list.")
    if not raw:
        raise InvalidPolicyDocument(
            "Invalid Policy: conditions must contain at least one condition.",
            ec=EC_EMPTY_CONDITIONS,
        )
    return tuple(parse_condition(item) for item in raw)


def parse_condition(raw: object) -> Condition:
    """Parse one item of ``conditions``.

    Args:
        raw: the decoded JSON value of the item.

    Returns:
        The condition.

    Raises:
        InvalidPolicyDocument: an item that is not one of the documented forms.
    """
    if isinstance(raw, dict):
        if len(raw) != 1:
            raise InvalidPolicyDocument(SIMPLE_CONDITION)
        ((name, value),) = raw.items()
        if not isinstance(value, str):
            raise _invalid("the value of a simple condition must be a string", EC_VALUE_TYPE)
        return exact(name, value)
    if not isinstance(raw, list):
        raise _invalid("each condition must be an object or a list", EC_NOT_MAP_OR_LIST)
    if not raw or not isinstance(raw[0], str) or raw[0].startswith("$"):
        raise _invalid("a condition must start with its matching mode", EC_NO_OPERATOR)
    written = raw[0]
    op = written.lower()
    if op not in OPERATORS:
        raise _invalid(f"unsupported matching mode {written!r}", EC_UNKNOWN_OPERATOR)
    if len(raw) != 3:
        raise _invalid(f"{written} takes exactly two arguments", EC_ARITY)
    if op == LENGTH:
        return _length(written, raw[1], raw[2])
    name, value = raw[1], raw[2]
    if not isinstance(name, str):
        raise _invalid(f"the field of {written} must be a string", EC_VALUE_TYPE)
    bare = name[1:] if name.startswith("$") else name
    if op in (EQ, STARTS_WITH):
        if not isinstance(value, str):
            raise _invalid(f"the value of {written} must be a string", EC_VALUE_TYPE)
        values: tuple[str, ...] = (value,)
        shown: object = value
    else:
        if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
            raise _invalid(f"the value of {written} must be a list of strings", EC_VALUE_TYPE)
        values = tuple(value)
        shown = list(values)
    return Condition(op, bare.lower(), values, text=render([written, "$" + bare, shown]))


def _length(written: str, low: object, high: object) -> Condition:
    """``["content-length-range", min, max]``: non-negative JSON integers, min <= max."""
    if not _size(low) or not _size(high):
        raise _invalid(f"{written} takes two non-negative integers", EC_RANGE_VALUE)
    assert isinstance(low, int) and isinstance(high, int)
    if low > high:
        raise _invalid(f"{written} minimum is larger than its maximum", EC_RANGE_ORDER)
    return Condition(LENGTH, low=low, high=high, text=render([written, low, high]))


def _size(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _invalid(detail: str, ec: str) -> InvalidPolicyDocument:
    return InvalidPolicyDocument(f"Invalid Policy: Invalid Condition: {detail}.", ec=ec)


# --- the policy document -----------------------------------------------------------------


@dataclass(frozen=True)
class Policy:
    """A decoded policy: expiration (epoch seconds), conditions, and the Base64 as sent."""

    expiration: float
    conditions: tuple[Condition, ...]
    text: str


def decode_policy(policy_b64: str) -> Policy:
    """Decode and validate a ``policy`` field (§8.2).

    Args:
        policy_b64: the field as sent: Base64 (ASCII whitespace ignored) of UTF-8 JSON.

    Returns:
        The expiration, the parsed conditions and the text as sent.

    Raises:
        InvalidPolicyDocument: not Base64 of a UTF-8 JSON object (``Invalid Policy: Invalid
            JSON``, EC 0006-00000201), ``expiration`` or ``conditions`` missing or malformed,
            or a malformed condition (``post_conditions``).
    """
    try:
        raw = base64.b64decode(_WHITESPACE.sub("", policy_b64), validate=True)
        document = json.loads(raw.decode("utf-8"))
    except (binascii.Error, ValueError, RecursionError) as error:
        detail = error.msg if isinstance(error, json.JSONDecodeError) else "not Base64 of UTF-8"
        raise InvalidPolicyDocument(
            f"Invalid Policy: Invalid JSON: {detail}.", ec=EC_POLICY_SYNTAX
        ) from None
    if not isinstance(document, dict):
        raise InvalidPolicyDocument(
            "Invalid Policy: Invalid JSON: not an object.", ec=EC_POLICY_SYNTAX
        )
    has_expiration, has_conditions = "expiration" in document, "conditions" in document
    if not has_expiration or not has_conditions:
        missing = (
            ("expiration and conditions", EC_NO_EXPIRATION_NOR_CONDITIONS)
            if not has_expiration and not has_conditions
            else ("expiration", EC_NO_EXPIRATION)
            if not has_expiration
            else ("conditions", EC_NO_CONDITIONS)
        )
        raise InvalidPolicyDocument(f"Invalid Policy: Policy missing {missing[0]}.", ec=missing[1])
    expiration = _expiration(document["expiration"])
    return Policy(expiration, parse_conditions(document["conditions"]), policy_b64)


def _expiration(value: object) -> float:
    """ISO 8601 UTC with ``T`` and ``Z``, fractional seconds optional (§8.2)."""
    if not isinstance(value, str):
        raise InvalidPolicyDocument(
            "Invalid Policy: expiration must be a string.", ec=EC_EXPIRATION_TYPE
        )
    if not value:
        raise InvalidPolicyDocument("Invalid Policy: expiration is empty.", ec=EC_EXPIRATION_EMPTY)
    match = _EXPIRATION.fullmatch(value)
    seconds = None if match is None else epoch(match.groups()[:6])
    if match is None or seconds is None:
        raise InvalidPolicyDocument(
            f"Invalid Policy: Invalid 'expiration' value: {json.dumps(value)}.",
            ec=EC_EXPIRATION_FORMAT,
        )
    return seconds + float(match.group(7) or 0)


def check_length(policy: Policy, size: int) -> None:
    """Check the file size against every ``content-length-range`` (inclusive, §8.2).

    Raises:
        AccessDenied: the size is outside a range (§17 G8).
    """
    for condition in policy.conditions:
        failure = condition.size_failure(size)
        if failure is not None:
            raise failure


def encode_policy(expiration: float, conditions: Sequence[object]) -> str:
    """A policy field: Base64 of ``{"expiration": …, "conditions": …}`` (§8.2)."""
    when = time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime(expiration))
    document = {"expiration": when, "conditions": list(conditions)}
    return base64.b64encode(json.dumps(document).encode("utf-8")).decode("ascii")
