"""The ``oss-emulator`` command: parse settings, bind, print how to connect, serve."""

from __future__ import annotations

import dataclasses
import os
import signal
import sys
from collections.abc import Mapping, Sequence

import uvicorn

from emulator import logs
from emulator.app import create_app
from emulator.callback.keys import SigningKeyError
from emulator.config import ConfigError, Settings, parse_args
from emulator.server import bind_socket, uvicorn_config


def banner(settings: Settings, url: str) -> str:
    """What the emulator prints at start: where it listens, credentials, SDK snippets."""
    token = settings.security_token
    bucket = settings.buckets[0] if settings.buckets else "my-bucket"
    ak, sk = settings.access_key_id, settings.access_key_secret
    port = url.rsplit(":", 1)[-1].rstrip("/")
    sts = f", security token {token}" if token else ""
    oss2_auth = (
        f'oss2.StsAuth("{ak}", "{sk}", "{token}")' if token else f'oss2.Auth("{ak}", "{sk}")'
    )
    v2_creds = f'"{ak}", "{sk}"' + (f', "{token}"' if token else "")
    js_token = f", stsToken: '{token}'" if token else ""
    return f"""\
oss-emulator listening on {url}
  region {settings.region}, buckets: {", ".join(settings.buckets) or "(none)"}
  AccessKeyId {ak}, AccessKeySecret {sk}{sts}
  data in {settings.data_dir.resolve()}; signature checking {"on" if settings.auth else "off"}

oss2:
  bucket = oss2.Bucket({oss2_auth}, "{url}", "{bucket}", region="{settings.region}")
alibabacloud-oss-v2:
  cfg = oss.config.load_default()
  cfg.credentials_provider = oss.credentials.StaticCredentialsProvider({v2_creds})
  cfg.region, cfg.endpoint = "{settings.region}", "{url}"
ali-oss (Node):
  new OSS({{ accessKeyId: '{ak}', accessKeySecret: '{sk}'{js_token}, bucket: '{bucket}',
            region: 'oss-{settings.region}', endpoint: '{url}' }})
ali-oss (browser):
  new OSS({{ ..., bucket: '{bucket}', endpoint: 'http://localhost:{port}' }})
"""


def main(argv: Sequence[str] | None = None, environ: Mapping[str, str] | None = None) -> int:
    """Run the emulator until interrupted. Returns the exit status (2 for bad settings)."""
    args = list(sys.argv[1:] if argv is None else argv)
    try:
        settings = parse_args(args, os.environ if environ is None else environ)
    except ConfigError as exc:
        print(f"oss-emulator: {exc}", file=sys.stderr)
        return 2
    try:
        sock = bind_socket(settings.host, settings.port)
    except OSError as exc:
        print(
            f"oss-emulator: --host/--port: cannot listen on {settings.host}:{settings.port}: "
            f"{exc.strerror}",
            file=sys.stderr,
        )
        return 2
    settings = dataclasses.replace(settings, port=sock.getsockname()[1])
    try:
        app = create_app(settings)
    except SigningKeyError as exc:
        sock.close()
        print(f"oss-emulator: --callback-private-key: {exc}", file=sys.stderr)
        return 2
    except (OSError, RuntimeError) as exc:  # unwritable, or in use by another emulator
        sock.close()
        print(f"oss-emulator: --data-dir: {exc}", file=sys.stderr)
        return 2
    print(banner(settings, settings.base_url()), flush=True)
    logs.configure(settings.log_format, settings.log_level)
    server = uvicorn.Server(uvicorn_config(app, settings.log_level))
    # uvicorn shuts down gracefully on SIGINT/SIGTERM, then re-raises the signal: let that
    # end in a clean exit 0 (docker stop, Ctrl-C) with the index closed.
    signal.signal(signal.SIGTERM, _exit_cleanly)
    try:
        server.run(sockets=[sock])
    except KeyboardInterrupt:
        pass
    except SystemExit as stop:
        if stop.code not in (0, None):
            raise
    finally:
        app.state.storage.close()
    return 0


def _exit_cleanly(signum: int, frame: object) -> None:
    raise SystemExit(0)
