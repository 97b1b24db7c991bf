"""Helpers for the self-tests: the fault proxy."""
