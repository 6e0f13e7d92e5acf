"""Settings: one frozen value, parsed from flags and ``OSS_EMULATOR_*`` variables.

Every option is one row of ``OPTIONS``: its flag ``--name``, its variable
``OSS_EMULATOR_NAME`` (dashes become underscores), a strict parser and a default. Flags win
over variables; a bad value raises ``ConfigError`` naming the flag or variable, and the
command line turns that into a non-zero exit (style.md rule 6). Booleans accept exactly
``true/false/1/0`` (and ``on/off`` for ``--auth``, which reads naturally as a switch).
"""

from __future__ import annotations

import argparse
import dataclasses
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ENV_PREFIX = "OSS_EMULATOR_"

DEFAULT_ACCESS_KEY_ID = "LTAI5tEmulatorAccessKey"
DEFAULT_ACCESS_KEY_SECRET = "EmulatorAccessKeySecretForLocalTests"
DEFAULT_BUCKET = "test-bucket"
DEFAULT_PORT = 9050

_BUCKET_NAME = re.compile(r"^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$")


class ConfigError(ValueError):
    """A configuration value that cannot be used; the message names its source."""


@dataclass(frozen=True)
class Settings:
    """Everything the emulator is configured with. Build with ``from_env``/``parse_args``."""

    host: str = "127.0.0.1"
    port: int = DEFAULT_PORT
    data_dir: Path = Path("oss-emulator-data")
    access_key_id: str = DEFAULT_ACCESS_KEY_ID
    access_key_secret: str = DEFAULT_ACCESS_KEY_SECRET
    security_token: str | None = None
    buckets: tuple[str, ...] = (DEFAULT_BUCKET,)
    region: str = "cn-hangzhou"
    auth: bool = True
    public_url: str | None = None
    owner_id: str = "1234567890123456"
    virtual_host_base: tuple[str, ...] = ()
    clock_skew_check: bool = True
    cors_default: bool = True
    seed: int | None = None
    callback_timeout: float = 5.0
    callback_strict_hosts: bool = False
    callback_private_key: Path | None = None
    pub_key_url: str | None = None
    log_level: str = "info"
    log_format: str = "text"
    extra: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @property
    def location(self) -> str:
        """The bucket location string OSS shows, e.g. ``oss-cn-hangzhou``."""
        return f"oss-{self.region}"

    def base_url(self, port: int | None = None) -> str:
        """The URL clients reach the emulator at: ``public_url`` or host and bound port."""
        if self.public_url:
            return self.public_url.rstrip("/")
        host = "127.0.0.1" if self.host in ("0.0.0.0", "") else self.host
        if ":" in host:
            host = f"[{host}]"
        return f"http://{host}:{self.port if port is None else port}"

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> Settings:
        """Settings from ``OSS_EMULATOR_*`` variables only (defaults elsewhere)."""
        return parse_args([], environ)


# --- strict value parsers ----------------------------------------------------------------


_BOOLEANS = {"true": True, "false": False, "1": True, "0": False}
_SWITCHES = {"on": True, "off": False, **_BOOLEANS}


def _word(table: Mapping[str, bool], text: str) -> bool:
    try:
        return table[text.strip().lower()]
    except KeyError:
        *words, last = table
        raise ValueError(f"expected {', '.join(words)} or {last}") from None


def _bool(text: str) -> bool:
    return _word(_BOOLEANS, text)


def _on_off(text: str) -> bool:
    return _word(_SWITCHES, text)


def _port(text: str) -> int:
    value = int(text)
    if not 0 <= value <= 65535:
        raise ValueError("expected a port number from 0 to 65535")
    return value


def _positive_float(text: str) -> float:
    value = float(text)
    if not value > 0:
        raise ValueError("expected a positive number of seconds")
    return value


def _nonempty(text: str) -> str:
    if not text.strip():
        raise ValueError("must not be empty")
    return text.strip()


def _bucket(text: str) -> str:
    if not _BUCKET_NAME.match(text):
        raise ValueError(
            f"{text!r} is not a valid bucket name (3-63 of a-z 0-9 -, alphanumeric at both ends)"
        )
    return text


def _url(text: str) -> str:
    if not re.match(r"^https?://[^/\s]+(/\S*)?$", text):
        raise ValueError(f"{text!r} is not an http:// or https:// URL")
    return text


def _log_format(text: str) -> str:
    if text.lower() not in ("text", "json"):
        raise ValueError("expected text or json")
    return text.lower()


def _log_level(text: str) -> str:
    levels = ("critical", "error", "warning", "info", "debug", "trace")
    if text.lower() not in levels:
        raise ValueError(f"expected one of {', '.join(levels)}")
    return text.lower()


@dataclass(frozen=True)
class Option:
    """One configuration option: a flag, its variable, a parser and a help line."""

    name: str
    attr: str
    parse: Callable[[str], Any]
    help: str
    repeated: bool = False
    metavar: str | None = None
    #: The default as --help shows it, when the field's value would not say it.
    shown_default: str | None = None

    @property
    def flag(self) -> str:
        return f"--{self.name}"

    @property
    def env(self) -> str:
        return ENV_PREFIX + self.name.upper().replace("-", "_")


OPTIONS: tuple[Option, ...] = (
    Option("host", "host", _nonempty, "address to listen on"),
    Option("port", "port", _port, "port to listen on; 0 picks a free one"),
    Option("data-dir", "data_dir", lambda t: Path(_nonempty(t)), "where objects and metadata live"),
    Option("access-key-id", "access_key_id", _nonempty, "AccessKeyId clients sign with"),
    Option(
        "access-key-secret", "access_key_secret", _nonempty, "AccessKeySecret clients sign with"
    ),
    Option(
        "security-token",
        "security_token",
        _nonempty,
        "makes the key pair temporary: every request must carry this STS token",
        shown_default="none",
    ),
    Option(
        "bucket",
        "buckets",
        _bucket,
        "bucket created at start (repeat the flag; the variable takes a comma-separated list)",
        repeated=True,
    ),
    Option("region", "region", _nonempty, "region, e.g. cn-hangzhou (V4 scope, bucket location)"),
    Option(
        "auth",
        "auth",
        _on_off,
        "on: requests must be signed; off: accept anything",
        metavar="on|off",
        shown_default="on",
    ),
    Option(
        "public-url",
        "public_url",
        _url,
        "base URL clients and app servers reach the emulator at",
        shown_default="http://<host>:<port>",
    ),
    Option("owner-id", "owner_id", _nonempty, "owner ID shown in listings and ACLs"),
    Option(
        "virtual-host-base",
        "virtual_host_base",
        _nonempty,
        "extra host name under which <bucket>.<base> is virtual-host addressing "
        "(repeat the flag; the variable takes a comma-separated list)",
        repeated=True,
        shown_default="none",
    ),
    Option(
        "clock-skew-check",
        "clock_skew_check",
        _bool,
        "refuse header-signed requests more than 15 minutes off the clock",
    ),
    Option("cors-default", "cors_default", _bool, "buckets without CORS rules allow every origin"),
    Option(
        "seed",
        "seed",
        int,
        "make request IDs reproducible from this seed",
        shown_default="random",
    ),
    Option(
        "callback-timeout",
        "callback_timeout",
        _positive_float,
        "seconds each callback URL may take",
    ),
    Option(
        "callback-strict-hosts",
        "callback_strict_hosts",
        _bool,
        "refuse callback URLs on private, loopback or unresolvable hosts, as OSS does",
    ),
    Option(
        "callback-private-key",
        "callback_private_key",
        lambda t: Path(_nonempty(t)),
        "PEM private key that signs callbacks",
        shown_default="one generated into the data dir",
    ),
    Option(
        "pub-key-url",
        "pub_key_url",
        _url,
        "public key URL advertised in x-oss-pub-key-url",
        shown_default="<public URL>/callback_pub_key_v1.pem",
    ),
    Option("log-level", "log_level", _log_level, "server log level"),
    Option(
        "log-format",
        "log_format",
        _log_format,
        "one line per request and per callback attempt: text or json",
    ),
)


def build_parser(prog: str = "oss-emulator") -> argparse.ArgumentParser:
    """The argparse parser for ``OPTIONS``; values stay strings, parsed in ``parse_args``."""
    parser = argparse.ArgumentParser(
        prog=prog,
        description="A local emulator of Alibaba Cloud OSS for testing upload callbacks.",
        epilog=f"Every flag can also be set as {ENV_PREFIX}<FLAG>, e.g. "
        f"{ENV_PREFIX}ACCESS_KEY_ID. Flags win over variables. "
        f"'{prog} callbacks list|replay|trigger' talks to a running emulator instead "
        f"(see '{prog} callbacks --help').",
    )
    for option in OPTIONS:
        shown = option.shown_default or _shown(Settings.__dataclass_fields__[option.attr].default)
        parser.add_argument(
            option.flag,
            dest=option.attr,
            action="append" if option.repeated else "store",
            metavar=option.metavar or option.name.upper().replace("-", "_"),
            help=f"{option.help} [{option.env}; default: {shown}]",
        )
    return parser


def _shown(default: object) -> str:
    if isinstance(default, bool):
        return "true" if default else "false"
    if isinstance(default, tuple):
        return ",".join(default)
    return str(default)


def _parse_value(option: Option, raw: str, source: str) -> Any:
    try:
        return option.parse(raw)
    except ValueError as exc:
        raise ConfigError(f"{source}: invalid value {raw!r}: {exc}") from None


def parse_args(argv: Sequence[str], environ: Mapping[str, str]) -> Settings:
    """Settings from command-line flags, then ``OSS_EMULATOR_*`` variables, then defaults.

    Raises:
        ConfigError: a value does not parse; the message names the flag or variable.
        SystemExit: argparse's own errors (unknown flag, missing value) and ``--help``.
    """
    namespace = build_parser().parse_args(list(argv))
    values: dict[str, Any] = {}
    for option in OPTIONS:
        given = getattr(namespace, option.attr)
        if given is not None:
            raws, source = (given if option.repeated else [given]), option.flag
        elif option.env in environ:
            env_value = environ[option.env]
            raws = env_value.split(",") if option.repeated else [env_value]
            source = option.env
        else:
            continue
        parsed = [
            _parse_value(option, raw.strip() if option.repeated else raw, source) for raw in raws
        ]
        values[option.attr] = tuple(dict.fromkeys(parsed)) if option.repeated else parsed[0]
    return dataclasses.replace(Settings(), **values)
