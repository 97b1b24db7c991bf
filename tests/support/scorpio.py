"""Scorpio (ETSI NGSI-LD broker, Java/Quarkus), a real NGSI-LD broker built from its public
source (see ../shared/targets.md), on 127.0.0.1 with a private PostgreSQL + PostGIS cluster.

CI has no build of it: ``OUPCHECK_SCORPIO_JAR`` names ``AllInOneRunner/target/quarkus-app/
quarkus-run.jar`` of a build made in a development session. What the suite learns from it is
kept as a recording (tests/recordings/scorpio-mim1-ngsi-ld) that CI judges offline.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from oupcheck.platforms.base import ServerProcess, free_port

PG_BIN = Path("/usr/lib/postgresql/15/bin")


def jar() -> Path | None:
    path = os.environ.get("OUPCHECK_SCORPIO_JAR")
    return Path(path) if path and Path(path).is_file() else None


class _Postgres:
    """A private cluster in ``workdir`` (trust on loopback, superuser ``oupcheck``)."""

    def __init__(self, workdir: Path):
        # its own folder under the system's temporary folder: as root, the cluster runs as
        # the postgres user, which may not enter the caller's (private) work folder
        self.root = Path(tempfile.mkdtemp(prefix="oupcheck-pg-"))
        self.dir, self.port = self.root / "data", free_port()
        self.sock = self.root / "sock"
        self.as_postgres = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []

    def _run(self, *argv: str) -> None:
        subprocess.run(self.as_postgres + list(argv), check=True, capture_output=True,
                       timeout=120)

    def start(self) -> "_Postgres":
        for d in (self.root, self.dir, self.sock):
            d.mkdir(parents=True, exist_ok=True)
            if self.as_postgres:
                shutil.chown(d, "postgres", "postgres")
        self._run(str(PG_BIN / "initdb"), "-D", str(self.dir), "-U", "oupcheck",
                  "--auth=trust")
        with (self.dir / "postgresql.conf").open("a") as conf:
            conf.write(f"\nlisten_addresses = '127.0.0.1'\nport = {self.port}\n"
                       f"unix_socket_directories = '{self.sock}'\nmax_connections = 200\n")
        self._run(str(PG_BIN / "pg_ctl"), "-D", str(self.dir), "-l", str(self.dir / "log"),
                  "-w", "start")
        self._run(str(PG_BIN / "createdb"), "-h", "127.0.0.1", "-p", str(self.port), "-U",
                  "oupcheck", "scorpio")
        return self

    def stop(self) -> None:
        try:
            self._run(str(PG_BIN / "pg_ctl"), "-D", str(self.dir), "-m", "fast", "stop")
        except (subprocess.CalledProcessError, subprocess.TimeoutExpired):
            pass
        shutil.rmtree(self.root, ignore_errors=True)


def target_file(path: Path, scorpio_url: str, mqtt_url: str) -> Path:
    """The target file of a Scorpio run: its NGSI-LD API, Mosquitto for MQTT notifications,
    writes allowed, and the classes Scorpio documents (core, temporal, MQTT notifications)."""
    path.write_text(json.dumps({
        "name": "Scorpio (ETSI NGSI-LD broker, built from its public source)",
        "interfaces": [{"kind": "ngsi-ld", "url": scorpio_url},
                       {"kind": "mqtt", "url": mqtt_url}],
        "writes_allowed": True,
        "claims": {"conformance_classes": ["ngsi-ld:core", "ngsi-ld:temporal",
                                           "ngsi-ld:mqtt-notifications"]}}), encoding="utf-8")
    return path


class Scorpio:
    def __init__(self, workdir: Path, jar_path: Path):
        self.workdir, self.jar = workdir, jar_path
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/"
        self.pg = _Postgres(workdir)
        self.proc: ServerProcess | None = None

    def start(self) -> "Scorpio":
        self.pg.start()
        here = f"http://127.0.0.1:{self.port}"
        argv = ["java", "-Xmx3g", "-Dquarkus.profile=in-memory", "-Dquarkus.http.host=127.0.0.1",
                f"-Dquarkus.http.port={self.port}", "-Ddbhost=127.0.0.1",
                f"-Ddbport={self.pg.port}", "-Ddbuser=oupcheck", "-Ddbpass=oupcheck",
                "-Ddbname=scorpio", f"-Dscorpio.gatewayurl={here}",
                f"-Datcontext.url={here}/ngsi-ld/v1/jsonldContexts/",
                "-Dgateway.host=127.0.0.1", f"-Dgateway.port={self.port}",
                f"-Dselfhostcorecontext={here}/corecontext",
                f"-Dquarkus.rest-client.entity-service.url={here}",
                f"-Dquarkus.rest-client.atcontext-service.url={here}",
                f"-Dscorpio.entity-manager-server={here}", f"-Dscorpio.at-context-server={here}",
                "-jar", str(self.jar)]
        self.proc = ServerProcess(argv, cwd=self.workdir, log=self.workdir / "scorpio.log",
                                  ready_url=f"{here}/ngsi-ld/v1/entities?type=X",
                                  ready_timeout=180)
        try:
            self.proc.start()
        except RuntimeError:
            self.pg.stop()
            raise
        return self

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.stop()
        self.pg.stop()

    def __enter__(self) -> "Scorpio":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
