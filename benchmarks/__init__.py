"""Benchmarks of intake_xstores against the raw libraries; run ``python -m benchmarks``."""
