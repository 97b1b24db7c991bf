"""Session fixtures for the self-tests: the real pygeoapi, the fault proxy, the CLI runner."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import Callable, Iterator

import pytest

from .support.cli import REPO_ROOT, CliResult, run_cli
from .support.faultproxy import FaultProxy

# the self-tests send nothing beyond 127.0.0.1: a request to another host (an external $ref of
# a real server's OpenAPI document) is not sent, and its row says so (oupcheck/http.py)
os.environ["OUPCHECK_LOOPBACK_ONLY"] = "1"


@pytest.fixture(scope="session")
def shared_data() -> Path:
    path = REPO_ROOT.parent / "shared" / "data"
    if not path.is_dir():
        pytest.fail(f"the shared data directory {path} is missing: the self-tests need the "
                    "published schemas there (next to the checkout, as ../shared/data)",
                    pytrace=False)
    return path


@pytest.fixture(scope="session")
def pygeoapi_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    from oupcheck.platforms import pygeoapi

    proc, url = pygeoapi.server(tmp_path_factory.mktemp("pygeoapi"))
    with proc:
        yield url


@pytest.fixture(scope="session")
def mosquitto_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Real Mosquitto (Debian) on 127.0.0.1: ``mqtt://127.0.0.1:P``."""
    from oupcheck.platforms import mosquitto

    proc, url = mosquitto.server(tmp_path_factory.mktemp("mosquitto"))
    with proc:
        yield url


@pytest.fixture(scope="session")
def fault_proxy(pygeoapi_url: str) -> Iterator[FaultProxy]:
    proxy = FaultProxy(pygeoapi_url)
    proxy.start()
    try:
        yield proxy
    finally:
        proxy.stop()


@pytest.fixture(scope="session")
def oup(shared_data: Path) -> Callable[..., CliResult]:
    """``oup("run", "--profile", p, "--target", t, "--out", tmp_path / "out", timeout=300)``

    Runs ``python -m oupcheck.cli`` with OUPCHECK_DATA_DIR set to ``shared_data``.
    """

    def run(*args: str | Path, timeout: float = 300,
            env: dict[str, str] | None = None) -> CliResult:
        argv = [str(a) for a in args]
        try:
            return run_cli(argv, env={"OUPCHECK_DATA_DIR": str(shared_data), **(env or {})},
                           timeout=timeout)
        except subprocess.TimeoutExpired as exc:
            tail = exc.stderr.decode(errors="replace")[-3000:] if exc.stderr else ""
            pytest.fail(f"oupcheck {' '.join(argv)} did not finish within {timeout:g} s\n"
                        f"--- stderr ---\n{tail}", pytrace=False)

    return run
