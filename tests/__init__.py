"""Self-tests of oupcheck (run with pytest from the repository root)."""
