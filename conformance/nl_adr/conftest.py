"""Fixtures of the NL API Design Rules checks."""

import pytest

from .api import AdrAPI


@pytest.fixture(scope="session")
def adr(oup_run, http) -> AdrAPI:
    return AdrAPI(oup_run, http)
