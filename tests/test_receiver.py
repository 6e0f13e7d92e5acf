"""The callback receiver fixture's server as a test author sees it on the console."""

from __future__ import annotations

import socket
import struct
import threading
import time

import pytest

from emulator.receiver import CallbackReceiver, Reply


def handler_threads() -> list[threading.Thread]:
    """The receiver's per-request threads (socketserver names them after their target)."""
    return [t for t in threading.enumerate() if "process_request_thread" in t.name]


def test_client_hanging_up_leaves_no_traceback(capsys: pytest.CaptureFixture[str]) -> None:
    """When the caller resets the connection before the scripted (delayed) reply is written,
    as the emulator does past its callback timeout, the receiver prints nothing."""
    with CallbackReceiver() as receiver:
        receiver.default_reply = Reply(delay=0.3)
        with socket.create_connection(("127.0.0.1", receiver.port)) as client:
            client.sendall(b"POST /cb HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\na=b")
            receiver.wait_for(1)
            # SO_LINGER 0: close with a reset, so the receiver's write fails at once.
            client.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        # The reply is attempted after the delay, in the request's handler thread: wait for
        # that thread to finish rather than for a guessed time.
        deadline = time.monotonic() + 10
        while handler_threads() and time.monotonic() < deadline:
            time.sleep(0.02)
        assert not handler_threads(), "the receiver never finished the request"
        assert len(receiver.requests) == 1
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err and "Exception" not in captured.err, captured.err
