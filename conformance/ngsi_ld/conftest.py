"""Fixtures of the NGSI-LD checks: the probe API with its receiver, cleaned up at the end."""

import pytest

from oupcheck.receivers import http_receiver

from .api import NgsiAPI


@pytest.fixture(scope="session")
def ngsi(oup_run, http):
    host = str(oup_run.param("callback_host", "127.0.0.1"))
    receiver = http_receiver(oup_run, public_host=host)
    api = NgsiAPI(oup_run, http, receiver)
    try:
        yield api
    finally:
        oup_run.store.begin("clean-up")
        try:
            left = api.cleanup()
            oup_run.cleanup_left = left
        finally:
            oup_run.store.end()
            receiver.stop()
