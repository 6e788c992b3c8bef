"""The bare baseline: same server, same bearer authentication, one INSERT (see bench/README.md)."""
