"""A server process started on loopback, stopped by PID (whole process group)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from pathlib import Path

import requests


_HANDED_OUT: set[int] = set()


def free_port() -> int:
    """A loopback port nobody listens on, and not one this process handed out before.

    The kernel may give the same ephemeral port to two binds in a row once the first socket is
    closed; a server that asks for an HTTPS and an HTTP port would then get one port twice.
    """
    for _ in range(64):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        if port not in _HANDED_OUT:
            _HANDED_OUT.add(port)
            return port
    raise RuntimeError("no free loopback port that was not handed out already")


class ServerProcess:
    def __init__(self, argv: list[str], *, env: dict[str, str] | None = None, cwd: Path,
                 log: Path, ready_url: str, ready_timeout: float = 60.0):
        self.argv, self.env, self.cwd, self.log = argv, env, cwd, log
        self.ready_url, self.ready_timeout = ready_url, ready_timeout
        self.proc: subprocess.Popen | None = None

    def start(self) -> "ServerProcess":
        self.log.parent.mkdir(parents=True, exist_ok=True)
        logf = self.log.open("ab")
        self.proc = subprocess.Popen(self.argv, cwd=self.cwd, env=self.env, stdout=logf,
                                     stderr=subprocess.STDOUT, start_new_session=True)
        logf.close()
        deadline = time.monotonic() + self.ready_timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                tail = self.log.read_text(errors="replace")[-800:]
                raise RuntimeError(f"{self.argv[0]} exited with {self.proc.returncode}: {tail}")
            if self._ready():
                return self
            time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"{self.argv[0]} not ready at {self.ready_url} "
                           f"within {self.ready_timeout:g} s (log: {self.log})")

    def _ready(self) -> bool:
        if self.ready_url.startswith("tcp://"):
            host, port = self.ready_url[6:].rsplit(":", 1)
            try:
                with socket.create_connection((host, int(port)), timeout=2):
                    return True
            except OSError:
                return False
        try:
            return requests.get(self.ready_url, timeout=2).status_code < 500
        except requests.RequestException:
            return False

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        try:
            os.killpg(self.proc.pid, signal.SIGTERM)
            self.proc.wait(timeout=10)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self.proc.wait(timeout=5)

    def __enter__(self) -> "ServerProcess":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
