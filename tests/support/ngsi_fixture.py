"""Start the labelled reference NGSI-LD test fixture (fixtures/ngsi_ld/server.py) in a thread."""

from __future__ import annotations

import importlib.util
import threading
from pathlib import Path

from .cli import REPO_ROOT


def load_module():
    path = REPO_ROOT / "fixtures" / "ngsi_ld" / "server.py"
    spec = importlib.util.spec_from_file_location("ngsi_ld_reference_server", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


class ReferenceServer:
    def __init__(self, shared_data: Path):
        self.mod = load_module()
        self.srv = self.mod.make_server(str(shared_data / "ngsi-ld" /
                                            "ngsi-ld-core-context-v1.8.jsonld"))
        self.thread = threading.Thread(target=self.srv.serve_forever, daemon=True)
        self.thread.start()
        self.url = f"http://127.0.0.1:{self.srv.server_address[1]}/"

    def tenant(self, name: str):
        return self.srv.broker.tenants.get(name)

    def stop(self) -> None:
        self.srv.shutdown()
        self.srv.server_close()
