"""Fixtures of the OGC API - Features checks."""

import pytest

from .api import FeaturesAPI


@pytest.fixture(scope="session")
def oaf(oup_run) -> FeaturesAPI:
    return FeaturesAPI(oup_run)
