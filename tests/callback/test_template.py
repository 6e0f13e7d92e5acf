"""Tests for emulator.callback.template: tokenising and expansion (callback.md §5, C1-C4)."""

from __future__ import annotations

import base64
import hashlib
import json
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from emulator.callback.model import FORM, JSON
from emulator.callback.parse import parse
from emulator.callback.template import (
    EC_SYNTAX,
    MSG_LEFT_BRACE,
    MSG_RIGHT_BRACE,
    SYSTEM_VARIABLES,
    Text,
    Var,
    expand,
    form_escape,
    json_escape,
    references,
    system_variables,
    tokenize,
)
from emulator.errors import InvalidArgument
from emulator.strategies import (
    FormTemplate,
    JsonTemplate,
    any_templates,
    form_cases,
    json_cases,
    variable_values,
    well_formed_templates,
)
from tests.conftest import load_vectors

VECTORS = load_vectors("callback-bodies.json")["vectors"]


@dataclass(frozen=True)
class ImageInfo:
    """Image facts as emulator.imaging reports them (C23)."""

    width: int
    height: int
    format: str


BODY_TYPES = [FORM, JSON]
_UNRESERVED = set(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.~")


def _by_id(vectors: list[dict[str, Any]]) -> list[Any]:
    return [pytest.param(vector, id=vector["id"]) for vector in vectors]


def _form_oracle(value: str) -> str:
    """C2 written out byte by byte, independent of urllib."""
    return "".join(chr(b) if b in _UNRESERVED else f"%{b:02X}" for b in value.encode())


class TestVectors:
    """Every case of callback-bodies.json is reproduced byte for byte."""

    @pytest.mark.parametrize("vector", _by_id([v for v in VECTORS if "expected_body" in v]))
    def test_expands_to_expected_body(self, vector: dict[str, Any]) -> None:
        """The expansion equals expected_body, its length and its Content-MD5."""
        body = expand(vector["template"], vector["body_type"], vector["variables"])
        assert body == vector["expected_body"].encode("utf-8")
        if "expected_length" in vector:
            assert len(body) == vector["expected_length"]
        if "expected_content_md5" in vector:
            md5 = base64.b64encode(hashlib.md5(body).digest()).decode()
            assert md5 == vector["expected_content_md5"]

    @pytest.mark.parametrize("vector", _by_id([v for v in VECTORS if "expected_error" in v]))
    def test_refuses_malformed_template(self, vector: dict[str, Any]) -> None:
        """Malformed templates are 400 InvalidArgument with the vector's EC and message."""
        expected = vector["expected_error"]
        with pytest.raises(InvalidArgument) as info:
            expand(vector["template"], vector["body_type"], vector["variables"])
        err = info.value
        assert (err.status, err.code) == (expected["status"], expected["code"])
        assert (err.error_ec, err.error_message) == (expected["ec"], expected["message"])
        assert err.details == {
            "ArgumentName": "ReplaceKeyPrefix",
            "ArgumentValue": vector["template"],
        }

    @pytest.mark.parametrize("vector", _by_id([v for v in VECTORS if "callback_json" in v]))
    def test_documented_header_values_end_to_end(self, vector: dict[str, Any]) -> None:
        """The documented header values parse and expand to the documented body."""

        def encode(text: str) -> str:
            return base64.b64encode(text.encode()).decode()

        parsed = parse(
            header_callback=encode(vector["callback_json"]),
            header_vars=encode(vector["callback_var_json"]),
        )
        assert parsed is not None
        spec, custom = parsed
        assert spec.body_template == vector["template"]
        assert spec.body_type == vector["body_type"]
        system = {k: v for k, v in vector["variables"].items() if not k.startswith("x:")}
        body = expand(spec.body_template, spec.body_type, system | custom)
        assert body == vector["expected_body"].encode()


class TestTokenize:
    """tokenize splits text and ${name} references (§5.2)."""

    @pytest.mark.parametrize(
        ("template", "tokens"),
        [
            ("", ()),
            ("abc", (Text("abc"),)),
            ("${a}", (Var("a"),)),
            ("a=${b}&c=${x:d}", (Text("a="), Var("b"), Text("&c="), Var("x:d"))),
            ("${a}${b}", (Var("a"), Var("b"))),
            ("${}", (Var(""),)),
            ("${a$b}", (Var("a$b"),)),
            ("${a{b}}", (Var("a{b"), Text("}"))),
            ("}{", (Text("}{"),)),
            ("%24%7Bbucket%7D", (Text("%24%7Bbucket%7D"),)),
        ],
    )
    def test_tokens(self, template: str, tokens: tuple[Any, ...]) -> None:
        """Names run to the first }, without nesting; everything else is literal."""
        assert tokenize(template) == tokens

    @pytest.mark.parametrize(
        ("template", "message"),
        [
            ("$", MSG_LEFT_BRACE),
            ("a$", MSG_LEFT_BRACE),
            ("$a", MSG_LEFT_BRACE),
            ("$$", MSG_LEFT_BRACE),
            ("$ {a}", MSG_LEFT_BRACE),
            ("${a}$(b)", MSG_LEFT_BRACE),
            ("${", MSG_RIGHT_BRACE),
            ("x=${abc", MSG_RIGHT_BRACE),
            ("${a}${b", MSG_RIGHT_BRACE),
            ("${a $", MSG_RIGHT_BRACE),
            ("$x ${y", MSG_LEFT_BRACE),
            ("${y $x", MSG_RIGHT_BRACE),
        ],
    )
    def test_syntax_errors(self, template: str, message: str) -> None:
        """The first problem from the left is reported with EC 0007-00000105 (C4)."""
        with pytest.raises(InvalidArgument) as info:
            tokenize(template)
        assert info.value.error_message == message
        assert info.value.error_ec == EC_SYNTAX
        assert info.value.details == {"ArgumentName": "ReplaceKeyPrefix", "ArgumentValue": template}

    @given(well_formed_templates())
    def test_round_trip(self, template: str) -> None:
        """Writing the tokens back gives the template."""
        text = "".join(
            t.text if isinstance(t, Text) else f"${{{t.name}}}" for t in tokenize(template)
        )
        assert text == template


class TestReferences:
    """references lists the names a template uses."""

    def test_names(self) -> None:
        """Known, unknown and custom names, once each."""
        template = "a=${imageInfo.width}&b=${x:v}&c=${foo}&d=${x:v}"
        assert references(template) == {"imageInfo.width", "x:v", "foo"}

    def test_none(self) -> None:
        """A template without variables references nothing."""
        assert references("plain") == set()

    def test_malformed(self) -> None:
        """A malformed template raises the C4 error."""
        with pytest.raises(InvalidArgument):
            references("${a")


class TestEscaping:
    """json_escape and form_escape follow C1 and C2 exactly."""

    @given(variable_values())
    def test_json_escape_is_json_dumps(self, value: str) -> None:
        """json_escape equals json.dumps(ensure_ascii=False) without its quotes."""
        assert json_escape(value) == json.dumps(value, ensure_ascii=False)[1:-1]

    @pytest.mark.parametrize(
        ("value", "escaped"),
        [
            ('"', '\\"'),
            ("\\", "\\\\"),
            ("/", "/"),
            ("\x08\x0c\n\r\t", "\\b\\f\\n\\r\\t"),
            ("\x00\x1f", "\\u0000\\u001f"),
            ("\x7f", "\x7f"),
            ("中", "中"),
            ("\u2028", "\u2028"),
        ],
    )
    def test_json_escape_cases(self, value: str, escaped: str) -> None:
        """Quotes, backslashes and controls are escaped; '/', DEL and non-ASCII are kept."""
        assert json_escape(value) == escaped

    @given(variable_values())
    def test_form_escape_matches_oracle(self, value: str) -> None:
        """Only A-Z a-z 0-9 - _ . ~ survive; other UTF-8 bytes are %XX in upper case."""
        assert form_escape(value) == _form_oracle(value)

    @pytest.mark.parametrize(
        ("value", "encoded"),
        [(" ", "%20"), ("/", "%2F"), ("+", "%2B"), ("~", "~"), ("é", "%C3%A9"), ("*", "%2A")],
    )
    def test_form_escape_cases(self, value: str, encoded: str) -> None:
        """Space is %20, '/' is %2F, '+' is %2B, '~' is kept."""
        assert form_escape(value) == encoded


class TestExpandJson:
    """application/json expansion is context-aware (C1)."""

    @pytest.mark.parametrize(
        ("template", "variables", "expected"),
        [
            ('{"s":${size}}', {"size": 5}, '{"s":5}'),
            ('{"s":${size}}', {"size": None}, '{"s":null}'),
            ('{"s":"${size}"}', {"size": ""}, '{"s":""}'),
            ('{"n":${x:size}}', {"x:size": "5"}, '{"n":"5"}'),
            ('{"c":${crc64}}', {"crc64": 2**64 - 1}, '{"c":18446744073709551615}'),
            ('{"k\\\\":${object}}', {"object": "a"}, '{"k\\\\":"a"}'),
            ('"\\${object}', {"object": "a"}, '"\\a'),
            ('{"${x:k}":1}', {"x:k": 'q"'}, '{"q\\"":1}'),
            ("[${object},${vpcId}]", {"object": "k"}, '["k",null]'),
            ('{"a":${object}', {"object": "k"}, '{"a":"k"'),
        ],
    )
    def test_cases(self, template: str, variables: dict[str, Any], expected: str) -> None:
        """Bare numbers, null for empty, quoting outside literals, escape state kept."""
        assert expand(template, JSON, variables) == expected.encode()

    def test_values_never_change_string_state(self) -> None:
        """A value holding a quote does not end the template's string literal."""
        body = expand('{"a":"${x:q}","b":${x:q}}', JSON, {"x:q": '"'})
        assert json.loads(body) == {"a": '"', "b": '"'}

    @given(json_cases())
    def test_valid_json_stays_valid(self, case: tuple[JsonTemplate, dict[str, str]]) -> None:
        """Property (b): a valid JSON template decodes to the substituted values."""
        template, variables = case
        body = expand(template.template, JSON, variables)
        assert json.loads(body) == template.expected(variables)


class TestExpandForm:
    """application/x-www-form-urlencoded expansion encodes values only (C2)."""

    @given(form_cases())
    @example((FormTemplate("a=${x:a}", (("a", "", "x:a"),)), {"x:a": "+ %2B&=;"}))
    def test_parse_qs_recovers_values(self, case: tuple[FormTemplate, dict[str, str]]) -> None:
        """Property (a): parse_qs(keep_blank_values=True) recovers every value exactly."""
        template, variables = case
        body = expand(template.template, FORM, variables)
        parsed = parse_qs(body.decode("ascii"), keep_blank_values=True, strict_parsing=True)
        assert parsed == template.expected(variables)

    @given(well_formed_templates(), st.data())
    def test_matches_oracle(self, template: str, data: st.DataObject) -> None:
        """The body is the literals unchanged plus each value percent-encoded."""
        tokens = tokenize(template)
        values = {t.name: data.draw(variable_values()) for t in tokens if isinstance(t, Var)}
        expected = "".join(
            t.text if isinstance(t, Text) else _form_oracle(values[t.name]) for t in tokens
        )
        assert expand(template, FORM, values) == expected.encode()


class TestProperties:
    """Properties that hold for both body types."""

    @pytest.mark.parametrize("body_type", BODY_TYPES)
    @given(template=well_formed_templates(), data=st.data())
    def test_constants_unchanged(self, body_type: str, template: str, data: st.DataObject) -> None:
        """Property (c): the literal text appears unchanged and in order around the values."""
        tokens = tokenize(template)
        values = {t.name: data.draw(variable_values()) for t in tokens if isinstance(t, Var)}
        body = expand(template, body_type, values).decode("utf-8")
        pattern = "".join(re.escape(t.text) if isinstance(t, Text) else "(.*?)" for t in tokens)
        assert re.fullmatch(pattern, body, re.DOTALL) is not None

    @pytest.mark.parametrize("body_type", BODY_TYPES)
    @given(template=well_formed_templates(), data=st.data())
    def test_no_template_token_survives(
        self, body_type: str, template: str, data: st.DataObject
    ) -> None:
        """Property (d): every '$' of the output comes from a value, none from the template.

        Form values are percent-encoded, so a form body holds no '$' at all; JSON keeps a
        value's '$', so the body holds exactly as many as the inserted values.
        """
        tokens = tokenize(template)
        values = {t.name: data.draw(variable_values()) for t in tokens if isinstance(t, Var)}
        body = expand(template, body_type, values)
        if body_type == FORM:
            assert b"$" not in body
        else:
            inserted = sum(values[t.name].count("$") for t in tokens if isinstance(t, Var))
            assert body.count(b"$") == inserted
        clean = {name: value.replace("$", "") for name, value in values.items()}
        assert b"${" not in expand(template, body_type, clean)

    @pytest.mark.parametrize("body_type", BODY_TYPES)
    @given(template=any_templates(), variables=st.dictionaries(st.text(), variable_values()))
    @example(template="${", variables={})
    @example(template="$", variables={})
    def test_total(self, body_type: str, template: str, variables: dict[str, str]) -> None:
        """Property (e): any template expands or raises the documented C4 error only."""
        try:
            body = expand(template, body_type, variables)
        except InvalidArgument as err:
            assert err.error_ec == EC_SYNTAX
            assert err.error_message in (MSG_LEFT_BRACE, MSG_RIGHT_BRACE)
            assert "$" in template
        else:
            assert isinstance(body, bytes)

    def test_unknown_and_undefined_are_empty(self) -> None:
        """Unknown system names (case-sensitive) and undefined x: names are empty (C3)."""
        variables = {"bucket": "b", "x:set": "v"}
        assert expand("${Bucket}|${x:unset}|${bucket}", FORM, variables) == b"||b"

    def test_unsupported_body_type(self) -> None:
        """A body type parse would have refused is a programming error."""
        with pytest.raises(ValueError, match="unsupported"):
            expand("a", "text/plain", {})


class TestSystemVariables:
    """system_variables formats values as callback.md §5.1 says."""

    def test_put_object(self) -> None:
        """The documented CB21 upload, every name present."""
        values = system_variables(
            bucket="callback-test",
            key="test.txt",
            etag='"d8e8fca2dc0f896fd7cb4cb0031ba249"',
            size=5,
            mime_type="text/plain",
            crc64=5981764153023615706,
            request_id="5C3D9175B6FC201293AD4F1B",
            operation="PutObject",
            content_md5="2Oj8otwPiW/Xy0ywAxuiSQ==",
            client_ip="127.0.0.1",
        )
        assert set(values) == set(SYSTEM_VARIABLES)
        assert values["etag"] == "D8E8FCA2DC0F896FD7CB4CB0031BA249"
        assert values["size"] == "5"
        assert values["crc64"] == "5981764153023615706"
        assert values["contentMd5"] == "2Oj8otwPiW/Xy0ywAxuiSQ=="
        assert values["imageInfo.width"] == values["imageInfo.height"] == ""
        assert values["imageInfo.format"] == values["vpcId"] == ""
        assert values["reqId"] == "5C3D9175B6FC201293AD4F1B"

    def test_multipart_and_image(self) -> None:
        """Multipart ETags keep their -N; Complete has no contentMd5 (C21); image facts."""
        values = system_variables(
            bucket="b",
            key="k.jpg",
            etag='"0123456789abcdef0123456789abcdef-3"',
            size=123,
            mime_type="image/jpeg",
            crc64="42",
            request_id="R",
            operation="CompleteMultipartUpload",
            image=ImageInfo(width=810, height=539, format="jpg"),
        )
        assert values["etag"] == "0123456789ABCDEF0123456789ABCDEF-3"
        assert values["contentMd5"] == ""
        assert (values["imageInfo.width"], values["imageInfo.height"]) == ("810", "539")
        assert values["imageInfo.format"] == "jpg"
        assert values["operation"] == "CompleteMultipartUpload"

    def test_vector_b_body(self) -> None:
        """System values plus custom ones reproduce the signed Cloudreve body (vector B)."""
        vector = next(v for v in VECTORS if v["id"] == "B-json-cloudreve")
        values = system_variables(
            bucket="b",
            key=vector["variables"]["object"],
            etag="E",
            size=114020,
            mime_type="image/jpeg",
            crc64=0,
            request_id="R",
            operation="PutObject",
            image=ImageInfo(810, 539, "jpg"),
        )
        custom = {"x:fname": vector["variables"]["x:fname"]}
        body = expand(vector["template"], JSON, values | custom)
        assert body == vector["expected_body"].encode()
