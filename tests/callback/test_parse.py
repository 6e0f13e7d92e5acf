"""Tests for emulator.callback.parse: every check of callback.md §4, in order."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from emulator.callback.model import FORM, JSON, CallbackUrl, split_url
from emulator.callback.parse import hosts_to_resolve, is_forbidden_address, parse
from emulator.errors import InvalidArgument, OSSError
from emulator.strategies import callback_carriers, callback_params, encode_param

BODY = "bucket=${bucket}&object=${object}"
BASE: dict[str, Any] = {"callbackUrl": "http://example.com/cb", "callbackBody": BODY}


def b64(value: Any) -> str:
    """Base64 of a JSON value, or of a text as it is."""
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return base64.b64encode(text.encode("utf-8")).decode("ascii")


def cb(**fields: Any) -> str:
    """The Base64 callback of BASE with fields replaced (None removes a field)."""
    config = {**BASE, **fields}
    return b64({k: v for k, v in config.items() if v is not None})


def _text(value: str) -> str:
    return base64.b64decode(value).decode("utf-8")


def _sized(length: int) -> str:
    """A valid callback whose Base64 is exactly ``length`` characters (a multiple of 4)."""
    head = '{"callbackUrl":"example.com","callbackBody":"a"'
    text = head + " " * (length // 4 * 3 - len(head) - 1) + "}"
    value = b64(text)
    assert len(value) == length
    return value


NOT_JSON_TS = (
    '{"callbackUrl":"8.8.8.8:9090","callbackBody":"{"bucket":${bucket},"object":${object}}",'
    '"callbackBodyType":"application/json"}'
)
BAD_CB = b64(NOT_JSON_TS)
TOO_LONG = _sized(5124)
NOT_UTF8 = base64.b64encode(b'{"callbackUrl":"\xff"}').decode()
VARS = b64({"x:a": "1"})

# (id, parse kwargs, EC, message, ArgumentName, ArgumentValue)
ERRORS: list[tuple[str, dict[str, Any], str | None, str, str, str]] = [
    (
        "27-header-query",
        {"header_callback": cb(), "query_callback": cb(callbackBody="q")},
        "0007-00000027",
        "Only one of the x-oss-callback header and the callback parameter can be specified.",
        "callback",
        cb(),
    ),
    (
        "27-form-header",
        {"header_callback": cb(), "form_callback": cb()},
        "0007-00000027",
        "Only one of the x-oss-callback header and the callback parameter can be specified.",
        "callback",
        cb(),
    ),
    (
        "27-form-query",
        {"query_callback": cb(), "form_callback": cb()},
        "0007-00000027",
        "Only one of the x-oss-callback header and the callback parameter can be specified.",
        "callback",
        cb(),
    ),
    (
        "106-header-query",
        {"header_callback": cb(), "header_vars": VARS, "query_vars": VARS},
        "0007-00000106",
        "Only one of the x-oss-callback-var header and the callback-var parameter can be "
        "specified.",
        "callback-var",
        VARS,
    ),
    (
        "106-form-query",
        {"form_callback": cb(), "form_vars": VARS, "query_vars": VARS},
        "0007-00000106",
        "Only one of the x-oss-callback-var header and the callback-var parameter can be "
        "specified.",
        "callback-var",
        VARS,
    ),
    (
        "01-too-long",
        {"header_callback": TOO_LONG},
        "0007-00000001",
        "The callback is too long.",
        "callback",
        TOO_LONG,
    ),
    (
        "101-too-long",
        {"header_callback": cb(), "header_vars": "A" * 5121},
        "0007-00000101",
        "The callback var is too long.",
        "callback-var",
        "A" * 5121,
    ),
    (
        "02-doc-example",
        {"header_callback": "x123-*&"},
        "0007-00000002",
        "The callback is not base64 encoded.",
        "callback",
        "x123-*&",
    ),
    (
        "02-no-padding",
        {"header_callback": "eyJ9"[:3]},
        "0007-00000002",
        "The callback is not base64 encoded.",
        "callback",
        "eyJ",
    ),
    (
        "02-url-safe",
        {"query_callback": "e-_9"},
        "0007-00000002",
        "The callback is not base64 encoded.",
        "callback",
        "e-_9",
    ),
    (
        "02-non-ascii",
        {"header_callback": "é"},
        "0007-00000002",
        "The callback is not base64 encoded.",
        "callback",
        "é",
    ),
    (
        "102-var",
        {"header_callback": cb(), "header_vars": "x123-*&"},
        "0007-00000102",
        "The callback var is not base64 encoded.",
        "callback-var",
        "x123-*&",
    ),
    (
        "03-ts-example",
        {"header_callback": BAD_CB},
        "0007-00000003",
        "The callback configuration is not json format.",
        "callback",
        NOT_JSON_TS,
    ),
    (
        "03-array",
        {"header_callback": b64([BASE])},
        "0007-00000003",
        "The callback configuration is not json format.",
        "callback",
        json.dumps([BASE]),
    ),
    (
        "03-string",
        {"header_callback": b64('"x"')},
        "0007-00000003",
        "The callback configuration is not json format.",
        "callback",
        '"x"',
    ),
    (
        "03-nan",
        {"header_callback": b64('{"a":NaN}')},
        "0007-00000003",
        "The callback configuration is not json format.",
        "callback",
        '{"a":NaN}',
    ),
    (
        "03-bom",
        {"header_callback": b64("\ufeff{}")},
        "0007-00000003",
        "The callback configuration is not json format.",
        "callback",
        "\ufeff{}",
    ),
    (
        "03-lone-surrogate",
        {"header_callback": b64('{"callbackBody":"\\ud800"}')},
        "0007-00000003",
        "The callback configuration is not json format.",
        "callback",
        '{"callbackBody":"\\ud800"}',
    ),
    (
        "03-not-utf8",
        {"header_callback": NOT_UTF8},
        "0007-00000003",
        "The callback configuration is not json format.",
        "callback",
        NOT_UTF8,
    ),
    (
        "03-too-deep",
        {"header_callback": b64("[" * 3000)},
        "0007-00000003",
        "The callback configuration is not json format.",
        "callback",
        "[" * 3000,
    ),
    (
        "103-var",
        {"header_callback": cb(), "header_vars": b64("{x:a}")},
        "0007-00000103",
        "The callback var is not json format.",
        "callback-var",
        "{x:a}",
    ),
    (
        "05-six-urls",
        {"header_callback": cb(callbackUrl=";".join(f"h{i}.com" for i in range(6)))},
        "0007-00000005",
        "The callback url count exceeds the limit of 5.",
        "callback",
        _text(cb(callbackUrl=";".join(f"h{i}.com" for i in range(6)))),
    ),
]
for _id, _url in [
    ("04-port-name", "www.callback-example.com:test"),
    ("04-port-ip", "10.101.166.30:test"),
    ("04-port-zero", "a.com:0"),
    ("04-port-too-big", "a.com:65536"),
    ("04-port-empty", "a.com:/x"),
    ("04-ipv6", "http://[::1]:8080/cb"),
    ("04-ipv6-bare", "::1"),
    ("04-scheme", "ftp://a.com/x"),
    ("04-no-host", "http:///cb"),
    ("04-space", "http://a.com/a b"),
    ("04-userinfo", "http://u:p@a.com/"),
    ("04-second-url", "a.com;b.com:x"),
    ("04-not-string", 123),
    ("04-null", None),
]:
    _config = {**BASE, "callbackUrl": _url}
    ERRORS.append(
        (
            _id,
            {"header_callback": b64(_config)},
            "0007-00000004",
            "The callback url is invalid.",
            "callback",
            json.dumps(_config),
        )
    )
_FIELD_ERRORS: list[tuple[str, dict[str, Any], str | None, str]] = [
    ("09-list", {"callbackHost": [1, 2, 3]}, "0007-00000009", "The callback host is invalid."),
    ("09-null", {"callbackHost": None}, "0007-00000009", "The callback host is invalid."),
    ("09-crlf", {"callbackHost": "a\r\nX: y"}, "0007-00000009", "The callback host is invalid."),
    ("11-missing", {"callbackBody": ...}, "0007-00000011", "The callback body is empty."),
    ("11-empty", {"callbackBody": ""}, "0007-00000011", "The callback body is empty."),
    ("10-number", {"callbackBody": 5}, "0007-00000010", "The callback body is invalid."),
    ("10-null", {"callbackBody": None}, "0007-00000010", "The callback body is invalid."),
    ("12-number", {"callbackBodyType": 123}, "0007-00000012", "The callback body type is invalid."),
    (
        "13-other",
        {"callbackBodyType": "image/jpg"},
        "0007-00000013",
        "The callback body type is invalid.",
    ),
    (
        "13-case",
        {"callbackBodyType": "Application/JSON"},
        "0007-00000013",
        "The callback body type is invalid.",
    ),
    (
        "13-charset",
        {"callbackBodyType": "application/json; charset=utf-8"},
        "0007-00000013",
        "The callback body type is invalid.",
    ),
    ("sni-string", {"callbackSNI": "true"}, None, "The callback sni is invalid."),
    ("sni-number", {"callbackSNI": 1}, None, "The callback sni is invalid."),
    ("sni-null", {"callbackSNI": None}, None, "The callback sni is invalid."),
    (
        "version-2",
        {"signatureVersion": "2.0"},
        None,
        "The callback signature version is not supported, only 1.0 is supported.",
    ),
    (
        "version-number",
        {"signatureVersion": 1.0},
        None,
        "The callback signature version is not supported, only 1.0 is supported.",
    ),
    (
        "26-not-object",
        {"additionalHeaders": ["a"]},
        "0007-00000026",
        "The callback additional headers are invalid.",
    ),
    (
        "26-eleven",
        {"additionalHeaders": {f"h{i}": "v" for i in range(11)}},
        "0007-00000026",
        "The callback additional headers are invalid.",
    ),
    (
        "26-doc-x-oss",
        {"additionalHeaders": {"x-oss-test": "val1", "key2": "val2"}},
        "0007-00000026",
        "The callback additional headers are invalid.",
    ),
    (
        "26-upper",
        {"additionalHeaders": {"Key1": "v"}},
        "0007-00000026",
        "The callback additional headers are invalid.",
    ),
    (
        "26-underscore",
        {"additionalHeaders": {"a_b": "v"}},
        "0007-00000026",
        "The callback additional headers are invalid.",
    ),
    (
        "26-empty-name",
        {"additionalHeaders": {"": "v"}},
        "0007-00000026",
        "The callback additional headers are invalid.",
    ),
    (
        "26-value-number",
        {"additionalHeaders": {"a": 1}},
        "0007-00000026",
        "The callback additional headers are invalid.",
    ),
    (
        "26-value-crlf",
        {"additionalHeaders": {"a": "v\r\nx: y"}},
        "0007-00000026",
        "The callback additional headers are invalid.",
    ),
    *[
        (
            f"26-reserved-{name}",
            {"additionalHeaders": {name: "v"}},
            "0007-00000026",
            "The callback additional headers are invalid.",
        )
        for name in [
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
        ]
    ],
]
for _id, _fields, _ec, _message in _FIELD_ERRORS:
    _config = {**BASE, **_fields}
    _config = {k: v for k, v in _config.items() if v is not ...}
    ERRORS.append(
        (_id, {"header_callback": b64(_config)}, _ec, _message, "callback", json.dumps(_config))
    )
for _id, _body, _message in [
    (
        "105-left-brace",
        "size=${size}&my_var=$x:my_var}",
        "Left brace must be adjacent to dollar sign.",
    ),
    ("105-right-brace", "size=${size", "Right brace is missing."),
]:
    ERRORS.append(
        (
            _id,
            {"header_callback": cb(callbackBody=_body)},
            "0007-00000105",
            _message,
            "ReplaceKeyPrefix",
            _body,
        )
    )
for _id, _vars in [
    ("104-no-prefix", {"var1": "value1"}),
    ("104-upper-prefix", {"X:var1": "value1"}),
    ("104-object-value", {"x:var2": {"a": "b"}}),
    ("104-number-value", {"x:var2": 1}),
    ("104-null-value", {"x:var2": None}),
    ("104-array", ["x:a"]),
    ("104-string", '"x:a"'),
]:
    _var_text = _vars if isinstance(_vars, str) else json.dumps(_vars)
    ERRORS.append(
        (
            _id,
            {"header_callback": cb(), "query_vars": b64(_vars)},
            "0007-00000104",
            "The callback var is invalid.",
            "callback-var",
            _var_text,
        )
    )


class TestErrors:
    """Each failed check is 400 InvalidArgument with its EC, message and Argument pair."""

    @pytest.mark.parametrize(
        ("kwargs", "ec", "message", "name", "value"),
        [pytest.param(*row[1:], id=row[0]) for row in ERRORS],
    )
    def test_error(
        self, kwargs: dict[str, Any], ec: str | None, message: str, name: str, value: str
    ) -> None:
        """EC, message, ArgumentName and ArgumentValue are those of callback.md §4.3 / G6."""
        with pytest.raises(InvalidArgument) as info:
            parse(**kwargs)
        err = info.value
        assert (err.status, err.code) == (400, "InvalidArgument")
        assert err.error_ec == ec
        assert err.error_message == message
        assert err.details == {"ArgumentName": name, "ArgumentValue": value}

    def test_size_limit_is_inclusive(self) -> None:
        """A value of exactly 5120 Base64 characters is accepted (C24)."""
        assert parse(header_callback=_sized(5120)) is not None
        assert parse(header_callback=cb(), header_vars=b64({"x:a": "v" * 3820})) is not None


class TestOrder:
    """With several faults, the first in callback.md §4.1 order is reported."""

    @pytest.mark.parametrize(
        ("kwargs", "ec"),
        [
            (
                {"header_callback": TOO_LONG, "header_vars": VARS, "query_vars": VARS},
                "0007-00000106",
            ),
            ({"header_callback": "x123-*&", "header_vars": "A" * 5200}, "0007-00000101"),
            ({"header_callback": BAD_CB, "header_vars": "x123-*&"}, "0007-00000102"),
            ({"header_callback": BAD_CB, "header_vars": b64("nope")}, "0007-00000003"),
            ({"header_callback": cb(callbackUrl=""), "header_vars": b64("nope")}, "0007-00000103"),
            ({"header_callback": cb(callbackUrl="a.com:x;" * 6)}, "0007-00000005"),
            ({"header_callback": cb(callbackUrl="a.com:x", callbackHost=1)}, "0007-00000004"),
            ({"header_callback": cb(callbackHost=1, callbackBody=None)}, "0007-00000009"),
            ({"header_callback": cb(callbackBody=5, callbackBodyType=5)}, "0007-00000010"),
            ({"header_callback": cb(callbackBodyType="x", callbackSNI="x")}, "0007-00000013"),
            ({"header_callback": cb(callbackSNI="x", additionalHeaders=1)}, None),
            ({"header_callback": cb(additionalHeaders=1, callbackBody="$")}, "0007-00000026"),
            ({"header_callback": cb(callbackBody="$"), "header_vars": b64([1])}, "0007-00000105"),
        ],
    )
    def test_first_failure_wins(self, kwargs: dict[str, Any], ec: str | None) -> None:
        """The reported EC is the earliest check's."""
        with pytest.raises(InvalidArgument) as info:
            parse(**kwargs)
        assert info.value.error_ec == ec

    def test_empty_url_stops_validation(self) -> None:
        """An empty callbackUrl is a plain upload even when later fields are bad."""
        assert (
            parse(
                header_callback=cb(callbackUrl="", callbackBody=5, callbackBodyType=1),
                header_vars=b64([1]),
            )
            is None
        )


class TestNoCallback:
    """Absent or empty callbacks mean a plain upload (CB21)."""

    @pytest.mark.parametrize(
        "kwargs",
        [
            {},
            {"header_vars": VARS},
            {"header_vars": "not base64 at all"},
            {"form_x_fields": [("x:a", "1")]},
            {"header_callback": ""},
            {"header_callback": cb(callbackUrl=None)},
            {"header_callback": cb(callbackUrl="")},
            {"header_callback": cb(callbackUrl=";; ;")},
            {"header_callback": b64({"callbackPolicy": "test_1"})},
        ],
        ids=[
            "nothing",
            "vars-only",
            "bad-vars-only",
            "x-fields-only",
            "empty-header",
            "missing-url",
            "empty-url",
            "only-separators",
            "policy-only",
        ],
    )
    def test_none(self, kwargs: dict[str, Any]) -> None:
        """parse returns None."""
        assert parse(**kwargs) is None


class TestSpec:
    """A valid callback becomes a CallbackSpec with its defaults and values."""

    def test_defaults(self) -> None:
        """Form body type, no host, no SNI, no extra headers, version 1.0, raw texts kept."""
        value = cb()
        parsed = parse(header_callback=value)
        assert parsed is not None
        spec, variables = parsed
        assert spec.urls == ("http://example.com/cb",)
        assert spec.body_template == BODY
        assert spec.body_type == FORM
        assert (spec.host, spec.sni, spec.additional_headers) == (None, False, ())
        assert spec.signature_version == "1.0"
        assert spec.policy is None
        assert (spec.raw_callback, spec.callback_text) == (value, _text(value))
        assert spec.raw_callback_var is None
        assert variables == {}

    def test_documented_urls(self) -> None:
        """Scheme-less URLs default to http; empty entries and spaces are skipped (G4)."""
        url = "121.43.113.8:23456/index.html; ;HTTPS://b.com:8443/x?y#frag;www.c.com;"
        parsed = parse(header_callback=cb(callbackUrl=url))
        assert parsed is not None
        assert parsed[0].urls == (
            "http://121.43.113.8:23456/index.html",
            "https://b.com:8443/x?y",
            "http://www.c.com",
        )

    def test_five_urls(self) -> None:
        """Five URLs are allowed."""
        parsed = parse(header_callback=cb(callbackUrl=";".join(f"h{i}" for i in range(5))))
        assert parsed is not None
        assert len(parsed[0].urls) == 5

    def test_every_field(self) -> None:
        """Host, body type, SNI, headers in JSON order, policy, unknown keys ignored."""
        headers = {"key2": "val2", "key1": " v 1 ", "a-1": ""}
        value = cb(
            callbackHost="cb.example.com",
            callbackBodyType=JSON,
            callbackSNI=True,
            signatureVersion="1.0",
            additionalHeaders=headers,
            callbackPolicy="p",
            unknownKey=[1],
        )
        parsed = parse(query_callback=value)
        assert parsed is not None
        spec = parsed[0]
        assert spec.host == "cb.example.com"
        assert spec.body_type == JSON
        assert spec.sni is True
        assert spec.additional_headers == (("key2", "val2"), ("key1", " v 1 "), ("a-1", ""))
        assert spec.additional_header_names == ("key2", "key1", "a-1")
        assert spec.policy == "p"

    def test_empty_optional_strings(self) -> None:
        """An empty callbackHost or callbackBodyType counts as absent."""
        parsed = parse(header_callback=cb(callbackHost="", callbackBodyType=""))
        assert parsed is not None
        assert (parsed[0].host, parsed[0].body_type) == (None, FORM)

    def test_java_sdk_whitespace(self) -> None:
        """JSON whitespace, as the Java SDK writes it, is fine."""
        text = '{"callbackUrl" : "a.com", "callbackBody" : "v=${x:var1}"} '
        var = '{"x:var1":"value1" ,"x:var2":"value2" } '
        parsed = parse(header_callback=b64(text), header_vars=b64(var))
        assert parsed is not None
        assert parsed[1] == {"x:var1": "value1", "x:var2": "value2"}
        assert parsed[0].raw_callback_var == b64(var)

    def test_form_carrier_with_policy_pin(self) -> None:
        """The PostObject callback field is a carrier like the others."""
        parsed = parse(form_callback=cb())
        assert parsed is not None
        assert parsed[0].urls == ("http://example.com/cb",)

    def test_empty_carrier_is_absent(self) -> None:
        """An empty header does not conflict with a query carrier."""
        assert (
            parse(header_callback="", query_callback=cb(), header_vars="", query_vars=VARS)
            is not None
        )

    @given(callback_params())
    def test_round_trip(self, param: dict[str, Any]) -> None:
        """Generated valid callbacks parse back to their own values."""
        parsed = parse(header_callback=encode_param(param))
        assert parsed is not None
        spec = parsed[0]
        assert spec.body_template == param["callbackBody"]
        assert spec.body_type == param.get("callbackBodyType", FORM)
        assert spec.host == param.get("callbackHost")
        assert spec.sni == param.get("callbackSNI", False)
        assert spec.additional_headers == tuple(param.get("additionalHeaders", {}).items())
        assert len(spec.urls) == len(param["callbackUrl"].split(";"))


class TestCustomVars:
    """Custom variables from callback-var and PostObject x: fields (C13, C20)."""

    def test_header_vars(self) -> None:
        """Uppercase and non-ASCII names after x: are accepted (C13)."""
        values = {"x:var1": "v1", "x:VAR": "V", "x:键值1": "值", "x:": "e"}
        parsed = parse(header_callback=cb(), header_vars=b64(values))
        assert parsed is not None
        assert parsed[1] == values

    def test_form_fields(self) -> None:
        """x: fields are matched case-insensitively and written x:; others are ignored."""
        fields = [("key", "k"), ("X:Name", "n"), ("x:a", "1"), ("x:a", "2"), ("policy", "p")]
        parsed = parse(form_callback=cb(), form_x_fields=fields)
        assert parsed is not None
        assert parsed[1] == {"x:Name": "n", "x:a": "2"}

    def test_callback_var_field_wins(self) -> None:
        """Entries of a callback-var form field win over x: fields of the same name (C20)."""
        parsed = parse(
            form_callback=cb(),
            form_vars=b64({"x:a": "var", "x:b": "b"}),
            form_x_fields=[("x:a", "field"), ("x:c", "c")],
        )
        assert parsed is not None
        assert parsed[1] == {"x:a": "var", "x:b": "b", "x:c": "c"}

    def test_empty_object(self) -> None:
        """An empty callback-var object is fine."""
        parsed = parse(header_callback=cb(), query_vars=b64({}))
        assert parsed is not None
        assert parsed[1] == {}


class TestStrictHosts:
    """Strict mode refuses private, loopback and unresolvable hosts (C12)."""

    @pytest.mark.parametrize(
        "url",
        [
            "127.0.0.1:8088/test.php",
            "http://10.0.0.1/",
            "192.168.1.2",
            "172.16.0.1",
            "169.254.169.254",
            "0.0.0.0",
            "localhost:8080",
            "https://api.localhost/",
            "public.example.com;127.0.0.1",
        ],
    )
    def test_private_literals(self, url: str) -> None:
        """IP literals and localhost names are checked without a resolver: 0007-00000008."""
        value = cb(callbackUrl=url)
        assert parse(header_callback=value) is not None
        with pytest.raises(InvalidArgument) as info:
            parse(header_callback=value, strict_hosts=True)
        assert info.value.error_ec == "0007-00000008"
        assert info.value.error_message == "Private address is forbidden to callback."

    def test_public_literal(self) -> None:
        """A public IP literal passes."""
        assert parse(header_callback=cb(callbackUrl="8.8.8.8:9090"), strict_hosts=True)

    @pytest.mark.parametrize(
        ("addresses", "ec"),
        [
            ((), "0007-00000007"),
            (("10.1.2.3",), "0007-00000008"),
            (("93.184.216.34", "::1"), "0007-00000008"),
            (("93.184.216.34",), None),
        ],
    )
    def test_resolved(self, addresses: tuple[str, ...], ec: str | None) -> None:
        """Resolver results supplied by the caller decide for host names."""
        value = cb(callbackUrl="123.456;example.com")
        resolved = {"example.com": addresses, "123.456": ("93.184.216.35",)}
        if ec is None:
            assert parse(header_callback=value, strict_hosts=True, resolved=resolved)
            return
        with pytest.raises(InvalidArgument) as info:
            parse(header_callback=value, strict_hosts=True, resolved=resolved)
        assert info.value.error_ec == ec

    def test_unresolved_names_pass(self) -> None:
        """Names the caller did not resolve are not judged."""
        assert parse(header_callback=cb(callbackUrl="example.com"), strict_hosts=True, resolved={})

    def test_hosts_to_resolve(self) -> None:
        """Distinct non-literal host names, in URL order, from any carrier."""
        value = cb(callbackUrl="b.com;1.2.3.4;a.com:1;b.com/x")
        assert hosts_to_resolve(header_callback=value) == ("b.com", "a.com")
        assert hosts_to_resolve(form_callback=value, form_x_fields=()) == ("b.com", "a.com")
        assert hosts_to_resolve(query_callback="not base64!") == ()
        assert hosts_to_resolve() == ()

    def test_unresolvable_host_reported_before_later_steps(self) -> None:
        """Step 6 (the URL's host) comes before step 7 (the body): with the names resolved
        up front, a bad body does not hide an unresolvable host (§4.1 order)."""
        value = cb(callbackUrl="http://nowhere.test/", callbackBody="")
        names = hosts_to_resolve(header_callback=value)
        assert names == ("nowhere.test",)
        with pytest.raises(InvalidArgument) as info:
            parse(header_callback=value, strict_hosts=True, resolved={"nowhere.test": ()})
        assert info.value.error_ec == "0007-00000007"
        with pytest.raises(InvalidArgument) as lax:
            parse(header_callback=value)
        assert lax.value.error_ec == "0007-00000011"

    @pytest.mark.parametrize(
        ("address", "forbidden"),
        [
            ("127.0.0.1", True),
            ("10.0.0.1", True),
            ("172.31.255.255", True),
            ("192.168.0.1", True),
            ("169.254.1.1", True),
            ("0.0.0.0", True),
            ("::1", True),
            ("fe80::1", True),
            ("fd00::1", True),
            ("::ffff:127.0.0.1", True),
            ("::ffff:8.8.8.8", False),
            ("8.8.8.8", False),
            ("2001:4860::8888", False),
            ("example.com", False),
        ],
    )
    def test_is_forbidden_address(self, address: str, forbidden: bool) -> None:
        """Private, loopback, link-local and unspecified addresses are forbidden."""
        assert is_forbidden_address(address) is forbidden


class TestSplitUrl:
    """split_url reads one callbackUrl entry (callback.md §3.2)."""

    @pytest.mark.parametrize(
        ("text", "expected"),
        [
            ("a.com", CallbackUrl("http", "a.com", None, "", None)),
            ("HTTPS://A.com:443/p?q=1", CallbackUrl("https", "A.com", 443, "/p", "q=1")),
            ("a.com/p?", CallbackUrl("http", "a.com", None, "/p", "")),
            ("a.com?x=/y", CallbackUrl("http", "a.com", None, "", "x=/y")),
            ("a.com/r?u=http://b", CallbackUrl("http", "a.com", None, "/r", "u=http://b")),
            ("a.com/p#f?g", CallbackUrl("http", "a.com", None, "/p", None)),
            ("app_1:65535/%E4%B8%AD", CallbackUrl("http", "app_1", 65535, "/%E4%B8%AD", None)),
            ("例子.cn/回调", CallbackUrl("http", "例子.cn", None, "/回调", None)),
        ],
    )
    def test_valid(self, text: str, expected: CallbackUrl) -> None:
        """Scheme, host, port, path and raw query as written."""
        assert split_url(text) == expected

    @given(st.text(st.sampled_from("ab1:/?#.%@[] hHtTpPsS中_-"), max_size=24))
    def test_url_round_trip(self, text: str) -> None:
        """A URL split_url accepts splits back to itself from its absolute form."""
        try:
            target = split_url(text)
        except ValueError:
            return
        assert split_url(target.url) == target

    def test_url(self) -> None:
        """The absolute URL adds the scheme and drops the fragment."""
        assert split_url("a.com:81/p?q#f").url == "http://a.com:81/p?q"
        assert split_url("a.com").request_path == "/"


class TestTotality:
    """parse returns a value or raises OSSError for any carrier strings."""

    @given(
        header_callback=callback_carriers(),
        header_vars=callback_carriers(),
        query_vars=callback_carriers(),
        form_x_fields=st.lists(st.tuples(st.text(max_size=5), st.text(max_size=5)), max_size=3),
        strict_hosts=st.booleans(),
    )
    @example(
        header_callback=b64({**BASE, "callbackUrl": "a.com:" + "9" * 3000}),
        header_vars=None,
        query_vars=None,
        form_x_fields=[],
        strict_hosts=True,
    )
    def test_total(
        self,
        header_callback: str | None,
        header_vars: str | None,
        query_vars: str | None,
        form_x_fields: list[tuple[str, str]],
        strict_hosts: bool,
    ) -> None:
        """No KeyError, binascii.Error, UnicodeDecodeError or JSONDecodeError escapes."""
        try:
            result = parse(
                header_callback=header_callback,
                header_vars=header_vars,
                query_vars=query_vars,
                form_x_fields=form_x_fields,
                strict_hosts=strict_hosts,
            )
        except OSSError as err:
            assert isinstance(err, InvalidArgument)
            assert set(err.details) == {"ArgumentName", "ArgumentValue"}
        else:
            assert result is None or len(result[0].urls) in range(1, 6)
