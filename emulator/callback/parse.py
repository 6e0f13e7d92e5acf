"""Callback parameters -> ``CallbackSpec`` and custom variables (callback.md §2-§4).

``parse`` takes the carriers as plain strings (request header, URL query, PostObject form
field) so every upload operation plugs in the same way, and applies every check of
callback.md §4.1 in that order, reporting the first failure as 400 ``InvalidArgument`` with
the EC and message of §4.3 (decisions C4, C12-C15, C20, C22, C24, A1):

1. carrier conflicts (EC 0007-00000027 / 0007-00000106; C20, C22);
2. sizes, as sent (0007-00000001 / 0007-00000101; C24);
3. Base64 (0007-00000002 / 0007-00000102);
4. JSON (0007-00000003, also for JSON that is not an object, G11 / 0007-00000103);
5. ``callbackPolicy``: recorded only (bucket callback policies are not implemented, §2.3);
6. ``callbackUrl``: missing or empty means no callback; count (0007-00000005); syntax,
   port and IPv6 (0007-00000004); strict mode (0007-00000008 / 0007-00000007; C12);
7. ``callbackHost`` (09), ``callbackBody`` (11 missing/empty, 10 not a string),
   ``callbackBodyType`` (12 not a string, 13 other value), ``callbackSNI`` (C14, no EC),
   ``signatureVersion`` (C15, no EC), ``additionalHeaders`` (26);
8. template syntax (0007-00000105, ``template.tokenize``);
9. custom variables (0007-00000104; C13).

``ArgumentName`` is ``callback`` or ``callback-var`` (``ReplaceKeyPrefix`` for 105);
``ArgumentValue`` is the decoded JSON text, or the value as received when it was not
decoded (too long, not Base64, not UTF-8) (G6).

Emulator readings where neither OSS nor decisions.md says more:

- An empty carrier value counts as absent (many HTTP stacks drop empty headers).
- No callback value at all: ``None`` after the conflict checks; custom variables are then
  not looked at.
- A key that is present with JSON ``null`` is "present and of the wrong type" (C14 speaks
  of a present value): ``callbackUrl`` null is 04, ``callbackHost`` null 09, and so on.
  An empty ``callbackHost`` or ``callbackBodyType`` string counts as absent.
- Surrounding spaces of each ``callbackUrl`` entry are ignored; whitespace inside one,
  user information or an unknown scheme is 04 (``model.split_url``).
- ``callbackHost`` with whitespace or control characters is 09; an ``additionalHeaders``
  value that is not a string or holds control characters (CR, LF, NUL...) is 26.
- Decoded JSON that holds a lone UTF-16 surrogate escape (``"\\ud800"``) cannot be sent as
  UTF-8 and is treated as not JSON (03 / 103). So is ``NaN``/``Infinity``, and nesting
  too deep for the parser.
- Custom variables: PostObject ``x:`` fields first (prefix matched case-insensitively,
  written ``x:``, the rest kept; a later duplicate wins), then the entries of whichever
  ``callback-var`` carrier is present, which win (C20).

Strict hosts (C12): resolving a name is I/O, so ``parse`` only checks what it can see: IP
literals and ``localhost`` names, plus the addresses the caller already resolved, passed
as ``resolved`` (host name -> addresses; an empty sequence means the name does not
resolve, 0007-00000007). A caller in strict mode asks ``hosts_to_resolve`` (same carriers)
for the names, resolves them, and parses once with ``resolved``, so a name that does not
resolve is reported at step 6 even when a later step would fail too.
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
import json
import re
from collections.abc import Mapping, Sequence
from typing import NamedTuple

from emulator.callback.model import BODY_TYPES, FORM, CallbackSpec, CallbackUrl, split_url
from emulator.callback.template import CUSTOM_PREFIX, tokenize
from emulator.errors import InvalidArgument
from emulator.protocol.headers import NOT_FIELD_TEXT

#: Largest ``callback`` / ``callback-var`` value, in bytes as sent (C24).
MAX_PARAM_BYTES = 5120
MAX_URLS = 5
MAX_ADDITIONAL_HEADERS = 10
#: Names ``additionalHeaders`` may not use (C15; compared in lower case).
RESERVED_HEADERS = frozenset(
    {
        "content-type",
        "content-length",
        "host",
        "authorization",
        "user-agent",
        "content-md5",
        "expect",
        "upgrade",
        "keep-alive",
        "date",
        "connection",
        "transfer-encoding",
    }
)

CALLBACK = "callback"
CALLBACK_VAR = "callback-var"

# (EC, message) of callback.md §4.3; None = no EC (G3).
BOTH_CALLBACKS = (
    "0007-00000027",
    "Only one of the x-oss-callback header and the callback parameter can be specified.",
)
BOTH_VARS = (
    "0007-00000106",
    "Only one of the x-oss-callback-var header and the callback-var parameter can be specified.",
)
CALLBACK_TOO_LONG = ("0007-00000001", "The callback is too long.")
VAR_TOO_LONG = ("0007-00000101", "The callback var is too long.")
CALLBACK_NOT_BASE64 = ("0007-00000002", "The callback is not base64 encoded.")
VAR_NOT_BASE64 = ("0007-00000102", "The callback var is not base64 encoded.")
CALLBACK_NOT_JSON = ("0007-00000003", "The callback configuration is not json format.")
VAR_NOT_JSON = ("0007-00000103", "The callback var is not json format.")
URL_INVALID = ("0007-00000004", "The callback url is invalid.")
URL_COUNT = ("0007-00000005", "The callback url count exceeds the limit of 5.")
HOST_UNRESOLVED = ("0007-00000007", "The callback url host can not be resolved.")
PRIVATE_ADDRESS = ("0007-00000008", "Private address is forbidden to callback.")
HOST_INVALID = ("0007-00000009", "The callback host is invalid.")
BODY_INVALID = ("0007-00000010", "The callback body is invalid.")
BODY_EMPTY = ("0007-00000011", "The callback body is empty.")
BODY_TYPE_NOT_STRING = ("0007-00000012", "The callback body type is invalid.")
BODY_TYPE_UNKNOWN = ("0007-00000013", "The callback body type is invalid.")
SNI_INVALID = (None, "The callback sni is invalid.")
SIGNATURE_VERSION = (
    None,
    "The callback signature version is not supported, only 1.0 is supported.",
)
HEADERS_INVALID = ("0007-00000026", "The callback additional headers are invalid.")
VAR_INVALID = ("0007-00000104", "The callback var is invalid.")

_HEADER_NAME = re.compile(r"[a-z0-9-]+", re.ASCII)
_BAD_HOST = re.compile(r"[\x00-\x20\x7f]")


def _error(kind: tuple[str | None, str], name: str, value: str) -> InvalidArgument:
    ec, message = kind
    return InvalidArgument(message, ec=ec, ArgumentName=name, ArgumentValue=value)


def _present(*values: str | None) -> list[str]:
    return [value for value in values if value]


def _b64(value: str) -> bytes | None:
    try:
        return base64.b64decode(value.encode("ascii"), validate=True)
    except (UnicodeEncodeError, binascii.Error, ValueError):
        return None


def _reject_constant(name: str) -> object:
    raise ValueError(f"{name} is not JSON")


def _json(data: bytes) -> tuple[str | None, object, bool]:
    """(decoded text or None, value, ok) for strict JSON in UTF-8 (see module docstring)."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return None, None, False
    try:
        value = json.loads(text, parse_constant=_reject_constant)
        json.dumps(value, ensure_ascii=False).encode("utf-8")
    except (ValueError, RecursionError):  # JSONDecodeError, UnicodeEncodeError are ValueErrors
        return text, None, False
    return text, value, True


def is_forbidden_address(address: str) -> bool:
    """Whether an IP address is one strict mode refuses (C12, EC 0007-00000008).

    Args:
        address: an IPv4 or IPv6 address in text form.

    Returns:
        True for private, loopback, link-local and unspecified addresses (IPv4-mapped
        IPv6 addresses judged as IPv4); False for other addresses and for text that is
        not an IP address.
    """
    try:
        ip: ipaddress.IPv4Address | ipaddress.IPv6Address = ipaddress.ip_address(address)
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_private or ip.is_loopback or ip.is_link_local or ip.is_unspecified


def _is_ip_literal(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def hosts_to_resolve(
    *,
    header_callback: str | None = None,
    query_callback: str | None = None,
    form_callback: str | None = None,
    **other_carriers: object,
) -> tuple[str, ...]:
    """The host names of the callback URLs that strict mode needs resolved (C12).

    Takes the same carriers as ``parse`` (the others are accepted and ignored).

    Returns:
        Each distinct host name that is not an IP literal, in URL order; none when the
        callback fails a check before its URLs are read (``parse`` reports that failure).
    """
    try:
        found = _through_urls(header_callback, None, query_callback, None, form_callback, None)
    except InvalidArgument:
        return ()
    names: dict[str, None] = {}
    for target in found.targets if found else ():
        if not _is_ip_literal(target.host):
            names.setdefault(target.host, None)
    return tuple(names)


def _check_strict(
    targets: Sequence[CallbackUrl], resolved: Mapping[str, Sequence[str]] | None, text: str
) -> None:
    for target in targets:
        host = target.host
        if _is_ip_literal(host):
            if is_forbidden_address(host):
                raise _error(PRIVATE_ADDRESS, CALLBACK, text)
            continue
        name = host.lower().rstrip(".")
        if name == "localhost" or name.endswith(".localhost"):  # RFC 6761: loopback
            raise _error(PRIVATE_ADDRESS, CALLBACK, text)
        if resolved is None or host not in resolved:
            continue
        addresses = resolved[host]
        if not addresses:
            raise _error(HOST_UNRESOLVED, CALLBACK, text)
        if any(is_forbidden_address(address) for address in addresses):
            raise _error(PRIVATE_ADDRESS, CALLBACK, text)


def _urls(
    value: object,
    text: str,
    strict_hosts: bool,
    resolved: Mapping[str, Sequence[str]] | None,
) -> tuple[CallbackUrl, ...]:
    if not isinstance(value, str):
        raise _error(URL_INVALID, CALLBACK, text)
    entries = [entry.strip(" \t\r\n") for entry in value.split(";")]
    entries = [entry for entry in entries if entry]
    if len(entries) > MAX_URLS:
        raise _error(URL_COUNT, CALLBACK, text)
    targets: list[CallbackUrl] = []
    for entry in entries:
        try:
            targets.append(split_url(entry))
        except ValueError:
            raise _error(URL_INVALID, CALLBACK, text) from None
    if strict_hosts:
        _check_strict(targets, resolved, text)
    return tuple(targets)


def _additional_headers(value: object, text: str) -> tuple[tuple[str, str], ...]:
    if not isinstance(value, dict) or len(value) > MAX_ADDITIONAL_HEADERS:
        raise _error(HEADERS_INVALID, CALLBACK, text)
    pairs: list[tuple[str, str]] = []
    for name, header_value in value.items():
        if (
            _HEADER_NAME.fullmatch(name) is None
            or name.startswith("x-oss-")
            or name in RESERVED_HEADERS
            or not isinstance(header_value, str)
            or NOT_FIELD_TEXT.search(header_value) is not None
        ):
            raise _error(HEADERS_INVALID, CALLBACK, text)
        pairs.append((name, header_value))
    return tuple(pairs)


def _fields(config: dict[str, object], text: str) -> tuple[str | None, str, str, bool, str]:
    """Step 7 except additionalHeaders: (host, body, body type, sni, signature version)."""
    host = config.get("callbackHost")
    if "callbackHost" in config and (
        not isinstance(host, str) or _BAD_HOST.search(host) is not None
    ):
        raise _error(HOST_INVALID, CALLBACK, text)
    body = config.get("callbackBody")
    if "callbackBody" not in config or body == "":
        raise _error(BODY_EMPTY, CALLBACK, text)
    if not isinstance(body, str):
        raise _error(BODY_INVALID, CALLBACK, text)
    body_type = config.get("callbackBodyType", FORM)
    if not isinstance(body_type, str):
        raise _error(BODY_TYPE_NOT_STRING, CALLBACK, text)
    body_type = body_type or FORM
    if body_type not in BODY_TYPES:
        raise _error(BODY_TYPE_UNKNOWN, CALLBACK, text)
    sni = config.get("callbackSNI", False)
    if not isinstance(sni, bool):
        raise _error(SNI_INVALID, CALLBACK, text)
    version = config.get("signatureVersion", "1.0")
    if version != "1.0":
        raise _error(SIGNATURE_VERSION, CALLBACK, text)
    return (host or None) if isinstance(host, str) else None, body, body_type, sni, version


def _custom_vars(
    form_x_fields: Sequence[tuple[str, str]],
    var_value: object,
    var_text: str | None,
) -> dict[str, str]:
    variables: dict[str, str] = {}
    for name, value in form_x_fields:
        if name[:2].lower() == CUSTOM_PREFIX:
            variables[CUSTOM_PREFIX + name[2:]] = value
    if var_text is None:
        return variables
    if not isinstance(var_value, dict) or not all(
        isinstance(key, str) and key.startswith(CUSTOM_PREFIX) and isinstance(value, str)
        for key, value in var_value.items()
    ):
        raise _error(VAR_INVALID, CALLBACK_VAR, var_text)
    variables.update(var_value)
    return variables


def parse(
    *,
    header_callback: str | None = None,
    header_vars: str | None = None,
    query_callback: str | None = None,
    query_vars: str | None = None,
    form_callback: str | None = None,
    form_vars: str | None = None,
    form_x_fields: Sequence[tuple[str, str]] = (),
    strict_hosts: bool = False,
    resolved: Mapping[str, Sequence[str]] | None = None,
) -> tuple[CallbackSpec, dict[str, str]] | None:
    """Validate an upload's callback parameters (callback.md §4.1, in that order).

    Args:
        header_callback: the ``x-oss-callback`` header value, or None.
        header_vars: the ``x-oss-callback-var`` header value, or None.
        query_callback: the decoded ``callback`` query parameter, or None.
        query_vars: the decoded ``callback-var`` query parameter, or None.
        form_callback: the PostObject ``callback`` form field, or None.
        form_vars: the PostObject ``callback-var`` form field, or None.
        form_x_fields: PostObject form fields as (name, value) pairs; those whose name
            starts with ``x:`` (any case) are custom variables, the rest are ignored.
        strict_hosts: refuse private, loopback and unresolvable hosts (C12).
        resolved: strict mode only: addresses already resolved for URL host names
            (name -> addresses; empty = does not resolve); see the module docstring.

    Returns:
        None when there is no callback (no callback value, or an empty ``callbackUrl``);
        else the spec and the custom variables (``x:name`` -> value).

    Raises:
        InvalidArgument: the first failed check, with the EC, message, ``ArgumentName``
            and ``ArgumentValue`` of callback.md §4.3.
    """
    found = _through_urls(
        header_callback,
        header_vars,
        query_callback,
        query_vars,
        form_callback,
        form_vars,
        strict_hosts=strict_hosts,
        resolved=resolved,
    )
    if found is None:
        return None
    raw, raw_var, text, config, var_text, var_value, targets = found
    policy = config.get("callbackPolicy")
    host, body, body_type, sni, version = _fields(config, text)
    headers = (
        _additional_headers(config["additionalHeaders"], text)
        if "additionalHeaders" in config
        else ()
    )
    tokenize(body)
    variables = _custom_vars(form_x_fields, var_value, var_text)
    spec = CallbackSpec(
        urls=tuple(target.url for target in targets),
        body_template=body,
        body_type=body_type,
        host=host,
        sni=sni,
        additional_headers=headers,
        signature_version=version,
        policy=policy if isinstance(policy, str) else None,
        callback_text=text,
        raw_callback=raw,
        raw_callback_var=raw_var,
    )
    return spec, variables


class _UpToUrls(NamedTuple):
    """What steps 1-6 of §4.1 established."""

    raw: str
    raw_var: str | None
    text: str
    config: dict[str, object]
    var_text: str | None
    var_value: object
    targets: tuple[CallbackUrl, ...]


def _through_urls(
    header_callback: str | None,
    header_vars: str | None,
    query_callback: str | None,
    query_vars: str | None,
    form_callback: str | None,
    form_vars: str | None,
    *,
    strict_hosts: bool = False,
    resolved: Mapping[str, Sequence[str]] | None = None,
) -> _UpToUrls | None:
    """Steps 1-6 of callback.md §4.1; None when there is no callback."""
    callbacks = _present(header_callback, query_callback, form_callback)
    var_values = _present(header_vars, query_vars, form_vars)
    if len(callbacks) > 1:
        raise _error(BOTH_CALLBACKS, CALLBACK, callbacks[0])
    if len(var_values) > 1:
        raise _error(BOTH_VARS, CALLBACK_VAR, var_values[0])
    if not callbacks:
        return None
    raw = callbacks[0]
    raw_var = var_values[0] if var_values else None

    if len(raw.encode("utf-8", "surrogatepass")) > MAX_PARAM_BYTES:
        raise _error(CALLBACK_TOO_LONG, CALLBACK, raw)
    if raw_var is not None and len(raw_var.encode("utf-8", "surrogatepass")) > MAX_PARAM_BYTES:
        raise _error(VAR_TOO_LONG, CALLBACK_VAR, raw_var)

    data = _b64(raw)
    if data is None:
        raise _error(CALLBACK_NOT_BASE64, CALLBACK, raw)
    var_data = None if raw_var is None else _b64(raw_var)
    if raw_var is not None and var_data is None:
        raise _error(VAR_NOT_BASE64, CALLBACK_VAR, raw_var)

    text, config, ok = _json(data)
    if text is None or not ok or not isinstance(config, dict):
        raise _error(CALLBACK_NOT_JSON, CALLBACK, raw if text is None else text)
    var_text: str | None = None
    var_value: object = None
    if var_data is not None and raw_var is not None:
        var_text, var_value, ok = _json(var_data)
        if not ok:
            raise _error(VAR_NOT_JSON, CALLBACK_VAR, raw_var if var_text is None else var_text)

    if "callbackUrl" not in config:
        return None
    targets = _urls(config["callbackUrl"], text, strict_hosts, resolved)
    if not targets:
        return None
    return _UpToUrls(raw, raw_var, text, config, var_text, var_value, targets)
