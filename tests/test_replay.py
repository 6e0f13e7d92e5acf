"""Replaying recorded callbacks and triggering callbacks for stored objects, over real HTTP.

A real server (the ``oss_emulator`` fixture), real receivers that verify signatures the way
Alibaba's sample server does, uploads through oss2; the control API through the fixture
handle, raw HTTP and the ``oss-emulator callbacks`` command.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from urllib.parse import parse_qs

import httpx
import oss2
import pytest

from emulator.cli import main
from emulator.receiver import CallbackReceiver, Reply
from emulator.remote import RemoteEmulator
from emulator.server import ControlError, EmulatorServer
from tests.conftest import b64

pytestmark = pytest.mark.sdk

BODY = "bucket=${bucket}&object=${object}&etag=${etag}&size=${size}&op=${operation}&v=${x:v}"


@pytest.fixture(name="other")
def _other() -> Iterator[CallbackReceiver]:
    with CallbackReceiver() as receiver:
        yield receiver


def upload(bucket: oss2.Bucket, receiver: CallbackReceiver, key: str = "a/b.txt") -> int:
    headers = {
        "x-oss-callback": b64({"callbackUrl": receiver.url("/cb?x=1"), "callbackBody": BODY}),
        "x-oss-callback-var": b64({"x:v": "one"}),
    }
    result = bucket.put_object(key, b"hello world", headers=headers)
    assert result.status == 200
    return len(receiver.requests)


class TestReplay:
    """POST /_emulator/callbacks/{id}/replay."""

    def test_replay_to_same_url(
        self, oss_emulator: EmulatorServer, bucket: oss2.Bucket, receiver: CallbackReceiver
    ) -> None:
        """The same body reaches the same URL again, verifies, and is journaled as a replay."""
        upload(bucket, receiver)
        (original,) = oss_emulator.callbacks
        entry = oss_emulator.replay(original["id"])
        assert entry["replay_of"] == original["id"]
        assert entry["id"] != original["id"]
        assert entry["verdict"] == "success"
        assert entry["upload"] == original["upload"]
        first, again = receiver.requests
        assert again.verified, again.verify_error
        assert again.body == first.body
        assert again.path == "/cb?x=1"
        assert [e["id"] for e in oss_emulator.callbacks] == [original["id"], entry["id"]]

    def test_replay_to_another_url(
        self,
        oss_emulator: EmulatorServer,
        bucket: oss2.Bucket,
        receiver: CallbackReceiver,
        other: CallbackReceiver,
    ) -> None:
        """Replayed elsewhere, the callback is re-signed for the new path and verifies there."""
        upload(bucket, receiver)
        (original,) = oss_emulator.callbacks
        entry = oss_emulator.replay(original["id"], url=other.url("/elsewhere?y=2"))
        assert entry["url"] == other.url("/elsewhere?y=2")
        (got,) = other.requests
        assert got.verified, got.verify_error
        assert got.path == "/elsewhere?y=2"
        assert got.body == receiver.requests[0].body
        fields = parse_qs(got.body.decode())
        assert fields["object"] == ["a/b.txt"] and fields["v"] == ["one"]

    def test_replay_records_failure(
        self, oss_emulator: EmulatorServer, bucket: oss2.Bucket, receiver: CallbackReceiver
    ) -> None:
        """A replay the application rejects is still answered 200 with a failure entry."""
        upload(bucket, receiver)
        receiver.reply(Reply(status=500))
        entry = oss_emulator.replay(oss_emulator.callbacks[0]["id"])
        assert entry["verdict"] == "failure"
        assert entry["message"] == "Error status : 500."

    def test_unknown_id_is_404(self, oss_emulator: EmulatorServer) -> None:
        """Replaying an id the journal does not hold is a 404 with a JSON error."""
        answer = httpx.post(oss_emulator.endpoint + "/_emulator/callbacks/999/replay")
        assert answer.status_code == 404
        assert "error" in answer.json()
        with pytest.raises(ControlError) as caught:
            oss_emulator.replay(999)
        assert caught.value.status == 404

    def test_bad_url_is_400(
        self, oss_emulator: EmulatorServer, bucket: oss2.Bucket, receiver: CallbackReceiver
    ) -> None:
        """A replay URL that is no callback URL is refused."""
        upload(bucket, receiver)
        answer = httpx.post(
            oss_emulator.endpoint
            + f"/_emulator/callbacks/{oss_emulator.callbacks[0]['id']}/replay",
            json={"url": "ftp://x/"},
        )
        assert answer.status_code == 400


class TestTrigger:
    """POST /_emulator/callbacks/trigger."""

    def test_trigger_uses_the_stored_object(
        self, oss_emulator: EmulatorServer, bucket: oss2.Bucket, receiver: CallbackReceiver
    ) -> None:
        """The variables come from the stored object; nothing is uploaded again."""
        stored = bucket.put_object("t.txt", b"stored bytes", headers={"Content-Type": "text/x"})
        callback = b64(
            {
                "callbackUrl": receiver.url("/t"),
                "callbackBody": BODY + "&mime=${mimeType}&crc=${crc64}&md5=${contentMd5}",
            }
        )
        entry = oss_emulator.trigger(oss_emulator.bucket, "t.txt", callback, b64({"x:v": "2"}))
        assert entry["verdict"] == "success" and entry["trigger"] is True
        assert entry["upload"]["operation"] == "PutObject"
        assert oss_emulator.callbacks == [entry]
        (got,) = receiver.requests
        assert got.verified, got.verify_error
        fields = parse_qs(got.body.decode())
        assert fields["etag"] == [stored.etag.upper()]
        assert fields["size"] == ["12"]
        assert fields["mime"] == ["text/x"]
        assert fields["crc"] == [str(stored.crc)]
        assert fields["op"] == ["PutObject"] and fields["v"] == ["2"]
        assert fields["md5"] and fields["md5"][0]

    def test_trigger_operation_and_replay(
        self, oss_emulator: EmulatorServer, bucket: oss2.Bucket, receiver: CallbackReceiver
    ) -> None:
        """A given operation is used; a triggered callback can be replayed."""
        bucket.put_object("t.txt", b"x")
        callback = b64({"callbackUrl": receiver.url(), "callbackBody": "op=${operation}"})
        entry = oss_emulator.trigger(
            oss_emulator.bucket, "t.txt", callback, operation="CompleteMultipartUpload"
        )
        assert receiver.requests[0].body == b"op=CompleteMultipartUpload"
        oss_emulator.replay(entry["id"])
        assert receiver.requests[1].body == b"op=CompleteMultipartUpload"

    def test_missing_object_is_404(
        self, oss_emulator: EmulatorServer, receiver: CallbackReceiver
    ) -> None:
        """No stored object, no callback: 404."""
        callback = b64({"callbackUrl": receiver.url(), "callbackBody": "a=${object}"})
        with pytest.raises(ControlError) as caught:
            oss_emulator.trigger(oss_emulator.bucket, "missing", callback)
        assert caught.value.status == 404
        assert receiver.requests == []

    def test_invalid_callback_is_400_with_oss_error(
        self, oss_emulator: EmulatorServer, bucket: oss2.Bucket
    ) -> None:
        """A callback an upload would refuse gets the same code, message and EC."""
        bucket.put_object("t.txt", b"x")
        answer = httpx.post(
            oss_emulator.endpoint + "/_emulator/callbacks/trigger",
            json={"bucket": oss_emulator.bucket, "key": "t.txt", "callback": b64("not json")},
        )
        assert answer.status_code == 400
        error = answer.json()
        assert error["code"] == "InvalidArgument"
        assert error["ec"] == "0007-00000003"
        assert error["message"] == "The callback configuration is not json format."

    def test_missing_fields_are_400(self, oss_emulator: EmulatorServer) -> None:
        """bucket, key and callback are required."""
        answer = httpx.post(oss_emulator.endpoint + "/_emulator/callbacks/trigger", json={})
        assert answer.status_code == 400


class TestRemoteHandle:
    """RemoteEmulator drives the same endpoints."""

    def test_remote_replay_trigger_faults(
        self, oss_emulator: EmulatorServer, bucket: oss2.Bucket, receiver: CallbackReceiver
    ) -> None:
        """replay, trigger, add_fault, faults and clear_faults over HTTP."""
        remote = RemoteEmulator(oss_emulator.endpoint, oss_emulator.settings)
        upload(bucket, receiver)
        entry = remote.replay(remote.callbacks[0]["id"])
        assert entry["replay_of"] == remote.callbacks[0]["id"]
        fault = remote.add_fault("refuse", times=1, key_prefix="a/")
        callback = b64({"callbackUrl": receiver.url(), "callbackBody": "k=${object}"})
        refused = remote.trigger(remote.bucket, "a/b.txt", callback)
        assert refused["fault"]["id"] == fault["id"]
        assert remote.faults[0]["fired"] == 1
        remote.clear_faults()
        assert remote.faults == []
        assert len(receiver.requests) == 2


class TestCommandLine:
    """oss-emulator callbacks list|replay|trigger against a running server."""

    def test_list_replay_trigger(
        self,
        oss_emulator: EmulatorServer,
        bucket: oss2.Bucket,
        receiver: CallbackReceiver,
        other: CallbackReceiver,
        capsys: pytest.CaptureFixture[str],
    ) -> None:
        """Each subcommand prints JSON and exits 0."""
        url = ["--url", oss_emulator.endpoint]
        upload(bucket, receiver)
        capsys.readouterr()
        assert main(["callbacks", "list", *url]) == 0
        (listed,) = json.loads(capsys.readouterr().out)
        assert main(["callbacks", "replay", str(listed["id"]), "--to", other.url(), *url]) == 0
        replayed = json.loads(capsys.readouterr().out)
        assert replayed["replay_of"] == listed["id"]
        assert other.requests[0].verified
        callback = b64({"callbackUrl": receiver.url(), "callbackBody": "k=${object}&v=${x:v}"})
        args = ["--bucket", oss_emulator.bucket, "--key", "a/b.txt", "--callback", callback]
        assert main(["callbacks", "trigger", *args, "--callback-var", b64({"x:v": "3"}), *url]) == 0
        triggered = json.loads(capsys.readouterr().out)
        assert triggered["verdict"] == "success"
        assert receiver.requests[-1].body == b"k=a%2Fb.txt&v=3"

    def test_errors_exit_non_zero(
        self, oss_emulator: EmulatorServer, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """Unknown id, bad arguments and no server each exit non-zero."""
        assert main(["callbacks", "replay", "12345", "--url", oss_emulator.endpoint]) == 1
        assert "error" in json.loads(capsys.readouterr().out)
        assert main(["callbacks", "replay", "--url", oss_emulator.endpoint]) == 2
        assert main(["callbacks", "list", "--url", "http://127.0.0.1:9"]) == 3

    def test_url_before_the_command(
        self, oss_emulator: EmulatorServer, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """``callbacks --url U list`` works like ``callbacks list --url U``; after wins."""
        assert main(["callbacks", "--url", oss_emulator.endpoint, "list"], environ={}) == 0
        assert json.loads(capsys.readouterr().out) == []
        dead = "http://127.0.0.1:9"
        argv = ["callbacks", "--url", dead, "list", "--url", oss_emulator.endpoint]
        assert main(argv, environ={}) == 0
        assert main(["callbacks", "--url", dead, "list"], environ={}) == 3

    def test_default_url_from_environment(
        self, oss_emulator: EmulatorServer, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """Without --url, $OSS_EMULATOR_URL names the emulator."""
        status = main(["callbacks", "list"], environ={"OSS_EMULATOR_URL": oss_emulator.endpoint})
        assert status == 0
        assert json.loads(capsys.readouterr().out) == []
