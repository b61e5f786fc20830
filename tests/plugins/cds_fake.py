"""A fake CDS: the Processes API of the Climate Data Store on a :class:`FakeService`.

The routes ``ecmwf-datastores-client`` (what ``cdsapi`` 0.7 uses) calls, shaped
like the CDS's answers: ``GET /api/catalogue/v1/messages``,
``GET /api/retrieve/v1/processes/{id}``, ``POST .../processes/{id}/execution``
(the ``PRIVATE-TOKEN`` header must be the key, else 401), ``GET`` and
``DELETE /api/retrieve/v1/jobs/{id}`` (each GET moves the job one state on
along ``states``), ``GET /api/retrieve/v1/jobs/{id}/results`` (the asset,
or the failure as the CDS words it) and the download ``/download/{id}/{name}``.

Results are made by the test: ``cds.results[process_id] = fn(inputs) ->
(file name, bytes)``; :func:`era5_netcdf` makes one shaped like ERA5's
answer to the request (several files zipped are the zenodo fake's ``zip_bytes``).
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable

import numpy as np
import pandas as pd
import xarray as xr
from werkzeug.wrappers import Response

SHORT_NAMES = {"2m_temperature": "t2m", "total_precipitation": "tp", "surface_pressure": "sp"}


class FakeCds:
    """The CDS Processes API on *service*; ``url`` is what ``endpoint_url`` takes."""

    def __init__(self, service, key: str = "test-cds-key", states=("accepted", "running")):
        self.service = service
        self.key = key
        self.states = tuple(states)  # before "successful" (or "failed")
        self.results: dict[str, Callable[[dict], tuple[str, bytes]]] = {}
        self.failures: dict[str, str] = {}  # process ID -> the failed job's message
        self.never_finish = False
        self.jobs: dict[str, dict] = {}
        self._ids = itertools.count(1)
        api = "/api/retrieve/v1"
        service.json("/api/catalogue/v1/messages", {"messages": []})
        service.route(f"{api}/processes/<pid>", self._process)
        service.route(f"{api}/processes/<pid>/execution", self._execute, methods=("POST",))
        service.route(f"{api}/jobs/<jid>", self._job, methods=("GET", "DELETE"))
        service.route(f"{api}/jobs/<jid>/results", self._results)
        service.route("/download/<jid>/<name>", self._download)

    @property
    def url(self) -> str:
        return f"{self.service.url}/api"

    @property
    def submitted(self) -> list[dict]:
        """The inputs of every job submitted, in order."""
        return [job["inputs"] for job in self.jobs.values()]

    def _refused(self, request) -> Response | None:
        if request.headers.get("PRIVATE-TOKEN") == self.key:
            return None
        body = {"title": "Authentication failed", "detail": "The API key is not valid"}
        return Response(json.dumps(body), 401, mimetype="application/json")

    def _process(self, request, pid):
        return {"id": pid, "title": pid, "links": []}

    def _execute(self, request, pid):
        if (refused := self._refused(request)) is not None:
            return refused
        jid = f"job-{next(self._ids)}"
        final = "failed" if pid in self.failures else "successful"
        states = [*self.states, final] if not self.never_finish else ["accepted"]
        self.jobs[jid] = {
            "pid": pid,
            "inputs": request.get_json()["inputs"],
            "states": states,
            "polls": 0,
            "deleted": False,
        }
        return Response(json.dumps(self._status(jid, "accepted")), 201, mimetype="application/json")

    def _status(self, jid: str, status: str) -> dict:
        base = f"{self.service.url}/api/retrieve/v1/jobs/{jid}"
        job = self.jobs[jid]
        links = [{"rel": "self", "href": base}, {"rel": "monitor", "href": base}]
        if status in ("successful", "failed"):
            links.append({"rel": "results", "href": f"{base}/results"})
        return {
            "jobID": jid,
            "processID": job["pid"],
            "type": "process",
            "status": status,
            "created": "2026-01-01T00:00:00",
            "updated": "2026-01-01T00:00:01",
            "metadata": {"request": {"ids": job["inputs"]}, "log": []},
            "links": links,
        }

    def _job(self, request, jid):
        if (refused := self._refused(request)) is not None:
            return refused
        job = self.jobs[jid]
        if request.method == "DELETE":
            job["deleted"] = True
            return self._status(jid, "dismissed")
        status = job["states"][min(job["polls"], len(job["states"]) - 1)]
        job["polls"] += 1
        return self._status(jid, status)

    def _results(self, request, jid):
        if (refused := self._refused(request)) is not None:
            return refused
        job = self.jobs[jid]
        if job["pid"] in self.failures:
            body = {
                "type": "job results failed",
                "title": "The job has failed",
                "detail": self.failures[job["pid"]],
            }
            return Response(json.dumps(body), 400, mimetype="application/json")
        if "file" not in job:
            job["file"] = self.results[job["pid"]](job["inputs"])
        name, data = job["file"]
        href = f"{self.service.url}/download/{jid}/{name}"
        return {"asset": {"value": {"type": "application/x-netcdf", "href": href,
                                    "file:size": len(data)}}}  # fmt: skip

    def _download(self, request, jid, name):
        from tests.service_kit import _file_response

        return _file_response(request, self.jobs[jid]["file"][1], "application/octet-stream")


def era5_dataset(inputs: dict, monthly: bool = False) -> xr.Dataset:
    """What ERA5 answers *inputs* with: its grid, area and days, new-CDS names."""
    north, west, south, east = inputs["area"]
    res = inputs["grid"][0]
    lat = np.arange(north, south - res / 2, -res)  # north to south, as ERA5 has it
    lon = np.arange(west, east + res / 2, res)
    days = pd.to_datetime(
        [
            f"{y}-{m}-{d}"
            for y in inputs["year"]
            for m in inputs["month"]
            for d in inputs.get("day", ["01"])
        ],
        errors="coerce",
    ).dropna()
    if monthly:
        times = days
    else:
        times = pd.DatetimeIndex([d + pd.Timedelta(hours=int(t[:2])) for d in days
                                  for t in inputs["time"]])  # fmt: skip
    shape = (len(times), len(lat), len(lon))
    values = np.arange(np.prod(shape), dtype="float32").reshape(shape)
    data = {
        SHORT_NAMES[v]: (("valid_time", "latitude", "longitude"), values + i, {"units": "K"})
        for i, v in enumerate(inputs["variable"])
    }
    return xr.Dataset(
        data,
        coords={
            "valid_time": times,
            "latitude": lat,
            "longitude": lon,
            "number": 0,
            "expver": ("valid_time", ["0001"] * len(times)),
        },
        attrs={"GRIB_centre": "ecmf", "Conventions": "CF-1.7"},
    )


def era5_netcdf(inputs: dict) -> tuple[str, bytes]:
    """An ERA5 result file for *inputs*, as the CDS names it."""
    return "data.nc", bytes(era5_dataset(inputs).to_netcdf(engine="h5netcdf"))
