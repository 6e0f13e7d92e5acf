"""Benchmarks: the emulator against a bare starlette upload handler, side by side in one run.

    .venv/bin/python -m tests.benchmark [--quick]

Not part of the test run. Both servers run as separate processes with the same uvicorn
settings (``emulator.server.uvicorn_config``) on loopback; the bare one streams each body
to a file while computing MD5, which is the least an object store must do. Figures:

1. 1 KiB PUT throughput (requests/s, keep-alive, 8 concurrent connections), signed V1
   requests for the emulator; target ratio >= 0.6.
2. One 256 MiB streamed PUT (MB/s), and the growth of the server's resident memory;
   targets: ratio >= 0.7, growth < 64 MiB.
3. CompleteMultipartUpload time for 64 MiB vs 512 MiB in 8 parts; target within 1.5x (R9).
4. 1 KiB PUTs carrying a callback to a trivial local receiver (another process) against
   the same PUTs without: the throughput ratio, and the p50 latency the callback adds
   beyond the receiver's own time (target <= 2 ms).
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import hashlib
import hmac
import json
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from email.utils import formatdate
from pathlib import Path

import psutil

AK, SK, BUCKET = "bench-ak", "bench-sk", "bench"
CHUNK = 1 << 20


# --- the bare baseline --------------------------------------------------------------------


def bare_app(directory: Path):  # type: ignore[no-untyped-def]
    """A starlette app that streams every PUT body to a new file with MD5, nothing more."""
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import Response
    from starlette.routing import Route

    async def put(request: Request) -> Response:
        digest = hashlib.md5()
        path = directory / uuid.uuid4().hex
        with path.open("wb") as handle:
            async for chunk in request.stream():
                digest.update(chunk)
                handle.write(chunk)
        return Response(b"", headers={"ETag": f'"{digest.hexdigest().upper()}"'})

    return Starlette(routes=[Route("/{path:path}", put, methods=["PUT", "POST"])])


def serve_bare(port_file: Path, directory: Path) -> None:
    import uvicorn

    from emulator.server import bind_socket, uvicorn_config

    sock = bind_socket("127.0.0.1", 0)
    port_file.write_text(str(sock.getsockname()[1]))
    uvicorn.Server(uvicorn_config(bare_app(directory), "warning")).run(sockets=[sock])


# --- servers as processes --------------------------------------------------------------------


class ServerProcess:
    def __init__(self, argv: list[str], port_pattern: str | None, port_file: Path | None) -> None:
        self.proc = subprocess.Popen(
            argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
        )
        self.port = self._wait_port(port_pattern, port_file)
        self.ps = psutil.Process(self.proc.pid)

    def _wait_port(self, pattern: str | None, port_file: Path | None) -> int:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if port_file is not None and port_file.exists() and port_file.read_text():
                return int(port_file.read_text())
            if pattern is not None and self.proc.stdout is not None:
                line = self.proc.stdout.readline()
                match = re.search(pattern, line)
                if match:
                    return int(match.group(1))
            time.sleep(0.01)
        raise RuntimeError("server did not start")

    def wait_ready(self) -> None:
        for _ in range(300):
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return
            except OSError:
                time.sleep(0.02)
        raise RuntimeError("server not accepting")

    def rss(self) -> int:
        return int(self.ps.memory_info().rss)

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=10)


def start_emulator(data_dir: Path) -> ServerProcess:
    server = ServerProcess(
        [
            sys.executable,
            "-m",
            "emulator",
            "--port",
            "0",
            "--data-dir",
            str(data_dir),
            "--access-key-id",
            AK,
            "--access-key-secret",
            SK,
            "--bucket",
            BUCKET,
            "--log-level",
            "warning",
        ],
        r"listening on http://127\.0\.0\.1:(\d+)",
        None,
    )
    server.wait_ready()
    return server


def start_bare(directory: Path) -> ServerProcess:
    port_file = directory / "port"
    server = ServerProcess(
        [
            sys.executable,
            "-c",
            "import sys; from pathlib import Path; from tests.benchmark import serve_bare; "
            "serve_bare(Path(sys.argv[1]), Path(sys.argv[2]))",
            str(port_file),
            str(directory),
        ],
        None,
        port_file,
    )
    server.wait_ready()
    return server


# --- a small HTTP/1.1 client (keep-alive, signed V1) --------------------------------------


def v1_headers(
    method: str,
    key: str,
    content_type: str = "",
    sub: str = "",
    oss_headers: dict[str, str] | None = None,
) -> dict[str, str]:
    date = formatdate(usegmt=True)
    resource = f"/{BUCKET}/{key}" + (f"?{sub}" if sub else "")
    canonical = "".join(f"{k.lower()}:{v}\n" for k, v in sorted((oss_headers or {}).items()))
    to_sign = f"{method}\n\n{content_type}\n{date}\n{canonical}{resource}"
    signature = base64.b64encode(hmac.new(SK.encode(), to_sign.encode(), hashlib.sha1).digest())
    headers = {"Date": date, "Authorization": f"OSS {AK}:{signature.decode()}"}
    if content_type:
        headers["Content-Type"] = content_type
    return headers


async def request(
    reader: asyncio.StreamReader,
    writer: asyncio.StreamWriter,
    method: str,
    path: str,
    headers: dict[str, str],
    body: bytes | Callable[[], object] = b"",
    length: int | None = None,
) -> tuple[int, bytes]:
    size = len(body) if isinstance(body, bytes) else length
    head = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1", f"Content-Length: {size}"]
    head += [f"{k}: {v}" for k, v in headers.items()]
    if isinstance(body, bytes):  # one write, as HTTP clients send small requests
        writer.write(("\r\n".join(head) + "\r\n\r\n").encode() + body)
    else:
        writer.write(("\r\n".join(head) + "\r\n\r\n").encode())
        for chunk in body():  # type: ignore[attr-defined]
            writer.write(chunk)
            await writer.drain()
    await writer.drain()
    status_line = await reader.readline()
    status = int(status_line.split()[1])
    content_length = 0
    while (line := await reader.readline()) not in (b"\r\n", b""):
        name, _, value = line.decode().partition(":")
        if name.lower() == "content-length":
            content_length = int(value)
    payload = await reader.readexactly(content_length) if content_length else b""
    return status, payload


def small_put_requests(
    signed: bool, connection: int, count: int, extra: dict[str, str] | None = None
) -> list[bytes]:
    """Whole 1 KiB PUT requests, built (and signed) before the clock starts, so the client
    spends its time on the wire, not on signing."""
    body = os.urandom(1024)
    requests = []
    for i in range(count):
        key = f"small/{connection}/{i}"
        extra = extra or {}
        headers = {**v1_headers("PUT", key, oss_headers=extra), **extra} if signed else {}
        head = [f"PUT /{BUCKET}/{key} HTTP/1.1", "Host: 127.0.0.1", "Content-Length: 1024"]
        head += [f"{k}: {v}" for k, v in headers.items()]
        requests.append(("\r\n".join(head) + "\r\n\r\n").encode() + body)
    return requests


async def read_response(reader: asyncio.StreamReader) -> int:
    status = int((await reader.readline()).split()[1])
    length = 0
    while (line := await reader.readline()) not in (b"\r\n", b""):
        if line[:15].lower() == b"content-length:":
            length = int(line[15:])
    if length:
        await reader.readexactly(length)
    return status


async def put_throughput(
    server: ServerProcess,
    signed: bool,
    seconds: float,
    connections: int = 8,
    extra: dict[str, str] | None = None,
) -> tuple[float, float]:
    """Requests per second, and the server's CPU use (1.0 = one core) meanwhile."""
    prepared = [
        small_put_requests(signed, n, int(seconds * 1200), extra) for n in range(connections)
    ]
    done = 0
    stop_at = 0.0

    async def worker(requests: list[bytes]) -> None:
        nonlocal done
        reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
        for request in requests:
            if time.perf_counter() >= stop_at:
                break
            writer.write(request)
            status = await read_response(reader)
            assert status == 200, status
            done += 1
        writer.close()

    cpu_before = server.ps.cpu_times()
    start = time.perf_counter()
    stop_at = start + seconds
    await asyncio.gather(*(worker(requests) for requests in prepared))
    elapsed = time.perf_counter() - start
    cpu_after = server.ps.cpu_times()
    cpu = (cpu_after.user + cpu_after.system - cpu_before.user - cpu_before.system) / elapsed
    return done / elapsed, cpu


async def big_put(server: ServerProcess, signed: bool, size: int) -> tuple[float, int]:
    reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
    block = os.urandom(CHUNK)
    peak = server.rss()
    before = peak

    def chunks():  # type: ignore[no-untyped-def]
        nonlocal peak
        for n in range(size // CHUNK):
            if n % 16 == 0:
                peak = max(peak, server.rss())
            yield block

    headers = v1_headers("PUT", "big") if signed else {}
    start = time.perf_counter()
    status, _ = await request(reader, writer, "PUT", f"/{BUCKET}/big", headers, chunks, size)
    elapsed = time.perf_counter() - start
    peak = max(peak, server.rss())
    writer.close()
    assert status == 200, status
    return size / elapsed / 1e6, peak - before


async def multipart_complete_time(port: int, total: int, parts: int = 8) -> float:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    key = f"mp-{total}"
    sub = "uploads"
    status, body = await request(
        reader, writer, "POST", f"/{BUCKET}/{key}?uploads", v1_headers("POST", key, sub=sub)
    )
    upload_id = re.search(rb"<UploadId>(\w+)</UploadId>", body).group(1).decode()  # type: ignore[union-attr]
    part_size = total // parts
    block = os.urandom(CHUNK)
    xml = ["<CompleteMultipartUpload>"]
    for number in range(1, parts + 1):
        sub = f"partNumber={number}&uploadId={upload_id}"

        def part_chunks():  # type: ignore[no-untyped-def]
            for _ in range(part_size // CHUNK):
                yield block

        digest = hashlib.md5()
        for _ in range(part_size // CHUNK):
            digest.update(block)
        status, _ = await request(
            reader,
            writer,
            "PUT",
            f"/{BUCKET}/{key}?{sub}",
            v1_headers("PUT", key, sub=sub),
            part_chunks,
            part_size,
        )
        assert status == 200
        xml.append(
            f"<Part><PartNumber>{number}</PartNumber>"
            f'<ETag>"{digest.hexdigest().upper()}"</ETag></Part>'
        )
    xml.append("</CompleteMultipartUpload>")
    sub = f"uploadId={upload_id}"
    start = time.perf_counter()
    status, body = await request(
        reader,
        writer,
        "POST",
        f"/{BUCKET}/{key}?{sub}",
        v1_headers("POST", key, sub=sub),
        "".join(xml).encode(),
    )
    elapsed = time.perf_counter() - start
    assert status == 200, body
    writer.close()
    return elapsed


# --- callbacks -------------------------------------------------------------------------------


def serve_receiver(port_file: Path) -> None:
    """A trivial application server: answers every POST with {"Status":"OK"} at once, and
    reports how long it held each request (from its first byte to the answer) in a header."""

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while True:
            line = await reader.readline()
            if not line:
                break
            start = time.perf_counter()
            length = 0
            while (header := await reader.readline()) not in (b"\r\n", b""):
                if header[:15].lower() == b"content-length:":
                    length = int(header[15:])
            await reader.readexactly(length)
            body = b'{"Status":"OK"}'
            held = (time.perf_counter() - start) * 1e6
            writer.write(
                b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                + f"Content-Length: {len(body)}\r\nX-Held-Us: {held:.0f}\r\n".encode()
                + b"Connection: close\r\n\r\n"
                + body
            )
            await writer.drain()
            break
        writer.close()

    async def main() -> None:
        server = await asyncio.start_server(handle, "127.0.0.1", 0)
        port_file.write_text(str(server.sockets[0].getsockname()[1]))
        await server.serve_forever()

    asyncio.run(main())


def start_receiver(directory: Path) -> ServerProcess:
    port_file = directory / "receiver-port"
    server = ServerProcess(
        [
            sys.executable,
            "-c",
            "import sys; from pathlib import Path; from tests.benchmark import serve_receiver; "
            "serve_receiver(Path(sys.argv[1]))",
            str(port_file),
        ],
        None,
        port_file,
    )
    server.wait_ready()
    return server


def callback_headers(receiver_port: int) -> dict[str, str]:
    callback = {
        "callbackUrl": f"http://127.0.0.1:{receiver_port}/cb",
        "callbackBody": "bucket=${bucket}&object=${object}&etag=${etag}&size=${size}",
    }
    encoded = base64.b64encode(json.dumps(callback).encode()).decode()
    return {"x-oss-callback": encoded}


async def put_latencies(port: int, count: int, extra: dict[str, str]) -> list[float]:
    """Sequential 1 KiB PUTs on one connection; seconds each."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    body = os.urandom(1024)
    latencies = []
    for i in range(count):
        key = f"lat/{i}"
        headers = {**v1_headers("PUT", key, oss_headers=extra), **extra}
        start = time.perf_counter()
        status, _ = await request(reader, writer, "PUT", f"/{BUCKET}/{key}", headers, body)
        latencies.append(time.perf_counter() - start)
        assert status == 200, status
    writer.close()
    return latencies


def reset_emulator(port: int) -> None:
    import urllib.request

    request = urllib.request.Request(f"http://127.0.0.1:{port}/_emulator/reset", method="POST")
    with urllib.request.urlopen(request) as answer:
        answer.read()


def clear_files(directory: Path) -> None:
    for path in directory.iterdir():
        if path.is_file() and path.name != "port":
            path.unlink()


def journal_held_ms(port: int) -> list[float]:
    """The receiver's own time per callback, from the X-Held-Us header in the journal."""
    import urllib.request

    with urllib.request.urlopen(f"http://127.0.0.1:{port}/_emulator/callbacks") as answer:
        entries = json.load(answer)
    held = []
    for entry in entries:
        for name, value in entry["response"]["headers"]:
            if name.lower() == "x-held-us":
                held.append(int(value) / 1000)
    return held


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="shorter runs, smaller objects")
    parser.add_argument(
        "--dir",
        type=Path,
        default=Path.cwd(),
        help="where both servers keep their files (default: the current "
        "directory; both share one file system so the comparison is fair)",
    )
    args = parser.parse_args(argv)
    seconds = 3.0 if args.quick else 8.0
    big = (64 if args.quick else 256) << 20
    with tempfile.TemporaryDirectory(prefix=".oss-bench-", dir=args.dir) as tmp:
        root = Path(tmp)
        (root / "bare").mkdir()
        emulator = start_emulator(root / "emulator")
        bare = start_bare(root / "bare")
        try:
            # Both servers first serve a short burst that is not measured: a fresh process
            # pays for first-use costs (imports, caches, SQLite pages) in its first requests.
            asyncio.run(put_throughput(emulator, True, 0.5))
            asyncio.run(put_throughput(bare, False, 0.5))
            rounds = []
            for _ in range(3):
                # Each round starts both servers empty: the bare handler slows down as its
                # directory fills with files, so this measures it at its fastest.
                reset_emulator(emulator.port)
                clear_files(root / "bare")
                rounds.append(
                    (
                        asyncio.run(put_throughput(emulator, True, seconds / 3)),
                        asyncio.run(put_throughput(bare, False, seconds / 3)),
                    )
                )
            emu_rps = statistics.median(r[0][0] for r in rounds)
            bare_rps = statistics.median(r[1][0] for r in rounds)
            ratios = sorted(r[0][0] / r[1][0] for r in rounds)
            emu_cpu = statistics.mean(r[0][1] for r in rounds)
            bare_cpu = statistics.mean(r[1][1] for r in rounds)
            emu_mbs, emu_growth = asyncio.run(big_put(emulator, True, big))
            bare_mbs, bare_growth = asyncio.run(big_put(bare, False, big))
            small_mp = asyncio.run(multipart_complete_time(emulator.port, 64 << 20))
            large_mp = asyncio.run(multipart_complete_time(emulator.port, 512 << 20))
            bare.stop()
            receiver = start_receiver(root)
            with_cb = callback_headers(receiver.port)
            cb_rounds = [
                (
                    asyncio.run(put_throughput(emulator, True, seconds / 2, extra=with_cb))[0],
                    asyncio.run(put_throughput(emulator, True, seconds / 2))[0],
                )
                for _ in range(2)
            ]
            cb_rps = statistics.mean(r[0] for r in cb_rounds)
            plain_rps = statistics.mean(r[1] for r in cb_rounds)
            count = 200 if args.quick else 1000
            asyncio.run(put_latencies(emulator.port, 50, {}))  # warm up both paths
            plain_lat = asyncio.run(put_latencies(emulator.port, count, {}))
            cb_lat = asyncio.run(put_latencies(emulator.port, count, with_cb))
            held = journal_held_ms(emulator.port)
            receiver.stop()
        finally:
            emulator.stop()
            bare.stop()
    print(
        f"1 KiB PUT: emulator {emu_rps:.0f} req/s, bare {bare_rps:.0f} req/s, "
        f"ratio {emu_rps / bare_rps:.2f} (rounds {', '.join(f'{r:.2f}' for r in ratios)}; "
        f"target >= 0.6); server CPU emulator "
        f"{emu_cpu:.0%}, bare {bare_cpu:.0%} of a core"
    )
    print(
        f"{big >> 20} MiB PUT: emulator {emu_mbs:.0f} MB/s, bare {bare_mbs:.0f} MB/s, "
        f"ratio {emu_mbs / bare_mbs:.2f} (target >= 0.7); RSS growth emulator "
        f"{emu_growth / 2**20:.1f} MiB, bare {bare_growth / 2**20:.1f} MiB (target < 64)"
    )
    print(
        f"Complete 8 parts: 64 MiB {small_mp * 1000:.1f} ms, 512 MiB {large_mp * 1000:.1f} ms, "
        f"ratio {large_mp / small_mp:.2f} (target <= 1.5)"
    )
    p50_plain = statistics.median(plain_lat) * 1000
    p50_cb = statistics.median(cb_lat) * 1000
    p50_held = statistics.median(held) if held else 0.0
    print(
        f"1 KiB PUT with callback: {cb_rps:.0f} req/s vs {plain_rps:.0f} without, ratio "
        f"{cb_rps / plain_rps:.2f}; p50 latency {p50_cb:.2f} ms vs {p50_plain:.2f} ms, "
        f"receiver's own p50 {p50_held:.3f} ms: the callback adds "
        f"{p50_cb - p50_plain - p50_held:.2f} ms (target <= 2)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
