"""Sentinel-2 scenes shaped like CDSE's and Planetary Computer's, for the ARDC stores.

Two 1.2 km tiles side by side across the UTM zone border at 12°E, 50°N
(tile 0 in EPSG:32632, tile 1 in EPSG:32633), each acquired on the same
dates, written as small COGs with rioxarray. Every pixel of a band of a
tile on a date holds the same digital number (:func:`dn`), so a test can
check any pixel of the cube against :func:`reflectance`. The SCL band holds
class 4 (vegetation) in tile 0 and 8 (cloud, medium probability) in tile 1.

Items carry each provider's names: CDSE's per-resolution assets
(``B04_10m``, ``SCL_20m``) with ``proj:code`` and ``raster:bands``
scale/offset, on ``s3://eodata/...``; Planetary Computer's per-band assets
(``B04``, ``SCL``) with ``proj:epsg`` and ``s2:processing_baseline``, on
Azure Blob (Azurite) behind SAS tokens.
"""

from __future__ import annotations

import dataclasses
import datetime
from collections.abc import Callable
from pathlib import Path

import numpy as np

TILE_M = 1200
ZONES = (32632, 32633)
#: West edges (x of the tile's left side) and north edge, in each tile's zone.
TILE_X0 = (713760, 285060)
TILE_Y1 = 5543520
START = datetime.datetime(2024, 6, 1, 10, 30, 21)
#: A box inside both tiles' footprints, and a point in each tile.
BBOX = [11.986, 49.996, 12.014, 50.003]
POINTS = ((11.99, 50.0), (12.01, 50.0))
BANDS = {"B02": 10, "B04": 10, "B05": 20, "SCL": 20}
SCL_CLASSES = (4, 8)
BASELINE = "05.10"


@dataclasses.dataclass(frozen=True)
class Scene:
    tile: int
    day: int

    @property
    def epsg(self) -> int:
        return ZONES[self.tile]

    @property
    def time(self) -> datetime.datetime:
        return START + datetime.timedelta(days=3 * self.day, seconds=7 * self.tile)

    @property
    def mgrs(self) -> str:
        return ("32UPA", "33UUR")[self.tile]

    @property
    def name(self) -> str:
        stamp = self.time.strftime("%Y%m%dT%H%M%S")
        return f"S2A_MSIL2A_{stamp}_N0510_R065_T{self.mgrs}_{stamp}"


def scenes(days: int = 2) -> list[Scene]:
    return [Scene(tile, day) for day in range(days) for tile in (0, 1)]


def dn(band: str, tile: int, day: int) -> int:
    """The digital number of every pixel of *band* in *tile* on *day*."""
    if band == "SCL":
        return SCL_CLASSES[tile]
    return 1500 + 200 * list(BANDS).index(band) + 400 * tile + 100 * day


def reflectance(band: str, tile: int, day: int) -> float:
    """What the cube holds there: DN * 1e-4 - 0.1 (baseline >= 04.00)."""
    return dn(band, tile, day) * 1e-4 - 0.1


def write_cog(
    path: Path, scene: Scene, value: int, dtype: str, res: int, nodata: int = 0, **options
) -> dict:
    """A COG (or, with ``driver=...``, another format) of *scene*'s tile at *res* metres,
    every pixel *value*; returns its ``proj:``."""
    import rioxarray  # noqa: F401 - the .rio accessor
    import xarray as xr

    size = TILE_M // res
    x0 = TILE_X0[scene.tile]
    array = xr.DataArray(
        np.full((size, size), value, dtype),
        dims=("y", "x"),
        coords={
            "y": TILE_Y1 - res * (np.arange(size) + 0.5),
            "x": x0 + res * (np.arange(size) + 0.5),
        },
    )
    array = array.rio.write_crs(f"EPSG:{scene.epsg}").rio.write_nodata(nodata)
    path.parent.mkdir(parents=True, exist_ok=True)
    array.rio.to_raster(path, **{"driver": "COG", **options})
    return {
        "proj:shape": [size, size],
        "proj:transform": [res, 0, x0, 0, -res, TILE_Y1, 0, 0, 1],
    }


def footprint(scene: Scene) -> tuple[list[float], dict]:
    """The scene's bbox and geometry in longitude/latitude."""
    from pyproj import Transformer

    t = Transformer.from_crs(scene.epsg, 4326, always_xy=True)
    x0, y1 = TILE_X0[scene.tile], TILE_Y1
    corners = [(x0, y1), (x0 + TILE_M, y1), (x0 + TILE_M, y1 - TILE_M), (x0, y1 - TILE_M)]
    lonlat = [t.transform(x, y) for x, y in corners]
    lons, lats = [p[0] for p in lonlat], [p[1] for p in lonlat]
    geometry = {"type": "Polygon", "coordinates": [[*map(list, lonlat), list(lonlat[0])]]}
    return [min(lons), min(lats), max(lons), max(lats)], geometry


_EXTENSIONS = [
    "https://stac-extensions.github.io/projection/v1.1.0/schema.json",
    "https://stac-extensions.github.io/raster/v1.1.0/schema.json",
    "https://stac-extensions.github.io/eo/v1.1.0/schema.json",
]


def item_json(scene: Scene, collection: str, properties: dict, assets: dict) -> dict:
    bbox, geometry = footprint(scene)
    return {
        "type": "Feature",
        "stac_version": "1.0.0",
        "stac_extensions": _EXTENSIONS,
        "id": scene.name,
        "collection": collection,
        "bbox": bbox,
        "geometry": geometry,
        "properties": {
            "datetime": scene.time.isoformat() + "Z",
            "platform": "sentinel-2a",
            "eo:cloud_cover": 10.0 + 40 * scene.day,
            **properties,
        },
        "assets": assets,
        "links": [],
    }


def _asset(href: str, proj: dict, band: str, res: int, raster: dict | None) -> dict:
    asset = {
        "href": href,
        "type": "image/tiff; application=geotiff; profile=cloud-optimized",
        "roles": ["data"],
        "gsd": res,
        **proj,
    }
    if raster is not None:
        asset["raster:bands"] = [raster]
    return asset


def cdse_items(folder: Path, days: int = 2) -> tuple[list[dict], dict[str, Path]]:
    """CDSE-shaped items and the COGs to put at their ``s3://eodata/...`` hrefs."""
    items, files = [], {}
    for scene in scenes(days):
        assets = {}
        for band, native in BANDS.items():
            for res in sorted({native, 20}):
                key = f"{band}_{res}m"
                path = f"Sentinel-2/MSI/L2A/{scene.time:%Y/%m/%d}/{scene.name}.SAFE/{key}.tif"
                files[path] = folder / "cdse" / path
                dtype = "uint8" if band == "SCL" else "uint16"
                value = dn(band, scene.tile, scene.day)
                proj = write_cog(files[path], scene, value, dtype, res)
                proj["proj:code"] = f"EPSG:{scene.epsg}"
                raster = {"nodata": 0, "data_type": dtype}
                if band != "SCL":
                    raster.update(scale=1e-4, offset=-0.1)
                assets[key] = _asset(f"s3://eodata/{path}", proj, band, res, raster)
        properties = {"processing:version": BASELINE, "grid:code": f"MGRS-{scene.mgrs}"}
        items.append(item_json(scene, "sentinel-2-l2a", properties, assets))
    return items, files


def pc_items(
    folder: Path, href: Callable[[str], str], days: int = 2
) -> tuple[list[dict], dict[str, Path]]:
    """PC-shaped items (hrefs made by *href* from a blob path) and their COGs."""
    items, files = [], {}
    for scene in scenes(days):
        assets = {}
        for band, res in BANDS.items():
            path = f"sentinel2-l2/{scene.mgrs}/{scene.time:%Y/%m/%d}/{scene.name}/{band}.tif"
            files[path] = folder / "pc" / path
            dtype = "uint8" if band == "SCL" else "uint16"
            proj = write_cog(files[path], scene, dn(band, scene.tile, scene.day), dtype, res)
            assets[band] = _asset(href(path), proj, band, res, None)
        properties = {
            "proj:epsg": scene.epsg,
            "s2:processing_baseline": BASELINE,
            "s2:mgrs_tile": scene.mgrs,
        }
        items.append(item_json(scene, "sentinel-2-l2a", properties, assets))
    return items, files


#: Landsat C2 L2 surface reflectance: value = DN * 2.75e-5 - 0.2 (the assets' raster:bands).
LANDSAT_BANDS = ("red", "nir08", "qa_pixel")
LANDSAT_SCALE, LANDSAT_OFFSET = 2.75e-05, -0.2


def landsat_dn(band: str, tile: int, day: int) -> int:
    if band == "qa_pixel":
        return 21824 + tile  # "clear" bits; stays an integer in the cube
    return 10000 + 1000 * LANDSAT_BANDS.index(band) + 400 * tile + 100 * day


def pc_landsat_items(
    folder: Path, href: Callable[[str], str], days: int = 1
) -> tuple[list[dict], dict[str, Path]]:
    """Landsat C2 L2 items shaped like Planetary Computer's (30 m, raster:bands scale/offset)."""
    items, files = [], {}
    for scene in scenes(days):
        assets = {}
        for band in LANDSAT_BANDS:
            path = f"landsat-c2/level-2/{scene.tile}/{scene.time:%Y%m%d}/{band}.tif"
            files[path] = folder / "landsat" / path
            value = landsat_dn(band, scene.tile, scene.day)
            proj = write_cog(files[path], scene, value, "uint16", 30)
            raster = {"nodata": 0, "data_type": "uint16"}
            if band != "qa_pixel":
                raster.update(scale=LANDSAT_SCALE, offset=LANDSAT_OFFSET)
            assets[band] = _asset(href(path), proj, band, 30, raster)
        item = item_json(scene, "landsat-c2-l2", {"proj:epsg": scene.epsg}, assets)
        item["id"] = f"LC09_L2SP_{scene.mgrs}_{scene.time:%Y%m%d}_02_T1"
        item["properties"]["platform"] = "landsat-9"
        items.append(item)
    return items, files


def collection(collection_id: str, title: str = "Sentinel-2 Level-2A") -> dict:
    """A STAC collection document covering the tiles' region since 2015."""
    return {
        "type": "Collection",
        "stac_version": "1.0.0",
        "id": collection_id,
        "title": title,
        "description": f"{title} (test rig)",
        "license": "proprietary",
        "extent": {
            "spatial": {"bbox": [[5.0, 45.0, 20.0, 55.0]]},
            "temporal": {"interval": [["2015-06-27T00:00:00Z", None]]},
        },
        "links": [],
    }


# --- Sentinel-3 swaths ----------------------------------------------------------
#
# Swaths of 40 x 40 pixels near 12°E, 50°N, slightly skewed (no grid fits
# them), located by 2-D latitude/longitude in a geolocation file and holding
# fields known everywhere (:func:`syn_value`, :func:`lst_value`), stored as
# scaled integers with a _FillValue, as the Sentinel-3 products store them.
# Day 0 has two swaths, B half a swath east of A and taken 100 s later; day
# 1 has swath A again. A corner of A on day 0 is masked (fill values).

SWATH = 40
#: Pixel steps in degrees (about 300 m for Synergy, 1 km for LST) along rows and columns.
SYN_STEP, LST_STEP = (0.0027, 0.0042), (0.009, 0.014)
SWATH_ORIGIN = (11.95, 50.06)  # lon, lat of swath A's first pixel
SYN_BANDS = ("Oa01", "Oa17", "S3N")
MASKED = (slice(0, 5), slice(0, 5))
S3_START = datetime.datetime(2024, 6, 1, 10, 0, 0)


@dataclasses.dataclass(frozen=True)
class Pass:
    """One swath: *shift* swaths east of A, on *day*, the *order*-th of that day."""

    kind: str  # "syn" or "lst"
    day: int
    shift: float = 0.0
    order: int = 0

    @property
    def time(self) -> datetime.datetime:
        return S3_START + datetime.timedelta(days=self.day, seconds=100 * self.order)

    @property
    def offset(self) -> float:
        """What this pass adds to the field: tells passes apart in a mosaic."""
        return 0.1 * self.order + 0.05 * self.day

    @property
    def name(self) -> str:
        stamp = self.time.strftime("%Y%m%dT%H%M%S")
        product = "SY_2_SYN___" if self.kind == "syn" else "SL_2_LST___"
        return f"S3A_{product}_{stamp}_{stamp}_0179_{self.order:03d}_LN2_O_NT_002"

    def latlon(self) -> tuple[np.ndarray, np.ndarray]:
        dlat, dlon = SYN_STEP if self.kind == "syn" else LST_STEP
        rows, cols = np.mgrid[0:SWATH, 0:SWATH].astype("float64")
        cols += self.shift * SWATH
        lat = SWATH_ORIGIN[1] - rows * dlat + cols * dlat * 0.1
        lon = SWATH_ORIGIN[0] + cols * dlon + rows * dlon * 0.1
        return lat, lon


def passes(kind: str) -> list[Pass]:
    return [Pass(kind, 0), Pass(kind, 0, shift=0.5, order=1), Pass(kind, 1)]


def syn_value(band: str, lat, lon, offset: float = 0.0):
    """Surface reflectance of *band* at *lat*/*lon* (plus a pass's *offset*)."""
    return 0.05 + 0.02 * SYN_BANDS.index(band) + (lat - 50) + 0.5 * (lon - 12) + offset


def lst_value(lat, lon, offset: float = 0.0):
    """Land surface temperature in kelvin at *lat*/*lon*."""
    return 290.0 + 10 * (lat - 50) + 5 * (lon - 12) + 10 * offset


def _netcdf(path: Path, variables: dict[str, tuple[np.ndarray, dict]]) -> None:
    """A NetCDF-4 file of 2-D *variables*: ``{name: (values, encoding)}``."""
    import xarray as xr

    dims = ("rows", "columns")
    ds = xr.Dataset({n: (dims, v.astype("float64")) for n, (v, _) in variables.items()})
    path.parent.mkdir(parents=True, exist_ok=True)
    ds.to_netcdf(path, engine="h5netcdf", encoding={n: e for n, (_, e) in variables.items()})


def _geo_encoding() -> dict:
    return {"dtype": "int32", "scale_factor": 1e-6, "_FillValue": -2147483648}


def swath_files(folder: Path, p: Pass) -> dict[str, Path]:
    """The NetCDF files of pass *p*, by file name (as in the product's .SEN3 folder)."""
    lat, lon = p.latlon()
    masked = p == Pass(p.kind, 0)
    files = {}
    if p.kind == "syn":
        geo = {"lat": (lat, _geo_encoding()), "lon": (lon, _geo_encoding())}
        files["geolocation.nc"] = geo
        for band in SYN_BANDS:
            values = syn_value(band, lat, lon, p.offset)
            if masked:
                values[MASKED] = np.nan
            encoding = {"dtype": "int16", "scale_factor": 1e-4, "_FillValue": -10000}
            files[f"Syn_{band}_reflectance.nc"] = {f"SDR_{band}": (values, encoding)}
    else:
        geo = {"latitude_in": (lat, _geo_encoding()), "longitude_in": (lon, _geo_encoding())}
        files["geodetic_in.nc"] = geo
        values = lst_value(lat, lon, p.offset)
        if masked:
            values[MASKED] = np.nan
        encoding = {"dtype": "int16", "scale_factor": 0.002, "add_offset": 290.0}
        encoding["_FillValue"] = -32768
        uncertainty = np.full(lat.shape, 0.5)
        files["LST_in.nc"] = {"LST": (values, encoding), "LST_uncertainty": (uncertainty, {})}
    paths = {}
    for name, variables in files.items():
        paths[name] = folder / p.name / name
        _netcdf(paths[name], variables)
    return paths


#: Asset keys of each file, by provider (CDSE's new STAC API; Planetary Computer's stactools).
SWATH_ASSETS = {
    "cdse": {
        "geolocation.nc": "geolocation",
        **{f"Syn_{b}_reflectance.nc": f"syn_{b}_reflectance" for b in SYN_BANDS},
        "geodetic_in.nc": "geodetic_in",
        "LST_in.nc": "LST_in",
    },
    "pc": {
        "geolocation.nc": "geolocation",
        **{f"Syn_{b}_reflectance.nc": f"syn-{b.lower()}-reflectance" for b in SYN_BANDS},
        "geodetic_in.nc": "slstr-geodetic-in",
        "LST_in.nc": "lst-in",
    },
}
SWATH_COLLECTIONS = {
    "cdse": {"syn": "sentinel-3-syn-2-syn-ntc", "lst": "sentinel-3-sl-2-lst-ntc"},
    "pc": {"syn": "sentinel-3-synergy-syn-l2-netcdf", "lst": "sentinel-3-slstr-lst-l2-netcdf"},
}


def swath_items(
    provider: str, folder: Path, href: Callable[[str], str]
) -> tuple[list[dict], dict[str, Path]]:
    """Items of both kinds shaped like *provider*'s, and their files by blob/object path."""
    items, files = [], {}
    for kind in ("syn", "lst"):
        for p in passes(kind):
            lat, lon = p.latlon()
            corners = [(0, 0), (0, -1), (-1, -1), (-1, 0), (0, 0)]
            ring = [[float(lon[r, c]), float(lat[r, c])] for r, c in corners]
            assets = {}
            for name, path in swath_files(folder / provider, p).items():
                key = f"Sentinel-3/{kind.upper()}/{p.time:%Y/%m/%d}/{p.name}.SEN3/{name}"
                files[key] = path
                assets[SWATH_ASSETS[provider][name]] = {
                    "href": href(key),
                    "type": "application/netcdf" if provider == "cdse" else "application/x-netcdf",
                    "roles": ["data"],
                }
            properties = {"datetime": p.time.isoformat() + "Z", "platform": "sentinel-3a"}
            items.append(
                {
                    "type": "Feature",
                    "stac_version": "1.0.0",
                    "id": p.name,
                    "collection": SWATH_COLLECTIONS[provider][kind],
                    "bbox": [float(f(v)) for f in (np.min, np.max) for v in (lon, lat)],
                    "geometry": {"type": "Polygon", "coordinates": [ring]},
                    "properties": properties,
                    "assets": assets,
                    "links": [],
                }
            )
    return items, files


#: Sentinel-2 L1C on CDSE: one asset per band at its native resolution (``B01`` 60 m,
#: ``B02`` 10 m, ``B05`` 20 m; no ``_10m`` suffixes), JPEG 2000 on ``s3://eodata``, each
#: with ``raster:bands`` scale 1e-4 and the offset of the item's processing baseline:
#: 0 before 04.00, -0.1 from then on. Day 0 is processed with 03.01, day 1 with 05.10.
L1C_BANDS = {"B01": 60, "B02": 10, "B05": 20}
L1C_BASELINES = ("03.01", "05.10")


def l1c_dn(band: str, tile: int, day: int) -> int:
    return 1000 + 300 * list(L1C_BANDS).index(band) + 400 * tile + 100 * day


def l1c_reflectance(band: str, tile: int, day: int) -> float:
    """DN * 1e-4 + the offset of day *day*'s baseline."""
    return l1c_dn(band, tile, day) * 1e-4 + (0.0 if L1C_BASELINES[day] < "04.00" else -0.1)


def cdse_l1c_items(folder: Path, days: int = 2) -> tuple[list[dict], dict[str, Path]]:
    """CDSE-shaped Sentinel-2 L1C items and the JPEG 2000 files for their hrefs."""
    items, files = [], {}
    for scene in scenes(days):
        baseline = L1C_BASELINES[scene.day]
        name = scene.name.replace("MSIL2A", "MSIL1C").replace(
            "N0510", f"N{baseline[:2]}{baseline[3:]}"
        )
        stamp = scene.time.strftime("%Y%m%dT%H%M%S")
        granule = (
            f"Sentinel-2/MSI/L1C/{scene.time:%Y/%m/%d}/{name}.SAFE/GRANULE/"
            f"L1C_T{scene.mgrs}_A046{scene.day:03d}_{stamp}/IMG_DATA"
        )
        assets = {}
        for band, res in L1C_BANDS.items():
            path = f"{granule}/T{scene.mgrs}_{stamp}_{band}.jp2"
            files[path] = folder / "cdse-l1c" / path
            value = l1c_dn(band, scene.tile, scene.day)
            options = dict(driver="JP2OpenJPEG", QUALITY="100", REVERSIBLE="YES")
            proj = write_cog(files[path], scene, value, "uint16", res, **options)
            proj["proj:code"] = f"EPSG:{scene.epsg}"
            offset = 0.0 if baseline < "04.00" else -0.1
            raster = {"nodata": 0, "data_type": "uint16", "scale": 1e-4, "offset": offset}
            assets[band] = {
                **_asset(f"s3://eodata/{path}", proj, band, res, raster),
                "type": "image/jp2",
            }
        properties = {
            "processing:version": baseline,
            "grid:code": f"MGRS-{scene.mgrs}",
            "product:type": "S2MSI1C",
        }
        item = item_json(scene, "sentinel-2-l1c", properties, assets)
        item["id"] = name
        items.append(item)
    return items, files


#: HLS v2.0 on Planetary Computer (hls2-l30, hls2-s30): NASA's items, hrefs moved to Azure
#: Blob. 30 m int16 COGs, reflectance = DN * 1e-4 with nodata -9999, which the items do not
#: state (no raster extension, no per-asset ``proj:``; only the item's ``proj:epsg``); the
#: Fmask quality bits as uint8 (nodata 255). Tile 0 is clear (64: low aerosol), tile 1
#: cloudy (66: bit 1, cloud, set too).
HLS_BANDS = {"L30": ("B04", "B05", "Fmask"), "S30": ("B04", "B8A", "Fmask")}
HLS_FMASK = (64, 66)
HLS_PLATFORMS = {"L30": ("landsat-9", "oli"), "S30": ("sentinel-2b", "msi")}
_HLS_EXTENSIONS = [
    "https://stac-extensions.github.io/eo/v1.0.0/schema.json",
    "https://stac-extensions.github.io/projection/v1.0.0/schema.json",
    "https://stac-extensions.github.io/view/v1.0.0/schema.json",
    "https://stac-extensions.github.io/scientific/v1.0.0/schema.json",
]


def hls_dn(band: str, tile: int, day: int) -> int:
    if band == "Fmask":
        return HLS_FMASK[tile]
    return 900 + 300 * (band != "B04") + 400 * tile + 100 * day


def pc_hls_items(
    folder: Path, href: Callable[[str], str], product: str, days: int = 1
) -> tuple[list[dict], dict[str, Path]]:
    """HLS items of *product* (``"L30"`` or ``"S30"``) shaped like Planetary Computer's."""
    items, files = [], {}
    platform, instrument = HLS_PLATFORMS[product]
    for scene in scenes(days):
        t = scene.time
        granule = f"HLS.{product}.T{scene.mgrs}.{t:%Y%j}T{t:%H%M%S}.v2.0"
        folder_path = f"{product}/{scene.mgrs[:2]}/{scene.mgrs[2]}/{scene.mgrs[3:]}/{t:%Y/%m/%d}"
        assets = {}
        for band in HLS_BANDS[product]:
            path = f"hls2/{folder_path}/{granule}/{granule}.{band}.tif"
            files[path] = folder / "hls" / path
            dtype, nodata = ("uint8", 255) if band == "Fmask" else ("int16", -9999)
            value = hls_dn(band, scene.tile, scene.day)
            write_cog(files[path], scene, value, dtype, 30, nodata=nodata)
            assets[band] = {
                "href": href(path),
                "type": "image/tiff; application=geotiff; profile=cloud-optimized",
                "roles": ["data"],
                "title": band,
                "eo:bands": [{"name": band}],
            }
        properties = {
            "proj:epsg": scene.epsg,
            "instruments": [instrument],
            "start_datetime": t.isoformat() + "Z",
            "end_datetime": (t + datetime.timedelta(seconds=20)).isoformat() + "Z",
            "view:sun_azimuth": 151.2,
            "sci:doi": f"10.5067/HLS/HLS{product}.002",
        }
        item = item_json(scene, f"hls2-{product.lower()}", properties, assets)
        item.update(id=granule, stac_extensions=_HLS_EXTENSIONS)
        item["properties"]["platform"] = platform
        items.append(item)
    return items, files


def cdse_params(url: str, s3_endpoint: dict) -> dict:
    """Parameters of a ``stac-cdse-ardc`` store on the STAC API at *url*, assets on moto."""
    return {
        "url": url,
        "key": s3_endpoint["key"],
        "secret": s3_endpoint["secret"],
        "endpoint_url": s3_endpoint["endpoint_url"],
        "region_name": "eu-west-1",
        "num_retries": 2,
        "retry_backoff_base": 0.01,
    }
