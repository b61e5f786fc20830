"""``ApiDataStore``: what a store over a web service's catalogue gets for free.

The third-party ``greetings`` store (tests/plugin_pkg) implements only its
catalogue and its opening; listing, data types, descriptors, search and the
checks of every ``open_data`` call come from the base.
"""

from __future__ import annotations

import pytest
from xstores_testplugin.store import GreetingsStore

from intake_xstores import (
    DatasetDescriptor,
    DataStoreError,
    DataStoreParamsError,
    JsonIntegerSchema,
    JsonObjectSchema,
    new_data_store,
)


class CountingGreetings(GreetingsStore):
    """Greetings that count the service's work: catalogue requests and openings."""

    def __init__(self, **params):
        super().__init__(**params)
        self.fetches = self.opened = 0

    def fetch_catalog(self):
        self.fetches += 1
        return super().fetch_catalog()

    def get_open_data_params_schema(self, data_id=None, opener_id=None):
        return JsonObjectSchema(
            properties=dict(repeat=JsonIntegerSchema(minimum=1, default=1)),
            additional_properties=False,
        )

    def open_data(self, data_id, opener_id=None, **open_params):
        self.opened += 1
        ds = super().open_data(data_id, opener_id)
        return ds.assign(greeting=ds.greeting.str.repeat(open_params.get("repeat", 1)))


def test_a_plugin_store_lists_types_and_describes_from_its_catalogue_alone():
    store = new_data_store("greetings", name="Intake")
    assert store.list_data_ids() == ["en", "de"]
    assert store.has_data("de") and not store.has_data("fr")
    assert not store.has_data("de", data_type="geodataframe")
    assert store.get_data_types() == ("dataset",)
    descriptor = store.describe_data("de")
    assert isinstance(descriptor, DatasetDescriptor)
    assert descriptor.bbox == (6.0, 47.0, 15.0, 55.0)  # entry items named like fields
    assert descriptor.attrs == {"word": "Hallo"}  # the others are attrs
    assert store.list_data_ids(include_attrs=["bbox"])[0] == ("en", {"bbox": [-8, 50, 2, 59]})
    with pytest.raises(DataStoreError, match="'fr' is not in the greetings; its data IDs are"):
        store.describe_data("fr")


def test_search_uses_the_catalogue_once_and_opens_nothing():
    store = CountingGreetings()
    found = [d.data_id for d in store.search_data(bbox=[5, 45, 10, 48])]
    assert found == ["de"]
    assert [d.data_id for d in store.search_data(data_type="dataset")] == ["en", "de"]
    assert (store.fetches, store.opened) == (1, 0)
    store.refresh()
    store.list_data_ids()
    assert store.fetches == 2
    with pytest.raises(DataStoreParamsError, match="'bbox'"):
        store.search_data(bbox=[0, 1])


def test_every_open_is_checked_before_the_plugin_code_runs():
    store = CountingGreetings(name="you")
    assert store.open_data("en", repeat=2).greeting.item() == "Hello, you!Hello, you!"
    assert store.opened == 1
    with pytest.raises(DataStoreError, match="'fr' is not in the greetings"):
        store.open_data("fr")
    with pytest.raises(DataStoreParamsError, match="'repeat'.*0.*minimum"):
        store.open_data("en", repeat=0)
    with pytest.raises(DataStoreParamsError, match="Open parameters of 'en'.*'colour'"):
        store.open_data("en", colour="red")
    with pytest.raises(DataStoreParamsError, match="'opener_id': 'dataset:zarr:s3'.*greeting"):
        store.open_data("en", opener_id="dataset:zarr:s3")
    with pytest.raises(DataStoreParamsError, match="'data_type': 'mldataset'.*is a 'dataset'"):
        store.open_data("en", data_type="mldataset")
    assert store.opened == 1  # none of the bad requests reached the plugin's code
    assert store.open_data("de", opener_id="dataset:greeting:memory", data_type="dataset")


def test_a_store_with_one_opener_declares_only_its_id():
    store = CountingGreetings(name="you")
    assert store.get_data_opener_ids() == ("dataset:greeting:memory",)
    assert store.get_data_opener_ids("en", data_type="dataset") == ("dataset:greeting:memory",)
    assert store.get_data_opener_ids(data_type="mldataset") == ()
    with pytest.raises(DataStoreError, match="'fr' is not in the greetings"):
        store.get_data_opener_ids("fr")


def test_a_catalogue_entry_that_cannot_be_a_descriptor_is_named():
    class Broken(GreetingsStore):
        def fetch_catalog(self):
            return {"en": {"word": "Hello", "bbox": [1, 2]}}

    with pytest.raises(DataStoreError, match="the greetings describes 'en'.*'bbox'"):
        Broken().describe_data("en")
