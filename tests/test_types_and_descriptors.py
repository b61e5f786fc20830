"""Data types and descriptors."""

import json

import numpy as np
import pytest

from intake_xstores import (
    ANY_TYPE,
    DATASET_TYPE,
    GEO_DATA_FRAME_TYPE,
    DataDescriptor,
    DatasetDescriptor,
    DataStoreParamsError,
    DataType,
    GeoDataFrameDescriptor,
    MultiLevelDatasetDescriptor,
    new_data_descriptor,
)
from tests.conftest import make_cube, run_python


def test_data_type_aliases_and_python_types():
    import xarray as xr

    assert DataType.normalize("dataset") is DATASET_TYPE
    assert DataType.normalize("xarray.Dataset") is DATASET_TYPE
    assert DataType.normalize(xr.Dataset) is DATASET_TYPE
    assert DataType.normalize(None) is ANY_TYPE
    assert DATASET_TYPE.dtype is xr.Dataset
    assert DATASET_TYPE.is_instance(make_cube())
    assert not GEO_DATA_FRAME_TYPE.is_instance(make_cube())
    assert ANY_TYPE.is_super_type_of("dataset") and DATASET_TYPE.is_sub_type_of(ANY_TYPE)
    with pytest.raises(DataStoreParamsError, match="'data_type'.*'cube'.*'dataset'"):
        DataType.normalize("cube")


def test_dataset_descriptor_from_cube():
    cube = make_cube().chunk({"time": 1})
    d = new_data_descriptor("c.zarr", cube)
    assert isinstance(d, DatasetDescriptor)
    assert d.data_type is DATASET_TYPE
    assert d.crs == "EPSG:4326"
    assert d.bbox == pytest.approx((10.0, 50.0, 14.0, 53.0))
    assert d.spatial_res == 0.5
    assert d.time_range == ("2021-03-01", "2021-03-04")
    assert d.time_period == "1D"
    assert d.dims == {"time": 4, "lat": 6, "lon": 8}
    chl = d.data_vars["chl"]
    assert (chl.dtype, chl.dims, chl.chunks) == ("float32", ("time", "lat", "lon"), (1, 6, 8))
    assert chl.attrs == {"units": "mg m-3"}
    assert d.attrs == {"title": "test cube"}


def test_crs_from_grid_mapping():
    pyproj = pytest.importorskip("pyproj")
    cube = make_cube().rename(lon="x", lat="y")
    cube["crs"] = ((), 0, {"crs_wkt": pyproj.CRS("EPSG:32633").to_wkt()})
    cube["chl"].attrs["grid_mapping"] = "crs"
    assert new_data_descriptor("utm.zarr", cube).crs == "EPSG:32633"


def test_descriptors_round_trip_through_json():
    d = new_data_descriptor("c.zarr", make_cube())
    again = DataDescriptor.from_dict(json.loads(json.dumps(d.to_dict())))
    assert isinstance(again, DatasetDescriptor)
    assert again == d
    ml = MultiLevelDatasetDescriptor("p.levels", num_levels=3, bbox=(0, 0, 1, 1))
    assert DataDescriptor.from_dict(json.loads(json.dumps(ml.to_dict()))) == ml


def test_geodataframe_descriptor():
    gpd = pytest.importorskip("geopandas")
    from shapely.geometry import Point

    gdf = gpd.GeoDataFrame(
        {"name": ["a", "b"], "n": [1, 2], "v": [0.5, np.nan]},
        geometry=[Point(1, 2), Point(3, 5)],
        crs="EPSG:4326",
    )
    d = new_data_descriptor("p.geojson", gdf)
    assert isinstance(d, GeoDataFrameDescriptor)
    assert d.bbox == (1.0, 2.0, 3.0, 5.0)
    assert d.crs == "EPSG:4326"
    props = d.feature_schema.to_dict()["properties"]
    assert props == {"name": {"type": "string"}, "n": {"type": "integer"}, "v": {"type": "number"}}
    assert DataDescriptor.from_dict(json.loads(json.dumps(d.to_dict()))) == d


def test_describing_xarray_data_does_not_import_geopandas():

    code = (
        "import sys; from intake_xstores import new_data_descriptor;"
        "from tests.conftest import make_cube;"
        "new_data_descriptor('c', make_cube()); print('geopandas' in sys.modules)"
    )
    out = run_python(code, check=True)
    assert out.stdout.strip() == "False"
