"""A reference set reads bytes only from targets the allow-list admits (issue 19)."""

import json

import pytest

from intake_xstores import DataStoreError, new_data_store
from tests.conftest import make_cube


@pytest.fixture
def planted(tmp_path):
    """A folder of references next to a 'private' file they try to read."""
    (tmp_path / "private.txt").write_text("TOP-SECRET-CONTENT-0123456789-ABCDEFGH")
    refs_dir = tmp_path / "refs"
    refs_dir.mkdir()
    make_cube().to_zarr(refs_dir / "inside.zarr", zarr_format=2, consolidated=False)
    return tmp_path, refs_dir


def _reference_set(refs_dir, target: str, name: str) -> str:
    """A one-variable reference set whose only chunk is read from *target*."""
    zarray = {
        "chunks": [32], "compressor": None, "dtype": "|u1", "fill_value": None,
        "filters": None, "order": "C", "shape": [32], "zarr_format": 2,
    }  # fmt: skip
    refs = {
        "version": 1,
        "refs": {
            ".zgroup": json.dumps({"zarr_format": 2}),
            "v/.zarray": json.dumps(zarray),
            "v/.zattrs": json.dumps({"_ARRAY_DIMENSIONS": ["x"]}),
            "v/0": [target, 0, 32],
        },
    }
    path = refs_dir / f"{name}.json"
    path.write_text(json.dumps(refs))
    return str(path)


@pytest.mark.parametrize(
    "target",
    ["{root}/private.txt", "file://{root}/private.txt", "{root}/refs/../private.txt",
     "file://{root}/refs/%2e%2e/private.txt", "http://127.0.0.1:9/private.txt"],
)  # fmt: skip
def test_targets_outside_the_reference_folder_are_refused(planted, target):
    root, refs_dir = planted
    ref = _reference_set(refs_dir, target.format(root=root), "evil")
    store = new_data_store("reference", refs=[ref])
    ds = store.open_data("evil")
    with pytest.raises(DataStoreError, match="may not read") as info:
        ds["v"].values  # noqa: B018 - reading is the point
    assert "TOP-SECRET" not in str(info.value)
    assert "allowed_targets" in str(info.value)


def test_targets_inside_the_folder_and_allowed_ones_are_read(planted):
    root, refs_dir = planted
    inside = _reference_set(refs_dir, str(refs_dir / "inside.zarr" / "chl" / ".zarray"), "ok")
    store = new_data_store("reference", refs=[inside])
    assert store.open_data("ok")["v"].values.shape == (32,)
    outside = _reference_set(refs_dir, str(root / "private.txt"), "widened")
    store = new_data_store("reference", refs=[outside], allowed_targets=[f"file://{root}/"])
    assert bytes(store.open_data("widened")["v"].values).startswith(b"TOP-SECRET")
    store = new_data_store("reference", refs=[outside], allowed_targets=["file"])
    assert bytes(store.open_data("widened")["v"].values).startswith(b"TOP-SECRET")
