"""Fixtures shared by the conformance classes."""

import pytest

from .security.endpoint import Endpoint


@pytest.fixture(scope="session")
def endpoint(oup_run) -> Endpoint:
    """The platform's HTTP(S) endpoint and its (single, cached) TLS scan."""
    return Endpoint(oup_run)
