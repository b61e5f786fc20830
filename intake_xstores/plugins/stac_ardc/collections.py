"""What the ARDC stores know of each collection: bands, their assets, scaling, flags.

Providers publish the same mission under different asset names: CDSE's
Sentinel-2 L2A items carry one asset per band and resolution (``B04_10m``,
``B04_20m``, ``SCL_20m``), Planetary Computer's one per band (``B04``,
``SCL``). A :class:`Collection` maps the cube's variable names (the bands) to
the asset keys of its items, so that ``asset_names`` means the same in both
stores, and says how digital numbers become physical values.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

#: Sentinel-2 bands and their native resolutions in metres.
S2_NATIVE_RES = {
    "B01": 60,
    "B02": 10,
    "B03": 10,
    "B04": 10,
    "B05": 20,
    "B06": 20,
    "B07": 20,
    "B08": 10,
    "B8A": 20,
    "B09": 60,
    "B10": 60,
    "B11": 20,
    "B12": 20,
    "AOT": 10,
    "WVP": 10,
    "SCL": 20,
}
S2_L1C_BANDS = [b for b in S2_NATIVE_RES if b not in ("AOT", "WVP", "SCL")]
S2_L2A_BANDS = [b for b in S2_NATIVE_RES if b != "B10"]
#: Resolutions CDSE publishes each Sentinel-2 L2A band at (``{band}_{res}m`` assets).
CDSE_L2A_RES = {b: [r for r in (10, 20, 60) if r >= S2_NATIVE_RES[b]] for b in S2_L2A_BANDS}
CDSE_L2A_RES["B08"] = [10]

#: The Sentinel-2 L2A scene classification (SCL) as CF flag attributes.
SCL_FLAGS = {
    "flag_values": list(range(12)),
    "flag_meanings": " ".join(
        [
            "no_data",
            "saturated_or_defective",
            "dark_area_pixels",
            "cloud_shadows",
            "vegetation",
            "not_vegetated",
            "water",
            "unclassified",
            "cloud_medium_probability",
            "cloud_high_probability",
            "thin_cirrus",
            "snow",
        ]
    ),
    "long_name": "Scene classification",
}

#: Sentinel-2 L2A: reflectance = DN * 0.0001 + BOA_ADD_OFFSET / 10000, where
#: BOA_ADD_OFFSET is -1000 from processing baseline 04.00 on (25 January 2022), else 0.
S2_SCALE = 1e-4
S2_OFFSET_FROM_BASELINE_04 = -0.1


@dataclasses.dataclass(frozen=True)
class Swath:
    """Where the pixels of a swath collection's items are (Sentinel-3 NetCDF files).

    ``geolocation`` is the asset holding 2-D ``lat``/``lon`` variables;
    ``variables`` names each band's variable in its asset's NetCDF file.
    """

    geolocation: str
    lat: str
    lon: str
    variables: dict[str, str]


@dataclasses.dataclass(frozen=True)
class Collection:
    """A collection an ARDC store opens as cubes.

    ``assets`` maps each band (a variable of the cube) to its asset keys by
    resolution in metres; ``flags`` are bands holding classes, kept as
    integers with CF ``flag_values``/``flag_meanings``; ``scaling`` is how
    DNs become physical values: ``"raster"`` from each asset's raster
    extension (scale, offset, nodata), ``"s2-baseline"`` from the item's
    Sentinel-2 processing baseline, ``None`` not at all. ``asset_types``
    gives the data type and nodata of assets whose items do not say (odc-stac's
    ``stac_cfg``), keyed by asset or ``"*"``; ``default_scaling`` likewise the
    ``(scale, offset)`` of assets whose raster extension states none. ``swath``
    is set for collections of swath NetCDF files (Sentinel-3), rectified by
    :mod:`.swaths` instead of loaded by odc-stac; their values are scaled by
    the files' CF attributes.
    """

    id: str
    title: str
    assets: dict[str, dict[int, str]]
    default_res: float
    flags: dict[str, dict[str, Any]] = dataclasses.field(default_factory=dict)
    scaling: str | None = "raster"
    units: str = "1"
    asset_types: dict[str, dict[str, Any]] | None = None
    default_scaling: dict[str, tuple[float, float]] | None = None
    swath: Swath | None = None

    def dtype(self, band: str) -> str:
        """The data type of *band* in the cube: flags keep their integers, the rest is scaled."""
        if band not in self.flags:
            return "float32" if self.scaling else "uint16"
        return "uint8" if band in ("SCL", "Fmask") else "uint16"

    @property
    def bands(self) -> list[str]:
        return list(self.assets)

    def asset_key(self, band: str, res_m: float) -> str:
        """The asset of *band* whose resolution is closest to *res_m* metres."""
        by_res = self.assets[band]
        return by_res[min(by_res, key=lambda r: (abs(r - res_m), r))]


def _native(bands: list[str], key=lambda band, res: band) -> dict[str, dict[int, str]]:
    return {b: {S2_NATIVE_RES[b]: key(b, S2_NATIVE_RES[b])} for b in bands}


def _single(names: dict[str, str], res: int) -> dict[str, dict[int, str]]:
    return {band: {res: asset} for band, asset in names.items()}


_S2_L2A_TITLE = "Sentinel-2 MSI Level-2A, surface reflectance"
_S2_L1C_TITLE = "Sentinel-2 MSI Level-1C, top-of-atmosphere reflectance"

#: Sentinel-3 Synergy SYN surface directional reflectance: OLCI and SLSTR (nadir, oblique) bands.
SYN_CHANNELS = [f"Oa{i:02d}" for i in (*range(1, 13), 16, 17, 18, 21)]
SYN_CHANNELS += [f"S{i}{view}" for i in (1, 2, 3, 5, 6) for view in "NO"]
_SYN_TITLE = "Sentinel-3 Synergy Level-2 SYN, surface directional reflectance"
_LST_TITLE = "Sentinel-3 SLSTR Level-2 LST, land surface temperature"
#: The Synergy product's SDR variables, one per file ``Syn_{channel}_reflectance.nc``.
_SYN_SWATH = Swath("geolocation", "lat", "lon", {f"SDR_{c}": f"SDR_{c}" for c in SYN_CHANNELS})
_LST_BANDS = {"LST": "LST", "LST_uncertainty": "LST_uncertainty"}


def _synergy(collection_id: str, asset: Callable[[str], str]) -> Collection:
    """A Synergy SYN collection whose channel *c* is in the asset ``asset(c)``."""
    return Collection(
        collection_id,
        _SYN_TITLE,
        _single({f"SDR_{c}": asset(c) for c in SYN_CHANNELS}, 300),
        default_res=300,
        scaling="cf",
        swath=_SYN_SWATH,
    )


def _lst(collection_id: str, lst_asset: str, geolocation: str, title: str) -> Collection:
    return Collection(
        collection_id,
        title,
        _single(dict.fromkeys(_LST_BANDS, lst_asset), 1000),
        default_res=1000,
        scaling="cf",
        units="K",
        swath=Swath(geolocation, "latitude_in", "longitude_in", _LST_BANDS),
    )


CDSE_COLLECTIONS = {
    c.id: c
    for c in [
        Collection(
            "sentinel-2-l2a",
            _S2_L2A_TITLE,
            {b: {r: f"{b}_{r}m" for r in CDSE_L2A_RES[b]} for b in S2_L2A_BANDS},
            default_res=10,
            flags={"SCL": SCL_FLAGS},
        ),
        Collection("sentinel-2-l1c", _S2_L1C_TITLE, _native(S2_L1C_BANDS), default_res=10),
        _synergy("sentinel-3-syn-2-syn-ntc", lambda c: f"syn_{c}_reflectance"),
        _lst("sentinel-3-sl-2-lst-ntc", "LST_in", "geodetic_in", _LST_TITLE),
        _lst("sentinel-3-sl-2-lst-nrt", "LST_in", "geodetic_in", f"{_LST_TITLE}, near real time"),
    ]
}

_LANDSAT_BANDS = {
    "coastal": "coastal",
    "blue": "blue",
    "green": "green",
    "red": "red",
    "nir08": "nir08",
    "swir16": "swir16",
    "swir22": "swir22",
    "lwir11": "lwir11",
}
#: HLS items (NASA's, as Planetary Computer serves them) state neither data types nor
#: scaling: int16 reflectance * 1e-4 (nodata -9999); L30's thermal bands B10/B11 are
#: brightness temperatures in degrees Celsius * 0.01; Fmask holds uint8 bits (nodata 255).
_HLS_TYPES = {
    "*": {"data_type": "int16", "nodata": -9999},
    "Fmask": {"data_type": "uint8", "nodata": 255},
}


def _hls(id: str, title: str, bands: list[str], thermal: tuple[str, ...] = ()) -> Collection:
    """An HLS collection of *bands* (each its own 30 m asset) and Fmask."""
    scaling = {"*": (1e-4, 0.0), **{band: (0.01, 0.0) for band in thermal}}
    return Collection(
        id,
        f"Harmonized Landsat Sentinel-2, {title}",
        _single({b: b for b in [*bands, "Fmask"]}, 30),
        default_res=30,
        flags={"Fmask": {"long_name": "Quality assessment bits (Fmask)"}},
        asset_types=_HLS_TYPES,
        default_scaling=scaling,
    )


PC_COLLECTIONS = {
    c.id: c
    for c in [
        Collection(
            "sentinel-2-l2a",
            _S2_L2A_TITLE,
            _native(S2_L2A_BANDS),
            default_res=10,
            flags={"SCL": SCL_FLAGS},
            scaling="s2-baseline",
            asset_types={
                "*": {"data_type": "uint16", "nodata": 0},
                "SCL": {"data_type": "uint8", "nodata": 0},
            },
        ),
        Collection(
            "landsat-c2-l2",
            "Landsat Collection 2 Level-2, surface reflectance and temperature",
            {**_single(_LANDSAT_BANDS, 30), "qa_pixel": {30: "qa_pixel"}},
            default_res=30,
            flags={"qa_pixel": {"long_name": "Pixel quality assessment bits"}},
        ),
        _hls(
            "hls2-l30",
            "Landsat 8/9 (L30)",
            [f"B{i:02d}" for i in (1, 2, 3, 4, 5, 6, 7, 9, 10, 11)],
            thermal=("B10", "B11"),
        ),
        _hls("hls2-s30", "Sentinel-2 (S30)", S2_L1C_BANDS),
        _synergy("sentinel-3-synergy-syn-l2-netcdf", lambda c: f"syn-{c.lower()}-reflectance"),
        _lst("sentinel-3-slstr-lst-l2-netcdf", "lst-in", "slstr-geodetic-in", _LST_TITLE),
    ]
}
