"""The values signature checking works on: a request as received, readings, credentials.

``SignedRequest`` is built by the app from the ASGI scope; everything in ``auth`` takes it
and returns values (style.md rule 1). Query pairs are decoded with ``unquote_plus`` and kept
in order, ``k`` and ``k=`` both giving ``("k", "")`` (rest-api.md §1.3).

Credentials are looked up by access key id through a :class:`KeyLookup` (decisions.md R7,
S1): the app's ``auth.keyring.Keyring`` knows the configured pair and the temporary pairs
the local STS issued; a single ``Credentials`` is a keyring of one pair.
"""

from __future__ import annotations

import hmac
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Protocol
from urllib.parse import unquote_plus


def parse_query(raw_query: str) -> tuple[tuple[str, str], ...]:
    """Split a raw query string into decoded (name, value) pairs, in order (§1.3)."""
    pairs: list[tuple[str, str]] = []
    for item in raw_query.split("&"):
        if not item:
            continue
        name, _, value = item.partition("=")
        pairs.append((unquote_plus(name), unquote_plus(value)))
    return tuple(pairs)


@dataclass(frozen=True)
class SignedRequest:
    """A request as the server received it.

    Attributes:
        method: upper-case HTTP method.
        raw_path: the path as on the wire, still percent-encoded.
        query: decoded query pairs in order.
        headers: lower-cased header names; repeated headers joined with ``,``.
        raw_query: the query string as on the wire.
    """

    method: str
    raw_path: str
    query: tuple[tuple[str, str], ...]
    headers: Mapping[str, str] = field(default_factory=dict)
    raw_query: str = ""

    @classmethod
    def build(
        cls, method: str, raw_path: str, raw_query: str, headers: Iterable[tuple[str, str]]
    ) -> SignedRequest:
        merged: dict[str, str] = {}
        for name, value in headers:
            lowered = name.lower()
            merged[lowered] = f"{merged[lowered]},{value}" if lowered in merged else value
        return cls(method.upper(), raw_path, parse_query(raw_query), merged, raw_query)

    def query_value(self, name: str) -> str | None:
        """The first value of a query parameter, or None when absent."""
        for key, value in self.query:
            if key == name:
                return value
        return None

    def has_query(self, name: str) -> bool:
        return any(key == name for key, _ in self.query)


@dataclass(frozen=True)
class Reading:
    """One way to read bucket and key from a request (R1): None bucket = service."""

    bucket: str | None
    key: str | None


@dataclass(frozen=True)
class Credentials:
    """The configured key pair; ``security_token`` set means the pair is temporary (R7)."""

    access_key_id: str
    access_key_secret: str
    security_token: str | None = None

    def find(self, access_key_id: str, now: float) -> Credentials | None:
        """This pair when ``access_key_id`` is its id (constant time), else None."""
        if hmac.compare_digest(_utf8(access_key_id), _utf8(self.access_key_id)):
            return self
        return None


class KeyLookup(Protocol):
    """Where ``verify`` finds the pair of an access key id (R7, S1).

    ``find`` returns the pair (temporary when it has a security token) or None for an
    unknown id; it may raise an ``OSSError`` for an id it knows but refuses (an expired
    temporary key: ``SecurityTokenExpired``).
    """

    def find(self, access_key_id: str, now: float) -> Credentials | None: ...


@dataclass(frozen=True)
class Verified:
    """The outcome of a successful check: which reading verified, by which scheme."""

    reading: Reading
    access_key_id: str
    scheme: str  # "v1-header", "v1-query", "v4-header", "v4-query"


def _utf8(text: str) -> bytes:
    return text.encode("utf-8", "surrogatepass")
