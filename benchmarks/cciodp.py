"""Benchmark row: reading a ~50 MB subset of a ``cciodp`` dataset through OPeNDAP.

pydap's own server (``tests.plugins.opendap_rig``) serves daily NetCDF files
behind the fake OpenSearch. Ours: a fresh store opens the dataset with a
bbox and computes the subset (one DAP2 request per chunk, ``max_workers``
at a time). Raw: pydap's client alone (``open_url`` of each file) reading the
very same hyperslabs one after another.
"""

from __future__ import annotations

import logging
import tempfile
from pathlib import Path

import numpy as np

DRS_ID = "esacci.SST.day.L4.SSTdepth.multi-sensor.multi-platform.OSTIA.3-0.r1"


def bench_cciodp(timed, report, repeat: int, quick: bool) -> None:
    from pydap.client import open_url

    from intake_xstores import new_data_store
    from tests.plugins.opendap_rig import CciOpenSearch, PydapServer, write_cci_dataset
    from tests.service_kit import FakeService

    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    days, shape = (2, (900, 1800)) if quick else (4, (1800, 3600))
    bbox = [-180, -45, 180, 45]  # half the globe
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        files = write_cci_dataset(root / "sst", days, shape=shape)
        with PydapServer(root) as dap, FakeService() as service:
            search = CciOpenSearch(service, dap.url)
            search.add(DRS_ID, files, root)
            params = dict(
                endpoint_url=search.endpoint_url,
                endpoint_description_url=search.description_url,
            )
            mb = 0.0

            def ours():
                nonlocal mb
                store = new_data_store("cciodp", **params)
                ds = store.open_data(DRS_ID, variable_names=["analysed_sst"], bbox=bbox)
                values = ds.analysed_sst.values
                mb = values.nbytes / 1e6
                return values

            before = len(dap.requests)
            ours()
            slabs = [r for r in dap.requests[before:] if ".dods?analysed_sst" in r]
            windows = [
                (slice(*rows), slice(*cols)) for rows, cols in sorted({_window(r) for r in slabs})
            ]
            urls = [f"{dap.url}/sst/{f.name}" for f in files]

            def raw():
                out = []
                for url in urls:
                    var = open_url(url, protocol="dap2")["analysed_sst"]
                    out += [np.asarray(var[(slice(0, 1), *w)].data) for w in windows]
                return out

            label = f"cciodp subset ({mb:.0f} MB, {days} files) via OPeNDAP"
            report(label, *timed(ours, raw, repeat), "s", "<= 1.2")


def _window(request: str) -> tuple[tuple[int, int], tuple[int, int]]:
    """The (rows, columns) ranges of a logged ``.dods?var[t][rows][cols]`` request."""
    import urllib.parse

    parts = urllib.parse.unquote(request.split("?", 1)[1]).split("[")[2:]
    bounds = [tuple(int(v) for v in p.rstrip("]").split(":")) for p in parts]
    return tuple((start, stop + 1) for start, _, stop in bounds)
