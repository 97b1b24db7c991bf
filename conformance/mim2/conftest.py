"""Fixture of the MIM2 checks: entities sampled per type from the target (read-only)."""

import pytest

from .sample import Sampler


@pytest.fixture(scope="session")
def sample(oup_run, http):
    return Sampler(oup_run, http)
