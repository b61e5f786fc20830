"""Data IDs stay inside the store root, on every protocol (issue 19, area A).

Property-based: hypothesis builds data IDs from path pieces that attackers
use (dot segments, their percent-encodings, slashes, control characters);
each ID is either refused with a ``DataStoreError`` naming it, or resolves to
a path inside the root, and never reaches the dataset planted outside it.
"""

import os
import posixpath
import urllib.parse

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from intake_xstores import DataStoreError, new_data_store
from tests.conftest import make_cube

PIECES = [
    "..", ".", "", "%2e%2e", "%2E%2E", ".%2e", "%2e.", "%2e", "%252e%252e", "..%2f",
    "%2f", "\\", "~", "a", "cubes", "secret.zarr", "chl.zarr", "x\x00y", "\n", "c:",
    "https:", "%00", "linkdir",
]  # fmt: skip

data_ids = st.lists(st.sampled_from(PIECES), min_size=1, max_size=5).map("/".join)
fuzz = settings(
    max_examples=120,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)


def _inside(path: str, root: str) -> bool:
    normal = posixpath.normpath(urllib.parse.unquote(urllib.parse.unquote(path)))
    root = posixpath.normpath(root)
    return normal == root or normal.startswith(root + "/")


def check_confined(store, data_id: str, root_path: str) -> None:
    try:
        path = store._path(data_id)
    except DataStoreError as error:
        assert repr(data_id) in str(error)
        return
    assert "\x00" not in path
    assert _inside(path, root_path), (data_id, path)


@pytest.mark.parametrize("protocol", ["file", "memory", "s3", "abfs", "ftp", "https"])
def test_fuzzed_data_ids_resolve_inside_root(protocol, request):
    params = request.getfixturevalue(f"{protocol}_store_params")
    store = new_data_store(protocol, **params)
    root_path = store._root_path
    if protocol == "file":
        root_path = os.path.realpath(root_path)
        os.makedirs(root_path, exist_ok=True)

    @fuzz
    @given(data_ids)
    def run(data_id):
        check_confined(store, data_id, root_path)

    run()


@pytest.mark.parametrize(
    "data_id",
    ["%2e%2e/secret/chl.zarr", "%2E%2E/secret/chl.zarr", ".%2e/secret/chl.zarr",
     "cubes/%2e%2e/%2e%2e/secret/chl.zarr", "%252e%252e/secret/chl.zarr",
     "..%2fsecret/chl.zarr"],
)  # fmt: skip
def test_https_percent_encoded_dot_segments_refused(https_store_params, https_server, data_id):
    store = new_data_store("https", **https_store_params)
    assert store.has_data("cubes/chl.zarr")
    with pytest.raises(DataStoreError, match="outside the store root"):
        store.has_data(data_id)
    with pytest.raises(DataStoreError, match="outside the store root"):
        store.open_data(data_id)


@pytest.fixture
def linked_store(tmp_path):
    """A file store whose root holds a link to a folder outside it, with a cube there."""
    root, outside = tmp_path / "root", tmp_path / "outside"
    root.mkdir()
    outside.mkdir()
    make_cube().to_zarr(outside / "x.zarr", zarr_format=2)
    make_cube().to_zarr(root / "inside.zarr", zarr_format=2)
    (root / "linkdir").symlink_to(outside)
    (root / "linked.zarr").symlink_to(outside / "x.zarr")
    (root / "sub").mkdir()
    (root / "sub" / "ok.zarr").symlink_to(root / "inside.zarr")
    return new_data_store("file", root=str(root), max_depth=3), outside


def test_symlinks_out_of_a_file_root_are_refused(linked_store):
    store, outside = linked_store
    for data_id in ["linkdir/x.zarr", "linked.zarr"]:
        for call in (store.open_data, store.describe_data, store.delete_data):
            with pytest.raises(DataStoreError, match="symbolic link"):
                call(data_id)
    with pytest.raises(DataStoreError, match="symbolic link"):
        store.write_data(make_cube(), "linkdir/new.zarr")
    assert sorted(os.listdir(outside)) == ["x.zarr"]
    assert (outside / "x.zarr" / ".zgroup").exists()
    # Links that stay inside the root work; links out are not listed.
    assert store.list_data_ids() == ["inside.zarr", "sub/ok.zarr"]
    assert store.open_data("sub/ok.zarr")["chl"].shape == (4, 6, 8)


@pytest.mark.parametrize("data_id", ["./secret.zarr", ".//secret.zarr", "a/../secret.zarr"])
def test_excludes_match_normalised_ids(tmp_path, data_id):
    make_cube().to_zarr(tmp_path / "secret.zarr", zarr_format=2)
    store = new_data_store("file", root=str(tmp_path), excludes=["secret*"])
    with pytest.raises(DataStoreError):
        store.open_data(data_id)
    assert store.list_data_ids() == []


def test_excludes_match_percent_decoded_ids(https_store_params):
    store = new_data_store("https", **https_store_params, excludes=["cubes/chl.*"])
    for data_id in ["cubes/chl%2ezarr", "cubes/%63hl.zarr"]:
        with pytest.raises(DataStoreError):
            store.open_data(data_id)


@pytest.mark.parametrize("protocol", ["file", "memory", "s3", "abfs", "ftp"])
@pytest.mark.parametrize("data_id", ["a\x00b.zarr", "a\nb.zarr", "x/\x07.zarr"])
def test_control_characters_refused_naming_the_id(protocol, data_id, request):
    store = new_data_store(protocol, **request.getfixturevalue(f"{protocol}_store_params"))
    with pytest.raises(DataStoreError, match="control character") as info:
        store.write_data(make_cube(), data_id)
    assert repr(data_id) in str(info.value)
    with pytest.raises(DataStoreError, match="control character"):
        store.has_data(data_id)


@pytest.mark.parametrize("root_id", ["", "data/"])
def test_levels_links_work_over_https(tmp_path, root_id):
    """A ``.levels`` whose level 0 is a link (``0.link``) opens on a web server too."""
    import numpy as np

    from tests.servers import run_https

    served = tmp_path / "served"
    local = new_data_store("file", root=str(served))
    cube = make_cube(nt=1, ny=8, nx=8)
    local.write_data(cube, f"{root_id}cube.zarr")
    local.write_data(
        cube, f"{root_id}cube.levels", num_levels=2, base_dataset_id=f"{root_id}cube.zarr"
    )
    with run_https(served) as server:
        store = new_data_store(
            "https", root=server["url"], storage_options={"ssl": server["ssl_context"]}
        )
        mlds = store.open_data(f"{root_id}cube.levels")
        np.testing.assert_array_equal(mlds.base_dataset["chl"].values, cube["chl"].values)
        assert mlds.get_dataset(1)["chl"].shape == (1, 4, 4)
