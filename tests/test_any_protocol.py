"""Any protocol fsspec knows is a store, registered or not: here ``sftp``
(fsspec's paramiko client) against a real asyncssh server on loopback."""

from __future__ import annotations

import numpy as np
import pytest

from intake_xstores import (
    DataStoreError,
    DataStoreParamsError,
    find_data_opener_extensions,
    get_data_store_params_schema,
    list_data_store_ids,
    new_data_opener,
    new_data_store,
)
from tests.conftest import make_cube


@pytest.fixture
def sftp_store(sftp_store_params):
    return new_data_store("sftp", **sftp_store_params)


def test_an_unregistered_protocol_is_not_listed_but_has_a_generic_schema():
    assert "sftp" not in list_data_store_ids()
    assert not [e for e in find_data_opener_extensions() if e.name.endswith(":sftp")]
    options = get_data_store_params_schema("sftp").to_dict()["properties"]["storage_options"]
    assert options["additionalProperties"] is True
    assert options["properties"]["password"]["writeOnly"] is True


def test_a_name_fsspec_does_not_know_is_a_clear_error():
    with pytest.raises(DataStoreParamsError, match=r"Unknown data store ID 'gopher'.*'file'"):
        new_data_store("gopher", root="x")


def test_zarr_and_netcdf_round_trip_on_sftp(sftp_store, sftp_endpoint):
    cube = make_cube()
    assert sftp_store.write_data(cube, "cubes/a.zarr") == "cubes/a.zarr"
    sftp_store.write_data(cube.isel(time=slice(0, 2)), "b.nc")
    with pytest.raises(DataStoreError, match="'b.nc' already exists; pass replace=True"):
        sftp_store.write_data(cube, "b.nc")
    assert sftp_store.list_data_ids() == ["b.nc"]  # max_depth=1
    deep = new_data_store("sftp", max_depth=2, **{**_params(sftp_store)})
    assert deep.list_data_ids() == ["b.nc", "cubes/a.zarr"]

    described = sftp_store.describe_data("cubes/a.zarr")
    assert described.dims == dict(cube.sizes)
    zarr = sftp_store.open_data("cubes/a.zarr")
    np.testing.assert_array_equal(zarr.chl.values, cube.chl.values)
    netcdf = sftp_store.open_data("b.nc")
    np.testing.assert_array_equal(netcdf.chl.values, cube.chl.values[:2])
    assert sftp_store.describe_data("b.nc").dims["time"] == 2

    sftp_store.delete_data("cubes/a.zarr")
    sftp_store.delete_data("b.nc")
    assert deep.list_data_ids() == []
    assert sftp_endpoint["password"] not in repr(sftp_store)


def test_composed_opener_of_an_unregistered_protocol(sftp_store, sftp_store_params):
    sftp_store.write_data(make_cube(), "c.zarr")
    opener = new_data_opener("dataset:zarr:sftp", **sftp_store_params["storage_options"])
    ds = opener.open_data(f"{sftp_store_params['root']}/c.zarr")
    assert ds.chl.shape == (4, 6, 8)


def test_the_intake_face_opens_an_sftp_store(sftp_store, sftp_store_params):
    import intake

    sftp_store.write_data(make_cube(), "d.zarr")
    catalog = intake.open_xstore("sftp", **sftp_store_params)
    assert list(catalog) == ["d.zarr"]
    ds = catalog["d.zarr"].read()
    np.testing.assert_array_equal(ds.chl.values, make_cube().chl.values)


def _params(store) -> dict:
    return {k: v for k, v in store._params.items() if k != "max_depth"}


def test_a_protocol_whose_library_is_missing_names_it():
    store = new_data_store("oci", root="bucket/cubes")  # ocifs is no dependency of ours
    with pytest.raises(DataStoreError, match="'oci' protocol needs a library.*Install ocifs"):
        store.list_data_ids()
