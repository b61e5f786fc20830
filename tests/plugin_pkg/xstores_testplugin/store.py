import numpy as np
import xarray as xr

from intake_xstores import (
    DataStore,
    DataStoreError,
    JsonObjectSchema,
    JsonStringSchema,
    new_data_descriptor,
)


class GreetingsStore(DataStore):
    """One dataset per language; its only variable holds the greeting."""

    @classmethod
    def get_data_store_params_schema(cls):
        return JsonObjectSchema(
            properties=dict(name=JsonStringSchema(default="world")),
            additional_properties=False,
        )

    @classmethod
    def get_data_types(cls):
        return ("dataset",)

    def get_data_types_for_data(self, data_id):
        return ("dataset",)

    def get_data_ids(self, data_type=None, include_attrs=False):
        yield from ("en", "de")

    def has_data(self, data_id, data_type=None):
        return data_id in ("en", "de")

    def describe_data(self, data_id, data_type=None):
        return new_data_descriptor(data_id, self.open_data(data_id))

    def get_data_opener_ids(self, data_id=None, data_type=None):
        return ("dataset:greeting:memory",)

    def get_open_data_params_schema(self, data_id=None, opener_id=None):
        return JsonObjectSchema(additional_properties=False)

    def open_data(self, data_id, opener_id=None, **open_params):
        if not self.has_data(data_id):
            raise DataStoreError(f"no greeting {data_id!r}")
        word = {"en": "Hello", "de": "Hallo"}[data_id]
        text = f"{word}, {self.params['name']}!"
        return xr.Dataset({"greeting": ((), np.array(text))})
