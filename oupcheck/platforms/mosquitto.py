"""Eclipse Mosquitto (Debian package) on 127.0.0.1 for the MQTT probes and self-tests."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from .base import ServerProcess, free_port


def mosquitto_bin(name: str = "mosquitto") -> str:
    found = shutil.which(name) or next((str(p) for p in (Path("/usr/sbin") / name,
                                                        Path("/usr/bin") / name) if p.exists()),
                                       None)
    if not found:
        raise RuntimeError(f"{name} is not installed (apt-get install -y mosquitto)")
    return found


def server(workdir: Path, port: int | None = None, *, cert: object | None = None,
           users: dict[str, str] | None = None) -> tuple[ServerProcess, str]:
    """A broker listening on loopback only, no persistence. Anonymous access unless ``users``
    (name -> password, hashed with mosquitto_passwd) is given; TLS (mqtts://) when ``cert``
    (a ``certs.CertFiles``) is given."""
    port = port or free_port()
    workdir.mkdir(parents=True, exist_ok=True)
    lines = [f"listener {port} 127.0.0.1", "persistence false", "log_dest stderr"]
    if os.geteuid() == 0:  # keep root so the broker can read its (0600) key and password file
        lines.append("user root")
    if users:
        pw = workdir / "passwords"
        pw.write_text("".join(f"{u}:{p}\n" for u, p in users.items()), encoding="utf-8")
        pw.chmod(0o600)
        subprocess.run([mosquitto_bin("mosquitto_passwd"), "-U", str(pw)], check=True,
                       capture_output=True, timeout=30)
        lines += ["allow_anonymous false", f"password_file {pw}"]
    else:
        lines.append("allow_anonymous true")
    if cert is not None:
        lines += [f"certfile {cert.cert}", f"keyfile {cert.key}"]
    conf = workdir / "mosquitto.conf"
    conf.write_text("\n".join(lines) + "\n", encoding="utf-8")
    proc = ServerProcess([mosquitto_bin(), "-c", str(conf)], cwd=workdir,
                         log=workdir / "mosquitto.log", ready_url=f"tcp://127.0.0.1:{port}",
                         ready_timeout=15)
    return proc, f"{'mqtts' if cert is not None else 'mqtt'}://127.0.0.1:{port}"
