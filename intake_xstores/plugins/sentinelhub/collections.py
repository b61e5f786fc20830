"""The Sentinel Hub collections this store offers as data IDs, and their bands.

Each data ID (xcube-sh's names) maps to the collection ``type`` of the
Process API, the collection of the Catalog API (``None``: the collection has
no acquisitions to search, like the DEM) and the bands with their units. The
bands here are the defaults; ``describe_data`` prefers what the service's
configuration API says.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..base import by_data_id


@dataclass(frozen=True)
class Band:
    name: str
    units: str


@dataclass(frozen=True)
class Collection:
    data_id: str
    title: str
    process_type: str
    catalog_id: str | None
    bands: tuple[Band, ...]

    def for_byoc(self, collection_id: str) -> Collection:
        """This (the ``CUSTOM``) collection bound to a BYOC collection ID."""
        return Collection(
            self.data_id, self.title, f"byoc-{collection_id}", f"byoc-{collection_id}", ()
        )


def _bands(units: str, *names: str) -> tuple[Band, ...]:
    return tuple(Band(name, units) for name in names)


def _searchable(data_id: str, title: str, process_type: str, bands: tuple[Band, ...]) -> Collection:
    """A collection whose acquisitions the Catalog API finds in the collection
    named as its Process API type (all but the DEM and BYOC)."""
    return Collection(data_id, title, process_type, process_type, bands)


_S2 = ("B01", "B02", "B03", "B04", "B05", "B06", "B07", "B08", "B8A", "B09")
_LANDSAT_OT = ("B01", "B02", "B03", "B04", "B05", "B06", "B07", "B08", "B09", "B10", "B11")

COLLECTIONS: dict[str, Collection] = by_data_id(
    _searchable(
        "S2L1C",
        "Sentinel-2 L1C top-of-atmosphere reflectances",
        "sentinel-2-l1c",
        _bands("reflectance", *_S2, "B10", "B11", "B12"),
    ),
    _searchable(
        "S2L2A",
        "Sentinel-2 L2A surface reflectances",
        "sentinel-2-l2a",
        _bands("reflectance", *_S2, "B11", "B12") + _bands("1", "SCL", "CLM", "CLP"),
    ),
    _searchable(
        "S1GRD",
        "Sentinel-1 ground range detected backscatter",
        "sentinel-1-grd",
        _bands("linear power", "VV", "VH", "HH", "HV"),
    ),
    _searchable(
        "S3OLCI",
        "Sentinel-3 OLCI top-of-atmosphere radiances",
        "sentinel-3-olci",
        _bands("mW.m-2.sr-1.nm-1", *(f"B{i:02d}" for i in range(1, 22))),
    ),
    _searchable(
        "S3SLSTR",
        "Sentinel-3 SLSTR reflectances and brightness temperatures",
        "sentinel-3-slstr",
        _bands("reflectance", "S1", "S2", "S3", "S4", "S5", "S6")
        + _bands("K", "S7", "S8", "S9", "F1", "F2"),
    ),
    _searchable(
        "S5PL2",
        "Sentinel-5P L2 atmospheric trace gases",
        "sentinel-5p-l2",
        _bands("mol.m-2", "CO", "HCHO", "NO2", "O3", "SO2", "CH4")
        + _bands("1", "AER_AI_340_380", "AER_AI_354_388", "CLOUD_FRACTION"),
    ),
    _searchable(
        "L8L1C",
        "Landsat 8 L1C top-of-atmosphere reflectances",
        "landsat-8-l1c",
        _bands("reflectance", *_LANDSAT_OT) + _bands("1", "BQA"),
    ),
    _searchable(
        "LOTL1",
        "Landsat 8-9 OLI/TIRS collection 2 level 1",
        "landsat-ot-l1",
        _bands("reflectance", *_LANDSAT_OT) + _bands("1", "BQA"),
    ),
    _searchable(
        "LOTL2",
        "Landsat 8-9 OLI/TIRS collection 2 level 2",
        "landsat-ot-l2",
        _bands("reflectance", *_LANDSAT_OT[:7]) + _bands("K", "B10") + _bands("1", "BQA"),
    ),
    Collection("DEM", "Digital elevation model", "dem", None, _bands("m", "DEM")),
    _searchable(
        "MODIS",
        "MODIS MCD43A4 nadir BRDF-adjusted reflectances",
        "modis",
        _bands("reflectance", *(f"B{i:02d}" for i in range(1, 8))),
    ),
    Collection(
        "CUSTOM",
        "A Bring Your Own COG collection (open with collection_id=...)",
        "byoc",
        None,
        (),
    ),
)
