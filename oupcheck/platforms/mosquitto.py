"""Eclipse Mosquitto (Debian package) on 127.0.0.1 for the MQTT probes and self-tests."""

from __future__ import annotations

import shutil
from pathlib import Path

from .base import ServerProcess, free_port


def mosquitto_bin() -> str:
    found = shutil.which("mosquitto") or ("/usr/sbin/mosquitto"
                                          if Path("/usr/sbin/mosquitto").exists() else None)
    if not found:
        raise RuntimeError("mosquitto is not installed (apt-get install -y mosquitto)")
    return found


def server(workdir: Path, port: int | None = None) -> tuple[ServerProcess, str]:
    """A broker with anonymous access, no persistence, listening on loopback only."""
    port = port or free_port()
    workdir.mkdir(parents=True, exist_ok=True)
    conf = workdir / "mosquitto.conf"
    conf.write_text(f"listener {port} 127.0.0.1\nallow_anonymous true\npersistence false\n"
                    "log_dest stderr\n", encoding="utf-8")
    proc = ServerProcess([mosquitto_bin(), "-c", str(conf)], cwd=workdir,
                         log=workdir / "mosquitto.log", ready_url=f"tcp://127.0.0.1:{port}",
                         ready_timeout=15)
    return proc, f"mqtt://127.0.0.1:{port}"
