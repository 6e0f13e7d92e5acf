"""Hypothesis strategies for OSS object keys and upload callbacks (callback.md §3-§5).

Public: users import them (``from emulator.strategies import object_keys``) and the
project's own property tests use the same ones. They import only pure emulator modules
(the callback template's variable names and the object-key rules): object keys, custom
variable names and values, ``callbackBody`` templates (well-formed, arbitrary, form and
JSON shaped, each with the variables it references), callback parameters and raw carrier
strings.

The two "case" strategies pair a template with variables and know what the body must
decode to, so a property can check an implementation without re-implementing it::

    @given(form_cases())
    def test_form_round_trip(case):
        template, variables = case
        body = expand(template.template, FORM, variables)
        assert parse_qs(body.decode(), keep_blank_values=True) == template.expected(variables)
"""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from hypothesis import strategies as st

from emulator.callback.template import NUMERIC_VARIABLES, SYSTEM_VARIABLES
from emulator.errors import OSSError
from emulator.protocol.names import validate_object_key

__all__ = [
    "FormTemplate",
    "JsonTemplate",
    "any_templates",
    "callback_carriers",
    "callback_params",
    "custom_var_names",
    "custom_vars",
    "encode_param",
    "form_cases",
    "json_cases",
    "literal_texts",
    "object_keys",
    "system_variable_values",
    "variable_names",
    "variable_values",
    "well_formed_templates",
]

#: Text a template may hold outside ``${...}``: anything but ``$``.
_LITERAL_CHARS = st.characters(exclude_categories=["Cs"], exclude_characters="$")
#: Text a variable name may hold: anything but ``}``.
_NAME_CHARS = st.characters(exclude_categories=["Cs"], exclude_characters="}")


#: What ``validate_object_key`` refuses anywhere in a key: C0 controls other than tab, LF
#: and CR, and U+FFFE/U+FFFF (lone surrogates are excluded by category).
_NOT_KEY_CHARS = (
    "".join(chr(c) for c in range(0x20) if c not in (0x09, 0x0A, 0x0D)) + "\ufffe\uffff"
)
_KEY_CHARS = st.characters(
    codec="utf-8", exclude_categories=["Cs"], exclude_characters=_NOT_KEY_CHARS
)
#: A key's first character: also not ``/`` or ``\\``.
_KEY_FIRST_CHARS = st.characters(
    codec="utf-8", exclude_categories=["Cs"], exclude_characters=_NOT_KEY_CHARS + "/\\"
)


def _valid_key(key: str) -> bool:
    try:
        validate_object_key(key)
    except OSSError:
        return False
    return True


def object_keys(max_size: int = 40) -> st.SearchStrategy[str]:
    """OSS object keys ``validate_object_key`` accepts, ``max_size`` characters at most.

    1-1023 UTF-8 bytes, XML 1.0 characters only (no NUL or other C0 controls but tab, LF
    and CR; no lone surrogates, U+FFFE or U+FFFF), not starting with ``/`` or ``\\``.
    Separators, dots, spaces and non-ASCII text are made likely.
    """
    if max_size < 1:
        raise ValueError("max_size must be at least 1")
    awkward = st.sampled_from(list("/\\.- %+?#&=~中é🎉\t"))
    rest = st.lists(st.one_of(_KEY_CHARS, awkward), max_size=max_size - 1).map("".join)
    keys = st.builds(lambda first, tail: first + tail, _KEY_FIRST_CHARS, rest)
    return keys.filter(_valid_key)


def custom_var_names() -> st.SearchStrategy[str]:
    """``x:`` names a template can reference (``x:var1``, ``x:键值1``, ``x:``)."""
    ascii_names = st.from_regex(r"x:[A-Za-z0-9_]{1,10}", fullmatch=True)
    return st.one_of(ascii_names, st.text(_NAME_CHARS, max_size=10).map(lambda s: f"x:{s}"))


def variable_names() -> st.SearchStrategy[str]:
    """Names inside ``${...}``: system, custom and unknown ones (C3)."""
    return st.one_of(
        st.sampled_from(SYSTEM_VARIABLES),
        custom_var_names(),
        st.text(_NAME_CHARS, max_size=10),
    )


def variable_values() -> st.SearchStrategy[str]:
    """Any value text (no lone surrogates), with the awkward characters made likely."""
    return st.one_of(
        st.text(),
        st.text(st.sampled_from('a $ {} "\\/&=+%?#\n\t\x00\x1f\x7f中é🎉'), max_size=12),
    )


def _value_for(name: str) -> st.SearchStrategy[str]:
    """A value that fits the variable: decimals (or empty) for the numeric ones (C1)."""
    if name in NUMERIC_VARIABLES:
        return st.one_of(st.just(""), st.integers(0, 2**64 - 1).map(str))
    return variable_values()


def custom_vars(max_size: int = 5) -> st.SearchStrategy[dict[str, str]]:
    """A custom-variable map as callback-var carries it (callback.md §3.3)."""
    return st.dictionaries(custom_var_names(), variable_values(), max_size=max_size)


@st.composite
def system_variable_values(draw: st.DrawFn) -> dict[str, str]:
    """Every system variable with a value in its callback.md §5.1 format."""
    image = draw(st.booleans())
    width = str(draw(st.integers(1, 20000))) if image else ""
    height = str(draw(st.integers(1, 20000))) if image else ""
    return {
        "bucket": draw(st.from_regex(r"[a-z0-9][a-z0-9-]{1,20}[a-z0-9]", fullmatch=True)),
        "object": draw(object_keys()),
        "etag": draw(st.from_regex(r"[0-9A-F]{32}(-[1-9][0-9]{0,3})?", fullmatch=True)),
        "size": str(draw(st.integers(0, 2**40))),
        "mimeType": draw(
            st.sampled_from(["text/plain", "image/jpeg", "text/plain; charset=utf-8"])
        ),
        "imageInfo.height": height,
        "imageInfo.width": width,
        "imageInfo.format": draw(st.sampled_from(["jpg", "png", "gif"])) if image else "",
        "crc64": str(draw(st.integers(0, 2**64 - 1))),
        "contentMd5": base64.b64encode(draw(st.binary(min_size=16, max_size=16))).decode(),
        "vpcId": "",
        "clientIp": draw(st.sampled_from(["127.0.0.1", "10.0.0.7", "203.0.113.9"])),
        "reqId": draw(st.from_regex(r"[0-9A-F]{24}", fullmatch=True)),
        "operation": draw(st.sampled_from(["PutObject", "PostObject", "CompleteMultipartUpload"])),
    }


def literal_texts(max_size: int = 20) -> st.SearchStrategy[str]:
    """Template constants: text without ``$``."""
    return st.text(_LITERAL_CHARS, max_size=max_size)


def well_formed_templates() -> st.SearchStrategy[str]:
    """Templates that tokenise without error: constants and ``${name}`` in any mix."""
    piece = st.one_of(literal_texts(), variable_names().map(lambda name: f"${{{name}}}"))
    return st.lists(piece, max_size=8).map("".join)


def any_templates() -> st.SearchStrategy[str]:
    """Any text, with ``$``, braces and quotes made likely (C4 errors included)."""
    return st.one_of(
        st.text(),
        st.text(st.sampled_from('ab${}"\\ x:'), max_size=20),
        well_formed_templates(),
    )


def _referenced(variables: Mapping[str, str], name: str) -> str:
    return variables.get(name, "")


@dataclass(frozen=True)
class FormTemplate:
    """A form template ``field=<prefix>${var}&...`` with distinct, safe field names."""

    template: str
    fields: tuple[tuple[str, str, str], ...]  # (field, constant prefix, variable name)

    def expected(self, variables: Mapping[str, str]) -> dict[str, list[str]]:
        """What ``parse_qs(body, keep_blank_values=True)`` must return."""
        return {
            field: [prefix + _referenced(variables, name)] for field, prefix, name in self.fields
        }


@st.composite
def form_cases(draw: st.DrawFn) -> tuple[FormTemplate, dict[str, str]]:
    """A form template and variables for some (not all) of the names it references."""
    fields = draw(
        st.lists(
            st.from_regex(r"[a-z][a-z0-9_]{0,8}", fullmatch=True),
            min_size=1,
            max_size=6,
            unique=True,
        )
    )
    prefixes = st.from_regex(r"[A-Za-z0-9._~-]{0,4}", fullmatch=True)
    entries = tuple((field, draw(prefixes), draw(variable_names())) for field in fields)
    template = "&".join(f"{field}={prefix}${{{name}}}" for field, prefix, name in entries)
    variables = {name: draw(_value_for(name)) for _, _, name in entries if draw(st.booleans())}
    return FormTemplate(template, entries), variables


# --- JSON templates: a small tree rendered to template text ------------------------------


@dataclass(frozen=True)
class _Const:
    value: Any
    text: str


@dataclass(frozen=True)
class _Bare:
    name: str


@dataclass(frozen=True)
class _Str:
    parts: tuple[str | _Bare, ...]  # literal text or a variable inside the string


@dataclass(frozen=True)
class _Arr:
    items: tuple[Any, ...]


@dataclass(frozen=True)
class _Obj:
    items: tuple[tuple[_Str, Any], ...]


def _render(node: Any, space: str) -> str:
    if isinstance(node, _Const):
        return node.text
    if isinstance(node, _Bare):
        return f"${{{node.name}}}"
    if isinstance(node, _Str):
        inner = "".join(
            f"${{{part.name}}}" if isinstance(part, _Bare) else json.dumps(part)[1:-1]
            for part in node.parts
        )
        return f'"{inner}"'
    if isinstance(node, _Arr):
        return "[" + f",{space}".join(_render(item, space) for item in node.items) + "]"
    pairs = (f"{_render(key, space)}:{space}{_render(value, space)}" for key, value in node.items)
    return "{" + space + f",{space}".join(pairs) + space + "}"


def _evaluate(node: Any, variables: Mapping[str, str]) -> Any:
    if isinstance(node, _Const):
        return node.value
    if isinstance(node, _Bare):
        value = _referenced(variables, node.name)
        if value == "":
            return None
        return int(value) if node.name in NUMERIC_VARIABLES else value
    if isinstance(node, _Str):
        return "".join(
            _referenced(variables, part.name) if isinstance(part, _Bare) else part
            for part in node.parts
        )
    if isinstance(node, _Arr):
        return [_evaluate(item, variables) for item in node.items]
    result: dict[str, Any] = {}
    for key, value in node.items:
        result[_evaluate(key, variables)] = _evaluate(value, variables)
    return result


def _names(node: Any) -> set[str]:
    if isinstance(node, _Bare):
        return {node.name}
    if isinstance(node, _Str):
        return {part.name for part in node.parts if isinstance(part, _Bare)}
    if isinstance(node, _Arr):
        return set().union(*(_names(item) for item in node.items))
    if isinstance(node, _Obj):
        return set().union(*(_names(k) | _names(v) for k, v in node.items))
    return set()


@dataclass(frozen=True)
class JsonTemplate:
    """A JSON template that is valid JSON once expanded, and the value it decodes to."""

    template: str
    tree: Any

    def expected(self, variables: Mapping[str, str]) -> Any:
        """What ``json.loads`` of the expanded body must return."""
        return _evaluate(self.tree, variables)

    def names(self) -> set[str]:
        """Every variable the template references."""
        return _names(self.tree)


_JSON_CONSTANTS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**70), 2**70),
    st.text(_LITERAL_CHARS, max_size=8),
).map(lambda value: _Const(value, json.dumps(value)))
_STRINGS = st.lists(
    st.one_of(st.text(_LITERAL_CHARS, max_size=6), variable_names().map(_Bare)), max_size=4
).map(lambda parts: _Str(tuple(parts)))
_JSON_TREES = st.recursive(
    st.one_of(_JSON_CONSTANTS, _STRINGS, variable_names().map(_Bare)),
    lambda children: st.one_of(
        st.lists(children, max_size=4).map(lambda items: _Arr(tuple(items))),
        st.lists(st.tuples(_STRINGS, children), max_size=4).map(lambda items: _Obj(tuple(items))),
    ),
    max_leaves=12,
)


@st.composite
def json_cases(draw: st.DrawFn) -> tuple[JsonTemplate, dict[str, str]]:
    """A JSON template (variables in value and string positions) and its variables.

    Numeric system variables (``size``, ``crc64``, ``imageInfo.width/height``) get
    decimals or the empty value, as the emulator supplies them, so bare references stay
    valid JSON.
    """
    tree = draw(_JSON_TREES)
    space = draw(st.sampled_from(["", " ", "\n  "]))
    template = JsonTemplate(_render(tree, space), tree)
    variables = {
        name: draw(_value_for(name)) for name in sorted(template.names()) if draw(st.booleans())
    }
    return template, variables


# --- callback parameters and carriers (callback.md §2-§3) --------------------------------


def encode_param(value: Any) -> str:
    """Base64 of the compact JSON of ``value``, as SDKs send ``callback``/``callback-var``."""
    return base64.b64encode(json.dumps(value, ensure_ascii=False).encode()).decode()


@st.composite
def callback_params(draw: st.DrawFn) -> dict[str, Any]:
    """A callback JSON object that passes validation (callback.md §3.1)."""
    hosts = st.sampled_from(["127.0.0.1:8080", "example.com", "cb.local:9", "app_1"])
    urls = draw(
        st.lists(
            st.tuples(
                st.sampled_from(["", "http://", "https://"]),
                hosts,
                st.sampled_from(["", "/", "/cb", "/a%20b?x=1&y", "/p?"]),
            ).map("".join),
            min_size=1,
            max_size=5,
        )
    )
    param: dict[str, Any] = {
        "callbackUrl": ";".join(urls),
        "callbackBody": draw(well_formed_templates().filter(bool)),
    }
    if draw(st.booleans()):
        param["callbackBodyType"] = draw(
            st.sampled_from(["application/x-www-form-urlencoded", "application/json"])
        )
    if draw(st.booleans()):
        param["callbackHost"] = draw(st.from_regex(r"[a-z0-9.-]{1,20}", fullmatch=True))
    if draw(st.booleans()):
        param["callbackSNI"] = draw(st.booleans())
    if draw(st.booleans()):
        param["additionalHeaders"] = draw(
            st.dictionaries(
                st.from_regex(r"[a-w0-9][a-z0-9-]{0,8}", fullmatch=True).filter(
                    lambda name: name not in {"host", "date", "expect", "content-md5"}
                ),
                st.from_regex(r"[ -~]{0,10}", fullmatch=True),
                max_size=10,
            )
        )
    return param


_JSON_LEAVES = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), st.text(max_size=10)
)
_CALLBACK_KEYS = st.sampled_from(
    [
        "callbackUrl",
        "callbackHost",
        "callbackBody",
        "callbackBodyType",
        "callbackSNI",
        "signatureVersion",
        "additionalHeaders",
        "callbackPolicy",
        "other",
    ]
)


def callback_carriers() -> st.SearchStrategy[str | None]:
    """Raw carrier strings for totality tests: absent, garbage, Base64 of anything."""
    json_values = st.recursive(
        _JSON_LEAVES,
        lambda children: st.one_of(
            st.lists(children, max_size=3),
            st.dictionaries(
                st.one_of(_CALLBACK_KEYS, custom_var_names(), st.text(max_size=4)),
                children,
                max_size=5,
            ),
        ),
        max_leaves=10,
    )
    return st.one_of(
        st.none(),
        st.text(max_size=30),
        st.binary(max_size=40).map(lambda raw: base64.b64encode(raw).decode()),
        json_values.map(encode_param),
        callback_params().map(encode_param),
        custom_vars().map(encode_param),
    )
