"""The CDS datasets the ``cds`` store offers, and how a request for each is made.

A :class:`CdsDataset` knows what the CDS catalogue publishes of one dataset
(its variables, grid, time extent and time step) and turns the store's open
parameters (``variable_names``, ``bbox``, ``time_range``, ``spatial_res``)
into the inputs of a CDS retrieve request. The data IDs and their meanings
follow xcube-cds, so code written for it finds the same datasets.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import pandas as pd

from ..base import by_data_id

#: Variables of ERA5 on single levels: CDS request name -> name in the NetCDF result.
ERA5_VARIABLES = {
    "2m_temperature": "t2m",
    "2m_dewpoint_temperature": "d2m",
    "10m_u_component_of_wind": "u10",
    "10m_v_component_of_wind": "v10",
    "mean_sea_level_pressure": "msl",
    "surface_pressure": "sp",
    "skin_temperature": "skt",
    "sea_surface_temperature": "sst",
    "total_cloud_cover": "tcc",
    "total_precipitation": "tp",
}

#: Variables of ERA5-Land: CDS request name -> name in the NetCDF result.
ERA5_LAND_VARIABLES = {
    "2m_temperature": "t2m",
    "2m_dewpoint_temperature": "d2m",
    "10m_u_component_of_wind": "u10",
    "10m_v_component_of_wind": "v10",
    "surface_pressure": "sp",
    "skin_temperature": "skt",
    "snow_depth": "sde",
    "total_precipitation": "tp",
    "volumetric_soil_water_layer_1": "swvl1",
}

_HOURS = [f"{h:02d}:00" for h in range(24)]


@dataclasses.dataclass(frozen=True)
class CdsDataset:
    """One data ID of the store: a CDS collection with some inputs fixed."""

    data_id: str
    collection: str
    title: str
    variables: dict[str, str]
    time_period: str  # "1h", "1D", "10D", "1MS"
    time_start: str
    time_end: str | None  # None: still updated
    spatial_res: float
    spatial_res_choices: tuple[float, ...] = ()
    crs: str = "EPSG:4326"
    fixed_inputs: dict[str, Any] = dataclasses.field(default_factory=dict)
    regional: bool = True  # the service cuts the request's area (ERA5) or not

    @property
    def variable_names(self) -> list[str]:
        """Variable names as the opened dataset has them."""
        return list(self.variables.values())

    def request(self, params: dict[str, Any]) -> dict[str, Any]:
        """The inputs of the retrieve request for the processed open *params*."""
        wanted = params.get("variable_names") or self.variable_names
        by_name = {name: key for key, name in self.variables.items()}
        inputs: dict[str, Any] = dict(self.fixed_inputs)
        if "variable" not in inputs:  # fixed where the collection has one variable input
            inputs["variable"] = [by_name[name] for name in wanted]
        start, end = (pd.Timestamp(t) for t in params["time_range"])
        days = pd.date_range(start.normalize(), end.normalize(), freq="D")
        inputs["year"] = sorted({f"{d.year}" for d in days})
        inputs["month"] = sorted({f"{d.month:02d}" for d in days})
        if self.time_period in ("1h", "1D", "10D"):
            inputs["day"] = sorted({f"{d.day:02d}" for d in days})
        if self.time_period == "1h":
            inputs["time"] = _HOURS
        elif self.collection.startswith("reanalysis-era5") and self.time_period == "1MS":
            inputs["time"] = ["00:00"]
        if self.regional:
            west, south, east, north = params["bbox"]
            inputs["area"] = [north, west, south, east]
            res = params.get("spatial_res") or self.spatial_res
            inputs["grid"] = [res, res]
            inputs["data_format"] = "netcdf"
            inputs["download_format"] = "unarchived"
        return inputs


def _era5(collection, title, variables, period, start, res, product_type=None) -> CdsDataset:
    """An ERA5 dataset, whose data ID is the name of its CDS collection (as in xcube-cds)."""
    fixed = {"product_type": [product_type]} if product_type else {}
    return CdsDataset(
        collection,
        collection,
        title,
        variables,
        period,
        start,
        None,
        res,
        spatial_res_choices=(res, 0.25, 0.5, 1.0) if res < 0.25 else (res, 0.5, 1.0),
        fixed_inputs=fixed,
    )


def _soil_moisture(quantity: str, aggregation: str) -> CdsDataset:
    variable, sensor, name = {
        "volumetric": ("volumetric_surface_soil_moisture", "combined_passive_and_active", "sm"),
        "saturation": ("soil_moisture_saturation", "active", "sm"),
    }[quantity]
    aggregation_input, period = {
        "daily": ("day_average", "1D"),
        "10-day": ("10_day_average", "10D"),
        "monthly": ("month_average", "1MS"),
    }[aggregation]
    return CdsDataset(
        f"satellite-soil-moisture:{quantity}:{aggregation}",
        "satellite-soil-moisture",
        f"Soil moisture ({quantity}, {aggregation}) from 1978 to present, "
        "derived from satellite observations",
        {variable: name},
        period,
        "1978-11-01",
        None,
        0.25,
        fixed_inputs={
            "variable": [variable],
            "type_of_sensor": [sensor],
            "time_aggregation": [aggregation_input],
            "type_of_record": ["cdr"],
            "version": ["v202312"],
        },
        regional=False,
    )


def _sea_ice(satellite: str) -> CdsDataset:
    start, end = {"envisat": ("2002-10-01", "2010-10-31"), "cryosat-2": ("2010-11-01", None)}[
        satellite
    ]
    return CdsDataset(
        f"satellite-sea-ice-thickness:{satellite}",
        "satellite-sea-ice-thickness",
        f"Arctic sea ice thickness from {satellite.capitalize()} radar altimetry, monthly",
        {"sea_ice_thickness": "sea_ice_thickness", "uncertainty": "uncertainty"},
        "1MS",
        start,
        end,
        25000.0,
        crs="EPSG:6931",
        fixed_inputs={
            "satellite": [satellite.replace("-", "_")],
            "cdr_type": ["cdr"],
            "variable": "all",
            "version": ["3_0"],
        },
        regional=False,
    )


DATASETS: dict[str, CdsDataset] = by_data_id(
    _era5(
        "reanalysis-era5-single-levels",
        "ERA5 hourly data on single levels from 1940 to present",
        ERA5_VARIABLES,
        "1h",
        "1940-01-01",
        0.25,
        "reanalysis",
    ),
    _era5(
        "reanalysis-era5-single-levels-monthly-means",
        "ERA5 monthly averaged data on single levels from 1940 to present",
        ERA5_VARIABLES,
        "1MS",
        "1940-01-01",
        0.25,
        "monthly_averaged_reanalysis",
    ),
    _era5(
        "reanalysis-era5-land",
        "ERA5-Land hourly data from 1950 to present",
        ERA5_LAND_VARIABLES,
        "1h",
        "1950-01-01",
        0.1,
    ),
    _era5(
        "reanalysis-era5-land-monthly-means",
        "ERA5-Land monthly averaged data from 1950 to present",
        ERA5_LAND_VARIABLES,
        "1MS",
        "1950-01-01",
        0.1,
        "monthly_averaged_reanalysis",
    ),
    *(
        _soil_moisture(q, a)
        for q in ("volumetric", "saturation")
        for a in ("daily", "10-day", "monthly")
    ),
    _sea_ice("envisat"),
    _sea_ice("cryosat-2"),
)
