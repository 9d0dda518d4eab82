"""Benchmarks of the ticker service against references, run as ``python -m benchmarks.run``."""
