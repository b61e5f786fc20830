"""What is particular to the remote stores: https, and secrets.

The store conformance tests (``test_fs_store.py``) run on s3, abfs and ftp
through ``conftest.new_store``. Here: the read-only https store on a TLS
server, and that no secret a remote store needs ever shows in a ``repr``
or an error message.
"""

import logging
import socket

import numpy as np
import pytest
import xarray as xr

from intake_xstores import (
    DataStoreError,
    DataStoreParamsError,
    get_data_store_params_schema,
    new_data_store,
)
from tests.conftest import make_cube
from tests.servers import free_port

# --- https ------------------------------------------------------------------


@pytest.fixture
def https_store(https_store_params):
    return new_data_store("https", max_depth=2, **https_store_params)


def test_https_lists_datasets_over_directory_pages(https_store, https_server):
    assert sorted(https_store.list_data_ids()) == sorted(https_server["datasets"])
    top = new_data_store("https", **{**https_store.params, "max_depth": 1})
    assert sorted(top.list_data_ids()) == ["chl.tif", "regions.geojson"]
    assert https_store.list_data_ids(data_type="geodataframe") == ["regions.geojson"]


@pytest.mark.parametrize("data_id", ["cubes/chl.zarr", "cubes/chl.nc"])
def test_https_opens_cubes_by_data_id(https_store, https_server, data_id):
    ds = https_store.open_data(data_id)
    xr.testing.assert_identical(ds.compute(), https_server["datasets"][data_id])
    d = https_store.describe_data(data_id)
    assert d.bbox == pytest.approx((10, 50, 14, 53))
    assert d.time_range == ("2021-03-01", "2021-03-04")


def test_https_opens_geotiff(https_store, https_server):
    original = https_server["datasets"]["chl.tif"]["chl"]
    ds = https_store.open_data("chl.tif")
    band = ds["band_1"].compute()
    np.testing.assert_array_equal(band.values, original.values)
    np.testing.assert_allclose(band.x.values, original.x.values)
    np.testing.assert_allclose(band.y.values, original.y.values)
    assert ds.rio.crs.to_epsg() == 4326


def test_https_opens_geojson(https_store, https_server):
    original = https_server["datasets"]["regions.geojson"]
    gdf = https_store.open_data("regions.geojson")
    assert list(gdf["name"]) == list(original["name"])
    assert list(gdf["value"]) == list(original["value"])
    assert gdf.geometry.geom_equals(original.geometry).all()
    assert gdf.crs.to_epsg() == 4326


def test_https_opens_by_data_id_where_the_server_lists_nothing(https_server):
    store = new_data_store(
        "https",
        root=f"{https_server['url']}/unlisted",
        storage_options={"ssl": https_server["ssl_context"]},
    )
    with pytest.raises(DataStoreError, match="Cannot list"):
        store.list_data_ids()
    assert store.has_data("chl.zarr")
    ds = store.open_data("chl.zarr")
    xr.testing.assert_identical(ds.compute(), make_cube())


def test_https_store_is_read_only(https_store, https_server):
    assert https_store.read_only
    assert https_store.get_data_writer_ids() == ()
    for store in (
        https_store,
        new_data_store("https", **{**https_store.params, "read_only": False}),
    ):
        with pytest.raises(DataStoreError, match="Cannot write data.*'https' store.*read-only"):
            store.write_data(make_cube(), "new.zarr")
        with pytest.raises(DataStoreError, match="Cannot delete data.*read-only"):
            store.delete_data("cubes/chl.zarr")
    assert https_store.has_data("cubes/chl.zarr")


def test_https_missing_data_and_untrusted_server(https_store, https_server):
    with pytest.raises(DataStoreError, match="'cubes/nothing.zarr' does not exist"):
        https_store.open_data("cubes/nothing.zarr")
    # without the test CA, the self-signed certificate is refused
    untrusted = new_data_store("https", root=f"{https_server['url']}/data")
    with pytest.raises(DataStoreError, match="(?i)certificate"):
        untrusted.list_data_ids()


# --- secrets ------------------------------------------------------------------

SECRET_OPTIONS = {
    "s3": ["key", "secret", "token"],
    "abfs": ["account_key", "connection_string"],
    "ftp": ["password"],
}


@pytest.mark.parametrize("protocol", sorted(SECRET_OPTIONS))
def test_secret_options_are_marked_write_only(protocol):
    options = get_data_store_params_schema(protocol).to_dict()["properties"]["storage_options"]
    for name in SECRET_OPTIONS[protocol]:
        assert options["properties"][name].get("writeOnly") is True, name


def _secrets_of(storage_options: dict) -> list[str]:
    names = {n for names in SECRET_OPTIONS.values() for n in names}
    values = [v for k, v in storage_options.items() if k in names]
    # the key inside a connection string is a secret too
    values += [
        part.split("=", 1)[1]
        for v in values
        for part in v.split(";")
        if part.startswith("AccountKey=")
    ]
    assert values
    return values


@pytest.fixture(params=["s3", "abfs", "ftp"])
def secret_store_params(request):
    if request.param == "s3":
        params = request.getfixturevalue("s3_store_params")
        params["storage_options"]["token"] = "session-token-that-must-not-leak"
    else:
        params = request.getfixturevalue(f"{request.param}_store_params")
    return request.param, params


def test_repr_hides_secrets(secret_store_params, cube):
    protocol, params = secret_store_params
    store = new_data_store(protocol, **params)
    store.write_data(cube, "c.zarr")
    text = repr(store) + str(store) + repr(store.open_data("c.zarr", log_access=True))
    for secret in _secrets_of(params["storage_options"]):
        assert secret not in text
    assert "'***'" in repr(store)


def test_parameter_errors_hide_secrets(secret_store_params):
    protocol, params = secret_store_params
    options = params["storage_options"]
    secrets = _secrets_of(options)
    name = next(n for n in SECRET_OPTIONS[protocol] if n in options)
    bad_calls = [
        # a secret of the wrong type
        dict(params, storage_options={**options, name: [options[name]]}),
        # another parameter wrong, the secrets right
        dict(params, max_depth=0),
        dict(params, unknown_param=True),
    ]
    for bad in bad_calls:
        with pytest.raises(DataStoreParamsError) as caught:
            new_data_store(protocol, **bad)
        message = str(caught.value) + repr(caught.value)
        assert "Invalid value" in message or "Unknown parameter" in message
        for secret in secrets:
            assert secret not in message


def _wrong(value: str) -> str:
    return value[:-4] + ("AAA=" if value.endswith("=") else "wxyz")


@pytest.mark.parametrize("protocol", ["abfs", "ftp"])
def test_refused_credentials_fail_without_showing_them(protocol, request, caplog):
    params = request.getfixturevalue(f"{protocol}_store_params")
    options = dict(params["storage_options"])
    if protocol == "ftp":
        options["password"] = wrong = "wrong-password-x1"
    else:
        key = _secrets_of(options)[-1]
        wrong = _wrong(key)
        options["connection_string"] = options["connection_string"].replace(key, wrong)
    store = new_data_store(protocol, root=params["root"], storage_options=options)
    with (
        caplog.at_level(logging.DEBUG, logger="intake_xstores"),
        pytest.raises(DataStoreError, match="(?i)authenticat") as caught,
    ):
        store.list_data_ids()
    text = str(caught.value) + repr(caught.value) + repr(store) + caplog.text
    assert wrong not in text
    for secret in _secrets_of(params["storage_options"]):
        assert secret not in text


@pytest.mark.parametrize(
    "protocol, cause", [("abfs", "account_name"), ("ftp", "ConnectionRefusedError")]
)
def test_unreachable_filesystem_is_a_store_error_naming_it(protocol, cause):
    storage_options = {
        "abfs": {},  # no account at all
        "ftp": {"host": "127.0.0.1", "port": free_port(), "password": "hunter2-x7"},  # no server
    }[protocol]
    store = new_data_store(protocol, root="data", storage_options=storage_options)
    with pytest.raises(DataStoreError, match=f"'{protocol}' filesystem.*{cause}") as caught:
        store.list_data_ids()
    assert "storage_options" in str(caught.value)
    assert "hunter2-x7" not in str(caught.value)


def test_a_cause_without_text_is_named_by_its_type():
    # a server that accepts connections but never answers: fsspec's timeout has no message
    import aiohttp

    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        root = f"http://127.0.0.1:{silent.getsockname()[1]}/data"
        timeout = {"timeout": aiohttp.ClientTimeout(total=0.5)}
        store = new_data_store("https", root=root, storage_options={"client_kwargs": timeout})
        with pytest.raises(DataStoreError, match=r"Cannot list '.*/data': \w+Error$"):
            store.list_data_ids()
