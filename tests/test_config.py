"""Settings from flags and OSS_EMULATOR_* variables, and the command line's exit codes."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from emulator.cli import banner, main
from emulator.config import OPTIONS, ConfigError, Settings, build_parser, parse_args


class TestParseArgs:
    """Flags win over variables; every bad value names its source."""

    def test_defaults_without_flags_or_variables(self) -> None:
        """No input gives the documented defaults."""
        settings = parse_args([], {})
        assert settings == Settings()
        assert settings.buckets == ("test-bucket",)
        assert settings.auth is True

    def test_flags_of_the_issue(self) -> None:
        """The flag names other tools depend on all parse."""
        settings = parse_args(
            [
                "--host",
                "0.0.0.0",
                "--port",
                "0",
                "--data-dir",
                "/tmp/d",
                "--access-key-id",
                "AK",
                "--access-key-secret",
                "SK",
                "--bucket",
                "bk1",
                "--bucket",
                "bk2",
                "--region",
                "cn-beijing",
                "--security-token",
                "T",
                "--auth",
                "off",
                "--public-url",
                "http://emulator:9050",
            ],
            {},
        )
        assert (settings.host, settings.port, settings.data_dir) == ("0.0.0.0", 0, Path("/tmp/d"))
        assert (settings.access_key_id, settings.access_key_secret) == ("AK", "SK")
        assert settings.buckets == ("bk1", "bk2")
        assert (settings.region, settings.security_token, settings.auth) == (
            "cn-beijing",
            "T",
            False,
        )
        assert settings.public_url == "http://emulator:9050"

    def test_variables_and_flag_precedence(self) -> None:
        """A variable applies unless the flag is given; lists are comma separated."""
        env = {
            "OSS_EMULATOR_ACCESS_KEY_ID": "from-env",
            "OSS_EMULATOR_BUCKET": "a-1,b-2",
            "OSS_EMULATOR_PORT": "1234",
        }
        settings = parse_args(["--port", "4321"], env)
        assert settings.access_key_id == "from-env"
        assert settings.buckets == ("a-1", "b-2")
        assert settings.port == 4321

    @pytest.mark.parametrize(
        ("argv", "env", "named"),
        [
            (["--port", "70000"], {}, "--port"),
            ([], {"OSS_EMULATOR_PORT": "http"}, "OSS_EMULATOR_PORT"),
            (["--auth", "maybe"], {}, "--auth"),
            ([], {"OSS_EMULATOR_CLOCK_SKEW_CHECK": "yes"}, "OSS_EMULATOR_CLOCK_SKEW_CHECK"),
            (["--bucket", "Bad_Name"], {}, "--bucket"),
            (["--public-url", "emulator:9050"], {}, "--public-url"),
            (["--callback-timeout", "-1"], {}, "--callback-timeout"),
        ],
    )
    def test_bad_value_names_its_source(
        self, argv: list[str], env: dict[str, str], named: str
    ) -> None:
        """A value that does not parse raises ConfigError naming the flag or variable."""
        with pytest.raises(ConfigError, match=named):
            parse_args(argv, env)

    def test_switch_error_lists_the_accepted_words(self) -> None:
        """--auth takes on/off as well as the boolean words, and says so when refused."""
        assert parse_args(["--auth", "off"], {}).auth is False
        assert parse_args([], {"OSS_EMULATOR_AUTH": "TRUE"}).auth is True
        with pytest.raises(ConfigError, match="expected on, off, true, false, 1 or 0"):
            parse_args(["--auth", "maybe"], {})

    def test_help_shows_defaults_as_documented(self) -> None:
        """--help shows each default as the README's table states it, not a Python repr."""
        text = " ".join(build_parser().format_help().split())
        for shown in (
            "[OSS_EMULATOR_AUTH; default: on]",
            "[OSS_EMULATOR_PUBLIC_URL; default: http://<host>:<port>]",
            "[OSS_EMULATOR_PUB_KEY_URL; default: <public URL>/callback_pub_key_v1.pem]",
            "[OSS_EMULATOR_CLOCK_SKEW_CHECK; default: true]",
            "[OSS_EMULATOR_SECURITY_TOKEN; default: none]",
            "callbacks list|replay|trigger",
        ):
            assert shown in text
        assert "None" not in text and "True" not in text

    def test_every_option_has_a_variable(self) -> None:
        """Each flag's variable is OSS_EMULATOR_ plus its upper-cased name."""
        for option in OPTIONS:
            assert option.env == "OSS_EMULATOR_" + option.name.upper().replace("-", "_")


class TestCommandLine:
    """main() exits non-zero on bad settings; the banner tells how to connect."""

    def test_bad_value_exits_2(self, capsys: pytest.CaptureFixture[str]) -> None:
        """A bad flag value is a non-zero exit with the flag in the message."""
        assert main(["--port", "nope"], {}) == 2
        assert "--port" in capsys.readouterr().err

    def test_bad_callback_key_exits_2(self, tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
        """A key file that is not a PEM private key names --callback-private-key."""
        bad = tmp_path / "key.pem"
        bad.write_text("not a key")
        argv = [
            "--port",
            "0",
            "--data-dir",
            str(tmp_path / "d"),
            "--callback-private-key",
            str(bad),
        ]
        assert main(argv, {}) == 2
        assert "--callback-private-key" in capsys.readouterr().err

    def test_data_dir_in_use_exits_2(self, tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
        """A second emulator on the same data directory is refused with a clear message."""
        from emulator.storage.store import Store

        store = Store(tmp_path / "d")
        try:
            assert main(["--port", "0", "--data-dir", str(tmp_path / "d")], {}) == 2
        finally:
            store.close()
        assert "--data-dir" in capsys.readouterr().err

    def test_banner_names_url_credentials_and_sdks(self) -> None:
        """The banner shows the URL, both keys and a snippet for each SDK."""
        settings = Settings(access_key_id="AKX", access_key_secret="SKX", security_token="TOK")
        text = banner(settings, "http://127.0.0.1:9050")
        for needle in (
            "http://127.0.0.1:9050",
            "AKX",
            "SKX",
            "TOK",
            "oss2.StsAuth",
            "StaticCredentialsProvider",
            "new OSS(",
            "localhost:9050",
        ):
            assert needle in text

    def test_banner_names_the_bound_address_behind_a_public_url(self) -> None:
        """In a container the public URL is not where the socket is: the banner says both."""
        settings = Settings(host="0.0.0.0", port=80, public_url="http://localhost:9050")
        first = banner(settings, settings.base_url()).splitlines()[0]
        assert first == "oss-emulator listening on http://localhost:9050 (bound to 0.0.0.0:80)"
        plain = Settings(port=9050)
        first = banner(plain, plain.base_url()).splitlines()[0]
        assert first == "oss-emulator listening on http://127.0.0.1:9050"

    def test_module_entry_point_prints_help(self) -> None:
        """``python -m emulator --help`` runs and lists the flags."""
        result = subprocess.run(
            [sys.executable, "-m", "emulator", "--help"],
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        )
        assert "--access-key-id" in result.stdout
        assert "OSS_EMULATOR_" in result.stdout
