"""docker-compose.yml for real: build, up, an upload whose callback the example app verifies,
down. Run with podman-compose as ../shared/spec/containers.md describes (tests/
container_support.py installs what is missing and builds the local base image).

The stack is the one a user brings up with ``docker compose up``: the emulator under the
network alias ``gosspublic.alicdn.com`` advertising
``http://gosspublic.alicdn.com/callback_pub_key_v1.pem``, and the example app (fixtures/app)
whose callback check accepts only keys from that host, as Alibaba's samples do. Only the
host ports (free ones) and the base image (the local Debian one) differ.
"""

from __future__ import annotations

import base64
import json
import os
import re
import socket
import subprocess
import urllib.parse
import urllib.request
import warnings
from collections.abc import Iterator

import pytest

from tests.container_support import (
    BASE_IMAGE,
    ROOT,
    ComposeStack,
    ContainerStepFailed,
    ensure_base_image,
    ensure_tools,
    podman_env,
    run,
)
from tests.example_app import (
    FORM_CONTENT,
    SEED_CONTENT,
    SEED_KEY,
    assert_form_verified,
    assert_seed_upload_verified,
    run_page,
)

pytestmark = [pytest.mark.containers, pytest.mark.browser, pytest.mark.slow]

BUCKET = "test-bucket"  # docker-compose.yml's OSS_EMULATOR_BUCKET
KEY_URL = "http://gosspublic.alicdn.com/callback_pub_key_v1.pem"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture(scope="module", name="stack")
def _stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ComposeStack]:
    ensure_tools()
    workdir = tmp_path_factory.mktemp("podman")
    env = podman_env(workdir)
    ensure_base_image(env, workdir)
    oss_port, app_port = free_port(), free_port()
    stack = ComposeStack(
        project=f"osstest{os.getpid()}",
        oss_port=oss_port,
        app_port=app_port,
        env={
            **env,
            "OSS_EMULATOR_BASE_IMAGE": BASE_IMAGE,
            "OSS_EMULATOR_HOST_PORT": str(oss_port),
            "APP_HOST_PORT": str(app_port),
        },
    )
    try:
        stack.up()
        yield stack
    finally:
        # Always, even when a build failed half-way (an image may exist without any
        # container); a failing down must not hide the failure that got us here.
        if not stack.down_checked:
            try:
                stack.down()
            except ContainerStepFailed as failure:
                warnings.warn(f"cleaning up the compose stack failed: {failure}", stacklevel=1)


def get_json(url: str) -> object:
    with urllib.request.urlopen(url, timeout=10) as answer:
        return json.load(answer)


def object_bytes(stack: ComposeStack, key: str) -> bytes:
    """An object as the emulator's page downloads it (the control API, no signature)."""
    query = urllib.parse.urlencode({"bucket": BUCKET, "key": key})
    url = stack.url(f"/_emulator/api/download?{query}")
    with urllib.request.urlopen(url, timeout=10) as answer:
        data: bytes = answer.read()
        return data


def test_emulator_image_healthcheck_passes(stack: ComposeStack) -> None:
    """The image's HEALTHCHECK, run by podman, passes on the port the stack listens on."""
    run(
        ["podman", "healthcheck", "run", stack.container("oss")],
        env=stack.env,
        timeout=60,
        step="podman healthcheck run",
    )


def test_compose_healthcheck_is_the_images() -> None:
    """docker-compose.yml repeats the Dockerfile's HEALTHCHECK command, so the check podman
    runs above is also the one ``docker run`` users get."""
    dockerfile = (ROOT / "Dockerfile").read_text()
    compose = (ROOT / "docker-compose.yml").read_text()
    (image_check,) = re.findall(r'CMD (\["python3".*\])', dockerfile)
    (compose_check,) = re.findall(r'test: \["CMD", (.*\])', compose)
    assert json.loads(image_check) == json.loads("[" + compose_check)


def test_key_url_alias_reaches_the_emulator(stack: ComposeStack) -> None:
    """From the app's container, the advertised key URL is the emulator's public key."""
    fetched = run(
        [
            "podman",
            "exec",
            stack.container("app"),
            "python",
            "-c",
            f"import urllib.request; print(urllib.request.urlopen({KEY_URL!r}).read().decode())",
        ],
        env=stack.env,
        timeout=60,
        step="fetching the key URL inside the network",
    )
    with urllib.request.urlopen(stack.url("/callback_pub_key_v1.pem"), timeout=10) as answer:
        served = answer.read().decode()
    assert "BEGIN PUBLIC KEY" in served
    assert fetched.strip() == served.strip()


def test_seed_page_upload_verified_by_the_app(stack: ComposeStack) -> None:
    """The app's page (ali-oss, STS credentials from the app) gets the app's verified answer."""
    observed = run_page(stack.app_url("/"), "compose-seed-page.png")
    assert_seed_upload_verified(observed, BUCKET)
    assert object_bytes(stack, SEED_KEY) == SEED_CONTENT
    entries = get_json(stack.url("/_emulator/callbacks"))
    assert isinstance(entries, list)
    (attempt,) = [e for e in entries if e["upload"]["key"] == SEED_KEY]
    assert attempt["verdict"] == "success", attempt
    headers = {name.lower(): value for name, value in attempt["request"]["headers"]}
    assert base64.b64decode(headers["x-oss-pub-key-url"]).decode() == KEY_URL
    assert attempt["url"] == "http://app:8080/callback"
    # What a user watching `compose up` sees: the app's own line for the verification.
    assert f"callback verified: bucket={BUCKET}&object={SEED_KEY}&" in stack.logs("app")


def test_form_page_upload_verified_by_the_app(stack: ComposeStack) -> None:
    """The signed-form page: the app signs the policy, verifies the callback, the page sees it."""
    observed = run_page(stack.app_url("/form.html"), "compose-form-page.png")
    assert_form_verified(observed)
    assert object_bytes(stack, "user-dir/hello.txt") == FORM_CONTENT


def test_down_removes_the_stack(stack: ComposeStack) -> None:
    """``down`` stops both services on their stop signal (no fallback to a kill) and leaves
    no container, data volume or image of the project behind."""
    printed = stack.down()
    stack.down_checked = True
    assert "SIGKILL" not in printed, printed
    assert stack.containers() == []
    volumes = subprocess.run(
        ["podman", "volume", "ls", "--format", "{{.Name}}"],
        env=stack.env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    assert not [name for name in volumes if name.startswith(stack.project)]
    images = subprocess.run(
        ["podman", "images", "--format", "{{.Repository}}"],
        env=stack.env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    assert not [name for name in images if stack.project in name]
