"""The ``oss-emulator`` command: parse settings, bind, print how to connect, serve.

``oss-emulator callbacks list|replay|trigger ...`` instead talks to a running emulator's
control API (``--url``, default ``$OSS_EMULATOR_URL`` or ``http://127.0.0.1:9050``) and
prints JSON; any other first argument starts the server as before.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import signal
import sys
from collections.abc import Mapping, Sequence

import uvicorn

from emulator import logs
from emulator.app import create_app
from emulator.callback.keys import SigningKeyError
from emulator.config import ConfigError, Settings, parse_args
from emulator.server import ControlError, bind_socket, control_request, uvicorn_config

DEFAULT_URL = "http://127.0.0.1:9050"


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
    # Behind a published port (containers) the public URL is not where the socket is bound.
    bound = f"{settings.host}:{settings.port}"
    where = url if url.endswith(f"//{bound}") else f"{url} (bound to {bound})"
    return f"""\
oss-emulator listening on {where}
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
    if args[:1] == ["callbacks"]:
        return callbacks_main(args[1:], os.environ if environ is None else environ)
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
    config = uvicorn_config(app, settings.log_level)  # installs uvicorn's log handlers
    logs.configure(settings.log_format, settings.log_level)
    server = uvicorn.Server(config)
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


def _callbacks_parser(environ: Mapping[str, str]) -> argparse.ArgumentParser:
    url = argparse.ArgumentParser(add_help=False)
    url.add_argument("--url", default=argparse.SUPPRESS, help="the emulator's base URL")
    parser = argparse.ArgumentParser(
        prog="oss-emulator callbacks",
        description="List, replay and trigger upload callbacks of a running emulator.",
    )
    # Accepted before the command too (``callbacks --url U list``); a value given after the
    # command wins, and SUPPRESS keeps the subcommand from resetting it to its default.
    parser.add_argument(
        "--url",
        default=environ.get("OSS_EMULATOR_URL") or DEFAULT_URL,
        help="the emulator's base URL (default $OSS_EMULATOR_URL or %(default)s)",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("list", parents=[url], help="every recorded callback attempt")
    replay = commands.add_parser("replay", parents=[url], help="re-send a recorded callback")
    replay.add_argument("id", type=int, help="the journal entry id")
    replay.add_argument("--to", help="send to this URL instead (re-signed for it)")
    trigger = commands.add_parser(
        "trigger", parents=[url], help="fire a callback for a stored object, without uploading"
    )
    trigger.add_argument("--bucket", required=True)
    trigger.add_argument("--key", required=True)
    trigger.add_argument("--callback", required=True, help="Base64 callback JSON, as OSS takes it")
    trigger.add_argument("--callback-var", help="Base64 callback-var JSON")
    trigger.add_argument("--operation", help="the operation variable (default PutObject)")
    return parser


def callbacks_main(argv: Sequence[str], environ: Mapping[str, str]) -> int:
    """``oss-emulator callbacks ...``: print the answer as JSON; 1 on an error answer,
    2 on bad arguments, 3 when no emulator answers."""
    try:
        args = _callbacks_parser(environ).parse_args(list(argv))
    except SystemExit as stop:
        return stop.code if isinstance(stop.code, int) else 2
    try:
        if args.command == "list":
            answer = control_request(args.url, "GET", "/_emulator/callbacks")
        elif args.command == "replay":
            payload = {} if args.to is None else {"url": args.to}
            answer = control_request(
                args.url, "POST", f"/_emulator/callbacks/{args.id}/replay", payload
            )
        else:
            body = {"bucket": args.bucket, "key": args.key, "callback": args.callback}
            if args.callback_var is not None:
                body["callback_var"] = args.callback_var
            if args.operation is not None:
                body["operation"] = args.operation
            answer = control_request(args.url, "POST", "/_emulator/callbacks/trigger", body)
    except ControlError as err:
        print(json.dumps(err.answer, indent=2, ensure_ascii=False))
        print(f"oss-emulator callbacks: {err}", file=sys.stderr)
        return 1
    except OSError as exc:
        print(f"oss-emulator callbacks: no emulator answers at {args.url}: {exc}", file=sys.stderr)
        return 3
    print(json.dumps(answer, indent=2, ensure_ascii=False))
    return 0
