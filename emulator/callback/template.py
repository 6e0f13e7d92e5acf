"""Tokenising and expanding ``callbackBody`` (callback.md §5; decisions C1-C4, C21, C23).

Tokens (§5.2): ``${name}`` is a variable whose name is the text up to the first ``}`` (no
nesting, no escape for a literal ``$``); a ``$`` not followed by ``{`` and a ``${``
without a closing ``}`` are 400 InvalidArgument, EC 0007-00000105 (C4), reported with
``ArgumentName`` ``ReplaceKeyPrefix`` and the template as ``ArgumentValue`` (what OSS
really sends, §4.2). Everything else is literal text.

Expansion (§5.3):

- ``application/x-www-form-urlencoded`` (C2): literal text is copied unchanged; each
  value is percent-encoded as UTF-8, keeping only ``A-Z a-z 0-9 - _ . ~``, uppercase hex.
- ``application/json`` (C1): a scanner tracks, from the literal text only, whether the
  template is inside a JSON string literal. Inside: the JSON-escaped value without quotes.
  Outside: ``null`` for an empty value, a bare decimal for ``size``, ``crc64``,
  ``imageInfo.width`` and ``imageInfo.height``, else the quoted JSON-escaped value. The
  result is not validated as JSON.
- Unknown system variables and undefined custom variables are empty (C3).

Text is encoded as UTF-8 with ``surrogatepass`` so expansion is total; ``parse.py``
refuses lone surrogates before a template or a custom value gets here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import quote

from emulator.callback.model import FORM, JSON, ImageFacts
from emulator.errors import InvalidArgument

EC_SYNTAX = "0007-00000105"
MSG_LEFT_BRACE = "Left brace must be adjacent to dollar sign."
MSG_RIGHT_BRACE = "Right brace is missing."
#: The ``ArgumentName`` OSS really sends with EC 0007-00000105 (callback.md §4.2).
SYNTAX_ARGUMENT_NAME = "ReplaceKeyPrefix"

#: System variables (callback.md §5.1), case-sensitive.
SYSTEM_VARIABLES = (
    "bucket",
    "object",
    "etag",
    "size",
    "mimeType",
    "imageInfo.height",
    "imageInfo.width",
    "imageInfo.format",
    "crc64",
    "contentMd5",
    "vpcId",
    "clientIp",
    "reqId",
    "operation",
)
#: Written as bare decimals outside a JSON string literal (C1).
NUMERIC_VARIABLES = frozenset({"size", "crc64", "imageInfo.width", "imageInfo.height"})
#: Variables that need image detection (C23).
IMAGE_VARIABLES = frozenset({"imageInfo.height", "imageInfo.width", "imageInfo.format"})
#: Prefix of custom variables (callback.md §3.3).
CUSTOM_PREFIX = "x:"

_JSON_ESCAPES: dict[int, str] = {code: f"\\u{code:04x}" for code in range(0x20)}
_JSON_ESCAPES.update(
    {
        ord('"'): '\\"',
        ord("\\"): "\\\\",
        0x08: "\\b",
        0x0C: "\\f",
        0x0A: "\\n",
        0x0D: "\\r",
        0x09: "\\t",
    }
)


@dataclass(frozen=True)
class Text:
    """Literal template text (contains no ``$``)."""

    text: str


@dataclass(frozen=True)
class Var:
    """A ``${name}`` reference."""

    name: str


Token = Text | Var


def _syntax_error(message: str, template: str) -> InvalidArgument:
    return InvalidArgument(
        message,
        ec=EC_SYNTAX,
        ArgumentName=SYNTAX_ARGUMENT_NAME,
        ArgumentValue=template,
    )


def tokenize(template: str) -> tuple[Token, ...]:
    """Split a template into literal text and variables (callback.md §5.2, C4).

    Args:
        template: the ``callbackBody`` text.

    Returns:
        The tokens in order; adjacent literal text is one ``Text``; no empty ``Text``.

    Raises:
        InvalidArgument: EC 0007-00000105, ``Left brace must be adjacent to dollar sign.``
            for a ``$`` not followed by ``{`` (including a final ``$``), or
            ``Right brace is missing.`` for a ``${`` with no ``}`` after it; the first
            problem from the left is reported.
    """
    tokens: list[Token] = []
    pos = 0
    while True:
        dollar = template.find("$", pos)
        if dollar == -1:
            if pos < len(template):
                tokens.append(Text(template[pos:]))
            return tuple(tokens)
        if dollar > pos:
            tokens.append(Text(template[pos:dollar]))
        if not template.startswith("{", dollar + 1):
            raise _syntax_error(MSG_LEFT_BRACE, template)
        close = template.find("}", dollar + 2)
        if close == -1:
            raise _syntax_error(MSG_RIGHT_BRACE, template)
        tokens.append(Var(template[dollar + 2 : close]))
        pos = close + 1


def references(template: str) -> set[str]:
    """The variable names a template uses (e.g. to decide whether image info is needed).

    Args:
        template: the ``callbackBody`` text.

    Returns:
        Every name written inside ``${...}``, known or not.

    Raises:
        InvalidArgument: EC 0007-00000105, as ``tokenize``.
    """
    return {token.name for token in tokenize(template) if isinstance(token, Var)}


def json_escape(value: str) -> str:
    """JSON string escaping without the quotes (C1).

    ``"`` and ``\\`` are escaped; U+0008, U+000C, U+000A, U+000D and U+0009 as ``\\b``
    ``\\f`` ``\\n`` ``\\r`` ``\\t``; other characters below U+0020 as ``\\u00xx`` in lower
    case hex. ``/``, U+007F and non-ASCII are kept: the same text as
    ``json.dumps(value, ensure_ascii=False)[1:-1]``.

    Args:
        value: the text to escape.

    Returns:
        The escaped text.
    """
    return value.translate(_JSON_ESCAPES)


def form_escape(value: str) -> str:
    """Percent-encoding of a form value (C2).

    Args:
        value: the text to encode.

    Returns:
        The UTF-8 bytes of ``value`` with every byte except ``A-Z a-z 0-9 - _ . ~``
        written as ``%XX`` (uppercase hex); space is ``%20``, ``+`` is ``%2B``.
    """
    return quote(value, safe="", errors="surrogatepass")


def _text(value: str | int | None) -> str:
    if value is None:
        return ""
    return value if isinstance(value, str) else str(value)


def _expand_form(tokens: tuple[Token, ...], variables: Mapping[str, str | int | None]) -> str:
    return "".join(
        token.text if isinstance(token, Text) else form_escape(_text(variables.get(token.name)))
        for token in tokens
    )


def _expand_json(tokens: tuple[Token, ...], variables: Mapping[str, str | int | None]) -> str:
    out: list[str] = []
    in_string = False
    escaped = False
    for token in tokens:
        if isinstance(token, Text):
            for char in token.text:
                if in_string:
                    if escaped:
                        escaped = False
                    elif char == "\\":
                        escaped = True
                    elif char == '"':
                        in_string = False
                elif char == '"':
                    in_string = True
            out.append(token.text)
            continue
        value = _text(variables.get(token.name))
        if in_string:
            out.append(json_escape(value))
        elif value == "":
            out.append("null")
        elif token.name in NUMERIC_VARIABLES:
            out.append(value)
        else:
            out.append(f'"{json_escape(value)}"')
    return "".join(out)


def expand(template: str, body_type: str, variables: Mapping[str, str | int | None]) -> bytes:
    """Expand a ``callbackBody`` template into the callback body (callback.md §5.3).

    Args:
        template: the ``callbackBody`` text.
        body_type: ``application/x-www-form-urlencoded`` or ``application/json``.
        variables: system variables by name and custom variables with their ``x:``
            prefix; a missing name or a None value is empty (C3). Integers are written
            in decimal.

    Returns:
        The body bytes (UTF-8).

    Raises:
        InvalidArgument: EC 0007-00000105 for a malformed template (``tokenize``).
        ValueError: ``body_type`` is neither supported type (a programming error:
            ``parse`` only lets those two through).
    """
    if body_type not in (FORM, JSON):
        raise ValueError(f"unsupported callback body type {body_type!r}")
    tokens = tokenize(template)
    if body_type == FORM:
        text = _expand_form(tokens, variables)
    else:
        text = _expand_json(tokens, variables)
    return text.encode("utf-8", "surrogatepass")


def system_variables(
    *,
    bucket: str,
    key: str,
    etag: str,
    size: int,
    mime_type: str,
    crc64: int | str,
    request_id: str,
    operation: str,
    content_md5: str | None = None,
    image: ImageFacts | None = None,
    vpc_id: str = "",
    client_ip: str = "",
) -> dict[str, str]:
    """The system variables of an upload, formatted as callback.md §5.1 says.

    Args:
        bucket: the bucket name.
        key: the object key (raw; the body type decides the encoding).
        etag: the object's ETag, quoted or not; inserted without quotes, upper case
            (``D8E8FCA2DC0F896FD7CB4CB0031BA249``, multipart ``<HEX>-<N>``; R2).
        size: the object size in bytes (the whole object for CompleteMultipartUpload).
        mime_type: the stored ``Content-Type``, parameters included (G12).
        crc64: the CRC-64/XZ as in ``x-oss-hash-crc64ecma`` (unsigned decimal, R3).
        request_id: the upload's ``x-oss-request-id`` (R4).
        operation: ``PutObject``, ``PostObject`` or ``CompleteMultipartUpload``.
        content_md5: the ``Content-MD5`` response value; None for
            CompleteMultipartUpload, which gives the empty value (C21).
        image: detected image facts, or None (not an image, or not referenced): then the
            three ``imageInfo.*`` values are empty (C23).
        vpc_id: always empty in the emulator.
        client_ip: the uploader's TCP peer address (G9).

    Returns:
        Name -> value for every name of ``SYSTEM_VARIABLES``.
    """
    return {
        "bucket": bucket,
        "object": key,
        "etag": etag.strip('"').upper(),
        "size": str(size),
        "mimeType": mime_type,
        "imageInfo.height": "" if image is None else str(image.height),
        "imageInfo.width": "" if image is None else str(image.width),
        "imageInfo.format": "" if image is None else image.format,
        "crc64": str(crc64),
        "contentMd5": content_md5 or "",
        "vpcId": vpc_id,
        "clientIp": client_ip,
        "reqId": request_id,
        "operation": operation,
    }
