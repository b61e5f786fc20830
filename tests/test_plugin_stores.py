"""What users see of the plugin stores: the registry, ``xstores``, Intake catalogs.

The stores register through their own entry points, cost nothing at import,
show up in ``xstores stores`` and in the showcase catalog with the real
services as defaults, and work as Intake catalogs (here on a fake Zenodo).
"""

from __future__ import annotations

import json
from pathlib import Path

import intake
import numpy as np
import pytest
import yaml

from intake_xstores import DataStoreError
from intake_xstores.cli import main
from tests.conftest import make_cube, run_python
from tests.plugins.zenodo_fake import netcdf_bytes, serve_record

REPO = Path(__file__).resolve().parent.parent
#: The seed's plugin stores, each registered by a plugin of its own.
PLUGIN_STORES = {
    "zenodo",
    "ccizarr",
    "esa-cci-kc",
    "stac",
    "stac-xcube",
    "stac-cdse",
    "stac-cdse-ardc",
    "stac-pc",
    "stac-pc-ardc",
    "cds",
    "cmems",
    "clms",
    "eopf-zarr",
    "sentinelhub",
    "sentinelhub-cdse",
    "smos",
    "gedidb",
    "cciodp",
}

pytestmark = pytest.mark.filterwarnings(
    "ignore:Shell command not executed due to getshell=False:UserWarning"
)


def test_importing_and_registering_imports_no_plugin_store():
    code = """
        import sys
        import intake_xstores
        ids = intake_xstores.list_data_store_ids()
        heavy = [m for m in sys.modules if m.startswith(("aiohttp", "xarray", "s3fs"))
                 or m.startswith("intake_xstores.plugins.") and m.endswith((".store", ".zarr"))]
        print(sorted(set(ids) & {"zenodo", "ccizarr", "esa-cci-kc"}), heavy)
    """
    out = run_python(code, check=True).stdout
    assert out.strip() == "['ccizarr', 'esa-cci-kc', 'zenodo'] []"


def test_xstores_stores_and_params_show_them(capsys):
    main(["stores"])
    out = capsys.readouterr().out
    lines = {line.split()[0]: line for line in out.splitlines() if line.strip()}
    assert PLUGIN_STORES <= set(lines)
    assert "Zenodo record" in lines["zenodo"]
    main(["params", "zenodo", "--json"])
    schema = json.loads(capsys.readouterr().out)
    assert schema["properties"]["api_url"]["default"] == "https://zenodo.org"


def test_showcase_catalog_has_them_with_the_real_services():
    sources = yaml.safe_load((REPO / "catalogs" / "stores.yaml").read_text())["sources"]
    assert PLUGIN_STORES <= set(sources)
    defaults = {
        name: {k: p["default"] for k, p in sources[name]["parameters"].items()}
        for name in PLUGIN_STORES
    }
    assert defaults["zenodo"]["api_url"] == "https://zenodo.org"
    assert defaults["ccizarr"]["endpoint_url"] == "https://cci-ke-o.s3-ext.jc.rl.ac.uk:443"
    assert defaults["esa-cci-kc"]["refs_url"].startswith("https://")
    cat = intake.open_catalog(str(REPO / "catalogs" / "stores.yaml"))
    for name in PLUGIN_STORES:  # their stores are made without asking the services
        assert cat[name].store_id == name


@pytest.fixture
def zenodo_catalog(fake_service, tmp_path):
    cube = make_cube()
    serve_record(fake_service, "7", {"sst.nc": netcdf_bytes(cube)})
    path = tmp_path / "zenodo.yaml"
    path.write_text(
        yaml.safe_dump(
            {
                "sources": {
                    "record": {
                        "driver": "xstore",
                        "args": {
                            "store_id": "zenodo",
                            "store_params": {
                                "root": "7",
                                "api_url": fake_service.url,
                                "cache_store_params": {"root": str(tmp_path / "cache")},
                            },
                        },
                    }
                }
            }
        )
    )
    return {"path": path, "cube": cube}


def test_zenodo_as_an_intake_catalog(zenodo_catalog):
    cat = intake.open_catalog(str(zenodo_catalog["path"]))
    record = cat.record
    assert list(record) == ["sst.nc"]
    described = record["sst.nc"].describe()
    assert described["metadata"]["attrs"]["preload_required"] is True
    names = {p["name"] for p in described["user_parameters"]}
    assert {"chunks", "drop_variables"} <= names
    with pytest.raises(DataStoreError, match=r"preload_data\('sst.nc'\)"):
        record["sst.nc"].to_dask()
    record.store.preload_data("sst.nc", target_format="zarr", chunks={"time": 1})
    ds = record["sst.nc"](chunks={"time": 2}).to_dask()
    assert ds.chl.chunks[0] == (2, 2)
    np.testing.assert_array_equal(ds.chl.values, zenodo_catalog["cube"].chl.values)


def test_xstores_preload_zenodo(fake_service, tmp_path, capsys):
    serve_record(fake_service, "8", {"sst.nc": netcdf_bytes(make_cube())})
    cache_root = str(tmp_path / "cache")
    main(
        [
            "preload",
            "zenodo",
            "sst.nc",
            "-p",
            "root=8",
            "-p",
            f"api_url={fake_service.url}",
            "-p",
            f"cache_store_params.root={cache_root}",
            "--preload-param",
            "target_format=zarr",
            "-q",
        ]
    )
    out = capsys.readouterr().out
    assert "COMPLETED" in out and cache_root in out
    assert (tmp_path / "cache" / "sst.zarr").is_dir()


def test_intake_source_preload_returns_the_cached_source(zenodo_catalog):
    source = intake.open_catalog(str(zenodo_catalog["path"])).record["sst.nc"]
    cached = source.preload(target_format="zarr")
    assert cached.describe()["args"]["data_id"] == "sst.zarr"
    np.testing.assert_array_equal(cached.to_dask().chl.values, zenodo_catalog["cube"].chl.values)


def test_retry_after_is_honoured_up_to_retry_backoff_max():
    # every store speaking through requests or pystac-client retries by this policy
    from urllib3 import HTTPResponse

    from intake_xstores.plugins.web import retry_policy

    retry = retry_policy(num_retries=2, retry_backoff_base=0.5, retry_backoff_max=3.0)
    assert retry.is_retry("POST", 503) and not retry.is_retry("GET", 404)
    assert retry.get_retry_after(HTTPResponse(headers={"Retry-After": "1"})) == 1
    assert retry.get_retry_after(HTTPResponse(headers={"Retry-After": "3600"})) == 3.0
    assert (
        retry.increment("GET", "/", HTTPResponse(status=503)).get_retry_after(
            HTTPResponse(headers={"Retry-After": "3600"})
        )
        == 3.0
    )  # the copy made for the next attempt keeps the cap
