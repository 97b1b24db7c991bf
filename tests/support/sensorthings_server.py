"""django-ogc-sensorthings (PyPI), an OGC SensorThings API 1.1 server on SQLite, on 127.0.0.1:
a real SensorThings platform for the load and inventory self-tests. A four-file Django project
is written into the work directory, migrated, and served by uvicorn."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from oupcheck.platforms.base import ServerProcess, free_port

SETTINGS = """\
import uuid

SECRET_KEY = "oupcheck-test-only-not-secret"
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
INSTALLED_APPS = ["django.contrib.contenttypes", "django.contrib.auth",
                  "sensorthings.versions.v1_1", "sensorthings.versions.v1_1.backends.django"]
MIDDLEWARE = []
ROOT_URLCONF = "stasite.urls"
DATABASES = {{"default": {{"ENGINE": "django.db.backends.sqlite3", "NAME": {db!r}}}}}
USE_TZ = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
SENSORTHINGS_V1_1_SERVICE_URL = {url!r}
SENSORTHINGS_V1_1_BACKEND_ADAPTER = (
    "sensorthings.versions.v1_1.backends.django.adapter.DjangoBackendAdapter")
# the Django backend's ids are UUIDs: string ids, quoted in resource paths as the standard says
SENSORTHINGS_V1_1_ID_TYPE = uuid.UUID
SENSORTHINGS_V1_1_ID_DELIMITER = "'"
"""
URLS = """\
from django.urls import include, path

urlpatterns = [path("sensorthings/", include("sensorthings.versions.v1_1.urls"))]
"""
ASGI = """\
import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "stasite.settings")
from django.core.asgi import get_asgi_application  # noqa: E402

application = get_asgi_application()
"""


def server(workdir: Path, port: int | None = None) -> tuple[ServerProcess, str]:
    """Returns the process and the service root, http://127.0.0.1:P/sensorthings/v1.1/."""
    port = port or free_port()
    site = workdir / "stasite"
    site.mkdir(parents=True, exist_ok=True)
    service = f"http://127.0.0.1:{port}/sensorthings"
    root = service + "/v1.1"
    (site / "__init__.py").write_text("", encoding="utf-8")
    (site / "settings.py").write_text(SETTINGS.format(db=str(workdir / "sta.sqlite3"), url=service),
                                      encoding="utf-8")
    (site / "urls.py").write_text(URLS, encoding="utf-8")
    (site / "asgi.py").write_text(ASGI, encoding="utf-8")
    env = dict(os.environ, PYTHONPATH=str(workdir), DJANGO_SETTINGS_MODULE="stasite.settings")
    done = subprocess.run([sys.executable, "-m", "django", "migrate", "--noinput"], cwd=workdir,
                          env=env, capture_output=True, text=True, timeout=120)
    if done.returncode != 0:
        raise RuntimeError(f"SensorThings migrate failed: {done.stderr.strip()[-400:]}")
    proc = ServerProcess([sys.executable, "-m", "uvicorn", "stasite.asgi:application", "--host",
                          "127.0.0.1", "--port", str(port), "--log-level", "warning"],
                         env=env, cwd=workdir, log=workdir / "sensorthings.log",
                         ready_url=root + "/", ready_timeout=60)
    return proc, root + "/"
