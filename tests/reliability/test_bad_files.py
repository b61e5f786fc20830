"""Bad files get clear errors (issue 19, area D): each a DataStoreError naming
the data ID, the format and the cause, never a raw library traceback."""

import json

import pytest

from intake_xstores import DataStoreError, new_data_store
from tests.conftest import make_cube


def _corrupt_zmetadata(root):
    make_cube().to_zarr(root / "bad.zarr", zarr_format=2, consolidated=True)
    (root / "bad.zarr" / ".zmetadata").write_text("{not json")
    return "bad.zarr", "zarr"


def _truncated_nc(root):
    make_cube().to_netcdf(root / "full.nc")
    data = (root / "full.nc").read_bytes()
    (root / "bad.nc").write_bytes(data[: len(data) // 3])
    return "bad.nc", "netcdf"


def _garbage_nc(root):
    (root / "bad.nc").write_bytes(b"\x00garbage" * 100)
    return "bad.nc", "netcdf"


def _empty_nc(root):
    (root / "bad.nc").write_bytes(b"")
    return "bad.nc", "netcdf"


def _text_tif(root):
    (root / "bad.tif").write_text("this is not a GeoTIFF\n")
    return "bad.tif", ""


def _bad_geojson(root):
    (root / "bad.geojson").write_text("{ nope")
    return "bad.geojson", ""


def _empty_zarr(root):
    (root / "bad.zarr").mkdir()
    (root / "bad.zarr" / ".zgroup").write_text('{"zarr_format": 2}')
    return "bad.zarr", "zarr"


def _features(root, *geometries):
    features = [{"type": "Feature", "properties": {}, "geometry": g} for g in geometries]
    (root / "bad.geojson").write_text(
        json.dumps({"type": "FeatureCollection", "features": features})
    )
    return "bad.geojson", "geojson"


def _open_polygon_ring(root):
    return _features(root, {"type": "Polygon", "coordinates": [[[0, 0], [1, 1]]]})


CASES = [
    _corrupt_zmetadata,
    _truncated_nc,
    _garbage_nc,
    _empty_nc,
    _text_tif,
    _bad_geojson,
    _open_polygon_ring,
]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.__name__.strip("_"))
@pytest.mark.parametrize("operation", ["open", "describe"])
def test_bad_file_is_a_clear_error(tmp_path, case, operation):
    data_id, format_id = case(tmp_path)
    store = new_data_store("file", root=str(tmp_path))
    call = store.open_data if operation == "open" else store.describe_data
    with pytest.raises(DataStoreError) as info:
        result = call(data_id)
        if operation == "open" and hasattr(result, "compute"):
            result.compute()
    message = str(info.value)
    assert repr(data_id) in message, message
    if format_id:
        assert format_id in message, message


def test_group_not_found_names_it(tmp_path):
    make_cube().to_zarr(tmp_path / "c.zarr", zarr_format=2)
    store = new_data_store("file", root=str(tmp_path))
    with pytest.raises(DataStoreError, match="'c.zarr'.*nogroup"):
        store.open_data("c.zarr", group="nogroup")


def test_whole_store_operations_skip_a_bad_file_with_a_warning(tmp_path):
    make_cube().to_zarr(tmp_path / "good.zarr", zarr_format=2)
    _truncated_nc(tmp_path)
    (tmp_path / "full.nc").unlink()
    store = new_data_store("file", root=str(tmp_path))
    with pytest.warns(UserWarning, match="Skipping 'bad.nc'"):
        listed = store.list_data_ids(include_attrs=["bbox"])
    assert [data_id for data_id, _ in listed] == ["good.zarr"]
    with pytest.warns(UserWarning, match="Skipping 'bad.nc'"):
        found = [d.data_id for d in store.search_data(bbox=[0, 0, 90, 90])]
    assert found == ["good.zarr"]


def test_a_point_of_strings_is_refused_naming_the_feature(tmp_path):
    point = {"type": "Point", "coordinates": ["x", "y"]}
    _features(tmp_path, {"type": "Point", "coordinates": [1, 2]}, None, point)
    store = new_data_store("file", root=str(tmp_path))
    with pytest.raises(DataStoreError, match="'bad.geojson' as geojson.*feature 2"):
        store.open_data("bad.geojson")


def test_features_without_geometry_still_open(tmp_path):
    _features(tmp_path, {"type": "Point", "coordinates": [1, 2]}, None)
    frame = new_data_store("file", root=str(tmp_path)).open_data("bad.geojson")
    assert [g is None for g in frame.geometry] == [False, True]


def _cube_with_corrupt_variable(root, zarr_format, text):
    make_cube().to_zarr(root / "c.zarr", zarr_format=zarr_format, consolidated=False)
    name = ".zarray" if zarr_format == 2 else "zarr.json"
    (root / "c.zarr" / "chl" / name).write_text(text)
    return new_data_store("file", root=str(root))


CORRUPT_METADATA = ["{not json", "{}", "[1, 2]"]


@pytest.mark.parametrize("zarr_format", [2, 3])
@pytest.mark.parametrize("text", CORRUPT_METADATA)
def test_a_variable_with_corrupt_metadata_is_an_error_naming_it(tmp_path, zarr_format, text):
    store = _cube_with_corrupt_variable(tmp_path, zarr_format, text)
    with pytest.raises(
        DataStoreError, match="'c.zarr' as zarr: corrupt metadata of variable 'chl'"
    ):
        store.open_data("c.zarr")


@pytest.mark.parametrize("zarr_format", [2, 3])
def test_skip_bad_variables_opens_the_rest_with_a_warning(tmp_path, zarr_format):
    store = _cube_with_corrupt_variable(tmp_path, zarr_format, "{}")
    assert store.get_open_data_params_schema("c.zarr").properties["skip_bad_variables"]
    with pytest.warns(UserWarning, match="corrupt metadata of variable 'chl'"):
        ds = store.open_data("c.zarr", skip_bad_variables=True)
    assert list(ds.data_vars) == ["qc"]


@pytest.mark.parametrize("zarr_format", [2, 3])
@pytest.mark.parametrize("protocol", ["file", "s3"])
def test_a_corrupt_chunk_is_an_error_naming_the_data_id_when_computed(
    new_store, protocol, zarr_format
):
    store = new_store()
    store.write_data(make_cube(chunks={"time": 1}), "c.zarr", zarr_format=zarr_format)
    key = "chl/1.0.0" if zarr_format == 2 else "chl/c/1/0/0"
    store.fs.pipe(f"{store._root_path}/c.zarr/{key}", b"garbage garbage")
    ds = store.open_data("c.zarr")
    ds.chl.isel(time=0).compute()  # the good chunks still read
    with pytest.raises(DataStoreError, match="Cannot read a chunk of 'c.zarr' as zarr") as info:
        ds.chl.isel(time=1).compute()
    assert info.value.__cause__ is not None  # the codec's own error, for the curious


def test_consolidated_metadata_missing_an_array_is_not_called_missing_data(tmp_path):
    make_cube().to_zarr(tmp_path / "c.zarr", zarr_format=2, consolidated=True)
    zmetadata = json.loads((tmp_path / "c.zarr" / ".zmetadata").read_text())
    del zmetadata["metadata"]["chl/.zarray"]  # stale: written by a tool that crashed
    (tmp_path / "c.zarr" / ".zmetadata").write_text(json.dumps(zmetadata))
    store = new_data_store("file", root=str(tmp_path))
    for call in (store.open_data, store.describe_data):
        with pytest.raises(DataStoreError, match="Cannot read 'c.zarr' as zarr") as info:
            call("c.zarr")
        assert "does not exist" not in str(info.value)
