"""Import rules of style.md §2.1, and the project's own lint and type checks."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT

PACKAGE = ROOT / "emulator"

# The pure layer: protocol logic that takes values and returns values (style.md §2).
PURE = [
    "errors.py",
    "config.py",
    "routing.py",
    "timestamps.py",
    "imaging.py",
    "protocol/xml.py",
    "protocol/headers.py",
    "protocol/names.py",
    "protocol/checksums.py",
    "protocol/cors.py",
    "auth/model.py",
    "auth/post_policy.py",
    "auth/post_conditions.py",
    "auth/canonical.py",
    "auth/v1.py",
    "auth/v4.py",
    "auth/verify.py",
    "auth/keyring.py",
    "callback/model.py",
    "callback/parse.py",
    "callback/template.py",
    "callback/judge.py",
    "callback/signing.py",
    "storage/base.py",
    "sts/errors.py",
    "sts/signature.py",
    "sts/service.py",
]
FORBIDDEN = {
    "starlette",
    "uvicorn",
    "httpx",
    "socket",
    "sqlite3",
    "requests",
    "urllib.request",
    "asyncio",
    "subprocess",
    "threading",
}
ALLOWED_THIRD_PARTY = {
    "imaging.py": {"PIL", "pillow_heif"},
    "callback/signing.py": {"cryptography"},
    "protocol/checksums.py": {"anycrc"},
}


def imports_of(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for alias in node.names:  # "from emulator.auth import v1" imports emulator.auth.v1
                submodule = f"{node.module}.{alias.name}"
                is_module = (ROOT / (submodule.replace(".", "/") + ".py")).exists()
                found.add(submodule if is_module else node.module)
    return found


class TestPureLayer:
    """Pure modules import no I/O framework and only the package's pure parts."""

    @pytest.mark.parametrize("relative", PURE)
    def test_no_io_imports(self, relative: str) -> None:
        """No starlette, uvicorn, httpx, sockets, SQLite or threads in the pure layer."""
        imports = imports_of(PACKAGE / relative)
        bad = {name for name in imports if name.split(".")[0] in FORBIDDEN or name in FORBIDDEN}
        assert not bad, f"{relative} imports {bad}"

    @pytest.mark.parametrize("relative", PURE)
    def test_only_pure_siblings(self, relative: str) -> None:
        """Package imports stay inside the pure layer; third parties only where allowed."""
        pure_modules = {"emulator." + p[:-3].replace("/", ".") for p in PURE}
        for name in imports_of(PACKAGE / relative):
            root = name.split(".")[0]
            if root == "emulator":
                assert name in pure_modules or name == "emulator", f"{relative} imports {name}"
            elif root not in sys.stdlib_module_names and root != "__future__":
                assert root in ALLOWED_THIRD_PARTY.get(relative, set()), f"{relative}: {name}"

    def test_errors_imports_nothing_from_the_package(self) -> None:
        """errors.py is the root of the import graph."""
        assert not {n for n in imports_of(PACKAGE / "errors.py") if n.startswith("emulator")}


class TestQuality:
    """ruff and mypy (strict for emulator/) pass on the tree."""

    def test_ruff(self) -> None:
        """Lint rules of pyproject.toml."""
        result = subprocess.run(
            [sys.executable, "-m", "ruff", "check", "emulator", "tests", "fixtures"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert result.returncode == 0, result.stdout + result.stderr

    def test_mypy(self) -> None:
        """Strict typing of the package."""
        result = subprocess.run(
            [sys.executable, "-m", "mypy"], cwd=ROOT, capture_output=True, text=True, timeout=600
        )
        assert result.returncode == 0, result.stdout + result.stderr
