"""Store pools as Intake catalogs, and catalogs of stores as pools.

A pool file (see :mod:`intake_xstores.pool`) and a YAML catalog of
``xstore`` entries say the same thing. Here:

- ``xstore_pool`` (:class:`XStorePoolCatalog`), an Intake (v1) driver:
  ``intake.open_catalog("pool.yaml", driver="xstore_pool")`` (or
  ``intake.open_xstore_pool(...)``) gives one entry per configured store,
  each an ``xstore`` catalog of its data IDs, whose top-level store
  parameters are user parameters defaulting to the pool's values;
- :func:`pool_catalog_yaml` writes a pool as a YAML catalog (secrets become
  ``{{ env(...) }}`` templates): ``xstores catalog --from-pool pool.yaml``;
- :func:`catalog_to_pool` turns a catalog of stores into a pool.
"""

from __future__ import annotations

from typing import Any

from intake.catalog import Catalog
from intake.catalog.local import LocalCatalogEntry, UserParameter

from ..pool import DataStoreConfig, DataStorePool, DataStorePoolLike
from .catalog import XStoreCatalog
from .params import store_catalog_entry


def _entry(config: DataStoreConfig) -> dict[str, Any]:
    """The YAML catalog entry (a dict) of a pool's store *config*."""
    entry = store_catalog_entry(
        config.store_id, config.store_params, config.description or config.title
    )
    metadata = {k: v for k, v in (("title", config.title),) if v}
    if config.cost_params:
        metadata["cost_params"] = config.cost_params
    if metadata:
        entry["metadata"] = metadata
    return entry


def pool_catalog_yaml(pool: DataStorePoolLike) -> str:
    """A YAML catalog declaring every store of *pool*, one entry per instance name.

    Secrets in store parameters are written as ``{{ env(...) }}`` templates,
    never as values.
    """
    import yaml

    pool = DataStorePool.normalize(pool)
    sources = {name: _entry(pool.get_store_config(name)) for name in pool.store_instance_ids}
    catalog = {"metadata": {"version": 1}, "sources": sources}
    return yaml.safe_dump(catalog, sort_keys=False, default_flow_style=False)


class XStorePoolCatalog(Catalog):
    """The Intake catalog of a store pool: one ``xstore`` catalog per store.

    *pool* is a pool file (JSON or YAML), its dict, or a
    :class:`~intake_xstores.DataStorePool`. Store parameters keep their
    pool values, secrets included (they stay in memory); those that are
    user parameters can be changed per call, ``cat.era5(root=...)``.
    """

    name = "xstore_pool"
    container = "catalog"
    version = "0.1.0"

    def __init__(self, pool: DataStorePoolLike, **kwargs: Any):
        self._pool = DataStorePool.normalize(pool)
        if isinstance(pool, str):
            kwargs.setdefault("name", pool)
        super().__init__(**kwargs)

    @property
    def pool(self) -> DataStorePool:
        return self._pool

    def _load(self) -> None:
        self._entries = {}
        for name in self._pool.store_instance_ids:
            config = self._pool.get_store_config(name)
            entry = _entry(config)
            store_params = dict(entry["args"]["store_params"])
            for key, value in (config.store_params or {}).items():
                if store_params.get(key) != "{{ " + key + " }}":
                    store_params[key] = value  # the real value, not the redacted one
            self._entries[name] = LocalCatalogEntry(
                name=name,
                description=entry["description"],
                driver=XStoreCatalog,
                args={"store_id": config.store_id, "store_params": store_params},
                parameters=[UserParameter(name=k, **v) for k, v in entry["parameters"].items()],
                metadata=entry.get("metadata", {}),
                getenv=False,
                getshell=False,
                catalog=self,
            )


def catalog_to_pool(catalog: Catalog) -> DataStorePool:
    """A pool of the ``xstore`` entries of *catalog* (other entries are left out),
    with their arguments as rendered by Intake (defaults and environment)."""
    configs = {}
    for name in catalog:
        source = catalog[name]
        if isinstance(source, XStoreCatalog):
            metadata = getattr(source, "metadata", None) or {}
            configs[name] = DataStoreConfig(
                source.store_id,
                store_params=source.store_params,
                title=metadata.get("title"),
                description=source.description or None,
                cost_params=metadata.get("cost_params"),
            )
    return DataStorePool(configs)
