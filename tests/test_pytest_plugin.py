"""The pytest11 plugin as a user's project sees it (pytester runs a tiny project)."""

from __future__ import annotations

import re
import sys
from typing import Any

import pytest

from emulator.config import Settings
from emulator.remote import RemoteEmulator
from emulator.server import EmulatorServer
from tests.conftest import ROOT

pytest_plugins = ["pytester"]

RUN = ("-p", "no:cacheprovider")


def test_ini_options_clients_and_strategies(pytester: pytest.Pytester) -> None:
    """ini options configure the server; both ready-made clients work; the emulator is
    reset between tests; the public strategies drive a @given test."""
    pytester.makeini("""
        [pytest]
        oss_emulator_access_key_id = INIKEY
        oss_emulator_access_key_secret = INISECRET
        oss_emulator_region = cn-shanghai
        oss_emulator_buckets =
            ini-bucket
            second-bucket
    """)
    pytester.makepyfile(
        test_user="""
        import alibabacloud_oss_v2 as oss
        import pytest
        from hypothesis import given, settings
        from emulator.strategies import callback_params, custom_vars, object_keys

        def test_configured(oss_emulator):
            assert (oss_emulator.access_key_id, oss_emulator.access_key_secret) == (
                "INIKEY", "INISECRET")
            assert (oss_emulator.region, oss_emulator.bucket) == ("cn-shanghai", "ini-bucket")
            assert oss_emulator.endpoint.startswith("http://127.0.0.1:")

        @pytest.mark.parametrize("version", ["v1", "v4"])
        def test_oss2(oss_emulator, version):
            oss_emulator.oss2_bucket(auth_version=version).put_object("k", b"v")
            other = oss_emulator.oss2_bucket("second-bucket", auth_version=version)
            other.put_object("k2", b"w")
            assert oss_emulator.oss2_bucket().get_object("k").read() == b"v"
            assert other.get_object("k2").read() == b"w"

        @pytest.mark.parametrize("version", ["v1", "v4"])
        def test_v2(oss_emulator, version):
            client = oss_emulator.v2_client(signature_version=version)
            client.put_object(oss.PutObjectRequest(bucket="ini-bucket", key="k", body=b"v2"))
            got = client.get_object(oss.GetObjectRequest(bucket="ini-bucket", key="k"))
            assert got.body.read() == b"v2"

        def test_reset_between_tests(oss_emulator):
            assert not oss_emulator.oss2_bucket().object_exists("k")
            assert not oss_emulator.oss2_bucket("second-bucket").object_exists("k2")
            assert oss_emulator.callbacks == []

        @settings(max_examples=15, deadline=None)
        @given(key=object_keys(), param=callback_params(), variables=custom_vars())
        def test_strategies(oss_emulator_server, key, param, variables):
            bucket = oss_emulator_server.oss2_bucket()
            bucket.put_object(key, b"x")
            assert bucket.get_object(key).read() == b"x"
            assert param["callbackUrl"] and all(k.startswith("x:") for k in variables)
    """
    )
    result = pytester.runpytest_subprocess(*RUN)
    result.assert_outcomes(passed=7)


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
    result = pytester.runpytest_subprocess(*RUN)
    result.assert_outcomes(passed=1)


CALLBACK_PROJECT = """
    import base64, json
    from emulator.receiver import Reply

    def b64(value):
        return base64.b64encode(json.dumps(value).encode()).decode()

    def upload(oss_emulator, receiver, key):
        param = {"callbackUrl": receiver.url("/cb?x=1"),
                 "callbackBody": "key=${object}&v=${x:v}"}
        headers = {"x-oss-callback": b64(param), "x-oss-callback-var": b64({"x:v": "1 2"})}
        return oss_emulator.oss2_bucket().put_object(key, b"data", headers=headers)

    def test_verified_callback(oss_emulator, oss_callback_receiver):
        oss_callback_receiver.reply(Reply(body=b'{"app": "ok"}'))
        result = upload(oss_emulator, oss_callback_receiver, "a b.txt")
        assert result.status == 200
        assert result.resp.read() == b'{"app": "ok"}'
        (got,) = oss_callback_receiver.requests
        assert got.verified, got.verify_error
        assert got.path == "/cb?x=1"
        assert got.body == b"key=a%20b.txt&v=1%202"
        (entry,) = oss_emulator.wait_for_callbacks(1)
        assert entry["verdict"] == "success"

    def test_scripted_failure(oss_emulator, oss_callback_receiver):
        oss_callback_receiver.default_reply = Reply(status=500)
        result = upload(oss_emulator, oss_callback_receiver, "kept.txt")
        assert result.status == 203
        assert b"CallbackFailed" in result.resp.read()
        assert oss_emulator.oss2_bucket().get_object("kept.txt").read() == b"data"
        (entry,) = oss_emulator.wait_for_callbacks(1, timeout=5)
        assert entry["verdict"] == "failure"
        assert oss_callback_receiver.requests[0].verified

    def test_receiver_fresh_per_test(oss_emulator, oss_callback_receiver,
                                     oss_callback_receiver_factory):
        assert oss_callback_receiver.requests == []
        assert oss_callback_receiver.default_reply == Reply()
        other = oss_callback_receiver_factory()
        assert other.url("/p") != oss_callback_receiver.url("/p")
        assert oss_emulator.callbacks == []
"""


def test_callback_receiver(pytester: pytest.Pytester) -> None:
    """An upload through oss2_bucket() reaches oss_callback_receiver, verified; a scripted
    500 gives the 203; wait_for_callbacks sees the journal entry."""
    pytester.makepyfile(test_callbacks=CALLBACK_PROJECT)
    result = pytester.runpytest_subprocess(*RUN)
    result.assert_outcomes(passed=3)


def test_one_server_per_xdist_worker(pytester: pytest.Pytester) -> None:
    """Under pytest-xdist each worker has its own emulator: tests in parallel never see
    each other's objects, and every test of a worker talks to the same server."""
    pytester.makepyfile(
        test_parallel="""
        import os
        import oss2
        import pytest

        @pytest.mark.parametrize("n", range(6))
        def test_alone(oss_emulator, n, request):
            bucket = oss_emulator.oss2_bucket()
            bucket.put_object(f"k{n}", b"v")
            assert [o.key for o in oss2.ObjectIterator(bucket)] == [f"k{n}"]
            seen = request.config.rootpath / "seen"
            seen.mkdir(exist_ok=True)
            worker = os.environ["PYTEST_XDIST_WORKER"]
            (seen / f"{n}").write_text(f"{worker} {oss_emulator.endpoint} {os.getpid()}")
        """
    )
    result = pytester.runpytest_subprocess(*RUN, "-n", "2")
    result.assert_outcomes(passed=6)
    records = [path.read_text().split() for path in (pytester.path / "seen").iterdir()]
    endpoints = {worker: set() for worker, _, _ in records}
    for worker, endpoint, _ in records:
        endpoints[worker].add(endpoint)
    assert len(endpoints) == 2, records  # both workers ran tests
    assert all(len(urls) == 1 for urls in endpoints.values()), records
    first, second = (urls.pop() for urls in endpoints.values())
    assert first != second


def test_readme_quick_start(pytester: pytest.Pytester) -> None:
    """The README's three-line quick start passes as a user's whole test file."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    quick_start = readme.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    (test_file,) = re.findall(r"```python\n(.*?)```", quick_start, re.DOTALL)
    assert len(test_file.strip().splitlines()) == 3
    pytester.makepyfile(test_quick_start=test_file)
    result = pytester.runpytest_subprocess(*RUN)
    result.assert_outcomes(passed=1)


def test_readme_settings_override(pytester: pytest.Pytester) -> None:
    """The README's settings override, as a user's conftest.py, changes the one field and
    keeps the plugin's free port and temporary data directory."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    (conftest,) = [
        code
        for code in re.findall(r"```python\n(.*?)```", readme, re.DOTALL)
        if "def oss_emulator_settings(oss_emulator_settings)" in code
    ]
    pytester.makeconftest(conftest)
    pytester.makepyfile(
        test_override="""
        def test_override(oss_emulator, oss_emulator_settings, tmp_path_factory):
            assert oss_emulator_settings.callback_timeout == 1
            assert oss_emulator.port != 9050
            assert oss_emulator_settings.data_dir.is_relative_to(tmp_path_factory.getbasetemp())
            oss_emulator.oss2_bucket().put_object("k", b"v")
        """
    )
    result = pytester.runpytest_subprocess(*RUN)
    result.assert_outcomes(passed=1)
    assert not (pytester.path / "oss-emulator-data").exists()


def test_attach_to_running_emulator(
    pytester: pytest.Pytester,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    """With OSS_EMULATOR_URL set, the inner project uses the emulator already running there:
    its uploads land in the outer server's storage; reset and callbacks go over HTTP."""
    settings = Settings(port=0, data_dir=tmp_path_factory.mktemp("outer"), buckets=("outer-b",))
    with EmulatorServer(settings) as outer:
        outer.storage.reset(("other-bucket",), 0.0)  # the inner reset must restore outer-b
        monkeypatch.setenv("OSS_EMULATOR_URL", outer.endpoint)
        pytester.makeconftest("""
            import pytest
            from emulator import Settings

            @pytest.fixture(scope="session")
            def oss_emulator_settings(tmp_path_factory):
                return Settings(port=0, data_dir=tmp_path_factory.mktemp("unused"),
                                buckets=("outer-b",))
        """)
        pytester.makepyfile(
            test_z_attached="""
            import os
            from emulator.remote import RemoteEmulator

            def test_attached(oss_emulator):
                assert isinstance(oss_emulator, RemoteEmulator)
                assert oss_emulator.endpoint == os.environ["OSS_EMULATOR_URL"]
                assert oss_emulator.public_key_pem.startswith(b"-----BEGIN PUBLIC KEY-----")
                assert oss_emulator.callbacks == []  # reset after the callback tests
                oss_emulator.oss2_bucket().put_object("from-inner.txt", b"inner")
        """
        )
        pytester.makepyfile(test_a_callbacks=CALLBACK_PROJECT)  # runs first
        result = pytester.runpytest_subprocess(*RUN)
        result.assert_outcomes(passed=4)
        assert [b.name for b in outer.storage.list_buckets()] == ["outer-b"]
        assert outer.storage.head_object("outer-b", "from-inner.txt").size == 5


class TestHandleErrors:
    """Clear errors instead of an ImportError or a hang deep in a fixture."""

    @pytest.mark.parametrize(
        ("module", "make"),
        [
            ("oss2", lambda handle: handle.oss2_bucket()),
            ("alibabacloud_oss_v2", lambda handle: handle.v2_client()),
        ],
    )
    def test_sdk_not_installed(
        self, monkeypatch: pytest.MonkeyPatch, module: str, make: Any
    ) -> None:
        monkeypatch.setitem(sys.modules, module, None)  # makes the import fail
        handle = RemoteEmulator("http://127.0.0.1:9", Settings())
        with pytest.raises(RuntimeError, match=f"{module} is not installed"):
            make(handle)

    def test_nothing_at_the_url(self) -> None:
        with pytest.raises(RuntimeError, match="no oss-emulator answers"):
            RemoteEmulator("http://127.0.0.1:9", Settings(), timeout=2).check()
