"""Fault injection: each kind fires, is recorded, expires and is cleared (emulator/faults.py).

Real server, real receivers, oss2 uploads; faults switched on through the fixture handle
and the raw control API.
"""

from __future__ import annotations

import time
import xml.etree.ElementTree as ET

import httpx
import oss2
import pytest

from emulator.faults import FaultError, Faults, parse_fault
from emulator.receiver import CallbackReceiver
from emulator.server import ControlError, EmulatorServer
from tests.conftest import b64

pytestmark = pytest.mark.sdk


def callback_headers(receiver: CallbackReceiver) -> dict[str, str]:
    return {"x-oss-callback": b64({"callbackUrl": receiver.url(), "callbackBody": "k=${object}"})}


def put_failing(
    bucket: oss2.Bucket, receiver: CallbackReceiver, key: str = "k.txt"
) -> tuple[str | None, str | None]:
    """Upload with a callback that fails: 203 CallbackFailed's (Message, EC)."""
    result = bucket.put_object(key, b"data", headers=callback_headers(receiver))
    assert result.status == 203
    error = ET.fromstring(result.resp.read())
    assert error.findtext("Code") == "CallbackFailed"
    return error.findtext("Message"), error.findtext("EC")


class TestCallbackFaults:
    """lose_reply, delay and refuse."""

    def test_lose_reply(
        self, oss_emulator: EmulatorServer, bucket: oss2.Bucket, receiver: CallbackReceiver
    ) -> None:
        """The app gets the callback; the uploader gets 203 as if the reply were lost."""
        fault = oss_emulator.add_fault("lose_reply")
        assert fault["kind"] == "lose_reply" and fault["id"] >= 1
        assert put_failing(bucket, receiver) == ("Cost too long time.", "0007-00000202")
        assert len(receiver.requests) == 1 and receiver.requests[0].verified
        assert bucket.object_exists("k.txt")
        (entry,) = oss_emulator.callbacks
        assert entry["fault"]["id"] == fault["id"]
        assert entry["fault"]["kind"] == "lose_reply"
        assert entry["verdict"] == "failure"
        assert entry["response"]["status"] == 200
        assert oss_emulator.faults[0]["fired"] == 1

    def test_delay(
        self, oss_emulator: EmulatorServer, bucket: oss2.Bucket, receiver: CallbackReceiver
    ) -> None:
        """The callback waits the given seconds before delivery, then succeeds."""
        oss_emulator.add_fault("delay", seconds=0.4)
        started = time.monotonic()
        result = bucket.put_object("k.txt", b"data", headers=callback_headers(receiver))
        assert time.monotonic() - started >= 0.4
        assert result.status == 200
        assert receiver.requests[0].verified
        (entry,) = oss_emulator.callbacks
        assert entry["fault"]["kind"] == "delay" and entry["fault"]["seconds"] == 0.4
        assert entry["verdict"] == "success"

    def test_refuse(
        self, oss_emulator: EmulatorServer, bucket: oss2.Bucket, receiver: CallbackReceiver
    ) -> None:
        """Nothing is delivered; the uploader gets 203 Too many callback requests."""
        oss_emulator.add_fault("refuse")
        assert put_failing(bucket, receiver) == ("Too many callback requests.", "0007-00000201")
        assert receiver.requests == []
        assert bucket.object_exists("k.txt")
        (entry,) = oss_emulator.callbacks
        assert entry["fault"]["kind"] == "refuse"
        assert entry["message"] == "Too many callback requests."
        assert entry["response"]["status"] is None

    def test_times_expiry(
        self, oss_emulator: EmulatorServer, bucket: oss2.Bucket, receiver: CallbackReceiver
    ) -> None:
        """A fault with times=1 fires once, then stays listed as inactive."""
        oss_emulator.add_fault("refuse", times=1)
        put_failing(bucket, receiver)
        assert bucket.put_object("k.txt", b"data", headers=callback_headers(receiver)).status == 200
        (listed,) = oss_emulator.faults
        assert listed["fired"] == 1 and listed["active"] is False
        assert listed["last_fired"] is not None
        assert "fault" not in oss_emulator.callbacks[1]

    def test_filters(
        self, oss_emulator: EmulatorServer, bucket: oss2.Bucket, receiver: CallbackReceiver
    ) -> None:
        """bucket and key_prefix filters limit where a fault fires."""
        oss_emulator.add_fault("refuse", key_prefix="bad/")
        oss_emulator.add_fault("refuse", bucket="another-bucket")
        assert bucket.put_object("ok.txt", b"d", headers=callback_headers(receiver)).status == 200
        put_failing(bucket, receiver, "bad/x")
        assert [f["fired"] for f in oss_emulator.faults] == [1, 0]

    def test_faults_apply_to_trigger(
        self, oss_emulator: EmulatorServer, bucket: oss2.Bucket, receiver: CallbackReceiver
    ) -> None:
        """A triggered callback meets the faults too, and the entry says so."""
        bucket.put_object("k.txt", b"data")
        oss_emulator.add_fault("refuse")
        callback = b64({"callbackUrl": receiver.url(), "callbackBody": "k=${object}"})
        entry = oss_emulator.trigger(oss_emulator.bucket, "k.txt", callback)
        assert entry["fault"]["kind"] == "refuse"
        assert receiver.requests == []


class TestUploadFaults:
    """slow_upload and fail_upload."""

    def test_slow_upload(self, oss_emulator: EmulatorServer, bucket: oss2.Bucket) -> None:
        """The upload takes at least the given seconds and is stored."""
        oss_emulator.add_fault("slow_upload", seconds=0.3)
        started = time.monotonic()
        assert bucket.put_object("s.txt", b"slow").status == 200
        assert time.monotonic() - started >= 0.3
        assert bucket.get_object("s.txt").read() == b"slow"
        assert oss_emulator.faults[0]["fired"] == 1

    def test_fail_upload(self, oss_emulator: EmulatorServer, bucket: oss2.Bucket) -> None:
        """The upload answers 500 InternalError and nothing is stored."""
        oss_emulator.add_fault("fail_upload", times=1)
        with pytest.raises(oss2.exceptions.ServerError) as caught:
            bucket.put_object("f.txt", b"x" * 100_000)
        assert caught.value.status == 500
        assert caught.value.code == "InternalError"
        assert not bucket.object_exists("f.txt")
        (listed,) = oss_emulator.faults
        assert listed["fired"] == 1 and not listed["active"]
        assert bucket.put_object("f.txt", b"x").status == 200

    def test_reads_are_not_upload_faults(
        self, oss_emulator: EmulatorServer, bucket: oss2.Bucket
    ) -> None:
        """Only uploads meet storage faults."""
        bucket.put_object("r.txt", b"r")
        oss_emulator.add_fault("fail_upload")
        assert bucket.get_object("r.txt").read() == b"r"
        assert oss_emulator.faults[0]["fired"] == 0


class TestControlApi:
    """GET/POST/DELETE /_emulator/faults and reset."""

    def test_add_list_remove_clear(self, oss_emulator: EmulatorServer) -> None:
        """Faults get ids, are listed, removed one by one or all at once."""
        base = oss_emulator.endpoint + "/_emulator/faults"
        first = httpx.post(base, json={"kind": "delay", "seconds": 1, "times": 2}).json()
        second = httpx.post(base, json={"kind": "refuse", "bucket": "b"}).json()
        assert [f["id"] for f in httpx.get(base).json()] == [first["id"], second["id"]]
        assert httpx.delete(f"{base}/{first['id']}").status_code == 204
        assert httpx.delete(f"{base}/{first['id']}").status_code == 404
        assert [f["id"] for f in oss_emulator.faults] == [second["id"]]
        assert httpx.delete(base).status_code == 204
        assert oss_emulator.faults == []

    @pytest.mark.parametrize(
        "body",
        [
            {"kind": "nope"},
            {"kind": "delay"},
            {"kind": "delay", "seconds": -1},
            {"kind": "refuse", "times": 0},
            {"kind": "refuse", "colour": "red"},
            {"kind": "refuse", "bucket": 3},
            [],
        ],
    )
    def test_bad_fault_is_400(self, oss_emulator: EmulatorServer, body: object) -> None:
        """Unknown kinds, fields and bad values are refused."""
        answer = httpx.post(oss_emulator.endpoint + "/_emulator/faults", json=body)
        assert answer.status_code == 400
        assert "error" in answer.json()

    def test_bad_fault_through_handle(self, oss_emulator: EmulatorServer) -> None:
        """The handle raises ControlError with the status."""
        with pytest.raises(ControlError) as caught:
            oss_emulator.add_fault("nope")
        assert caught.value.status == 400

    def test_reset_clears_faults(self, oss_emulator: EmulatorServer) -> None:
        """POST /_emulator/reset and the handle's reset() both drop every fault."""
        oss_emulator.add_fault("refuse")
        assert httpx.post(oss_emulator.endpoint + "/_emulator/reset").status_code == 200
        assert oss_emulator.faults == []
        oss_emulator.add_fault("refuse")
        oss_emulator.reset()
        assert oss_emulator.faults == []


class TestModel:
    """The pure matching of emulator.faults."""

    def test_oldest_matching_fires_first(self) -> None:
        """Of two matching faults the older fires; a prefix filter never matches no key."""
        faults = Faults()
        faults.add({"kind": "refuse", "times": 1}, 0.0)
        faults.add({"kind": "refuse", "key_prefix": "a"}, 0.0)
        first = faults.fire("refuse", "b", "abc", 1.0)
        second = faults.fire("refuse", "b", "abc", 2.0)
        assert first is not None and first.id == 1
        assert second is not None and second.id == 2
        assert faults.fire("refuse", "b", None, 3.0) is None
        assert faults.fire("delay", "b", "abc", 3.0) is None

    def test_seconds_only_for_timed_kinds(self) -> None:
        """refuse takes no seconds."""
        with pytest.raises(FaultError):
            parse_fault({"kind": "refuse", "seconds": 1}, fault_id=1, now=0.0)
