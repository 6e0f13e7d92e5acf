"""The compose stack under podman, as ../shared/spec/containers.md says to run it here.

The machines have no Docker engine and no registry, so the test of docker-compose.yml:

* finds podman, runc and debootstrap, or installs Debian's packages (as root) when missing;
  podman-compose comes with the test dependencies (pyproject ``test`` extra);
* points podman at a containers.conf for the sandbox (runc, cgroupfs, no default ulimits);
* builds the local base image with debootstrap once (``podman image exists`` first);
* runs ``podman-compose`` with the build network and CA certificates the builds need.

Compose healthcheck timers do not run without systemd, so readiness is polled from here and
the image's check is run with ``podman healthcheck run``. Every failure names the step and
carries its output (and the stack's logs), so a broken container step is easy to read in CI.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BASE_IMAGE = "localhost/oss-emulator-base:bookworm"
DEBIAN_MIRROR = "http://deb.debian.org/debian"
CONTAINERS_CONF = """\
[containers]
default_ulimits = []
[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
"""
#: Builds install from PyPI and npm through the host's TLS proxy (containers.md §4);
#: ``--format docker`` keeps the images' HEALTHCHECK instruction.
BUILD_ARGS = "--format docker --network host -v /etc/ssl/certs:/etc/ssl/certs:ro"
TOOLS = {"podman": "podman", "runc": "runc", "debootstrap": "debootstrap"}


class ContainerStepFailed(AssertionError):
    """A container step failed; the message has the command and the end of its output."""


def run(
    command: list[str], *, env: dict[str, str], timeout: float, step: str, stderr: bool = False
) -> str:
    """Run a command to completion; its stdout (and stderr after it, if asked), or
    ContainerStepFailed naming ``step``."""
    try:
        result = subprocess.run(
            command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout
        )
    except subprocess.TimeoutExpired as expired:
        raise ContainerStepFailed(
            f"{step}: no result after {timeout:.0f} s: {' '.join(command)}\n"
            f"{_tail(expired.stdout)}\n{_tail(expired.stderr)}"
        ) from None
    if result.returncode != 0:
        raise ContainerStepFailed(
            f"{step} failed (exit {result.returncode}): {' '.join(command)}\n"
            f"{_tail(result.stdout)}\n{_tail(result.stderr)}"
        )
    return result.stdout + (result.stderr if stderr else "")


def _tail(text: str | bytes | None, limit: int = 4000) -> str:
    if isinstance(text, bytes):
        text = text.decode(errors="replace")
    return (text or "")[-limit:]


def ensure_tools() -> None:
    """podman, runc and debootstrap on PATH, installed with apt-get (as root) if missing."""
    missing = [package for tool, package in TOOLS.items() if shutil.which(tool) is None]
    if not missing:
        return
    apt_get = shutil.which("apt-get")
    if apt_get is None or os.geteuid() != 0:
        raise ContainerStepFailed(
            f"the compose test needs {', '.join(missing)}: install them "
            f"(apt-get install {' '.join(missing)}), see ../shared/spec/containers.md"
        )
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    run([apt_get, "update", "-q"], env=env, timeout=1200, step="apt-get update")
    run([apt_get, "install", "-y", "-q", *missing], env=env, timeout=1200, step="apt-get install")


def podman_compose() -> str:
    """The podman-compose installed with the test dependencies (next to this Python)."""
    beside = Path(sys.executable).parent / "podman-compose"
    found = str(beside) if beside.exists() else shutil.which("podman-compose")
    if found is None:
        raise ContainerStepFailed(
            "podman-compose is missing: it is a test dependency (pip install -e '.[test]')"
        )
    return found


def podman_env(workdir: Path) -> dict[str, str]:
    """The environment for podman: the sandbox's containers.conf."""
    conf = workdir / "containers.conf"
    conf.write_text(CONTAINERS_CONF)
    return {**os.environ, "CONTAINERS_CONF": str(conf)}


def ensure_base_image(env: dict[str, str], workdir: Path) -> None:
    """The local Debian bookworm image (python3 3.11) the builds start from (containers.md §3)."""
    exists = subprocess.run(["podman", "image", "exists", BASE_IMAGE], env=env, check=False)
    if exists.returncode == 0:
        return
    rootfs = workdir / "rootfs"
    run(
        [
            "debootstrap",
            "--variant=minbase",
            "--include=python3,python3-venv,python3-pip,ca-certificates",
            "bookworm",
            str(rootfs),
            DEBIAN_MIRROR,
        ],
        env=env,
        timeout=1200,
        step="debootstrap of the base image",
    )
    tar = subprocess.Popen(["tar", "-C", str(rootfs), "-c", "."], stdout=subprocess.PIPE)
    try:
        imported = subprocess.run(
            ["podman", "import", "-", BASE_IMAGE],
            stdin=tar.stdout,
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
        )
    finally:
        if tar.stdout is not None:
            tar.stdout.close()
        tar.wait(timeout=600)
    if imported.returncode != 0:
        raise ContainerStepFailed(f"podman import of the base image failed:\n{imported.stderr}")
    shutil.rmtree(rootfs, ignore_errors=True)


def wait_for(url: str, *, timeout: float, what: str, logs: str = "") -> None:
    """Poll ``url`` until it answers 200, or fail naming ``what``."""
    deadline = time.monotonic() + timeout
    last = ""
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=3) as answer:
                if answer.status == 200:
                    return
                last = f"status {answer.status}"
        except (OSError, urllib.error.URLError) as err:
            last = str(err)
        time.sleep(0.5)
    raise ContainerStepFailed(f"{what} did not answer {url} within {timeout:.0f} s ({last})")


@dataclass
class ComposeStack:
    """docker-compose.yml brought up under a project name of its own, on chosen host ports."""

    project: str
    oss_port: int
    app_port: int
    env: dict[str, str]
    compose: str = field(default_factory=podman_compose)
    #: Set once a test has taken the stack down and checked nothing was left.
    down_checked: bool = False

    def _compose(self, *args: str, timeout: float, step: str, stderr: bool = False) -> str:
        command = [self.compose, "-p", self.project, *args]
        return run(command, env=self.env, timeout=timeout, step=step, stderr=stderr)

    def up(self) -> None:
        try:
            self._compose(
                f"--podman-build-args={BUILD_ARGS}",
                "up",
                "--build",
                "-d",
                timeout=1500,
                step="podman-compose up --build",
            )
            wait_for(self.url("/_emulator/health"), timeout=120, what="the emulator")
            wait_for(self.app_url("/"), timeout=120, what="the example app")
        except ContainerStepFailed as failure:
            raise ContainerStepFailed(f"{failure}\n--- stack logs ---\n{self.logs()}") from None

    def logs(self, *services: str) -> str:
        """The end of the services' output (all services by default)."""
        try:
            output = self._compose("logs", *services, timeout=60, step="podman-compose logs")
            return _tail(output, 8000)
        except ContainerStepFailed as failure:
            return str(failure)

    def down(self) -> str:
        """Stop and remove the stack, its volume and the images it built (each run has a
        project of its own, so nothing is left to pile up); what podman-compose printed."""
        return self._compose(
            "down", "-v", "--rmi", "local", timeout=300, step="podman-compose down", stderr=True
        )

    def container(self, service: str) -> str:
        """The name of a service's container."""
        names = run(
            [
                "podman",
                "ps",
                "--filter",
                f"label=io.podman.compose.project={self.project}",
                "--filter",
                f"label=com.docker.compose.service={service}",
                "--format",
                "{{.Names}}",
            ],
            env=self.env,
            timeout=60,
            step="podman ps",
        ).split()
        if len(names) != 1:
            raise ContainerStepFailed(f"expected one running {service} container, got {names}")
        return names[0]

    def containers(self) -> list[str]:
        """Every container of the project, running or not."""
        return run(
            [
                "podman",
                "ps",
                "-a",
                "--filter",
                f"label=io.podman.compose.project={self.project}",
                "--format",
                "{{.Names}}",
            ],
            env=self.env,
            timeout=60,
            step="podman ps -a",
        ).split()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.oss_port}{path}"

    def app_url(self, path: str) -> str:
        return f"http://localhost:{self.app_port}{path}"
