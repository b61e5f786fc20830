"""intake_xstores: the xcube data store framework as a family of Intake drivers.

The xcube-style API lives here; code written for ``xcube.core.store`` runs
with its import line changed to ``from intake_xstores import ...``. Importing
this package stays light: xarray, geopandas and friends load when first used.
"""

from .accessor import (
    DataDeleter,
    DataOpener,
    DataPreloader,
    DataTimeSliceUpdater,
    DataWriter,
    find_data_opener_extensions,
    find_data_writer_extensions,
    get_data_accessor_predicate,
    new_data_opener,
    new_data_writer,
)
from .assertions import assert_valid_config, assert_valid_params
from .datatype import (
    ANY_TYPE,
    DATASET_ITERATOR_TYPE,
    DATASET_TYPE,
    GEO_DATA_FRAME_ITERATOR_TYPE,
    GEO_DATA_FRAME_TYPE,
    MULTI_LEVEL_DATASET_ITERATOR_TYPE,
    MULTI_LEVEL_DATASET_TYPE,
    DataIterator,
    DataType,
    DataTypeLike,
)
from .descriptor import (
    DataDescriptor,
    DatasetDescriptor,
    GeoDataFrameDescriptor,
    MultiLevelDatasetDescriptor,
    VariableDescriptor,
    new_data_descriptor,
)
from .errors import DataStoreError, DataStoreParamsError
from .fs.registry import get_filename_extensions, new_fs_data_store
from .pool import (
    DataStoreConfig,
    DataStoreInstance,
    DataStorePool,
    DataStorePoolLike,
    get_data_store_instance,
)
from .preload import (
    ExecutorPreloadHandle,
    NullPreloadHandle,
    Preloaded,
    PreloadedDataStore,
    PreloadHandle,
    PreloadState,
    PreloadStatus,
)
from .registry import (
    EXTENSION_POINT_DATA_OPENERS,
    EXTENSION_POINT_DATA_STORES,
    EXTENSION_POINT_DATA_WRITERS,
    EXTENSION_POINT_FS_FORMATS,
    EXTENSION_POINT_FS_PROTOCOLS,
    Extension,
    ExtensionRegistry,
    get_extension_registry,
    import_component,
)
from .schema import (
    UNDEFINED,
    JsonArraySchema,
    JsonBooleanSchema,
    JsonComplexSchema,
    JsonDateSchema,
    JsonDatetimeSchema,
    JsonIntegerSchema,
    JsonNullSchema,
    JsonNumberSchema,
    JsonObject,
    JsonObjectSchema,
    JsonSchema,
    JsonSimpleSchema,
    JsonStringSchema,
)
from .search import DataSearcher, DefaultSearchMixin
from .store import (
    DataStore,
    MutableDataStore,
    find_data_store_extensions,
    get_data_store_class,
    get_data_store_params_schema,
    list_data_store_ids,
    new_data_store,
)

__version__ = "0.1.0"

__all__ = [
    "DataStoreError",
    "DataStoreParamsError",
    "ANY_TYPE",
    "DATASET_TYPE",
    "DataDescriptor",
    "DataOpener",
    "DataStore",
    "DataType",
    "DataTypeLike",
    "DataWriter",
    "DatasetDescriptor",
    "EXTENSION_POINT_DATA_OPENERS",
    "EXTENSION_POINT_DATA_STORES",
    "EXTENSION_POINT_DATA_WRITERS",
    "EXTENSION_POINT_FS_FORMATS",
    "EXTENSION_POINT_FS_PROTOCOLS",
    "Extension",
    "ExtensionRegistry",
    "GEO_DATA_FRAME_TYPE",
    "GeoDataFrameDescriptor",
    "JsonArraySchema",
    "JsonBooleanSchema",
    "JsonComplexSchema",
    "JsonDateSchema",
    "JsonIntegerSchema",
    "JsonNullSchema",
    "JsonNumberSchema",
    "JsonObjectSchema",
    "JsonSchema",
    "JsonStringSchema",
    "MULTI_LEVEL_DATASET_TYPE",
    "MultiLevelDatasetDescriptor",
    "MutableDataStore",
    "UNDEFINED",
    "VariableDescriptor",
    "find_data_opener_extensions",
    "find_data_store_extensions",
    "find_data_writer_extensions",
    "get_data_store_class",
    "get_data_store_params_schema",
    "get_extension_registry",
    "import_component",
    "list_data_store_ids",
    "new_data_descriptor",
    "new_data_opener",
    "new_data_store",
    "new_data_writer",
    # xcube.core.store names added for porting (see README, "Porting from xcube")
    "DATASET_ITERATOR_TYPE",
    "DataDeleter",
    "DataIterator",
    "DataPreloader",
    "DataSearcher",
    "DataStoreConfig",
    "DataStoreInstance",
    "DataStorePool",
    "DataStorePoolLike",
    "DataTimeSliceUpdater",
    "DefaultSearchMixin",
    "GEO_DATA_FRAME_ITERATOR_TYPE",
    "JsonDatetimeSchema",
    "JsonObject",
    "JsonSimpleSchema",
    "MULTI_LEVEL_DATASET_ITERATOR_TYPE",
    "assert_valid_config",
    "assert_valid_params",
    "get_data_accessor_predicate",
    "get_data_store_instance",
    "get_filename_extensions",
    "new_fs_data_store",
]
__all__ += [
    "ExecutorPreloadHandle",
    "NullPreloadHandle",
    "PreloadHandle",
    "PreloadState",
    "PreloadStatus",
    "Preloaded",
    "PreloadedDataStore",
]
