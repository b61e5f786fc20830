"""The Intake face: every data store an Intake catalog, every data ID an entry.

Two Intake (v1 API) drivers, registered in the ``intake.drivers`` entry-point
group, so Intake finds them by name in YAML catalogs and as
``intake.open_xstore(...)`` / ``intake.open_xstore_data(...)``:

- ``xstore`` (:class:`XStoreCatalog`): a catalog over one data store;
- ``xstore_data`` (:class:`XStoreSource`): one data ID of a store.

JSON Schemas become Intake user parameters in :mod:`.params`. Importing
``intake_xstores`` does not import this subpackage (nor Intake).
"""

import warnings

from .catalog import XStoreCatalog, XStoreEntry
from .params import (
    coerce_rendered,
    intake_type,
    parameter_schema,
    store_catalog_entry,
    store_catalog_yaml,
    user_parameter,
    user_parameters,
)
from .source import XStoreSource

__all__ = [
    "XStoreCatalog",
    "XStoreEntry",
    "XStoreSource",
    "coerce_rendered",
    "intake_type",
    "parameter_schema",
    "store_catalog_entry",
    "store_catalog_yaml",
    "user_parameter",
    "user_parameters",
]

# Intake 2.0.9 warns "Shell command not executed due to getshell=False" for
# every string user-parameter value, shell() or not; that says nothing to
# our users, so it is silenced (only that message, only from Intake).
warnings.filterwarnings(
    "ignore",
    message="Shell command not executed due to getshell=False",
    category=UserWarning,
    module="intake.catalog.utils",
)
