"""Benchmarks and load scripts (see bench/README.md). Run them as modules: `python -m bench.<name>`."""
