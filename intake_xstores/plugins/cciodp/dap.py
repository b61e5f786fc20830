"""OPeNDAP (DAP2) through pydap's client parsers, over the store's own session.

pydap's ``open_url`` makes a fresh HTTP session for each request, which
would bypass the store's retries, user agent and connection reuse; so the
store asks for the ``.dds``/``.das``/``.dods`` documents itself and lets
pydap parse them (``dds_to_dataset``, ``parse_das``/``add_attributes``,
``unpack_dap2_data``): one ``.dods`` hyperslab request per chunk.
"""

from __future__ import annotations

import urllib.parse
from dataclasses import dataclass
from typing import Any

import numpy as np

from ...errors import DataStoreError, error_text
from .portal import SERVICE, PortalClient


@dataclass(frozen=True)
class DapVariable:
    name: str
    dtype: np.dtype
    shape: tuple[int, ...]
    dims: tuple[str, ...]
    attrs: dict[str, Any]


def opendap_url(record: dict[str, Any]) -> str | None:
    """The OPeNDAP URL of a file record (its ``Opendap`` link, without ``.html``)."""
    for link in (record.get("properties") or {}).get("links", {}).get("related") or ():
        if isinstance(link, dict) and str(link.get("title", "")).lower() == "opendap":
            href = link.get("href") or ""
            return href[: -len(".html")] if href.endswith(".html") else href
    return None


def read_structure(client: PortalClient, url: str) -> dict[str, DapVariable]:
    """The variables of the DAP2 dataset at *url* (its DDS and DAS)."""
    from pydap.model import BaseType, GridType
    from pydap.parsers.das import add_attributes, parse_das
    from pydap.parsers.dds import dds_to_dataset

    what = f"the structure of {url}"
    try:
        dataset = dds_to_dataset(client.get(f"{url}.dds", what).text)
        add_attributes(dataset, parse_das(client.get(f"{url}.das", what).text))
    except DataStoreError:
        raise
    except Exception as error:
        raise DataStoreError(
            f"The {SERVICE} sent {what} that pydap cannot read: {error_text(error)}"
        ) from None
    variables = {}
    for name in dataset.keys():  # noqa: SIM118 - iterating yields variables, not names
        var = dataset[name]
        if isinstance(var, GridType):
            var = var.array
        if isinstance(var, BaseType):
            variables[name] = DapVariable(
                name,
                np.dtype(var.dtype),
                tuple(var.shape),
                tuple(var.dims or ()),
                dict(var.attributes),
            )
    return variables


def read_subset(client: PortalClient, url: str, name: str, slices: tuple[slice, ...]):
    """The hyperslab *slices* (steps of 1) of variable *name* at *url*."""
    from pydap.handlers.dap import unpack_dap2_data
    from pydap.lib import hyperslab, old_BytesReader
    from pydap.model import GridType
    from pydap.parsers.dds import dds_to_dataset

    query = urllib.parse.quote(name) + hyperslab(slices)
    response = client.get(f"{url}.dods?{query}", f"{name} of {url}")
    raw = response.content
    head, sep, data = raw.partition(b"\nData:\n")
    if not sep:
        raise DataStoreError(f"The {SERVICE} answered {url}.dods?{query} without DAP2 data")
    try:
        dataset = dds_to_dataset(head.decode("ascii", "replace"))
        dataset.data = unpack_dap2_data(old_BytesReader(data), dataset)
        var = dataset[name]
        return np.asarray((var.array if isinstance(var, GridType) else var).data)
    except Exception as error:
        raise DataStoreError(
            f"The {SERVICE} sent data for {url}.dods?{query} that pydap cannot decode: "
            f"{error_text(error)}"
        ) from None
