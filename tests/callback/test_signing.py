"""Tests for emulator.callback.signing: string to sign, RSA-MD5, headers (callback.md §6)."""

from __future__ import annotations

import base64
import random
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from hypothesis import given
from hypothesis import strategies as st

from emulator.callback.model import JSON, CallbackSpec
from emulator.callback.signing import (
    authorization_header,
    build_request,
    callback_headers,
    content_md5,
    load_private_key,
    pub_key_url_header,
    sign,
    string_to_sign,
    verify,
)
from tests.conftest import C18_HEADERS, FIXTURES, load_vectors

VECTORS = load_vectors("callback-signatures.json")
OSS_PEM = VECTORS["public_key"]["pem"]
OSS_PUB_KEY_URL = "https://gosspublic.alicdn.com/callback_pub_key_v1.pem"


def _by_id(vectors: list[dict[str, Any]]) -> list[Any]:
    return [pytest.param(vector, id=vector["id"]) for vector in vectors]


def _url(vector: dict[str, Any]) -> str:
    query = "" if vector["query"] is None else "?" + vector["query"]
    return f"http://callback.example.com{vector['path']}{query}"


def _is_prime(n: int, rng: random.Random) -> bool:
    if n % 2 == 0:
        return n == 2
    d, s = n - 1, 0
    while d % 2 == 0:
        d, s = d // 2, s + 1
    for _ in range(24):
        x = pow(rng.randrange(2, n - 1), d, n)
        if x in (1, n - 1):
            continue
        for _ in range(s - 1):
            x = pow(x, 2, n)
            if x == n - 1:
                break
        else:
            return False
    return True


def _key_512() -> rsa.RSAPrivateKey:
    """A 512-bit key like OSS's, built from primes (the library refuses to generate one)."""
    rng = random.Random(512)

    def prime() -> int:
        while True:
            candidate = rng.getrandbits(256) | (3 << 254) | 1
            if (candidate - 1) % 65537 and _is_prime(candidate, rng):
                return candidate

    p, q = prime(), prime()
    d = pow(65537, -1, (p - 1) * (q - 1))
    numbers = rsa.RSAPrivateNumbers(
        p,
        q,
        d,
        rsa.rsa_crt_dmp1(d, p),
        rsa.rsa_crt_dmq1(d, q),
        rsa.rsa_crt_iqmp(p, q),
        rsa.RSAPublicNumbers(65537, p * q),
    )
    return numbers.private_key()


KEY = rsa.generate_private_key(public_exponent=65537, key_size=1024)
KEY_512 = _key_512()


def _public_pem(key: rsa.RSAPrivateKey) -> bytes:
    return key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


class TestVectors:
    """The real OSS signatures of callback-signatures.json."""

    @pytest.mark.parametrize("vector", _by_id(VECTORS["valid"]))
    def test_string_to_sign(self, vector: dict[str, Any]) -> None:
        """string_to_sign of the vector's URL and body is the vector's string to sign."""
        expected = vector["string_to_sign"].encode()
        assert string_to_sign(_url(vector), vector["body"].encode()) == expected

    @pytest.mark.parametrize("vector", _by_id(VECTORS["valid"]))
    def test_real_signature_verifies(self, vector: dict[str, Any]) -> None:
        """The real Authorization verifies over our string to sign with OSS's public key."""
        data = string_to_sign(_url(vector), vector["body"].encode())
        assert verify(OSS_PEM, vector["authorization"], data)
        assert verify(OSS_PEM.encode(), base64.b64decode(vector["authorization"]), data)

    @pytest.mark.parametrize("vector", _by_id(VECTORS["valid"]))
    def test_headers_of_vector(self, vector: dict[str, Any]) -> None:
        """Content-MD5, Content-Length and x-oss-pub-key-url match the real request."""
        body = vector["body"].encode()
        assert content_md5(body) == vector["content_md5"]
        assert len(body) == vector["content_length"]
        url = base64.b64decode(vector["x_oss_pub_key_url"]).decode()
        assert pub_key_url_header(url) == vector["x_oss_pub_key_url"]

    @pytest.mark.parametrize("vector", _by_id(VECTORS["invalid"]))
    def test_invalid_variants_fail(self, vector: dict[str, Any]) -> None:
        """Each known-invalid variant does not verify."""
        assert not verify(OSS_PEM, vector["authorization"], vector["string_to_sign"].encode())

    @pytest.mark.parametrize("kind", ["https", "http"])
    def test_pub_key_urls(self, kind: str) -> None:
        """Both documented x-oss-pub-key-url values (C17)."""
        entry = VECTORS["public_key"]["urls"][kind]
        assert pub_key_url_header(entry["url"]) == entry["x_oss_pub_key_url"]


class TestStringToSign:
    """string_to_sign follows C19."""

    @pytest.mark.parametrize(
        ("url", "expected"),
        [
            ("a.com/cb", b"/cb\nB"),
            ("a.com", b"/\nB"),
            ("a.com?", b"/?\nB"),
            ("https://a.com:8443/cb?", b"/cb?\nB"),
            ("a.com/a%20b+c%2Fd", b"/a b+c/d\nB"),
            ("a.com/%E4%B8%AD?q=%E4%B8%AD+x", "/中?q=%E4%B8%AD+x\nB".encode()),
            ("a.com/中", "/中\nB".encode()),
            ("a.com/%ff%zz", b"/\xff%zz\nB"),
            ("a.com/p?a=1&b=/c#frag", b"/p?a=1&b=/c\nB"),
        ],
    )
    def test_cases(self, url: str, expected: bytes) -> None:
        """Decoded path, raw query after any '?', one LF, the body; '+' stays '+'."""
        assert string_to_sign(url, b"B") == expected

    def test_invalid_url(self) -> None:
        """A URL parse would have refused is a ValueError."""
        with pytest.raises(ValueError):
            string_to_sign("ftp://a.com/", b"")


class TestSignVerify:
    """RSA PKCS#1 v1.5 with MD5 (C16)."""

    @pytest.mark.parametrize("key", [KEY, KEY_512], ids=["1024", "512"])
    def test_deterministic_and_verifiable(self, key: rsa.RSAPrivateKey) -> None:
        """Signing twice gives the same bytes, which verify with the public PEM."""
        data = b"/cb\nbody"
        signature = sign(key, data)
        assert signature == sign(key, data)
        assert len(signature) == key.key_size // 8
        assert verify(_public_pem(key), authorization_header(signature), data)

    @pytest.mark.skipif(not (FIXTURES / "keys").is_dir(), reason="no fixtures/keys")
    def test_fixture_key_pair(self) -> None:
        """The documented test key pair of fixtures/keys signs and verifies (C16)."""
        private = (FIXTURES / "keys" / "callback-test-private.pem").read_bytes()
        public = (FIXTURES / "keys" / "callback-test-public.pem").read_bytes()
        data = string_to_sign("a.com/cb?x", b"body")
        assert verify(public, authorization_header(sign(private, data)), data)

    def test_512_signature_is_88_characters(self) -> None:
        """A 512-bit key gives 64-byte signatures, 88 Base64 characters, as OSS's."""
        assert len(authorization_header(sign(KEY_512, b"x"))) == 88

    def test_pem_key(self) -> None:
        """sign accepts the PEM text of a key."""
        pem = KEY.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.TraditionalOpenSSL,
            serialization.NoEncryption(),
        )
        assert sign(pem, b"x") == sign(KEY, b"x") == sign(pem.decode(), b"x")
        assert load_private_key(pem).private_numbers() == KEY.private_numbers()

    def test_not_rsa(self) -> None:
        """A non-RSA or malformed key is a ValueError."""
        from cryptography.hazmat.primitives.asymmetric import ec

        pem = ec.generate_private_key(ec.SECP256R1()).private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        with pytest.raises(ValueError):
            load_private_key(pem)
        with pytest.raises(ValueError):
            load_private_key(b"not a key")

    @pytest.mark.parametrize("signature", ["!!!", "", "YQ==", "é"])
    def test_garbage_signature(self, signature: str) -> None:
        """Bad Base64 or a wrong-length signature does not verify."""
        assert not verify(OSS_PEM, signature, b"x")

    def test_wrong_key(self) -> None:
        """A signature by one key does not verify with another."""
        assert not verify(_public_pem(KEY_512), sign(KEY, b"x"), b"x")

    @given(data=st.binary(max_size=200), position=st.integers(min_value=0))
    def test_single_byte_mutation(self, data: bytes, position: int) -> None:
        """Sign/verify agree, and changing any one byte of the data breaks the signature."""
        signature = sign(KEY_512, data)
        pem = _public_pem(KEY_512)
        assert verify(pem, signature, data)
        mutated = bytearray(data + b"\x00")
        index = position % len(mutated)
        mutated[index] ^= 0x01
        assert not verify(pem, signature, bytes(mutated))


class TestHeaders:
    """callback_headers and build_request produce the C18 request."""

    def test_vector_a_headers(self) -> None:
        """The real 2019 capture's headers, except the signature, come out as captured."""
        vector = next(v for v in VECTORS["valid"] if v["id"] == "A")
        captured = vector["headers"]
        headers = callback_headers(
            authorization="SIG",
            body=vector["body"].encode(),
            body_type=captured["content-type"],
            date=captured["date"],
            host="example.com",
            bucket=captured["x-oss-bucket"],
            pub_key_url=OSS_PUB_KEY_URL,
            request_id=captured["x-oss-request-id"],
            requester=captured["x-oss-requester"],
            owner=captured["x-oss-owner"],
        )
        assert tuple(name for name, _ in headers) == C18_HEADERS
        lowered = {name.lower(): value for name, value in headers}
        assert lowered.pop("authorization") == "SIG"
        assert lowered.pop("host") == "example.com"
        assert lowered.pop("x-oss-pub-key-url") == vector["x_oss_pub_key_url"]
        assert lowered == captured

    def test_additional_headers(self) -> None:
        """Names listed in order joined by ',', entries before Connection (C15)."""
        headers = callback_headers(
            authorization="S",
            body=b"",
            body_type=JSON,
            date="D",
            host="h",
            bucket="b",
            pub_key_url="u",
            request_id="r",
            requester="1",
            owner="2",
            additional_headers=[("key2", "val2"), ("key1", " v 1\t")],
        )
        assert headers[-4:] == [
            ("x-oss-additional-headers", "key2,key1"),
            ("key2", "val2"),
            ("key1", "v 1"),
            ("Connection", "close"),
        ]

    @pytest.mark.parametrize(
        ("url", "host", "sni", "expected_host", "expected_sni"),
        [
            ("example.com:8080/cb?x=1", None, True, "example.com", None),
            ("https://example.com:8443/cb", None, True, "example.com", "example.com"),
            ("https://example.com/cb", None, False, "example.com", None),
            ("https://10.0.0.1/cb", "cb.example.com", True, "cb.example.com", "10.0.0.1"),
        ],
    )
    def test_build_request(
        self, url: str, host: str | None, sni: bool, expected_host: str, expected_sni: str | None
    ) -> None:
        """Host is callbackHost or the URL's host without port (C6); SNI only if asked (C7)."""
        spec = CallbackSpec(
            urls=(url,),
            body_template="t",
            body_type=JSON,
            host=host,
            sni=sni,
            additional_headers=(("a", "b"),),
        )
        body = b'{"k":"v"}'
        request = build_request(
            spec,
            url,
            body,
            private_key=KEY,
            date="Tue, 07 May 2024 03:06:13 GMT",
            bucket="bkt",
            pub_key_url="http://127.0.0.1:1/callback_pub_key_v1.pem",
            request_id="5C3D9175B6FC201293AD4F1B",
            requester="100",
            owner="200",
        )
        assert request.method == "POST"
        assert request.url.startswith(("http://", "https://"))
        assert request.body == body
        assert request.header("host") == expected_host
        assert request.sni_hostname == expected_sni
        assert request.header("Content-Type") == JSON
        assert request.header("Content-Length") == "9"
        assert request.header("x-oss-additional-headers") == "a"
        assert request.header("a") == "b"
        assert request.header("missing") is None
        assert request.string_to_sign == string_to_sign(url, body)
        assert verify(
            _public_pem(KEY), request.header("Authorization") or "", request.string_to_sign
        )
        assert request.encoded_headers()[0] == (b"Authorization", request.headers[0][1].encode())
