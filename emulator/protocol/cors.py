"""CORS evaluation: preflight answers and the headers of actual responses.

Implements rest-api.md §12.1 (preflight), §12.2 (actual responses) and decisions R8 / S3
(a bucket without rules allows every origin and exposes every header, unless a setting
turns that off). Rules are evaluated like OSS's PutBucketCors documentation says
(https://help.aliyun.com/en/oss/developer-reference/putbucketcors): the rules are tried
in order and the first one whose ``AllowedOrigin``, ``AllowedMethod`` and (preflight)
``AllowedHeader`` entries all match is used; each ``AllowedOrigin`` / ``AllowedHeader``
may hold one ``*`` wildcard; header names are compared case-insensitively. An unmatched
preflight is 403 ``AccessForbidden``; an unmatched actual request simply gets no CORS
headers. The XML form of a configuration is in ``emulator.protocol.xml``.

Origins are compared case-sensitively (as S3 does; browsers send them in lower case).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from emulator.errors import AccessForbidden, BadRequest

#: Methods a CORS rule may allow (PutBucketCors ``AllowedMethod``).
CORS_METHODS = ("GET", "PUT", "POST", "DELETE", "HEAD")

#: Names exposed explicitly by the default (no rules) answer, besides ``*`` and the
#: response's own header names (decisions S3; rest-api.md §12.2 lists what ali-oss reads).
DEFAULT_EXPOSE = (
    "ETag",
    "x-oss-request-id",
    "x-oss-hash-crc64ecma",
    "x-oss-version-id",
    "x-oss-object-type",
    "x-oss-next-append-position",
    "x-oss-server-side-encryption",
    "x-oss-err",
    "x-oss-ec",
)


@dataclass(frozen=True)
class CorsRule:
    """One ``CORSRule`` of a bucket's configuration."""

    allowed_origins: tuple[str, ...]
    allowed_methods: tuple[str, ...]
    allowed_headers: tuple[str, ...] = ()
    expose_headers: tuple[str, ...] = ()
    max_age_seconds: int | None = None


@dataclass(frozen=True)
class CorsConfig:
    """A bucket's ``CORSConfiguration``: its rules and ``ResponseVary``."""

    rules: tuple[CorsRule, ...]
    response_vary: bool = False


def wildcard_match(pattern: str, value: str) -> bool:
    """Match ``value`` against a pattern holding at most one ``*`` (any characters)."""
    head, star, tail = pattern.partition("*")
    if not star:
        return pattern == value
    return len(value) >= len(head) + len(tail) and value.startswith(head) and value.endswith(tail)


def _origin_allowed(rule: CorsRule, origin: str) -> str | None:
    """The ``Access-Control-Allow-Origin`` value if the rule allows ``origin``."""
    for pattern in rule.allowed_origins:
        if wildcard_match(pattern, origin):
            return "*" if pattern == "*" else origin
    return None


def _header_allowed(rule: CorsRule, name: str) -> bool:
    return any(wildcard_match(pattern.lower(), name) for pattern in rule.allowed_headers)


def _split_header_list(value: str | None) -> list[str]:
    if value is None:
        return []
    return [item.strip().lower() for item in value.split(",") if item.strip()]


def _active_rules(config: CorsConfig | None) -> tuple[CorsRule, ...]:
    return () if config is None else config.rules


def preflight(
    config: CorsConfig | None,
    *,
    origin: str | None,
    method: str | None,
    request_headers: str | None,
    default_allow: bool,
) -> list[tuple[str, str]]:
    """Answer an ``OPTIONS`` preflight (§12.1); it is answered before authentication (R8).

    Args:
        config: the bucket's CORS configuration, or None when it has none (a
            configuration without rules counts as none).
        origin: the ``Origin`` header.
        method: the ``Access-Control-Request-Method`` header.
        request_headers: the ``Access-Control-Request-Headers`` header.
        default_allow: whether a bucket without rules allows everything (R8 default).

    Returns:
        The headers of the 200 answer.

    Raises:
        BadRequest: ``Origin`` or ``Access-Control-Request-Method`` is missing.
        AccessForbidden: no rule matches, or there are no rules and the default is off.
    """
    if not origin:
        raise BadRequest("Insufficient information. Origin request header needed.")
    if not method:
        raise BadRequest("Insufficient information. Access-Control-Request-Method header needed.")
    requested = _split_header_list(request_headers)
    rules = _active_rules(config)
    if not rules:
        if not default_allow or method not in CORS_METHODS:
            raise AccessForbidden()
        answer = [
            ("Access-Control-Allow-Origin", origin),
            ("Access-Control-Allow-Methods", ", ".join(CORS_METHODS)),
        ]
        if requested:
            answer.append(("Access-Control-Allow-Headers", ", ".join(requested)))
        answer.append(("Access-Control-Expose-Headers", ", ".join(("*", *DEFAULT_EXPOSE))))
        answer.append(("Vary", "Origin"))
        return answer
    for rule in rules:
        allow_origin = _origin_allowed(rule, origin)
        if allow_origin is None or method not in rule.allowed_methods:
            continue
        if not all(_header_allowed(rule, name) for name in requested):
            continue
        answer = [
            ("Access-Control-Allow-Origin", allow_origin),
            ("Access-Control-Allow-Methods", ", ".join(rule.allowed_methods)),
        ]
        if requested:
            answer.append(("Access-Control-Allow-Headers", ", ".join(requested)))
        if rule.expose_headers:
            answer.append(("Access-Control-Expose-Headers", ", ".join(rule.expose_headers)))
        if rule.max_age_seconds is not None:
            answer.append(("Access-Control-Max-Age", str(rule.max_age_seconds)))
        if config is not None and config.response_vary:
            answer.append(("Vary", "Origin"))
        return answer
    raise AccessForbidden()


def actual_headers(
    config: CorsConfig | None,
    *,
    origin: str | None,
    method: str,
    response_header_names: Sequence[str],
    default_allow: bool,
) -> list[tuple[str, str]]:
    """The CORS headers to add to a non-preflight response (§12.2).

    Without rules (and ``default_allow``): a request with ``Origin`` gets the origin
    echoed, ``Vary: Origin`` and an ``Access-Control-Expose-Headers`` listing ``*``, the
    ``x-oss-*`` names and ``ETag`` of ``DEFAULT_EXPOSE``, and every name of the response
    (decisions S3). With rules: the first rule matching origin and method gives
    ``Access-Control-Allow-Origin``, ``Access-Control-Allow-Methods``,
    ``Access-Control-Expose-Headers`` and ``Access-Control-Max-Age``; ``Vary: Origin`` is
    added to every response, cross-origin or not, exactly when ``ResponseVary`` is true.

    Args:
        config: the bucket's CORS configuration, or None (no bucket, or no rules).
        origin: the request's ``Origin`` header, or None.
        method: the request method.
        response_header_names: names of the headers the response carries.
        default_allow: whether a bucket without rules allows everything (R8 default).

    Returns:
        Headers to add (possibly none).
    """
    rules = _active_rules(config)
    if not rules:
        if not origin or not default_allow:
            return []
        exposed: dict[str, str] = {}
        for name in ("*", *DEFAULT_EXPOSE, *response_header_names):
            exposed.setdefault(name.lower(), name)
        return [
            ("Access-Control-Allow-Origin", origin),
            ("Access-Control-Expose-Headers", ", ".join(exposed.values())),
            ("Vary", "Origin"),
        ]
    answer: list[tuple[str, str]] = []
    if origin:
        for rule in rules:
            allow_origin = _origin_allowed(rule, origin)
            if allow_origin is None or method not in rule.allowed_methods:
                continue
            answer.append(("Access-Control-Allow-Origin", allow_origin))
            answer.append(("Access-Control-Allow-Methods", ", ".join(rule.allowed_methods)))
            if rule.expose_headers:
                answer.append(("Access-Control-Expose-Headers", ", ".join(rule.expose_headers)))
            if rule.max_age_seconds is not None:
                answer.append(("Access-Control-Max-Age", str(rule.max_age_seconds)))
            break
    if config is not None and config.response_vary:
        answer.append(("Vary", "Origin"))
    return answer
