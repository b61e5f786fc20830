"""The Intake 2 face: data stores as Intake 2 data types, readers and catalogs.

Intake 2 (``intake.readers``) knows a reader, data type or converter once
its class is defined; our ``intake.imports`` entry point names this package,
so ``import intake`` imports it and ``intake.recommend``, pipelines and
``intake.from_yaml_file`` know our classes:

- data types (:mod:`.datatypes`): :class:`XStore` (a store),
  :class:`XStoreData` (a data ID of a store);
- readers: :class:`XStoreReader` (a data ID -> ``xarray.Dataset``,
  ``MultiLevelDataset`` or ``GeoDataFrame``) and
  :class:`XStoreCatalogReader` (a store -> :class:`StoreCatalog` of its data
  IDs);
- user parameters from JSON Schemas (:mod:`.parameters`);
- converters for our output types (:mod:`.convert`);
- catalogs of stores as Intake 2 YAML (:func:`store_reader_v2`,
  :func:`catalog_v2`, ``xstores catalog --v2``).

The Intake v1 drivers (:mod:`intake_xstores.intake.source`,
:mod:`~intake_xstores.intake.catalog`) open data through :class:`XStoreReader`
and list data IDs through :class:`DataIdListing`: one implementation, two faces.
"""

from . import convert
from .catalog import (
    DataIdListing,
    DataIdLookupError,
    StoreCatalog,
    XStoreCatalogReader,
    catalog_v2,
    catalog_yaml,
    store_reader_v2,
)
from .datatypes import XStore, XStoreData, get_store
from .parameters import SchemaParameter, drop_unset, schema_parameters
from .readers import XStoreReader, descriptor_metadata, output_instance_of

__all__ = [
    "DataIdListing",
    "DataIdLookupError",
    "SchemaParameter",
    "StoreCatalog",
    "XStore",
    "XStoreCatalogReader",
    "XStoreData",
    "XStoreReader",
    "catalog_v2",
    "catalog_yaml",
    "convert",
    "descriptor_metadata",
    "drop_unset",
    "get_store",
    "output_instance_of",
    "schema_parameters",
    "store_reader_v2",
]
