"""Values the callback layer passes around (callback.md §3-§9).

Everything here is a frozen value: ``CallbackSpec`` (a validated callback parameter,
produced by ``parse.py`` from plain carrier strings so that header, query and PostObject
form carriers all plug in the same way), ``CallbackUrl`` (one entry of ``callbackUrl``,
§3.2), ``CallbackRequest`` (one signed attempt, §6, built by ``signing.py``) and the two
outcomes of judging an answer (§8, ``judge.py``): ``CallbackSuccess`` and
``CallbackFailure``.

``split_url`` lives here because both validation (§3.2, EC 0007-00000004) and the
string to sign (§6.2, C19) need the same reading of a callback URL:

- the scheme is optional and defaults to ``http``; only ``http`` and ``https`` exist;
- the host is a name or an IPv4 literal; IPv6 literals are refused (callback.md §14 G10,
  decisions A1); a port must be a decimal number in 1-65535;
- the path and the raw query are kept as written; ``query`` is ``None`` only when the URL
  has no ``?`` at all (``/cb?`` has the empty query, C19); a ``#fragment`` is never sent.

Emulator readings where OSS documents nothing (all refused as EC 0007-00000004): user
information (``user@host``), whitespace or control characters anywhere in the URL, and host
names with characters other than ASCII letters, digits, ``.``, ``-``, ``_`` or non-ASCII
(internationalised) letters.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import ClassVar, Literal, Protocol

from emulator.errors import CallbackFailed

#: ``callbackBodyType`` values (callback.md §3.1); the first is the default.
FORM = "application/x-www-form-urlencoded"
JSON = "application/json"
BODY_TYPES = (FORM, JSON)

_SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*)://", re.ASCII)
_HOST = re.compile(r"(?:[A-Za-z0-9._-]|[^\x00-\x7f])+")
_PORT = re.compile(r"[0-9]{1,5}", re.ASCII)
_FORBIDDEN_IN_URL = re.compile(r"[\x00-\x20\x7f]")


@dataclass(frozen=True)
class CallbackUrl:
    """One callback URL, split (callback.md §3.2).

    Attributes:
        scheme: ``http`` or ``https`` (lower case; ``http`` when the URL had none).
        host: the host name or IPv4 literal, as written.
        port: the explicit port, or None.
        path: the path as written, still percent-encoded; may be empty.
        query: the raw query after ``?``; None when the URL has no ``?``.
    """

    scheme: str
    host: str
    port: int | None
    path: str
    query: str | None

    @property
    def url(self) -> str:
        """The absolute URL the emulator sends to (scheme added, fragment dropped)."""
        port = "" if self.port is None else f":{self.port}"
        query = "" if self.query is None else f"?{self.query}"
        return f"{self.scheme}://{self.host}{port}{self.path}{query}"

    @property
    def request_path(self) -> str:
        """The path of the request line: the URL's path, ``/`` when it is empty."""
        return self.path or "/"


def split_url(text: str) -> CallbackUrl:
    """Split one ``callbackUrl`` entry (see the module docstring for the rules).

    Args:
        text: one URL, without surrounding whitespace.

    Returns:
        The split URL.

    Raises:
        ValueError: the text is not a usable callback URL (the caller turns this into
            EC 0007-00000004).
    """
    if not text or _FORBIDDEN_IN_URL.search(text) is not None:
        raise ValueError("empty URL or whitespace/control character")
    match = _SCHEME.match(text)
    if match is not None:
        scheme, rest = match.group(1).lower(), text[match.end() :]
        if scheme not in ("http", "https"):
            raise ValueError(f"unsupported scheme {scheme!r}")
    else:
        scheme, rest = "http", text
    rest = rest.partition("#")[0]
    end = len(rest)
    for stop in "/?":
        found = rest.find(stop)
        if found != -1:
            end = min(end, found)
    authority, tail = rest[:end], rest[end:]
    path, question, query = tail.partition("?")
    if "@" in authority or "[" in authority or "]" in authority:
        raise ValueError("user information or IPv6 literal")
    host, colon, port_text = authority.partition(":")
    port: int | None = None
    if colon:
        if _PORT.fullmatch(port_text) is None or not 1 <= int(port_text) <= 65535:
            raise ValueError(f"bad port {port_text!r}")
        port = int(port_text)
    if _HOST.fullmatch(host) is None:
        raise ValueError(f"bad host {host!r}")
    return CallbackUrl(scheme, host, port, path, query if question else None)


@dataclass(frozen=True)
class CallbackSpec:
    """A validated callback parameter (callback.md §3; built by ``parse.parse``).

    Attributes:
        urls: the absolute URLs to try, in order (1-5; scheme added when it was omitted).
        body_template: the ``callbackBody`` template (already tokenised without error).
        body_type: ``FORM`` or ``JSON``; also the callback's ``Content-Type``.
        host: ``callbackHost``, or None to use each URL's host name (C6).
        sni: ``callbackSNI`` (C7).
        additional_headers: ``additionalHeaders`` as (name, value) pairs in JSON order (C15).
        signature_version: always ``"1.0"`` (C15).
        policy: ``callbackPolicy`` when given (recorded, not resolved; callback.md §2.3).
        callback_text: the Base64-decoded callback JSON text.
        raw_callback: the callback value as received (Base64).
        raw_callback_var: the callback-var value as received, or None.
    """

    urls: tuple[str, ...]
    body_template: str
    body_type: str = FORM
    host: str | None = None
    sni: bool = False
    additional_headers: tuple[tuple[str, str], ...] = ()
    signature_version: str = "1.0"
    policy: str | None = None
    callback_text: str = ""
    raw_callback: str = ""
    raw_callback_var: str | None = None

    @property
    def targets(self) -> tuple[CallbackUrl, ...]:
        """``urls``, split."""
        return tuple(split_url(url) for url in self.urls)

    @property
    def additional_header_names(self) -> tuple[str, ...]:
        """The ``additionalHeaders`` names in order (for ``x-oss-additional-headers``)."""
        return tuple(name for name, _ in self.additional_headers)


#: Custom variables after parsing: ``x:``-prefixed name -> value (callback.md §3.3).
CustomVars = dict[str, str]


class ImageFacts(Protocol):
    """What ``template.system_variables`` reads from image detection (C23).

    ``emulator.imaging.ImageInfo`` (width, height, lowercase format name) fits.
    """

    @property
    def width(self) -> int: ...

    @property
    def height(self) -> int: ...

    @property
    def format(self) -> str: ...


@dataclass(frozen=True)
class CallbackRequest:
    """One callback attempt, ready to send (callback.md §6.1, C18).

    Header values are text; a value may hold non-ASCII characters (``callbackHost``,
    ``additionalHeaders`` values), which go on the wire as UTF-8 (``encoded_headers``).

    Attributes:
        url: the absolute URL to POST to.
        method: always ``POST``.
        headers: (name, value) pairs in sending order.
        body: the expanded body.
        string_to_sign: the bytes the ``Authorization`` signature covers (C19).
        sni_hostname: the TLS server name to send, or None for no SNI (C7).
    """

    url: str
    method: str
    headers: tuple[tuple[str, str], ...]
    body: bytes
    string_to_sign: bytes
    sni_hostname: str | None = None

    def header(self, name: str) -> str | None:
        """The first value of a header (name compared case-insensitively), or None."""
        lowered = name.lower()
        for key, value in self.headers:
            if key.lower() == lowered:
                return value
        return None

    def encoded_headers(self) -> list[tuple[bytes, bytes]]:
        """The headers as UTF-8 bytes, in order."""
        return [(key.encode("utf-8"), value.encode("utf-8")) for key, value in self.headers]


@dataclass(frozen=True)
class CallbackSuccess:
    """The application server accepted the callback (callback.md §8 rule 8, §9.1).

    Attributes:
        status: always 200.
        headers: the application's response headers, in order.
        body: the application's body, byte for byte.
    """

    ok: ClassVar[Literal[True]] = True
    status: int
    headers: tuple[tuple[str, str], ...]
    body: bytes

    @property
    def content_type(self) -> str:
        """The application's ``Content-Type``; ``application/json`` when absent (C9)."""
        for key, value in self.headers:
            if key.lower() == "content-type":
                return value
        return JSON


@dataclass(frozen=True)
class CallbackFailure:
    """The callback failed (callback.md §8 rules 1-7, §9.3).

    Attributes:
        message: the ``<Message>`` of the 203 ``CallbackFailed`` body.
        ec: the EC (``0007-00000203``, ``-202``, ``-205``, ``-201``).
    """

    ok: ClassVar[Literal[False]] = False
    message: str
    ec: str

    def to_error(self) -> CallbackFailed:
        """The 203 ``CallbackFailed`` error this failure is reported as."""
        return CallbackFailed(self.message, ec=self.ec)


#: The outcome of one attempt.
CallbackVerdict = CallbackSuccess | CallbackFailure
