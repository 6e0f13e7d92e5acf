"""auth.keyring: stateless temporary credentials, and verify() accepting them (S1, R7, G6)."""

from __future__ import annotations

import base64
import re
import time
from urllib.parse import urlsplit

import oss2  # type: ignore[import-untyped]
import pytest
from hypothesis import given
from hypothesis import strategies as st

from emulator.auth.keyring import PREFIX, RANDOM_SIZE, Keyring, TemporaryCredentials
from emulator.auth.model import Credentials, Reading, SignedRequest
from emulator.auth.verify import INVALID_TOKEN, verify
from emulator.errors import InvalidAccessKeyId, SecurityTokenExpired, SignatureDoesNotMatch

AK, SK = "LTAI-permanent", "permanent/secret+key="
NOW = 1795644000.0  # 2026-11-25T22:00:00Z
RANDOM = bytes(range(RANDOM_SIZE))
KEYRING = Keyring(Credentials(AK, SK))


def _issue(now: float = NOW, duration: int = 3600, random: bytes = RANDOM) -> TemporaryCredentials:
    return KEYRING.issue(now, duration, random)


class TestIssue:
    """issue() derives an id, secret, token and expiry from time, duration and randomness."""

    def test_shape(self) -> None:
        """The id is STS. + 32 base32 characters; the token starts CAIS; expiry = now + duration."""
        issued = _issue()
        assert re.fullmatch(r"STS\.[A-Z2-7]{32}", issued.access_key_id)
        assert re.fullmatch(r"[A-Z2-7]{52}", issued.access_key_secret)
        assert issued.security_token.startswith("CAIS")
        base64.b64decode(issued.security_token[4:], validate=True)
        assert issued.expiration == int(NOW) + 3600

    def test_deterministic(self) -> None:
        """The same inputs give the same credentials: nothing is stored."""
        assert _issue() == Keyring(Credentials(AK, SK)).issue(NOW, 3600, RANDOM)

    def test_randomness_gives_distinct_pairs(self) -> None:
        """Different random bytes give different ids, secrets and tokens."""
        one, two = _issue(), _issue(random=b"\xff" * RANDOM_SIZE)
        assert one.access_key_id != two.access_key_id
        assert one.access_key_secret != two.access_key_secret
        assert one.security_token != two.security_token

    def test_depends_on_the_permanent_secret(self) -> None:
        """Another configured secret issues other credentials from the same inputs."""
        other = Keyring(Credentials(AK, SK + "x")).issue(NOW, 3600, RANDOM)
        assert other.access_key_id != _issue().access_key_id

    def test_wrong_random_size_refused(self) -> None:
        """random_bytes must be exactly RANDOM_SIZE bytes."""
        with pytest.raises(ValueError, match="random_bytes"):
            KEYRING.issue(NOW, 3600, b"short")

    def test_credentials_property(self) -> None:
        """The issued pair as a Credentials with its token."""
        issued = _issue()
        assert issued.credentials == Credentials(
            issued.access_key_id, issued.access_key_secret, issued.security_token
        )


class TestFind:
    """find(): the configured pair, unexpired issued pairs, None for anything else."""

    def test_permanent_pair(self) -> None:
        """The configured id finds the configured pair."""
        assert KEYRING.find(AK, NOW) == Credentials(AK, SK)

    def test_configured_token_kept(self) -> None:
        """A configured security token makes the configured pair temporary (R7)."""
        keyring = Keyring(Credentials(AK, SK, "configured-token"))
        assert keyring.find(AK, NOW) == Credentials(AK, SK, "configured-token")

    def test_round_trip(self) -> None:
        """An issued id finds its own secret and token until it expires."""
        issued = _issue()
        assert KEYRING.find(issued.access_key_id, NOW) == issued.credentials
        assert KEYRING.find(issued.access_key_id, NOW + 3599.9) == issued.credentials

    def test_survives_a_new_keyring(self) -> None:
        """A restarted emulator (a new Keyring with the same pair) still knows the id."""
        issued = _issue()
        assert Keyring(Credentials(AK, SK)).find(issued.access_key_id, NOW) == issued.credentials

    @pytest.mark.parametrize("later", [3600, 3600.5, 10**6])
    def test_expired(self, later: float) -> None:
        """From its expiry on, an issued id raises SecurityTokenExpired (403, EC 0002-00000007)."""
        issued = _issue()
        with pytest.raises(SecurityTokenExpired) as caught:
            KEYRING.find(issued.access_key_id, NOW + later)
        assert caught.value.status == 403
        assert caught.value.error_ec == "0002-00000007"
        assert caught.value.error_message == "The security token you provided has expired."

    def test_tampered_id_unknown(self) -> None:
        """Changing any character of an issued id makes it unknown."""
        issued = _issue()
        body = issued.access_key_id[len(PREFIX) :]
        for index in range(len(body)):
            replacement = "A" if body[index] != "A" else "B"
            tampered = PREFIX + body[:index] + replacement + body[index + 1 :]
            assert KEYRING.find(tampered, NOW) is None, index

    def test_other_secret_unknown(self) -> None:
        """An id issued under another configured secret is unknown here."""
        other = Keyring(Credentials(AK, "another secret")).issue(NOW, 3600, RANDOM)
        assert KEYRING.find(other.access_key_id, NOW) is None

    @pytest.mark.parametrize(
        "access_key_id",
        ["", "STS.", "STS.abc", "sts." + "A" * 32, "STS." + "A" * 32, "STS." + "1" * 32, AK + " "],
    )
    def test_unknown_ids(self, access_key_id: str) -> None:
        """Foreign, truncated, lower-case and wrong-alphabet ids are unknown."""
        assert KEYRING.find(access_key_id, NOW) is None

    @given(st.text())
    def test_total(self, access_key_id: str) -> None:
        """Any string is unknown or the configured id; find never raises on it."""
        found = KEYRING.find(access_key_id, NOW)
        assert found is None or found == Credentials(AK, SK)

    @given(st.binary(min_size=RANDOM_SIZE, max_size=RANDOM_SIZE), st.integers(900, 43200))
    def test_issue_find_agree(self, random: bytes, duration: int) -> None:
        """Whatever the randomness and duration, find returns what issue gave."""
        issued = KEYRING.issue(NOW, duration, random)
        assert KEYRING.expiration_of(issued.access_key_id) == int(NOW) + duration
        assert KEYRING.find(issued.access_key_id, NOW) == issued.credentials


def _presigned(auth: object) -> SignedRequest:
    """A GET presigned by oss2 (no network), as the server would receive it."""
    bucket = oss2.Bucket(auth, "http://127.0.0.1:9000", "my-bucket", region="cn-hangzhou")
    url = urlsplit(bucket.sign_url("GET", "dir/key.txt", 3600))
    return SignedRequest.build("GET", url.path, url.query, [("Host", url.netloc)])


READINGS = [Reading("my-bucket", "dir/key.txt")]


class TestVerifyWithKeyring:
    """verify() finds pairs in the keyring: issued pairs with their token, nothing else."""

    def test_issued_pair_presigned(self) -> None:
        """A URL presigned by oss2.StsAuth with issued credentials verifies."""
        issued = _issue(now=time.time())
        auth = oss2.StsAuth(issued.access_key_id, issued.access_key_secret, issued.security_token)
        verified = verify(_presigned(auth), READINGS, KEYRING, time.time())
        assert verified.access_key_id == issued.access_key_id

    def test_issued_pair_v4_presigned(self) -> None:
        """A V4 URL presigned by oss2.StsAuth with issued credentials verifies."""
        issued = _issue(now=time.time())
        auth = oss2.StsAuth(
            issued.access_key_id,
            issued.access_key_secret,
            issued.security_token,
            auth_version="v4",
        )
        assert verify(_presigned(auth), READINGS, KEYRING, time.time()).scheme == "v4-query"

    def test_wrong_token(self) -> None:
        """The issued id with another token is InvalidAccessKeyId with the G6 message."""
        issued = _issue(now=time.time())
        auth = oss2.StsAuth(issued.access_key_id, issued.access_key_secret, "CAISother")
        with pytest.raises(InvalidAccessKeyId) as caught:
            verify(_presigned(auth), READINGS, KEYRING, time.time())
        assert caught.value.error_message == INVALID_TOKEN

    def test_missing_token(self) -> None:
        """The issued id signed without any token is refused like a wrong token."""
        issued = _issue(now=time.time())
        auth = oss2.Auth(issued.access_key_id, issued.access_key_secret)
        with pytest.raises(InvalidAccessKeyId):
            verify(_presigned(auth), READINGS, KEYRING, time.time())

    def test_wrong_secret(self) -> None:
        """The issued id and token with another secret do not match the signature."""
        issued = _issue(now=time.time())
        auth = oss2.StsAuth(issued.access_key_id, "guessed", issued.security_token)
        with pytest.raises(SignatureDoesNotMatch):
            verify(_presigned(auth), READINGS, KEYRING, time.time())

    def test_expired(self) -> None:
        """Credentials issued two hours ago for 15 minutes are SecurityTokenExpired."""
        issued = _issue(now=time.time() - 7200, duration=900)
        auth = oss2.StsAuth(issued.access_key_id, issued.access_key_secret, issued.security_token)
        with pytest.raises(SecurityTokenExpired):
            verify(_presigned(auth), READINGS, KEYRING, time.time())

    def test_forged_id(self) -> None:
        """An STS-looking id the keyring never issued is InvalidAccessKeyId."""
        auth = oss2.StsAuth("STS." + "A" * 32, "secret", "CAIStoken")
        with pytest.raises(InvalidAccessKeyId) as caught:
            verify(_presigned(auth), READINGS, KEYRING, time.time())
        assert caught.value.details["OSSAccessKeyId"] == "STS." + "A" * 32
