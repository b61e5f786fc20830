"""Catalogs see what another program wrote, and refuse a root that does not exist.

On the real object stores (moto S3, Azurite): data written by a second,
independent client (its own filesystem instance) shows after
``force_reload()`` and in a catalog opened anew, although fsspec caches
listings per filesystem instance and shares instances between stores.
"""

from __future__ import annotations

import uuid

import intake
import pytest
import xarray as xr

from intake_xstores import DataStoreError, new_data_store
from tests.conftest import make_cube

pytestmark = pytest.mark.filterwarnings(
    "ignore:Shell command not executed due to getshell=False:UserWarning"
)

OBJECT_STORES = ["s3", "abfs"]


@pytest.fixture(params=OBJECT_STORES)
def protocol(request):
    return request.param


@pytest.fixture
def params(protocol, request) -> dict:
    return request.getfixturevalue(f"{protocol}_store_params")


def independent_filesystem(protocol: str, storage_options: dict):
    """A filesystem of another program: not fsspec's cached instance."""
    import fsspec

    return fsspec.filesystem(protocol, skip_instance_cache=True, **storage_options)


def test_force_reload_and_a_new_catalog_see_data_written_by_another_client(
    protocol, params, tmp_path
):
    new_data_store(protocol, **params).write_data(make_cube(), "first.zarr")
    cat = intake.open_xstore(protocol, **params)
    assert list(cat) == ["first.zarr"]

    other = independent_filesystem(protocol, params["storage_options"])
    cube = make_cube(seed=3)
    cube.to_zarr(tmp_path / "second.zarr", zarr_format=2, consolidated=True)
    other.put(str(tmp_path / "second.zarr"), f"{params['root']}/second.zarr", recursive=True)

    assert list(cat) == ["first.zarr"]  # listed once, as documented
    cat.force_reload()
    assert list(cat) == ["first.zarr", "second.zarr"]
    xr.testing.assert_identical(cat["second.zarr"].read(), cube)

    other.rm(f"{params['root']}/first.zarr", recursive=True)
    assert list(intake.open_xstore(protocol, **params)) == ["second.zarr"]


def test_a_root_that_does_not_exist_is_an_error(protocol, params):
    missing = f"missing-{uuid.uuid4().hex[:12]}"
    for root in (missing, f"{params['root']}/{missing}"):
        cat = intake.open_xstore(protocol, **{**params, "root": root})
        with pytest.raises(
            DataStoreError, match=f"root '{root}' of the '{protocol}' data store does not exist"
        ):
            list(cat)
    # an existing, empty root is an empty catalog
    assert list(intake.open_xstore(protocol, **params)) == []
