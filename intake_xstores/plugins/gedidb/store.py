"""``GediDbDataStore``: GEDI shots from a gedidb database, by box or around a point.

Data IDs are GEDI's product levels ``L2A``, ``L2B``, ``L4A``, ``L4C`` and
``all``; each stands for the variables of that level in the database (all
of them for ``all``). Open parameters take one of two forms:

- ``bbox`` + ``time_range`` (+ ``variables``): every shot in the box;
- ``point`` + ``time_range`` (+ ``num_shots``, ``radius``, ``variables``):
  the ``num_shots`` shots nearest the point, within ``radius`` degrees.

Shots come as a GeoDataFrame (one row per shot, point geometries; profile
variables such as ``rh`` as lists) or as a vector data cube: an
``xarray.Dataset`` whose dimension ``geometry`` holds the shots' points,
indexed by xvec (profile variables get a ``profile_points`` dimension).

Constructing the store and listing its data IDs touch no database; the
database is first read when data are described or opened.
"""

from __future__ import annotations

import functools
import threading
from typing import Any

from ...datatype import DATASET_TYPE, GEO_DATA_FRAME_TYPE, DataType, DataTypeLike
from ...descriptor import DataDescriptor, DatasetDescriptor, GeoDataFrameDescriptor
from ...errors import DataStoreError, error_text, param_error
from ...schema import (
    JsonArraySchema,
    JsonDateSchema,
    JsonNumberSchema,
    JsonObjectSchema,
    JsonStringSchema,
    count_schema,
)
from ..base import ApiDataStore
from ..params import bbox_schema, checked_bbox, url_schema
from .provider import array_uri, new_provider

#: The public database of GFZ Potsdam (anonymous S3).
GEDIDB_S3_BUCKET = "dog.gedidb.gedi-l2-l4-v002"
GEDIDB_URL = "https://s3.gfz-potsdam.de"

PRODUCT_LEVELS = {
    "L2A": "Geolocated waveforms and relative height metrics",
    "L2B": "Canopy cover and vertical profile metrics",
    "L4A": "Footprint aboveground biomass density",
    "L4C": "Footprint waveform structural complexity index",
    "all": "Variables of every product level together",
}

#: Where the shots are; gedidb returns them with every query.
_COORDS = ("shot_number", "latitude", "longitude", "time")

DATASET_OPENER_ID = "dataset:xvec:gedidb"
GEODATAFRAME_OPENER_ID = "geodataframe:geopandas:gedidb"

_POINT_DEFAULTS = {"num_shots": 10, "radius": 0.1}
_BBOX_FORM = "bbox + time_range (+ variables)"
_POINT_FORM = "point + time_range (+ num_shots, radius, variables)"


class _OneOfSchema(JsonObjectSchema):
    """An object schema that also says which sets of properties go together (``oneOf``)."""

    _keywords = {**JsonObjectSchema._keywords, "one_of": "oneOf"}


class GediDbDataStore(ApiDataStore):
    """GEDI shots from the gedidb database at ``local_path`` or in ``s3_bucket``."""

    def __init__(self, **params: Any):
        super().__init__(**params)
        self._provider = None
        self._provider_lock = threading.Lock()

    @classmethod
    def get_data_store_params_schema(cls) -> JsonObjectSchema:
        return JsonObjectSchema(
            properties=dict(
                storage_type=JsonStringSchema(
                    enum=["s3", "local"],
                    default="s3",
                    description="Where the database is: 's3' (object storage) or 'local'",
                ),
                local_path=JsonStringSchema(
                    min_length=1,
                    description="Folder holding the database (its 'array_uri'), "
                    "for storage_type 'local'",
                ),
                s3_bucket=JsonStringSchema(
                    default=GEDIDB_S3_BUCKET,
                    min_length=1,
                    description="Bucket holding the database, for storage_type 's3'",
                ),
                endpoint_url=url_schema(
                    GEDIDB_URL, "S3 endpoint URL (default: GFZ Potsdam's public database)"
                ),
                region=JsonStringSchema(default="eu-central-1", description="S3 region"),
                key=JsonStringSchema(
                    secret=True, description="S3 access key ID; anonymous access without"
                ),
                secret=JsonStringSchema(secret=True, description="S3 secret access key"),
                token=JsonStringSchema(secret=True, description="S3 session token"),
                tiledb_config=JsonObjectSchema(
                    additional_properties=JsonStringSchema(),
                    description="TileDB settings overriding gedidb's, e.g. "
                    "{'sm.tile_cache_size': '100000000'}",
                ),
            ),
            additional_properties=False,
        )

    # --- the database ---------------------------------------------------------

    @functools.cached_property
    def _provider_params(self) -> dict[str, Any]:
        params = dict(self._params)
        if params["storage_type"] == "local" and not params.get("local_path"):
            raise param_error(
                "local_path",
                None,
                problem="storage_type 'local' needs the database's folder",
                allowed="a folder holding the gedidb array 'array_uri'",
            )
        return params

    @property
    def provider(self):
        """gedidb's ``GEDIProvider``, made when first needed."""
        with self._provider_lock:
            if self._provider is None:
                self._provider = new_provider(self._provider_params)
            return self._provider

    @property
    def where(self) -> str:
        return f"the GEDI database {array_uri(self._provider_params)}"

    @functools.cached_property
    def variables(self) -> dict[str, dict[str, Any]]:
        """The database's variables with their metadata (units, product_level, ...)."""
        try:
            table = self.provider.get_available_variables()
        except Exception as error:
            raise DataStoreError(f"Cannot read {self.where}: {error_text(error)}") from error
        return {
            str(name): {k: v for k, v in row.items() if isinstance(v, str) or v == v}
            for name, row in table.to_dict(orient="index").items()
        }

    def level_variables(self, data_id: str) -> list[str]:
        """The variables of product level *data_id* (shot coordinates left out)."""
        return [
            name
            for name, meta in self.variables.items()
            if name not in _COORDS and (data_id == "all" or meta.get("product_level") == data_id)
        ]

    # --- the catalogue: the product levels ------------------------------------

    @property
    def catalog_name(self) -> str:
        return "the gedidb store"

    def fetch_catalog(self) -> dict[str, dict[str, Any]]:
        return {level: {"description": text} for level, text in PRODUCT_LEVELS.items()}

    #: The opener of each data type; a GeoDataFrame unless asked otherwise.
    OPENERS = {GEODATAFRAME_OPENER_ID: GEO_DATA_FRAME_TYPE, DATASET_OPENER_ID: DATASET_TYPE}

    @classmethod
    def get_data_types(cls) -> tuple[str, ...]:
        return tuple(t.alias for t in cls.OPENERS.values())

    def get_data_opener_ids(
        self, data_id: str | None = None, data_type: DataTypeLike = None
    ) -> tuple[str, ...]:
        wanted = DataType.normalize(data_type)
        openers = tuple(o for o, t in self.OPENERS.items() if wanted.is_super_type_of(t))
        return openers if data_id is None or self.entry(data_id) else ()

    def get_data_types_for_data(self, data_id: str) -> tuple[str, ...]:
        self.entry(data_id)
        return self.get_data_types()

    def describe_data(self, data_id: str, data_type: DataTypeLike = None) -> DataDescriptor:
        """The level's variables (from the database's metadata) and the query forms."""
        self.entry(data_id)
        as_dataset = self._as_dataset(data_type, None)
        attrs = {
            "description": PRODUCT_LEVELS[data_id],
            "variables": {
                name: {k: v for k, v in self.variables[name].items() if k != "dtype"}
                for name in self.level_variables(data_id)
            },
        }
        schema = self.get_open_data_params_schema(data_id)
        if as_dataset:
            return DatasetDescriptor(
                data_id, crs="EPSG:4326", attrs=attrs, open_params_schema=schema
            )
        return GeoDataFrameDescriptor(data_id, crs="EPSG:4326", open_params_schema=schema)

    def _as_dataset(self, data_type: DataTypeLike, opener_id: str | None) -> bool:
        if opener_id is not None:
            if opener_id not in (DATASET_OPENER_ID, GEODATAFRAME_OPENER_ID):
                raise param_error(
                    "opener_id",
                    opener_id,
                    allowed=f"{GEODATAFRAME_OPENER_ID!r}, {DATASET_OPENER_ID!r}",
                )
            return opener_id == DATASET_OPENER_ID
        alias = DataType.normalize(data_type).alias
        if alias not in ("any", *self.get_data_types()):
            raise param_error(
                "data_type", alias, allowed=", ".join(repr(t) for t in self.get_data_types())
            )
        return alias == DATASET_TYPE.alias

    # --- opening ----------------------------------------------------------------

    def get_open_data_params_schema(
        self, data_id: str | None = None, opener_id: str | None = None
    ) -> JsonObjectSchema:
        """Every parameter of both query forms; ``oneOf`` says which go together."""
        if data_id is not None:
            self.entry(data_id)
        time_range = JsonDateSchema.new_range()
        time_range.description = "Start and end date (inclusive) of the shots"
        properties = dict(
            bbox=bbox_schema(
                "Bounding box [west, south, east, north]: all shots in it",
                min_items=4,
                max_items=4,
            ),
            point=JsonArraySchema(
                items=_lon_lat(),
                min_items=2,
                max_items=2,
                description="[longitude, latitude]: the shots nearest this point",
            ),
            num_shots=count_schema("With point: how many shots", _POINT_DEFAULTS["num_shots"]),
            radius=JsonNumberSchema(
                exclusive_minimum=0,
                default=_POINT_DEFAULTS["radius"],
                description="With point: search radius in degrees",
            ),
            time_range=time_range,
            variables=JsonArraySchema(
                items=JsonStringSchema(min_length=1),
                unique_items=True,
                description="Variables to read (default: all of the product level); "
                "'var:label' reads one point of a profile, e.g. 'rh:98'",
            ),
            data_type=JsonStringSchema(
                enum=[*self.get_data_types(), "any"], description="Open as this data type"
            ),
        )
        return _OneOfSchema(
            properties=properties,
            required=["time_range"],
            additional_properties=False,
            one_of=[
                JsonObjectSchema(required=["bbox"]),
                JsonObjectSchema(required=["point"]),
            ],
        )

    def open_data(self, data_id: str, opener_id: str | None = None, **open_params: Any) -> Any:
        """Query the shots; see the module docstring for the two forms."""
        self.entry(data_id)
        as_dataset = self._as_dataset(open_params.get("data_type"), opener_id)
        _check_form(open_params)
        params = self.get_open_data_params_schema(data_id).process(open_params)
        variables = self._variables(data_id, params.get("variables"))
        start, end = (str(t) for t in params["time_range"])
        if start > end:
            raise param_error("time_range", [start, end], allowed="a start before the end")
        query: dict[str, Any] = dict(
            variables=variables,
            start_time=start,
            end_time=end,
            return_type="xarray" if as_dataset else "dataframe",
        )
        if "bbox" in params:
            west, south, east, north = checked_bbox(params["bbox"])
            import geopandas as gpd
            import shapely

            query.update(
                query_type="bounding_box",
                geometry=gpd.GeoDataFrame(
                    geometry=[shapely.box(west, south, east, north)], crs="EPSG:4326"
                ),
                use_polygon_filter=False,
            )
        else:
            query.update(
                query_type="nearest",
                point=tuple(params["point"]),
                num_shots=params["num_shots"],
                radius=params["radius"],
            )
        try:
            result = self.provider.get_data(**query)
        except Exception as error:
            raise DataStoreError(
                f"Cannot query {self.where} for {data_id}: {error_text(error)}"
            ) from error
        from .shots import to_geodataframe, to_vector_cube

        return to_vector_cube(result) if as_dataset else to_geodataframe(result)

    def _variables(self, data_id: str, requested: list[str] | None) -> list[str]:
        available = self.level_variables(data_id)
        if requested is None:
            return available
        unknown = [v for v in requested if v.split(":", 1)[0] not in available]
        if unknown:
            raise param_error(
                "variables",
                unknown,
                problem=f"not among the {data_id} variables of {self.where}",
                allowed=", ".join(available) or "none",
            )
        return list(requested)


def _lon_lat() -> list[JsonNumberSchema]:
    """Schemas of a longitude and a latitude, in degrees."""
    return [JsonNumberSchema(minimum=-180, maximum=180), JsonNumberSchema(minimum=-90, maximum=90)]


def _check_form(params: dict[str, Any]) -> None:
    """One of the two query forms, or an error naming both."""
    has_bbox, has_point = "bbox" in params, "point" in params
    # their defaults may come along (Intake readers pass every parameter's default)
    point_only = sorted(k for k, v in _POINT_DEFAULTS.items() if params.get(k, v) != v)
    if has_bbox and (has_point or point_only):
        extra = ["point", *point_only] if has_point else point_only
        raise param_error(
            "bbox",
            params["bbox"],
            problem=f"it cannot be combined with {', '.join(extra)}",
            allowed=f"either {_BBOX_FORM} or {_POINT_FORM}",
        )
    if not has_bbox and not has_point:
        raise param_error(
            "bbox",
            problem="neither bbox nor point is given",
            allowed=f"either {_BBOX_FORM} or {_POINT_FORM}",
        )
