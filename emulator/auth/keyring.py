"""The configured key pair plus the temporary pairs the local STS issues (decisions.md R7, S1).

Temporary credentials are stateless, so they survive restarts and need no storage: the
AccessKeyId carries its own expiry and an integrity tag, and the AccessKeySecret and
SecurityToken are derived from it with HMAC-SHA256 under the configured (permanent)
AccessKeySecret::

    AccessKeyId     = "STS." + base32(expiry (5 bytes, epoch seconds) + random (7) + tag (8))
    tag             = HMAC-SHA256(secret, ID_LABEL + expiry + random)[:8]
    AccessKeySecret = base32(HMAC-SHA256(secret, SECRET_LABEL + AccessKeyId))  (no padding)
    SecurityToken   = "CAIS" + base64(HMAC-SHA256(secret, TOKEN_LABEL + AccessKeyId))

The id is 36 characters of ``A-Z 2-7`` after ``STS.`` (real ids also start ``STS.``), the
token starts ``CAIS`` like real ones and, like them, may contain ``+``, ``/`` and ``=``.
Changing the configured secret revokes every temporary pair.

``find`` answers, in order:

- the configured id: the configured pair (temporary itself when a security token is
  configured: R7);
- an ``STS.`` id whose tag verifies: the derived pair, or ``SecurityTokenExpired`` (403,
  EC 0002-00000007) once the expiry has passed, which is what real OSS answers for an
  expired STS key (see ``errors.SecurityTokenExpired`` for the evidence);
- anything else (a tampered or foreign id): None, which ``verify`` turns into
  ``InvalidAccessKeyId`` as for any unknown id (§3). A wrong token for a known id is
  ``InvalidAccessKeyId`` with the G6 message, checked by ``verify``.

Pure (style.md §2.1): ``now`` and the random bytes are parameters.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
from dataclasses import dataclass

from emulator.auth.model import Credentials
from emulator.errors import SecurityTokenExpired

PREFIX = "STS."
RANDOM_SIZE = 7  # bytes of randomness in every issued id
EXPIRY_SIZE = 5  # bytes of big-endian epoch seconds (enough until the year 36812)
TAG_SIZE = 8  # bytes of HMAC tag that make a forged or edited id unknown
ID_LABEL = b"oss-emulator sts access-key-id\n"
SECRET_LABEL = b"oss-emulator sts access-key-secret\n"
TOKEN_LABEL = b"oss-emulator sts security-token\n"
TOKEN_PREFIX = "CAIS"

_PAYLOAD_SIZE = EXPIRY_SIZE + RANDOM_SIZE
_ENCODED = re.compile(r"[A-Z2-7]{32}")  # base32 of the 20 bytes, no padding needed


@dataclass(frozen=True)
class TemporaryCredentials:
    """What AssumeRole returns (S1): a temporary pair, its token and when it expires.

    Attributes:
        access_key_id: ``STS.`` + 32 base32 characters.
        access_key_secret: the derived secret.
        security_token: the derived token.
        expiration: epoch seconds after which OSS refuses the pair.
    """

    access_key_id: str
    access_key_secret: str
    security_token: str
    expiration: int

    @property
    def credentials(self) -> Credentials:
        return Credentials(self.access_key_id, self.access_key_secret, self.security_token)


class Keyring:
    """The configured pair and every temporary pair derived from it.

    Args:
        permanent: the configured pair (``Settings.access_key_id`` / ``access_key_secret``
            / ``security_token``).
    """

    def __init__(self, permanent: Credentials) -> None:
        self.permanent = permanent
        self._key = permanent.access_key_secret.encode("utf-8", "surrogatepass")

    def issue(self, now: float, duration: int, random_bytes: bytes) -> TemporaryCredentials:
        """A new temporary pair valid from ``now`` for ``duration`` seconds.

        Args:
            now: the current time, epoch seconds.
            duration: seconds of validity (the caller checks the S1 bounds).
            random_bytes: exactly :data:`RANDOM_SIZE` fresh random bytes.

        Returns:
            The pair, its token and its expiry.

        Raises:
            ValueError: ``random_bytes`` has the wrong size, or the expiry does not fit.
        """
        if len(random_bytes) != RANDOM_SIZE:
            raise ValueError(f"random_bytes must be {RANDOM_SIZE} bytes")
        expiration = int(now) + duration
        if not 0 <= expiration < 1 << (8 * EXPIRY_SIZE):
            raise ValueError("expiry out of range")
        payload = expiration.to_bytes(EXPIRY_SIZE, "big") + random_bytes
        raw = payload + self._mac(ID_LABEL + payload)[:TAG_SIZE]
        access_key_id = PREFIX + base64.b32encode(raw).decode("ascii")
        secret, token = self._derive(access_key_id)
        return TemporaryCredentials(access_key_id, secret, token, expiration)

    def find(self, access_key_id: str, now: float) -> Credentials | None:
        """The pair of ``access_key_id``, or None when the id is unknown.

        Args:
            access_key_id: as the client sent it.
            now: the current time, epoch seconds.

        Returns:
            The configured pair, a temporary pair (with its security token), or None.

        Raises:
            SecurityTokenExpired: an issued temporary id whose expiry has passed.
        """
        found = self.permanent.find(access_key_id, now)
        if found is not None:
            return found
        expiration = self.expiration_of(access_key_id)
        if expiration is None:
            return None
        if now >= expiration:
            raise SecurityTokenExpired(OSSAccessKeyId=access_key_id)
        secret, token = self._derive(access_key_id)
        return Credentials(access_key_id, secret, token)

    def expiration_of(self, access_key_id: str) -> int | None:
        """The expiry of an id this keyring issued, or None for any other string."""
        if not access_key_id.startswith(PREFIX):
            return None
        encoded = access_key_id[len(PREFIX) :]
        if not _ENCODED.fullmatch(encoded):
            return None
        try:
            raw = base64.b32decode(encoded)
        except (binascii.Error, ValueError):  # cannot happen after the match; be total
            return None
        payload, tag = raw[:_PAYLOAD_SIZE], raw[_PAYLOAD_SIZE:]
        if not hmac.compare_digest(tag, self._mac(ID_LABEL + payload)[:TAG_SIZE]):
            return None
        return int.from_bytes(payload[:EXPIRY_SIZE], "big")

    def _derive(self, access_key_id: str) -> tuple[str, str]:
        subject = access_key_id.encode("ascii")
        secret = base64.b32encode(self._mac(SECRET_LABEL + subject)).decode("ascii")
        token = base64.b64encode(self._mac(TOKEN_LABEL + subject)).decode("ascii")
        return secret.rstrip("="), TOKEN_PREFIX + token

    def _mac(self, message: bytes) -> bytes:
        return hmac.new(self._key, message, hashlib.sha256).digest()
