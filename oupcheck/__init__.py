"""oupcheck: executable conformance suite for open urban platforms (the engine)."""

__version__ = "0.1.0"
