"""Item stores of two providers' catalogs: ``stac-cdse`` and ``stac-pc``.

- ``stac-cdse``: the Copernicus Data Space Ecosystem. Its assets are on its
  own S3 (``eodata``); the S3 keys are store parameters handed to s3fs (never
  written into ``os.environ``, as xcube-stac does).
- ``stac-pc``: Microsoft Planetary Computer. Its assets are Azure blobs
  readable with a SAS token of its token endpoint; hrefs are signed when
  opened, with tokens cached until shortly before they expire (see
  :mod:`.sas`).

Both catalogs hold millions of items: listing them all is refused, with a
pointer to ``search_data``. Every URL is a parameter, defaulting to the
provider's service.
"""

from __future__ import annotations

import functools
from collections.abc import Container
from typing import Any

from ...datatype import DataTypeLike
from ...errors import DataStoreError
from ...schema import JsonObjectSchema, JsonStringSchema
from ...store import DataIdIter
from .assets import DataAsset
from .store import StacDataStore, storage_options_schema

CDSE_STAC_URL = "https://stac.dataspace.copernicus.eu/v1"
CDSE_S3_ENDPOINT_URL = "https://eodata.dataspace.copernicus.eu"
PC_STAC_URL = "https://planetarycomputer.microsoft.com/api/stac/v1"


class _ProviderStore(StacDataStore):
    """A provider's catalog: its URL as the default, no listing of all items."""

    default_url = ""

    @classmethod
    def _schema_with(cls, **properties: Any) -> JsonObjectSchema:
        base = dict(StacDataStore.get_data_store_params_schema().properties)
        base["url"] = JsonStringSchema(
            pattern=r"^https?://[^/\s]+",
            default=cls.default_url,
            description=f"URL of the {cls.provider} STAC API",
        )
        base["storage_options"] = storage_options_schema(("https",))
        return JsonObjectSchema(properties={**base, **properties}, additional_properties=False)

    def get_data_ids(
        self, data_type: DataTypeLike = None, include_attrs: Container[str] | bool = False
    ) -> DataIdIter:
        raise DataStoreError(
            f"The {self.provider} catalog holds millions of items, too many to list: "
            "find them with store.search_data(collections=[...], bbox=[...], "
            "time_range=[...]) (in Intake: cat.search(...)), then open a found data ID"
        )


class StacCdseDataStore(_ProviderStore):
    """Items of the Copernicus Data Space Ecosystem; assets read from its S3 with
    ``key`` and ``secret`` (CDSE S3 credentials)."""

    provider = "CDSE"
    default_url = CDSE_STAC_URL

    @classmethod
    def get_data_store_params_schema(cls) -> JsonObjectSchema:
        return cls._schema_with(
            key=JsonStringSchema(secret=True, description="CDSE S3 access key"),
            secret=JsonStringSchema(secret=True, description="CDSE S3 secret key"),
            s3_endpoint_url=JsonStringSchema(
                pattern=r"^https?://[^/\s]+",
                default=CDSE_S3_ENDPOINT_URL,
                description="Endpoint of CDSE's S3 (the 'eodata' bucket)",
            ),
            s3_region_name=JsonStringSchema(
                default="default", description="Region name CDSE's S3 expects"
            ),
        )

    def asset_storage_options(self, protocol: str) -> dict[str, Any]:
        if protocol != "s3":
            return super().asset_storage_options(protocol)
        p = self._params
        options: dict[str, Any] = {
            "client_kwargs": {
                "endpoint_url": p["s3_endpoint_url"],
                "region_name": p["s3_region_name"],
            }
        }
        if p.get("key") or p.get("secret"):
            options.update(key=p.get("key"), secret=p.get("secret"))
        else:
            options["anon"] = True
        return options


class StacPcDataStore(_ProviderStore):
    """Items of Microsoft Planetary Computer; blob hrefs signed with SAS tokens
    from ``sas_url`` when opened."""

    provider = "Planetary Computer"
    default_url = PC_STAC_URL

    @classmethod
    def get_data_store_params_schema(cls) -> JsonObjectSchema:
        from .sas import PC_SAS_TOKEN_URL, blob_endpoints_schema

        return cls._schema_with(
            sas_url=JsonStringSchema(
                pattern=r"^https?://[^/\s]+",
                default=PC_SAS_TOKEN_URL,
                description="SAS token endpoint: {sas_url}/{account}/{container} gives a token",
            ),
            blob_endpoints=blob_endpoints_schema(),
        )

    @functools.cached_property
    def signer(self):
        """Signs blob hrefs; tokens cached per container until they expire."""
        from .sas import store_signer

        return store_signer(
            self._params["sas_url"], self._params, self.asset_storage_options("https")
        )

    def asset_path(self, asset: DataAsset) -> str:
        return self.signer.sign_href(asset.path) if asset.protocol == "https" else asset.path
