"""Listing for stores whose data IDs are a fixed set of collections, each a dataset.

:class:`~intake_xstores.store.CollectionListing` lives with the engine's
store classes, as the ``reference`` store lists its reference sets with it
too; the ``stac_ardc`` stores import it from here.
"""

from __future__ import annotations

from ..store import CollectionListing

__all__ = ["CollectionListing"]
