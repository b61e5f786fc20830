"""A store as a plugin for a web service's catalogue is written on ``ApiDataStore``:
only the catalogue and the opening are its own."""

import numpy as np
import xarray as xr

from intake_xstores import JsonObjectSchema, JsonStringSchema
from intake_xstores.plugins.base import ApiDataStore


class GreetingsStore(ApiDataStore):
    """One dataset per language; its only variable holds the greeting."""

    opener_id = "dataset:greeting:memory"

    catalog_name = "the greetings"

    @classmethod
    def get_data_store_params_schema(cls):
        return JsonObjectSchema(
            properties=dict(name=JsonStringSchema(default="world")),
            additional_properties=False,
        )

    def fetch_catalog(self):
        return {
            "en": {"word": "Hello", "bbox": [-8.0, 50.0, 2.0, 59.0]},
            "de": {"word": "Hallo", "bbox": [6.0, 47.0, 15.0, 55.0]},
        }

    def open_data(self, data_id, opener_id=None, **open_params):
        text = f"{self.entry(data_id)['word']}, {self.params['name']}!"
        return xr.Dataset({"greeting": ((), np.array(text))})
