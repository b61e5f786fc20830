"""Fakes of the plugin stores' web services, shared by tests, notebooks and benchmarks."""
