"""The ESA CCI Open Data Portal on loopback: pydap's own OPeNDAP server behind a fake OpenSearch.

- :class:`PydapServer`: the real ``pydap`` server (``pydap.wsgi.app.DapServer``
  with its netCDF handler) in a thread, serving the NetCDF files of a folder
  as DAP2 (``.dds``, ``.das``, ``.dods`` with hyperslabs).
- :class:`CciOpenSearch`: the portal's OpenSearch on a
  :class:`tests.service_kit.FakeService`, answering as CEDA's does: the
  description document (``description.xml``, whose ``drsId`` options are
  the data IDs with their file counts), dataset records
  (``parentIdentifier=cci&drsId=...``), file records
  (``parentIdentifier=<dataset uuid>``, paged by ``maximumRecords`` and
  ``startPage``, with ``Opendap`` links) and ISO 19115 metadata.
- :func:`write_cci_dataset`: daily NetCDF files of a CCI-like product.

pydap 3.5's netCDF handler reshapes every slice it reads to the variable's
full shape, so it fails on any hyperslab; :func:`fix_netcdf_handler`
mends that one method (reading exactly what is asked) before serving.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path

import numpy as np
import pandas as pd
import xarray as xr
from werkzeug.serving import make_server
from werkzeug.wrappers import Response

from tests.service_kit import LOCALHOST, _QuietHandler

DESCRIPTION = """<?xml version="1.0" encoding="UTF-8"?>
<OpenSearchDescription xmlns="http://a9.com/-/spec/opensearch/1.1/"
    xmlns:param="http://a9.com/-/spec/opensearch/extensions/parameters/1.0/">
  <ShortName>CEDA</ShortName>
  <Url type="application/geo+json" template="{url}?parentIdentifier={{geo:uid?}}">
    <param:Parameter name="drsId" value="{{ceda:drsId?}}">
{options}
    </param:Parameter>
  </Url>
</OpenSearchDescription>
"""

ISO = """<?xml version="1.0" encoding="UTF-8"?>
<gmd:MD_Metadata xmlns:gmd="http://www.isotc211.org/2005/gmd"
    xmlns:gco="http://www.isotc211.org/2005/gco">
  <gmd:identificationInfo><gmd:MD_DataIdentification>
    <gmd:citation><gmd:CI_Citation><gmd:title>
      <gco:CharacterString>{title}</gco:CharacterString>
    </gmd:title></gmd:CI_Citation></gmd:citation>
    <gmd:abstract><gco:CharacterString>{abstract}</gco:CharacterString></gmd:abstract>
  </gmd:MD_DataIdentification></gmd:identificationInfo>
</gmd:MD_Metadata>
"""


def fix_netcdf_handler() -> None:
    """Make pydap's netCDF handler return slices at their own shape (see the module doc)."""
    from pydap.handlers.netcdf_handler import LazyVariable, netcdf_file

    def getitem(self, key):
        with netcdf_file(self.filepath, "r") as source:
            source.set_auto_scale(False)
            data = np.asarray(source[self.path][key]).astype(self.dtype)
        return data if tuple(self._reshape) == tuple(self._shape) else data.reshape(self._reshape)

    LazyVariable.__getitem__ = getitem


class PydapServer:
    """pydap's OPeNDAP server for the NetCDF files under *root*, on 127.0.0.1.

    It runs in a process of its own, which forks one child per request (up to
    *processes* at once): requests are served concurrently, as by a real
    server, while each netCDF read happens in a single-threaded process (the
    netCDF library is not thread-safe). ``requests`` lists the paths and
    queries it was asked for, in order.
    """

    def __init__(self, root: Path, processes: int = 8):
        fd, log = tempfile.mkstemp(prefix="pydap-", suffix=".log")
        os.close(fd)
        self._log = Path(log)
        self._process = subprocess.Popen(
            [sys.executable, "-m", "tests.plugins.opendap_rig", str(root), log, str(processes)],
            cwd=Path(__file__).resolve().parents[2],
            stdout=subprocess.PIPE,
            text=True,
        )
        port = self._process.stdout.readline().strip()
        if not port.isdigit():
            self.close()
            raise RuntimeError(f"pydap's server did not start (said {port!r})")
        self.url = f"http://{LOCALHOST}:{port}"

    @property
    def requests(self) -> list[str]:
        return self._log.read_text().splitlines()

    def close(self) -> None:
        self._process.terminate()
        self._process.wait(10)
        self._process.stdout.close()
        self._log.unlink(missing_ok=True)

    def __enter__(self) -> PydapServer:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def _serve(root: str, log: str, processes: str) -> None:
    """The server process of :class:`PydapServer`: print the port, then serve."""
    from pydap.wsgi.app import DapServer

    fix_netcdf_handler()
    app = DapServer(root)

    def logged(environ, start_response):
        with open(log, "a") as f:  # one short line per append: whole lines, in order
            f.write(environ["PATH_INFO"] + "?" + environ.get("QUERY_STRING", "") + "\n")
        return app(environ, start_response)

    server = make_server(
        LOCALHOST, 0, logged, processes=int(processes), request_handler=_QuietHandler
    )
    print(server.server_port, flush=True)
    server.serve_forever()


def write_cci_dataset(
    folder: Path, days: int, shape=(36, 72), start: str = "2000-01-01", stem: str = "SST"
) -> list[Path]:
    """Daily files of a CCI-like product: ``analysed_sst`` (float32, K, with fill
    values) and ``sea_ice_fraction`` (scaled int8) on a grid whose latitudes go
    south (as many CCI products' do); value = f(day, lat, lon)."""
    folder.mkdir(parents=True, exist_ok=True)
    ny, nx = shape
    lat = np.linspace(90 - 90 / ny, -90 + 90 / ny, ny)
    lon = np.linspace(-180 + 180 / nx, 180 - 180 / nx, nx)
    paths = []
    for day in range(days):
        time = pd.Timestamp(start) + pd.Timedelta(days=day)
        sst = (270 + day + lat[:, None] / 10 + lon[None, :] / 100).astype("float32")
        sst[0, :] = np.nan  # fill values at the north edge
        ice = np.clip((np.abs(lat)[:, None] - 60) / 30, 0, 1) * np.ones(nx)
        ds = xr.Dataset(
            {
                "analysed_sst": (("time", "lat", "lon"), sst[None], {"units": "kelvin"}),
                "sea_ice_fraction": (("time", "lat", "lon"), ice[None].astype("float32")),
            },
            coords={"time": [time], "lat": lat, "lon": lon},
            attrs={"title": f"ESA CCI {stem} day {day}"},
        )
        encoding = {
            "analysed_sst": {"_FillValue": np.float32(-999.0)},
            "sea_ice_fraction": {"dtype": "int8", "scale_factor": 0.01, "_FillValue": -128},
        }
        path = folder / f"{time:%Y%m%d}120000-ESACCI-L4_GHRSST-{stem}-fv02.0.nc"
        ds.to_netcdf(path, encoding=encoding, engine="netcdf4")
        paths.append(path)
    return paths


class CciOpenSearch:
    """The portal's OpenSearch on *service*; :meth:`add` publishes a dataset."""

    def __init__(self, service, dap_url: str):
        self.service = service
        self.dap_url = dap_url
        self.datasets: dict[str, dict] = {}
        service.route("/opensearch/description.xml", self.description)
        service.route("/opensearch/request", self.request)
        service.route("/iso/<uid>.xml", self.iso)

    @property
    def endpoint_url(self) -> str:
        return f"{self.service.url}/opensearch/request"

    @property
    def description_url(self) -> str:
        return f"{self.service.url}/opensearch/description.xml?parentIdentifier=cci"

    def add(
        self, drs_id: str, files: list[Path], root: Path, title: str = "", institute: str = ""
    ) -> None:
        """Publish *files* (below the DAP server's *root*) as the dataset *drs_id*."""
        uid = str(uuid.UUID(hashlib.md5(drs_id.encode()).hexdigest()))
        records = []
        for path in sorted(files):
            day = pd.Timestamp(path.name[:8])
            rel = path.relative_to(root).as_posix()
            records.append(
                {
                    "type": "Feature",
                    "id": f"{self.endpoint_url}?uuid={uid}-{path.name}",
                    "properties": {
                        "identifier": path.name,
                        "title": path.name,
                        "date": f"{day:%Y-%m-%dT00:00:00Z}/{day:%Y-%m-%dT23:59:59Z}",
                        "filesize": path.stat().st_size,
                        "links": {
                            "related": [
                                {"title": "Download", "href": f"{self.dap_url}/{rel}"},
                                {"title": "Opendap", "href": f"{self.dap_url}/{rel}.html"},
                            ]
                        },
                    },
                }
            )
        first, last = records[0]["properties"]["date"], records[-1]["properties"]["date"]
        self.datasets[drs_id] = {
            "uid": uid,
            "title": title or f"ESA CCI dataset {drs_id}",
            "files": records,
            "record": {
                "type": "Feature",
                "id": f"{self.endpoint_url}?parentIdentifier={uid}",
                "bbox": [-180.0, -90.0, 180.0, 90.0],
                "properties": {
                    "identifier": uid,
                    "title": title or f"ESA CCI dataset {drs_id}",
                    "institute": institute,
                    "date": f"{first.split('/')[0]}/{last.split('/')[1]}",
                    "links": {
                        "describedby": [
                            {"title": "ISO19115", "href": f"{self.service.url}/iso/{uid}.xml"}
                        ]
                    },
                },
            },
        }

    # --- routes -------------------------------------------------------------------

    def description(self, request, **_):
        options = "\n".join(
            f'      <param:Option value="{i}" label="{i} ({len(d["files"])})"/>'
            for i, d in self.datasets.items()
        )
        text = DESCRIPTION.format(url=self.endpoint_url, options=options)
        return Response(text, 200, content_type="application/opensearchdescription+xml")

    def request(self, request, **_):
        args = request.args
        parent = args.get("parentIdentifier")
        if parent == "cci":
            found = [d["record"] for i, d in self.datasets.items() if i == args.get("drsId")]
        else:
            by_uid = {d["uid"]: d for d in self.datasets.values()}
            found = list(by_uid[parent]["files"]) if parent in by_uid else []
            start, end = args.get("startDate"), args.get("endDate")
            if start or end:
                found = [f for f in found if _overlaps(f["properties"]["date"], start, end)]
        size = int(args.get("maximumRecords", 10))
        page = int(args.get("startPage", 1))
        features = found[(page - 1) * size : page * size]
        return {
            "type": "FeatureCollection",
            "totalResults": len(found),
            "startIndex": (page - 1) * size + 1,
            "itemsPerPage": size,
            "features": features,
        }

    def iso(self, request, uid):
        for drs_id, d in self.datasets.items():
            if d["uid"] == uid:
                text = ISO.format(title=d["title"], abstract=f"Abstract of {drs_id}.")
                return Response(text, 200, content_type="application/xml")
        return Response("not found", 404)


def _overlaps(date: str, start: str | None, end: str | None) -> bool:
    lo, hi = (pd.Timestamp(t).tz_convert(None) for t in date.split("/"))
    if start and hi < pd.Timestamp(start).tz_localize(None):
        return False
    return not (end and lo > pd.Timestamp(end).tz_localize(None))


if __name__ == "__main__":
    _serve(*sys.argv[1:])
