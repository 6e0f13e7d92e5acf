"""Node.js and ali-oss for the tests: found or installed, never silently skipped.

``npm ci``/``npm install`` runs once into tests/node/node_modules (ignored by git) the first
time a test needs ali-oss; CI installs Node itself (.ci/run) when the machine lacks it.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

NODE_DIR = Path(__file__).resolve().parent / "node"


def ensure_ali_oss() -> str:
    """Path of the node binary, after making sure ali-oss is installed in tests/node."""
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        raise RuntimeError("the ali-oss tests need node and npm on PATH (.ci/run installs them)")
    if not (NODE_DIR / "node_modules" / "ali-oss" / "package.json").exists():
        subprocess.run(
            [npm, "install", "--no-audit", "--no-fund", "--loglevel=error"],
            cwd=NODE_DIR,
            check=True,
            timeout=600,
        )
    return node


def run_script(node: str, script: str, env: dict[str, str], timeout: float = 120) -> Any:
    """Run tests/node/<script> and return the JSON it prints on its last line."""
    result = subprocess.run(
        [node, str(NODE_DIR / script)],
        cwd=NODE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if result.returncode != 0:
        raise AssertionError(f"{script} failed:\n{result.stdout}\n{result.stderr}")
    return json.loads(result.stdout.strip().splitlines()[-1])
