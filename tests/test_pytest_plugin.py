"""The pytest11 plugin as a user's project sees it (pytester runs a tiny project)."""

from __future__ import annotations

import pytest

pytest_plugins = ["pytester"]


def test_fixture_in_a_users_project(pytester: pytest.Pytester) -> None:
    """A test file using oss_emulator uploads and sees a reset emulator in the next test."""
    pytester.makepyfile(
        test_user="""
        import oss2

        def bucket(server):
            auth = oss2.Auth(server.access_key_id, server.access_key_secret)
            return oss2.Bucket(auth, server.endpoint, server.bucket)

        def test_upload(oss_emulator):
            bucket(oss_emulator).put_object("k", b"v")
            assert bucket(oss_emulator).get_object("k").read() == b"v"

        def test_reset_between_tests(oss_emulator):
            assert not bucket(oss_emulator).object_exists("k")
            assert oss_emulator.callbacks == []
    """
    )
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=2)


def test_settings_fixture_overridable(pytester: pytest.Pytester) -> None:
    """Overriding oss_emulator_settings in conftest.py changes credentials and buckets."""
    pytester.makeconftest("""
        import pytest
        from emulator import Settings

        @pytest.fixture(scope="session")
        def oss_emulator_settings(tmp_path_factory):
            return Settings(port=0, data_dir=tmp_path_factory.mktemp("d"),
                            access_key_id="MYKEY", buckets=("alpha-bucket", "beta-bucket"))
    """)
    pytester.makepyfile(
        test_user="""
        def test_configured(oss_emulator):
            assert oss_emulator.access_key_id == "MYKEY"
            assert oss_emulator.bucket == "alpha-bucket"
            names = [b.name for b in oss_emulator.storage.list_buckets()]
            assert names == ["alpha-bucket", "beta-bucket"]
    """
    )
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)
