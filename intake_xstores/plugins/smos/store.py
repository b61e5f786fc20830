"""``SmosDataStore``: SMOS Level-2 soil moisture and ocean salinity as cubes.

Data IDs are ``SMOS-L2C-SM`` (soil moisture, products ``MIR_SMUDP2``) and
``SMOS-L2C-OS`` (ocean salinity, ``MIR_OSUDP2``). Opening one asks the STAC
API for the products of ``time_range`` (and ``bbox``), reads the first
product's header for the variables, and returns a lazy cube on the grid of
the lookup table (see :mod:`.grid`, :mod:`.cube`): as a dataset at one
resolution level, or as a multi-level dataset of all of them. Constructing
the store and listing or describing its data IDs need no network.
"""

from __future__ import annotations

import functools
from typing import Any

from ...datatype import DATASET_TYPE, MULTI_LEVEL_DATASET_TYPE, DataType, DataTypeLike
from ...descriptor import DataDescriptor, DatasetDescriptor, MultiLevelDatasetDescriptor
from ...errors import DataStoreError, param_error
from ...schema import (
    JsonDateSchema,
    JsonIntegerSchema,
    JsonObjectSchema,
    JsonStringSchema,
    count_schema,
)
from ..base import ApiDataStore
from ..params import bbox_schema, checked_bbox, url_schema
from ..web import WebClient, web_store_params_schema

#: Where ESA publishes SMOS (Creodias): the STAC collection and the archive.
DEFAULT_STAC_URL = "https://datahub.creodias.eu/stac/collections/SMOS"
DEFAULT_ENDPOINT_URL = "https://eodata.cloudferro.com"
DEFAULT_SOURCE_PATH = "EODATA"

SM_DATA_ID = "SMOS-L2C-SM"
OS_DATA_ID = "SMOS-L2C-OS"

#: Per data ID: the STAC product type, a title, and the variables of the cube.
DATASETS: dict[str, dict[str, Any]] = {
    SM_DATA_ID: dict(
        product_type="MIR_SMUDP2",
        title="SMOS Level-2 Soil Moisture",
        variables=(
            "Mean_acq_time",
            "Soil_Moisture",
            "Soil_Moisture_DQX",
            "Chi_2",
            "Chi_2_P",
            "N_RFI_X",
            "N_RFI_Y",
            "RFI_Prob",
            "X_swath",
        ),
    ),
    OS_DATA_ID: dict(
        product_type="MIR_OSUDP2",
        title="SMOS Level-2 Ocean Salinity",
        variables=(
            "Mean_acq_time",
            "SSS_corr",
            "Sigma_SSS_corr",
            "SSS_anom",
            "Sigma_SSS_anom",
            "Dg_chi2_corr",
            "Dg_quality_SSS_corr",
            "Dg_quality_SSS_anom",
            "Coast_distance",
            "Dg_RFI_X",
            "Dg_RFI_Y",
            "X_swath",
        ),
    ),
}

#: SMOS was launched in November 2009; its L2 products start in January 2010.
MISSION_START = "2010-01-12"

DATASET_OPENER_ID = "dataset:zarr:smos"
MLDATASET_OPENER_ID = "mldataset:zarr:smos"


def _storage_options_schema() -> JsonObjectSchema:
    from ...fs.accessor import get_protocol

    schema = get_protocol("s3").get_storage_options_schema()
    schema.description = (
        "Options of the archive's filesystem (fsspec), e.g. key and secret for S3; "
        f"for 's3' the endpoint defaults to {DEFAULT_ENDPOINT_URL}"
    )
    return schema


class SmosDataStore(ApiDataStore):
    """SMOS L2C soil moisture and ocean salinity cubes (read-only).

    ``stac_url`` is the STAC collection listing the products (its items at
    ``{stac_url}/items``); ``source_path``/``source_protocol``/
    ``source_storage_options`` the archive holding them; ``grid_path`` the
    DGG lookup table (a Zarr dataset, see :mod:`.grid`); ``cache_path`` a
    local folder keeping product files once read.
    """

    @classmethod
    def get_data_store_params_schema(cls) -> JsonObjectSchema:
        return web_store_params_schema(
            stac_url=url_schema(
                DEFAULT_STAC_URL,
                "URL of the STAC collection of SMOS L2 products "
                "(items are fetched from <stac_url>/items)",
            ),
            stac_page_limit=count_schema("Items asked for per STAC page", 100),
            source_path=JsonStringSchema(
                default=DEFAULT_SOURCE_PATH,
                min_length=1,
                description="Root (bucket) of the product archive; product paths "
                "from STAC are taken below it",
            ),
            source_protocol=JsonStringSchema(
                default="s3", min_length=1, description="fsspec protocol of the archive"
            ),
            source_storage_options=_storage_options_schema(),
            grid_path=JsonStringSchema(
                min_length=1,
                description="Path or URL of the SMOS grid lookup table: a Zarr dataset "
                "with seqnum(lat, lon), the DGG point shown by each pixel; needed to "
                "open data",
            ),
            grid_storage_options=JsonObjectSchema(
                additional_properties=True,
                description="fsspec options for reading grid_path, if remote",
            ),
            cache_path=JsonStringSchema(
                min_length=1,
                description="Local folder keeping product files once read; none: no file cache",
            ),
        )

    # --- the catalogue: fixed, no network ---------------------------------

    @property
    def catalog_name(self) -> str:
        return "the SMOS store"

    def fetch_catalog(self) -> dict[str, dict[str, Any]]:
        return {data_id: dict(info) for data_id, info in DATASETS.items()}

    #: The opener of each data type.
    OPENERS = {DATASET_OPENER_ID: DATASET_TYPE, MLDATASET_OPENER_ID: MULTI_LEVEL_DATASET_TYPE}

    @classmethod
    def get_data_types(cls) -> tuple[str, ...]:
        return tuple(t.alias for t in cls.OPENERS.values())

    def get_data_types_for_data(self, data_id: str) -> tuple[str, ...]:
        self.entry(data_id)
        return self.get_data_types()

    def get_data_opener_ids(
        self, data_id: str | None = None, data_type: DataTypeLike = None
    ) -> tuple[str, ...]:
        if data_id is not None:
            self.entry(data_id)
        wanted = DataType.normalize(data_type)
        return tuple(o for o, t in self.OPENERS.items() if wanted.is_super_type_of(t))

    def describe_data(self, data_id: str, data_type: DataTypeLike = None) -> DataDescriptor:
        """What is known without asking the service: the variables, global
        extent and the mission's time span."""
        info = self.entry(data_id)
        is_ml = self._is_mldataset(data_type, data_id)
        cls = MultiLevelDatasetDescriptor if is_ml else DatasetDescriptor
        return cls(
            data_id,
            crs="EPSG:4326",
            bbox=(-180.0, -90.0, 180.0, 90.0),
            time_range=(MISSION_START, None),
            attrs={"title": info["title"], "variables": list(info["variables"])},
            open_params_schema=self.get_open_data_params_schema(
                data_id, MLDATASET_OPENER_ID if is_ml else DATASET_OPENER_ID
            ),
        )

    def _is_mldataset(self, data_type: DataTypeLike, data_id: str) -> bool:
        data_type = DataType.normalize(data_type)
        if data_type.alias not in ("any", *self.get_data_types()):
            raise param_error(
                "data_type",
                data_type.alias,
                problem=f"{data_id!r} of {self.catalog_name} cannot be opened as that",
                allowed=", ".join(repr(t) for t in self.get_data_types()),
            )
        return data_type.alias == MULTI_LEVEL_DATASET_TYPE.alias

    # --- opening ----------------------------------------------------------

    def get_open_data_params_schema(
        self, data_id: str | None = None, opener_id: str | None = None
    ) -> JsonObjectSchema:
        if data_id is not None:
            self.entry(data_id)
        properties = dict(
            time_range=JsonDateSchema.new_range(min_date=MISSION_START),
            bbox=bbox_schema(
                "Bounding box [west, south, east, north] in degrees; default: the whole globe",
                min_items=4,
                max_items=4,
            ),
        )
        properties[
            "time_range"
        ].description = "Start and end date (inclusive) of the products to include"
        if opener_id == MLDATASET_OPENER_ID:
            properties["l2_product_cache_size"] = count_schema(
                "L2 products kept in memory once read (0: none)", 0, minimum=0
            )
        else:
            properties["res_level"] = JsonIntegerSchema(
                minimum=0,
                maximum=4,
                default=0,
                description="Resolution level: 0 is the grid's finest (360/8192 degrees "
                "for ESA's), each next twice as coarse",
            )
        properties["data_type"] = JsonStringSchema(
            enum=[*self.get_data_types(), "any"], description="Open as this data type"
        )
        return JsonObjectSchema(
            properties=properties, required=["time_range"], additional_properties=False
        )

    def open_data(self, data_id: str, opener_id: str | None = None, **open_params: Any) -> Any:
        """Open *data_id* for ``time_range`` as a lazy cube (see the module docstring)."""
        info = self.entry(data_id)
        data_type = open_params.get("data_type")
        if opener_id not in (None, DATASET_OPENER_ID, MLDATASET_OPENER_ID):
            raise param_error(
                "opener_id",
                opener_id,
                allowed=f"{DATASET_OPENER_ID!r}, {MLDATASET_OPENER_ID!r}",
            )
        is_ml = opener_id == MLDATASET_OPENER_ID or self._is_mldataset(data_type, data_id)
        opener_id = MLDATASET_OPENER_ID if is_ml else DATASET_OPENER_ID
        params = self.get_open_data_params_schema(data_id, opener_id).process(open_params)
        bbox = checked_bbox(params["bbox"]) if params.get("bbox") else None
        time_range = params["time_range"]
        if str(time_range[0]) > str(time_range[1]):
            raise param_error("time_range", list(time_range), allowed="a start before the end")
        from .cube import TimeStepLoader, new_cube
        from .stac import find_products

        products = find_products(
            self.client,
            self._params["stac_url"].rstrip("/") + "/items",
            info["product_type"],
            (str(time_range[0]), str(time_range[1])),
            bbox=bbox,
            page_limit=self._params["stac_page_limit"],
        )
        if not products:
            raise DataStoreError(
                f"SMOS STAC ({self._params['stac_url']}) lists no {data_id} products "
                f"({info['product_type']}) from {time_range[0]} to {time_range[1]}"
                + (f" in bbox {list(bbox)}" if bbox else "")
            )
        reader = self.reader
        found = reader.variables(products[0].path)
        variables = {k: found[k] for k in info["variables"] if k in found}
        attrs = {
            "title": info["title"],
            "source": "ESA SMOS Level-2 products",
            "product_type": info["product_type"],
            "products": [reader.url(p.path) for p in products],
        }
        grid = self.grid
        cache_size = params.get("l2_product_cache_size", 0)
        loader = TimeStepLoader(reader, grid, products, cache_size=cache_size)
        if not is_ml:
            level = params["res_level"]
            if level >= grid.num_levels:
                raise param_error(
                    "res_level", level, allowed=f"0 to {grid.num_levels - 1} for this grid"
                )
            return new_cube(loader, products, variables, bbox, attrs, level)
        from ...mldataset import MultiLevelDataset

        return MultiLevelDataset(
            functools.partial(new_cube, loader, products, variables, bbox, attrs),
            grid.num_levels,
            ds_id=data_id,
        )

    # --- services -----------------------------------------------------------

    @functools.cached_property
    def client(self) -> WebClient:
        return WebClient.for_store("SMOS STAC", self._params)

    @functools.cached_property
    def reader(self):
        from ...fs.accessor import get_protocol
        from .cube import ProductReader

        protocol = self._params["source_protocol"]
        options = dict(self._params.get("source_storage_options") or {})
        if protocol == "s3":
            get_protocol("s3").needs.check("The 'smos' store")
            client_kwargs = dict(options.get("client_kwargs") or {})
            if not (client_kwargs.get("endpoint_url") or options.get("endpoint_url")):
                client_kwargs["endpoint_url"] = DEFAULT_ENDPOINT_URL
            options["client_kwargs"] = client_kwargs
        return ProductReader(
            self._params["source_path"], protocol, options, self._params.get("cache_path")
        )

    @functools.cached_property
    def grid(self):
        from .grid import SmosGrid

        path = self._params.get("grid_path")
        if not path:
            raise param_error(
                "grid_path",
                None,
                problem="the smos store needs the SMOS grid lookup table to open data",
                allowed="the path or URL of a Zarr dataset with seqnum(lat, lon)",
            )
        return SmosGrid(path, self._params.get("grid_storage_options"))
