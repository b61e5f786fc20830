"""The ESA CCI Open Data Portal's web services, as the ``cciodp`` store asks them.

- OpenSearch (CEDA's): the description document lists the datasets' DRS IDs
  as the options of its ``drsId`` parameter (label ``"<id> (<files>)"``); a
  query ``parentIdentifier=cci&drsId=<id>`` answers the dataset's record
  (GeoJSON: its UUID, title, time range, bbox, ISO 19115 link); a query
  ``parentIdentifier=<uuid>`` pages through the dataset's files, each with
  its time range and ``Opendap`` link.
- OPeNDAP (DAP2) for the data: see :mod:`.dap`.

Every request goes through one ``requests`` session that retries 429/5xx
answers and failed connections with exponential backoff; what fails for good
is a :class:`DataStoreError` naming the portal, the URL and the cause.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import Any

from ...errors import DataStoreError, error_text

SERVICE = "ESA CCI Open Data Portal"
PAGE_SIZE = 1000
_PARAM_NS = "{http://a9.com/-/spec/opensearch/extensions/parameters/1.0/}"
_GMD = "{http://www.isotc211.org/2005/gmd}"
_GCO = "{http://www.isotc211.org/2005/gco}"


class PortalClient:
    """The HTTP requests of one ``cciodp`` store (thread-safe)."""

    def __init__(
        self,
        num_retries: int,
        retry_backoff_base: float,
        retry_backoff_max: float,
        user_agent: str | None = None,
        pool: int = 10,
    ):
        from ..web import retrying_session

        self.session = retrying_session(num_retries, retry_backoff_base, retry_backoff_max, pool)
        if user_agent:
            self.session.headers["User-Agent"] = user_agent

    def get(self, url: str, what: str, params: dict[str, Any] | None = None):
        """The answer to ``GET url?params``, or an error naming the portal and the URL."""
        import requests

        try:
            response = self.session.get(url, params=params, timeout=120)
        except requests.RequestException as error:
            raise DataStoreError(
                f"The {SERVICE} could not be reached for {what} at {url}: {error_text(error)}"
            ) from None
        if response.status_code >= 400:
            raise DataStoreError(
                f"The {SERVICE} could not deliver {what}: {response.url} answered "
                f"HTTP {response.status_code} {response.reason}"
            )
        return response

    def get_json(self, url: str, what: str, params: dict[str, Any] | None = None) -> Any:
        response = self.get(url, what, params)
        try:
            return response.json()
        except ValueError:
            raise DataStoreError(
                f"The {SERVICE} answered {response.url} for {what} with something not JSON"
            ) from None

    def get_xml(self, url: str, what: str) -> ET.Element:
        response = self.get(url, what)
        try:
            return ET.fromstring(response.content)
        except ET.ParseError as error:
            raise DataStoreError(
                f"The {SERVICE} answered {url} for {what} with broken XML: {error}"
            ) from None

    # --- OpenSearch -----------------------------------------------------------------

    def data_ids(self, description_url: str) -> dict[str, dict[str, Any]]:
        """The DRS IDs of the description document, with their file counts."""
        root = self.get_xml(description_url, "the OpenSearch description")
        found: dict[str, dict[str, Any]] = {}
        for parameter in root.iter(f"{_PARAM_NS}Parameter"):
            if parameter.get("name") != "drsId":
                continue
            for option in parameter.iter(f"{_PARAM_NS}Option"):
                value, label = option.get("value"), option.get("label") or ""
                if value:
                    count = label.rpartition("(")[2].rstrip(")")
                    found[value] = {"num_files": int(count)} if count.isdigit() else {}
        return found

    def dataset_record(self, endpoint_url: str, drs_id: str) -> dict[str, Any]:
        """The dataset's OpenSearch record (a GeoJSON feature)."""
        page = self.get_json(
            endpoint_url,
            f"the record of {drs_id!r}",
            {
                "parentIdentifier": "cci",
                "drsId": drs_id,
                "httpAccept": "application/geo+json",
                "maximumRecords": 1,
            },
        )
        features = page.get("features") if isinstance(page, dict) else None
        if not features:
            raise DataStoreError(f"The {SERVICE} has no record of {drs_id!r} at {endpoint_url}")
        return features[0]

    def file_records(self, endpoint_url: str, uid: str, what: str) -> list[dict[str, Any]]:
        """Every file record of the dataset *uid*, page by page."""
        records: list[dict[str, Any]] = []
        page_number = 1
        while True:
            page = self.get_json(
                endpoint_url,
                f"the files of {what}",
                {
                    "parentIdentifier": uid,
                    "httpAccept": "application/geo+json",
                    "maximumRecords": PAGE_SIZE,
                    "startPage": page_number,
                },
            )
            features = page.get("features") or [] if isinstance(page, dict) else []
            records.extend(features)
            total = page.get("totalResults") if isinstance(page, dict) else None
            if not features or len(features) < PAGE_SIZE or (total and len(records) >= total):
                return records
            page_number += 1

    def iso_metadata(self, url: str, what: str) -> dict[str, str]:
        """Title and abstract of an ISO 19115 document."""
        root = self.get_xml(url, f"the ISO 19115 metadata of {what}")
        found = {}
        for key, path in (
            ("title", f".//{_GMD}citation//{_GMD}title/{_GCO}CharacterString"),
            ("abstract", f".//{_GMD}abstract/{_GCO}CharacterString"),
        ):
            element = root.find(path)
            if element is not None and element.text:
                found[key] = " ".join(element.text.split())
        return found
