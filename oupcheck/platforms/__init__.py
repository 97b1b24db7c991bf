"""Launchers for real third-party platforms on 127.0.0.1 (demo and self-tests)."""
