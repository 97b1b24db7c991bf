"""The bundled real platform: pygeoapi (PyPI) serving the Dutch demo datasets.

pygeoapi ships no example data, so oupcheck brings its own (fixtures/pygeoapi):
three synthetic city collections, two served through pygeoapi's TinyDB
provider (bbox + datetime filtering) and one through its GeoJSON provider.
"""

from __future__ import annotations

import json
import os
import shutil
import string
import subprocess
import sys
from pathlib import Path

from ..errors import UsageError
from ..resources import root_dir
from .base import ServerProcess, free_port

TINYDB_COLLECTIONS = ("utrecht-luchtkwaliteit", "amsterdam-parken")
GEOJSON_COLLECTIONS = ("eindhoven-lantaarnpalen",)
DEMO_EXTRA = "pip install 'oupcheck[demo]'"


def require_demo() -> None:
    """The demo platform's packages (the ``demo`` extra) are importable, or a one-line error."""
    import importlib.util
    missing = [m for m in ("pygeoapi", "tinydb", "gunicorn") if importlib.util.find_spec(m) is None]
    if missing:
        raise UsageError(f"the bundled demo platform needs {', '.join(missing)}, which "
                         f"{'is' if len(missing) == 1 else 'are'} not installed: {DEMO_EXTRA}")


def pygeoapi_bin() -> str:
    exe = Path(sys.executable).parent / "pygeoapi"
    if exe.exists():
        return str(exe)
    found = shutil.which("pygeoapi")
    if not found:
        raise UsageError(f"the pygeoapi command is not installed: {DEMO_EXTRA}")
    return found


def prepare(workdir: Path, port: int, public_url: str | None = None) -> dict[str, str]:
    """Write data, config and OpenAPI document into ``workdir``; return the server env.

    ``public_url`` is the URL clients use (a TLS front before pygeoapi); links point there.
    """
    require_demo()
    from tinydb import TinyDB  # a dependency of pygeoapi

    src = root_dir("fixtures") / "pygeoapi"
    data = workdir / "data"
    data.mkdir(parents=True, exist_ok=True)
    for name in TINYDB_COLLECTIONS:
        path = data / f"{name}.tinydb"
        path.unlink(missing_ok=True)
        features = json.loads((src / "data" / f"{name}.geojson").read_text("utf-8"))["features"]
        db = TinyDB(path)
        db.insert_multiple(features)
        db.close()
    for name in GEOJSON_COLLECTIONS:
        shutil.copyfile(src / "data" / f"{name}.geojson", data / f"{name}.geojson")
    config = string.Template((src / "config.template.yml").read_text("utf-8")).substitute(
        PORT=port, DATA_DIR=str(data),
        PUBLIC_URL=(public_url or f"http://127.0.0.1:{port}").rstrip("/"))
    return configure(workdir, config)


def configure(workdir: Path, config: str, stem: str = "pygeoapi") -> dict[str, str]:
    """Write a pygeoapi config, generate its OpenAPI document; return the server env."""
    cfg = workdir / f"{stem}-config.yml"
    oas = workdir / f"{stem}-openapi.yml"
    cfg.write_text(config, encoding="utf-8")
    env = dict(os.environ, PYGEOAPI_CONFIG=str(cfg), PYGEOAPI_OPENAPI=str(oas))
    subprocess.run([pygeoapi_bin(), "openapi", "generate", str(cfg), "--output-file", str(oas)],
                   env=env, cwd=workdir, check=True, capture_output=True, timeout=120)
    return env


def gunicorn(workdir: Path, port: int, env: dict[str, str],
             stem: str = "pygeoapi") -> tuple[ServerProcess, str]:
    """pygeoapi under gunicorn, as it is deployed in production ('pygeoapi serve' is Flask's
    debug server); not started yet."""
    url = f"http://127.0.0.1:{port}/"
    proc = ServerProcess([sys.executable, "-m", "gunicorn", "pygeoapi.flask_app:APP",
                          "--bind", f"127.0.0.1:{port}", "--workers", "2", "--threads", "4",
                          "--timeout", "60"],
                         env=env, cwd=workdir, log=workdir / f"{stem}.log",
                         ready_url=url + "conformance")
    return proc, url


def server(workdir: Path, port: int | None = None,
           public_url: str | None = None) -> tuple[ServerProcess, str]:
    port = port or free_port()
    workdir.mkdir(parents=True, exist_ok=True)
    return gunicorn(workdir, port, prepare(workdir, port, public_url))
