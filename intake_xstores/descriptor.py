"""Descriptors: what a dataset holds, known before (or without) loading it.

Descriptors are plain dataclasses that round-trip through JSON-compatible
dictionaries. :func:`new_data_descriptor` derives one from an opened object,
reading coordinate values and metadata only, never a data variable's chunk.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any, ClassVar

import numpy as np

from .conventions import GEOGRAPHIC_X_DIM_NAMES, X_DIM_NAMES, Y_DIM_NAMES
from .datatype import (
    ANY_TYPE,
    DATASET_TYPE,
    GEO_DATA_FRAME_TYPE,
    MULTI_LEVEL_DATASET_TYPE,
    DataType,
    DataTypeLike,
    data_type_of,
)
from .errors import DataStoreParamsError, param_error
from .schema import (
    JsonArraySchema,
    JsonComplexSchema,
    JsonDateSchema,
    JsonDatetimeSchema,
    JsonIntegerSchema,
    JsonNumberSchema,
    JsonObjectSchema,
    JsonStringSchema,
    to_json_value,
)


@dataclasses.dataclass
class VariableDescriptor:
    """A variable of a dataset: its name, dtype, dimensions, chunks and attributes."""

    name: str
    dtype: str
    dims: tuple[str, ...]
    _: dataclasses.KW_ONLY
    chunks: tuple[int, ...] | None = None
    attrs: dict[str, Any] | None = None

    def __post_init__(self):
        self.dims = tuple(self.dims)
        if self.chunks is not None:
            self.chunks = tuple(self.chunks)
        if self.attrs is not None:
            self.attrs = to_json_value(self.attrs)

    @classmethod
    def get_schema(cls) -> JsonObjectSchema:
        """The JSON Schema of :meth:`to_dict` (as xcube's)."""
        return JsonObjectSchema(
            properties=dict(
                name=JsonStringSchema(min_length=1),
                dtype=JsonStringSchema(min_length=1),
                dims=JsonArraySchema(items=JsonStringSchema(min_length=1)),
                chunks=JsonArraySchema(items=JsonIntegerSchema(minimum=0)),
                attrs=JsonObjectSchema(additional_properties=True),
            ),
            required=["name", "dtype", "dims"],
            additional_properties=False,
            factory=cls,
        )

    @property
    def ndim(self) -> int:
        return len(self.dims)

    def to_dict(self) -> dict[str, Any]:
        return _drop_none(
            {
                "name": self.name,
                "dtype": self.dtype,
                "dims": list(self.dims),
                "chunks": list(self.chunks) if self.chunks is not None else None,
                "attrs": to_json_value(self.attrs) if self.attrs else None,
            }
        )

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> VariableDescriptor:
        """A descriptor from :meth:`to_dict`'s form, validated against :meth:`get_schema`."""
        return cls.get_schema().from_instance(d)


@dataclasses.dataclass
class DataDescriptor:
    """What every descriptor tells: identity, type and where/when the data is."""

    data_id: str
    data_type: DataType = None  # type: ignore[assignment]
    _: dataclasses.KW_ONLY
    crs: str | None = None
    bbox: tuple[float, float, float, float] | None = None
    time_range: tuple[str | None, str | None] | None = None
    time_period: str | None = None
    open_params_schema: JsonObjectSchema | None = None

    default_data_type: ClassVar[DataType | None] = None

    def __post_init__(self):
        if not self.data_id:
            raise DataStoreParamsError("Missing required parameter: data_id must be given")
        self.data_type = DataType.normalize(self.data_type or self.default_data_type)
        if self.default_data_type is not None and not self.default_data_type.is_super_type_of(
            self.data_type
        ):
            raise param_error(
                "data_type",
                self.data_type.alias,
                allowed=f"{self.default_data_type.alias!r} for a {type(self).__name__}",
            )
        if self.bbox is not None:
            self.bbox = tuple(float(v) for v in self.bbox)
        if self.time_range is not None:
            self.time_range = tuple(self.time_range)

    @classmethod
    def get_schema(cls) -> JsonObjectSchema:
        """The JSON Schema of :meth:`to_dict`, against which :meth:`from_dict` validates."""
        properties: dict[str, Any] = dict(
            data_id=JsonStringSchema(min_length=1),
            data_type=DataType.get_schema(),
            crs=JsonStringSchema(min_length=1),
            bbox=JsonArraySchema(items=[JsonNumberSchema()] * 4, min_items=4, max_items=4),
            time_range=JsonComplexSchema(
                any_of=[
                    JsonDateSchema.new_range(nullable=True),
                    JsonDatetimeSchema.new_range(nullable=True),
                ]
            ),
            time_period=JsonStringSchema(min_length=1),
            open_params_schema=JsonObjectSchema(additional_properties=True),
        )
        properties.update(cls._extra_properties())
        return JsonObjectSchema(
            properties=properties,
            required=["data_id", "data_type", *cls._extra_required],
            additional_properties=cls is DataDescriptor,
            factory=cls._from_json_fields,
        )

    _extra_required: ClassVar[tuple[str, ...]] = ()

    @classmethod
    def _extra_properties(cls) -> dict[str, Any]:
        return {}

    def to_dict(self) -> dict[str, Any]:
        """A JSON-compatible dictionary; ``from_dict`` restores the descriptor."""
        d = {}
        for field in dataclasses.fields(self):
            value = getattr(self, field.name)
            if value is None or value == {}:
                continue
            if isinstance(value, DataType):
                value = value.alias
            elif isinstance(value, JsonObjectSchema):
                value = value.to_dict()
            elif field.name in ("data_vars", "coords"):
                value = {k: v.to_dict() for k, v in value.items()}
            else:
                value = to_json_value(value)
            d[field.name] = value
        return d

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> DataDescriptor:
        """Restore a descriptor, choosing the class from ``data_type``; the
        dictionary is validated against that class's :meth:`get_schema`."""
        if cls is DataDescriptor:
            data_type = DataType.normalize(d.get("data_type"))
            cls = _DESCRIPTOR_CLASSES.get(data_type, DataDescriptor)
        d = {"data_type": cls.default_data_type.alias, **d} if cls.default_data_type else d
        return cls.get_schema().from_instance(d)

    @classmethod
    def _from_json_fields(cls, **fields: Any) -> DataDescriptor:
        """The factory of :meth:`get_schema`: fields already converted by the schema
        (a ``DataType``, ``VariableDescriptor`` objects); others are left out."""
        names = {f.name for f in dataclasses.fields(cls)}
        kwargs = {k: v for k, v in fields.items() if k in names}
        if isinstance(kwargs.get("open_params_schema"), Mapping):
            kwargs["open_params_schema"] = JsonObjectSchema.from_dict(kwargs["open_params_schema"])
        return cls(**kwargs)


@dataclasses.dataclass
class DatasetDescriptor(DataDescriptor):
    """Describes an ``xarray.Dataset``: grid, dimensions and variables."""

    spatial_res: float | None = None
    dims: dict[str, int] | None = None
    coords: dict[str, VariableDescriptor] | None = None
    data_vars: dict[str, VariableDescriptor] | None = None
    attrs: dict[str, Any] | None = None

    default_data_type: ClassVar[DataType] = DATASET_TYPE

    def __post_init__(self):
        super().__post_init__()
        if self.attrs is not None:
            self.attrs = to_json_value(self.attrs)

    @classmethod
    def _extra_properties(cls) -> dict[str, Any]:
        variable = VariableDescriptor.get_schema()
        return dict(
            dims=JsonObjectSchema(additional_properties=JsonIntegerSchema(minimum=0)),
            spatial_res=JsonNumberSchema(exclusive_minimum=0.0),
            coords=JsonObjectSchema(additional_properties=variable),
            data_vars=JsonObjectSchema(additional_properties=variable),
            attrs=JsonObjectSchema(additional_properties=True),
        )


@dataclasses.dataclass(init=False)
class MultiLevelDatasetDescriptor(DatasetDescriptor):
    """Describes a ``MultiLevelDataset`` by its base level plus ``num_levels``.

    As in xcube, ``num_levels`` may be given positionally after the data ID.
    """

    num_levels: int = 1

    default_data_type: ClassVar[DataType] = MULTI_LEVEL_DATASET_TYPE
    _extra_required: ClassVar[tuple[str, ...]] = ("num_levels",)

    def __init__(self, data_id: str, num_levels: int = 1, **kwargs: Any):
        self.num_levels = num_levels
        DatasetDescriptor.__init__(self, data_id, **kwargs)

    @classmethod
    def _extra_properties(cls) -> dict[str, Any]:
        return dict(super()._extra_properties(), num_levels=JsonIntegerSchema(minimum=1))


@dataclasses.dataclass
class GeoDataFrameDescriptor(DataDescriptor):
    """Describes a ``geopandas.GeoDataFrame`` by its features' schema."""

    feature_schema: JsonObjectSchema | dict | None = None

    default_data_type: ClassVar[DataType] = GEO_DATA_FRAME_TYPE

    def __post_init__(self):
        super().__post_init__()
        if isinstance(self.feature_schema, Mapping):
            self.feature_schema = JsonObjectSchema.from_dict(self.feature_schema)

    @classmethod
    def _extra_properties(cls) -> dict[str, Any]:
        return dict(feature_schema=JsonObjectSchema(additional_properties=True))


_DESCRIPTOR_CLASSES = {
    DATASET_TYPE: DatasetDescriptor,
    MULTI_LEVEL_DATASET_TYPE: MultiLevelDatasetDescriptor,
    GEO_DATA_FRAME_TYPE: GeoDataFrameDescriptor,
}


def descriptor_class(data_type: DataTypeLike) -> type[DataDescriptor]:
    """The descriptor class of *data_type* (:class:`DataDescriptor` for others)."""
    return _DESCRIPTOR_CLASSES.get(DataType.normalize(data_type), DataDescriptor)


def descriptor_from_metadata(
    data_id: str, data_type: DataTypeLike, metadata: Mapping[str, Any], **fields: Any
) -> DataDescriptor:
    """Describe *data_id* from what a service says of it (a catalogue entry, say),
    without opening it.

    Items of *metadata* named like the descriptor's fields (``crs``, ``bbox``,
    ``time_range``, ``time_period``, ``spatial_res``, ``dims``...) fill them,
    the others become its ``attrs`` where the descriptor has some; *fields*
    (``open_params_schema``...) win over both. The result is validated like
    :meth:`DataDescriptor.from_dict`, so a malformed field is a
    :class:`DataStoreParamsError` naming it.
    """
    cls = descriptor_class(data_type)
    names = {f.name for f in dataclasses.fields(cls)} - {"data_id", "data_type"}
    known = {k: v for k, v in metadata.items() if k in names}
    if "attrs" in names:
        others = {k: v for k, v in metadata.items() if k not in names}
        known["attrs"] = {**others, **(known.get("attrs") or {})} or None
    d = {**known, **fields, "data_id": data_id, "data_type": DataType.normalize(data_type).alias}
    return cls.from_dict(to_json_value({k: v for k, v in d.items() if v is not None}))


def new_data_descriptor(
    data_id: str, data: Any, require: bool = False, **kwargs: Any
) -> DataDescriptor:
    """Describe an opened object of any supported data type.

    As in xcube, an object of another type gets a bare :class:`DataDescriptor`
    of data type ``any``, unless *require* makes that an error.
    """
    if not require and not any(t.is_instance(data) for t in _DESCRIPTOR_CLASSES):
        return DataDescriptor(data_id, ANY_TYPE, **kwargs)
    data_type = data_type_of(data)
    if data_type is DATASET_TYPE:
        return DatasetDescriptor(data_id, **describe_dataset(data), **kwargs)
    if data_type is MULTI_LEVEL_DATASET_TYPE:
        fields = describe_dataset(data.base_dataset)
        return MultiLevelDatasetDescriptor(data_id, num_levels=data.num_levels, **fields, **kwargs)
    return GeoDataFrameDescriptor(data_id, **describe_geodataframe(data), **kwargs)


def describe_dataset(ds) -> dict[str, Any]:
    """Descriptor fields of an ``xarray.Dataset`` from coordinates and metadata."""
    x, y = _find_coord(ds, X_DIM_NAMES), _find_coord(ds, Y_DIM_NAMES)
    fields: dict[str, Any] = {
        "crs": crs_of(ds, x),
        "dims": {str(k): int(v) for k, v in ds.sizes.items()},
        "coords": {str(k): _describe_var(k, v) for k, v in ds.coords.items()},
        "data_vars": {str(k): _describe_var(k, v) for k, v in ds.data_vars.items()},
        "attrs": to_json_value(dict(ds.attrs)) or None,
    }
    if x is not None and y is not None:
        xs, ys = ds[x].values, ds[y].values
        if xs.size and ys.size:
            res_x = float(abs(xs[1] - xs[0])) if xs.size > 1 else 0.0
            res_y = float(abs(ys[1] - ys[0])) if ys.size > 1 else 0.0
            fields["spatial_res"] = res_x or res_y or None
            fields["bbox"] = (
                float(xs.min()) - res_x / 2,
                float(ys.min()) - res_y / 2,
                float(xs.max()) + res_x / 2,
                float(ys.max()) + res_y / 2,
            )
    if "bbox" not in fields:
        fields["bbox"] = _bbox_from_attrs(ds.attrs)
    fields["time_range"] = _time_range(ds)
    times = ds["time"].values if "time" in ds.coords and ds["time"].ndim == 1 else None
    if times is not None and times.size > 1 and np.issubdtype(times.dtype, np.datetime64):
        fields["time_period"] = _period(np.median(np.diff(times)))
    return fields


_CF_BBOX_ATTRS = (
    "geospatial_lon_min",
    "geospatial_lat_min",
    "geospatial_lon_max",
    "geospatial_lat_max",
)


def _bbox_from_attrs(attrs: Mapping[str, Any]) -> tuple[float, ...] | None:
    """The bbox of the CF/ACDD ``geospatial_lon/lat_min/max`` attributes, if all four parse."""
    try:
        return tuple(float(attrs[name]) for name in _CF_BBOX_ATTRS)
    except (KeyError, TypeError, ValueError):
        return None


_START_ATTRS = ("time_coverage_start", "time_start", "start_time", "start_date")
_END_ATTRS = (
    "time_coverage_end",
    "time_stop",
    "time_end",
    "stop_time",
    "end_time",
    "stop_date",
    "end_date",
)


def _time_range(ds) -> tuple[str | None, str | None] | None:
    """(start, end) as ISO dates, as xcube determines them: from the time
    bounds if there are any, else the first and last time, else the CF
    ``time_coverage_start``/``_end`` (and similar) attributes.

    xcube also widens a regular time series without bounds by half a step
    at each end; that moves a daily series labelled at midnight a day
    early, so here the first and last times are the range.
    """
    time = ds["time"] if "time" in ds.variables and ds["time"].ndim == 1 else None
    bounds_name = next(
        (
            n
            for n in ("time_bnds", "time_bounds", time is not None and time.attrs.get("bounds"))
            if n and n in ds.variables
        ),
        None,
    )
    start = end = None
    if bounds_name is not None and ds[bounds_name].ndim == 2 and ds[bounds_name].size:
        bounds = ds[bounds_name].values
        start, end = bounds[0, 0], bounds[-1, -1]
    elif time is not None and time.size:
        start, end = time.values[0], time.values[-1]
    start, end = _iso_date(start), _iso_date(end)
    start = start or _date_attr(ds.attrs, _START_ATTRS)
    end = end or _date_attr(ds.attrs, _END_ATTRS)
    return (start, end) if start or end else None


def _date_attr(attrs: Mapping[str, Any], names: tuple[str, ...]) -> str | None:
    for name in names:
        if name in attrs:
            return _iso_date(attrs[name])
    return None


def describe_geodataframe(gdf) -> dict[str, Any]:
    """Descriptor fields of a ``GeoDataFrame``: bounds, CRS, feature schema."""
    types = {"i": "integer", "u": "integer", "f": "number", "b": "boolean"}
    properties = {
        str(name): {"type": types.get(dtype.kind, "string")}
        for name, dtype in gdf.dtypes.items()
        if name != gdf.geometry.name
    }
    bbox = tuple(float(v) for v in gdf.total_bounds) if len(gdf) else None
    return {
        "crs": gdf.crs.to_string() if gdf.crs is not None else None,
        "bbox": bbox if bbox and all(np.isfinite(bbox)) else None,
        "feature_schema": JsonObjectSchema.from_dict({"type": "object", "properties": properties}),
    }


def _find_coord(ds, names) -> str | None:
    for name in names:
        if name in ds.coords and ds[name].ndim == 1:
            return name
    return None


def crs_of(ds, x_name: str | None) -> str | None:
    """The CRS of dataset *ds* as a string, or None when nothing tells it.

    Read, in turn, from a variable's CF ``grid_mapping``, a ``spatial_ref`` or
    ``crs`` variable, and last from *x_name* being a longitude: the one rule
    descriptors, grid mappings and multi-level datasets share.
    """
    for var in ds.variables.values():
        gm = var.attrs.get("grid_mapping")
        if gm and gm in ds.variables:
            return _crs_from_attrs(ds[gm].attrs)
    for name in ("spatial_ref", "crs"):
        if name in ds.variables:
            crs = _crs_from_attrs(ds[name].attrs)
            if crs:
                return crs
    if x_name in GEOGRAPHIC_X_DIM_NAMES:
        return "EPSG:4326"
    return None


def _crs_from_attrs(attrs: Mapping[str, Any]) -> str | None:
    wkt = attrs.get("crs_wkt") or attrs.get("spatial_ref")
    if not wkt:
        return None
    try:
        import pyproj

        crs = pyproj.CRS.from_wkt(wkt)
        authority = crs.to_authority()
        return ":".join(authority) if authority else crs.to_string()
    except Exception:  # an unparsable WKT is still worth reporting verbatim
        return wkt


def _describe_var(name, var) -> VariableDescriptor:
    chunks = None
    if var.chunks:
        chunks = tuple(int(c[0]) for c in var.chunks)
    return VariableDescriptor(
        name=str(name),
        dtype=str(var.dtype),
        dims=tuple(str(d) for d in var.dims),
        chunks=chunks,
        attrs=to_json_value(dict(var.attrs)) or None,
    )


def _iso_date(t: Any) -> str | None:
    """The ISO date (``YYYY-MM-DD``) of a time value, or ``None`` if it has none."""
    if t is None:
        return None
    if isinstance(t, np.datetime64):
        return None if np.isnat(t) else str(np.datetime_as_string(t, unit="D"))
    if hasattr(t, "isoformat"):  # datetime, pandas or cftime
        return t.isoformat()[:10]
    text = str(t)
    return text[:10] if len(text) > 10 and text[10] in "T " else text or None


def _period(delta: np.timedelta64) -> str:
    seconds = int(delta / np.timedelta64(1, "s"))
    for unit, size in (("D", 86400), ("h", 3600), ("min", 60)):
        if seconds and seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


def _drop_none(d: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in d.items() if v is not None}
