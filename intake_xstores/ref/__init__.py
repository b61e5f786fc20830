"""The ``reference`` data store: kerchunk reference sets opened as lazy datasets."""

from .store import ReferenceDataStore

__all__ = ["ReferenceDataStore"]
