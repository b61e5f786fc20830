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

from .datatype import (
    DATASET_TYPE,
    GEO_DATA_FRAME_TYPE,
    MULTI_LEVEL_DATASET_TYPE,
    DataType,
    data_type_of,
)
from .schema import JsonObjectSchema

_X_NAMES = ("x", "lon", "longitude")
_Y_NAMES = ("y", "lat", "latitude")


@dataclasses.dataclass
class VariableDescriptor:
    """A variable of a dataset: its name, dtype, dimensions, chunks and attributes."""

    name: str
    dtype: str
    dims: tuple[str, ...]
    chunks: tuple[int, ...] | None = None
    attrs: dict[str, Any] | None = None

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
                "attrs": _jsonable(self.attrs) if self.attrs else None,
            }
        )

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> VariableDescriptor:
        return cls(
            name=d["name"],
            dtype=d["dtype"],
            dims=tuple(d["dims"]),
            chunks=tuple(d["chunks"]) if d.get("chunks") is not None else None,
            attrs=d.get("attrs"),
        )


@dataclasses.dataclass
class DataDescriptor:
    """What every descriptor tells: identity, type and where/when the data is."""

    data_id: str
    data_type: DataType = None  # type: ignore[assignment]
    crs: str | None = None
    bbox: tuple[float, float, float, float] | None = None
    time_range: tuple[str | None, str | None] | None = None
    time_period: str | None = None
    open_params_schema: JsonObjectSchema | None = None

    default_data_type: ClassVar[DataType | None] = None

    def __post_init__(self):
        self.data_type = DataType.normalize(self.data_type or self.default_data_type)
        if self.bbox is not None:
            self.bbox = tuple(float(v) for v in self.bbox)
        if self.time_range is not None:
            self.time_range = tuple(self.time_range)

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
                value = _jsonable(value)
            d[field.name] = value
        return d

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> DataDescriptor:
        """Restore a descriptor, choosing the class from ``data_type``."""
        if cls is DataDescriptor:
            data_type = DataType.normalize(d.get("data_type"))
            cls = _DESCRIPTOR_CLASSES.get(data_type, DataDescriptor)
        names = {f.name for f in dataclasses.fields(cls)}
        kwargs = {k: v for k, v in d.items() if k in names}
        if kwargs.get("open_params_schema") is not None:
            kwargs["open_params_schema"] = JsonObjectSchema.from_dict(kwargs["open_params_schema"])
        for key in ("data_vars", "coords"):
            if kwargs.get(key) is not None:
                kwargs[key] = {k: VariableDescriptor.from_dict(v) for k, v in kwargs[key].items()}
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


@dataclasses.dataclass
class MultiLevelDatasetDescriptor(DatasetDescriptor):
    """Describes a ``MultiLevelDataset`` by its base level plus ``num_levels``."""

    num_levels: int = 1

    default_data_type: ClassVar[DataType] = MULTI_LEVEL_DATASET_TYPE


@dataclasses.dataclass
class GeoDataFrameDescriptor(DataDescriptor):
    """Describes a ``geopandas.GeoDataFrame`` by its features' schema."""

    feature_schema: JsonObjectSchema | dict | None = None

    default_data_type: ClassVar[DataType] = GEO_DATA_FRAME_TYPE

    def __post_init__(self):
        super().__post_init__()
        if isinstance(self.feature_schema, Mapping):
            self.feature_schema = JsonObjectSchema.from_dict(self.feature_schema)


_DESCRIPTOR_CLASSES = {
    DATASET_TYPE: DatasetDescriptor,
    MULTI_LEVEL_DATASET_TYPE: MultiLevelDatasetDescriptor,
    GEO_DATA_FRAME_TYPE: GeoDataFrameDescriptor,
}


def new_data_descriptor(data_id: str, data: Any, **kwargs: Any) -> DataDescriptor:
    """Describe an opened object of any supported data type."""
    data_type = data_type_of(data)
    if data_type is DATASET_TYPE:
        return DatasetDescriptor(data_id, **describe_dataset(data), **kwargs)
    if data_type is MULTI_LEVEL_DATASET_TYPE:
        fields = describe_dataset(data.base_dataset)
        return MultiLevelDatasetDescriptor(data_id, num_levels=data.num_levels, **fields, **kwargs)
    return GeoDataFrameDescriptor(data_id, **describe_geodataframe(data), **kwargs)


def describe_dataset(ds) -> dict[str, Any]:
    """Descriptor fields of an ``xarray.Dataset`` from coordinates and metadata."""
    x, y = _find_coord(ds, _X_NAMES), _find_coord(ds, _Y_NAMES)
    fields: dict[str, Any] = {
        "crs": _crs_of(ds, x),
        "dims": {str(k): int(v) for k, v in ds.sizes.items()},
        "coords": {str(k): _describe_var(k, v) for k, v in ds.coords.items()},
        "data_vars": {str(k): _describe_var(k, v) for k, v in ds.data_vars.items()},
        "attrs": _jsonable(dict(ds.attrs)) or None,
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
    if "time" in ds.coords and ds["time"].ndim == 1 and ds["time"].size:
        times = ds["time"].values
        if np.issubdtype(times.dtype, np.datetime64):
            fields["time_range"] = (_iso_date(times.min()), _iso_date(times.max()))
            if times.size > 1:
                fields["time_period"] = _period(np.median(np.diff(times)))
    return fields


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


def _crs_of(ds, x_name: str | None) -> str | None:
    for var in ds.variables.values():
        gm = var.attrs.get("grid_mapping")
        if gm and gm in ds.variables:
            return _crs_from_attrs(ds[gm].attrs)
    for name in ("spatial_ref", "crs"):
        if name in ds.variables:
            crs = _crs_from_attrs(ds[name].attrs)
            if crs:
                return crs
    if x_name in ("lon", "longitude"):
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
        attrs=_jsonable(dict(var.attrs)) or None,
    )


def _iso_date(t: np.datetime64) -> str:
    return str(np.datetime_as_string(t, unit="s")).replace("T00:00:00", "")


def _period(delta: np.timedelta64) -> str:
    seconds = int(delta / np.timedelta64(1, "s"))
    for unit, size in (("D", 86400), ("h", 3600), ("min", 60)):
        if seconds and seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


def _jsonable(value: Any) -> Any:
    """Convert numpy scalars/arrays and tuples into plain JSON values."""
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, np.ndarray):
        return _jsonable(value.tolist())
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, float) and not np.isfinite(value):
        return str(value)
    return value


def _drop_none(d: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in d.items() if v is not None}
