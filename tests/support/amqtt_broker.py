"""amqtt (PyPI), an asyncio MQTT 3.1.1 broker, on 127.0.0.1: the second real broker of the
open-protocols self-tests (test-only: the demo uses Mosquitto)."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

from oupcheck.platforms.base import ServerProcess, free_port


def amqtt_bin() -> str:
    here = Path(sys.executable).parent / "amqtt"
    found = str(here) if here.exists() else shutil.which("amqtt")
    if not found:
        raise RuntimeError("amqtt is not installed (pip install amqtt, or the test extra)")
    return found


def server(workdir: Path, port: int | None = None) -> tuple[ServerProcess, str]:
    """A broker with anonymous access and no $SYS publishing, listening on loopback only."""
    port = port or free_port()
    workdir.mkdir(parents=True, exist_ok=True)
    conf = workdir / "amqtt.yaml"
    conf.write_text(
        "listeners:\n  default:\n    type: tcp\n"
        f"    bind: 127.0.0.1:{port}\n"
        "plugins:\n  amqtt.plugins.authentication.AnonymousAuthPlugin:\n"
        "    allow_anonymous: true\n", encoding="utf-8")
    proc = ServerProcess([amqtt_bin(), "-c", str(conf)], cwd=workdir,
                         log=workdir / "amqtt.log", ready_url=f"tcp://127.0.0.1:{port}",
                         ready_timeout=30)
    return proc, f"mqtt://127.0.0.1:{port}"
