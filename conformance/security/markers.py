"""Marker helper: the requirement IDs a security check verifies (IDs as in the profile)."""

import pytest


def requirement(*ids: str):
    return pytest.mark.requirement(*ids)
