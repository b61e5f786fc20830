"""``stac-xcube``: the cubes of a STAC catalog published by an xcube server.

An xcube server's items describe, on their ``analytic`` (a dataset) and
``analytic_multires`` (a multi-level dataset) assets, the data store that
serves the cube: ``xcube:data_store_id`` (e.g. ``s3``, the server's S3 API),
``xcube:data_store_params`` and ``xcube:open_data_params`` (its data ID).
This store opens the cube through that store, with our own implementation
of it, instead of reading the asset's href; the ``s3`` storage options given
to this store (credentials, say) are laid over the described ones.
"""

from __future__ import annotations

from typing import Any

from ...datatype import DATASET_TYPE, MULTI_LEVEL_DATASET_TYPE
from ...errors import DataStoreError, DataStoreParamsError, error_text, param_error
from ...opening import CHUNKS_SCHEMA
from ...schema import JsonObjectSchema, JsonStringSchema
from ...store import new_data_store
from .assets import DataAsset
from .store import StacDataStore

#: The asset that holds each data type's cube, as xcube server names them.
XCUBE_ASSETS = {
    DATASET_TYPE.alias: ("analytic", "zarr"),
    MULTI_LEVEL_DATASET_TYPE.alias: ("analytic_multires", "levels"),
}


class StacXcubeDataStore(StacDataStore):
    """The cubes of the xcube server whose STAC catalog is at ``url``."""

    provider = "xcube server's STAC"

    def data_assets(self, data_id: str, item: dict[str, Any] | None = None) -> dict[str, DataAsset]:
        """The ``analytic`` / ``analytic_multires`` assets that name their data store."""
        item = item if item is not None else self.item(data_id)
        found = {}
        for name, format_id in XCUBE_ASSETS.values():
            asset = (item.get("assets") or {}).get(name)
            if isinstance(asset, dict) and asset.get("xcube:data_store_id"):
                found[name] = DataAsset(name, format_id, "s3", str(asset.get("href")), asset)
        return found

    def _types_of(self, assets: dict[str, DataAsset]) -> tuple[str, ...]:
        return tuple(t for t, (name, _) in XCUBE_ASSETS.items() if name in assets)

    def _open_schema(self, data_id, assets, data_type) -> JsonObjectSchema:
        types = list(self._types_of(assets)) if data_id else list(self.get_data_types())
        return JsonObjectSchema(
            properties=dict(
                data_type=JsonStringSchema(
                    enum=types or None,
                    default=data_type or (types[0] if types else None),
                    description="Open the cube (analytic) or its pyramid (analytic_multires)",
                ),
                chunks=CHUNKS_SCHEMA,
            ),
            additional_properties=False,
        )

    def open_data(self, data_id: str, opener_id: str | None = None, **open_params: Any) -> Any:
        """The cube of *data_id*, opened through the data store its item names."""
        item = self.item(data_id)
        assets = self.data_assets(data_id, item)
        if not assets:
            raise DataStoreError(
                f"Data resource {data_id!r} of {self.catalog.name} has no 'analytic' asset "
                "naming an xcube data store ('xcube:data_store_id'): is this an xcube server?"
            )
        if opener_id is not None:
            open_params.setdefault("data_type", opener_id.split(":")[0])
        if "data_type" in open_params:
            open_params["data_type"] = self._checked_type(data_id, assets, open_params["data_type"])
        params = self._open_schema(data_id, assets, None).process(open_params)
        asset = assets[XCUBE_ASSETS[params.pop("data_type")][0]].asset
        store = self._described_store(data_id, asset)
        open_data_params = dict(asset.get("xcube:open_data_params") or {})
        cube_id = open_data_params.pop("data_id", None)
        if not cube_id:
            raise DataStoreError(
                f"The asset of {data_id!r} names no data ID in 'xcube:open_data_params'"
            )
        if "chunks" in params:
            open_data_params["chunks"] = params["chunks"]
        try:
            return store.open_data(cube_id, **open_data_params)
        except DataStoreError as error:
            raise DataStoreError(
                f"Cannot open {cube_id!r}, the cube of {data_id!r}, from the data store "
                f"{asset['xcube:data_store_id']!r} the item names: {error}"
            ) from None

    def _described_store(self, data_id: str, asset: dict[str, Any]):
        store_id = asset["xcube:data_store_id"]
        params = dict(asset.get("xcube:data_store_params") or {})
        given = (self._params.get("storage_options") or {}).get("s3") or {}
        if given:
            params["storage_options"] = {**(params.get("storage_options") or {}), **given}
        try:
            return new_data_store(store_id, **params)
        except DataStoreParamsError as error:
            raise param_error(
                "url",
                self.url,
                problem=f"item {data_id!r} names the data store {store_id!r} with "
                f"parameters this package does not accept ({error})",
            ) from None
        except Exception as error:  # noqa: BLE001 - named in the error
            raise DataStoreError(
                f"Cannot make the data store {store_id!r} that item {data_id!r} names: "
                f"{error_text(error)}"
            ) from None
