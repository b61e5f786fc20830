"""Store pools: named, configured data stores, made when first used.

A pool is xcube's twin of a YAML catalog of stores: a mapping from an
instance name to a store ID and its parameters (plus a title, a
description and cost parameters), read from a dict, a JSON or a YAML file::

    era5:
      store_id: s3
      store_params:
        root: my-bucket/era5
        storage_options: {key: ${AWS_KEY}, secret: ${AWS_SECRET}}
      title: ERA5 cubes

``${NAME}`` in a pool file is replaced by the environment variable
``NAME`` (as xcube does), so secrets need not be written in it.
``intake_xstores.intake.pool`` makes Intake catalogs of pools and pools of
catalogs; this module needs no Intake.
"""

from __future__ import annotations

import dataclasses
import json
import os
import string
import threading
from collections.abc import Mapping
from typing import Any, TypeAlias

from .errors import DataStoreError, DataStoreParamsError
from .schema import (
    JsonIntegerSchema,
    JsonNumberSchema,
    JsonObjectSchema,
    JsonStringSchema,
)
from .store import DataStore, new_data_store

DATA_STORE_CONFIG_SCHEMA = JsonObjectSchema(
    properties=dict(
        store_id=JsonStringSchema(min_length=1, description="ID of the data store"),
        store_params=JsonObjectSchema(
            additional_properties=True, description="Parameters of the data store"
        ),
        title=JsonStringSchema(min_length=1, description="Human-readable title"),
        description=JsonStringSchema(min_length=1, description="Human-readable description"),
        cost_params=JsonObjectSchema(
            properties=dict(
                input_pixels_per_punit=JsonIntegerSchema(minimum=1),
                output_pixels_per_punit=JsonIntegerSchema(minimum=1),
                input_punits_weight=JsonNumberSchema(exclusive_minimum=0.0, default=1.0),
                output_punits_weight=JsonNumberSchema(exclusive_minimum=0.0, default=1.0),
            ),
            required=["input_pixels_per_punit", "output_pixels_per_punit"],
            additional_properties=False,
            description="Processing-unit costs of reading and writing pixels",
        ),
    ),
    required=["store_id"],
)
"""The schema of one store configuration (as xcube's)."""

DATA_STORE_POOL_SCHEMA = JsonObjectSchema(additional_properties=DATA_STORE_CONFIG_SCHEMA)
"""The schema of a pool: instance names mapped to store configurations."""


@dataclasses.dataclass(frozen=True, eq=False, repr=False)
class DataStoreConfig:
    """How to make one store of a pool: its ID, parameters, title, description.

    Unlike xcube's, it keeps *cost_params* (xcube's schema accepts them but
    its config dropped them), writes *title* as ``title`` in :meth:`to_dict`
    (xcube writes ``name``, which :meth:`from_dict` then ignores), and
    compares equal to a config with the same contents.
    """

    store_id: str
    store_params: dict[str, Any] | None = None
    title: str | None = None
    description: str | None = None
    user_data: Any = None
    cost_params: dict[str, Any] | None = None

    def __post_init__(self):
        if not self.store_id:
            raise DataStoreParamsError("Missing required parameter: store_id must be given")
        if self.store_params is not None and not isinstance(self.store_params, Mapping):
            raise TypeError(f"store_params must be a dict, was {type(self.store_params).__name__}")
        for name in ("store_params", "cost_params"):  # copies: the caller's stay theirs
            value = getattr(self, name)
            if value is not None:
                object.__setattr__(self, name, dict(value))

    @classmethod
    def from_dict(cls, data_store_config: Mapping[str, Any]) -> DataStoreConfig:
        """A config from its JSON form, validated against :data:`DATA_STORE_CONFIG_SCHEMA`."""
        from .assertions import assert_valid_config

        assert_valid_config(
            data_store_config, schema=DATA_STORE_CONFIG_SCHEMA, name="data_store_config"
        )
        cost_params = data_store_config.get("cost_params")
        if cost_params is not None:
            cost_params = DATA_STORE_CONFIG_SCHEMA.properties["cost_params"].apply_defaults(
                cost_params
            )
        return cls(
            data_store_config["store_id"],
            store_params=data_store_config.get("store_params"),
            title=data_store_config.get("title"),
            description=data_store_config.get("description"),
            cost_params=cost_params,
        )

    def to_dict(self) -> dict[str, Any]:
        """The JSON form; :meth:`from_dict` restores the config."""
        d: dict[str, Any] = {"store_id": self.store_id}
        for key in ("store_params", "title", "description", "cost_params"):
            value = getattr(self, key)
            if value:
                d[key] = value
        return d

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, DataStoreConfig)
            and self.to_dict() == other.to_dict()
            and self.user_data == other.user_data
        )

    __hash__ = None  # type: ignore[assignment]  # mutable contents

    def __repr__(self) -> str:
        params = _shown_params(self.store_id, self.store_params or {})
        title = f", title={self.title!r}" if self.title else ""
        return f"DataStoreConfig({self.store_id!r}, store_params={params!r}{title})"


def _shown_params(store_id: str, params: dict[str, Any]) -> dict[str, Any]:
    """*params* with secrets hidden: by the store's schema if the store is
    installed, else every value (we cannot know which are secret)."""
    from . import secrets
    from .store import get_data_store_params_schema

    try:
        secret_paths = get_data_store_params_schema(store_id).secret_paths()
    except DataStoreError:
        return dict.fromkeys(params, "***")
    return secrets.redact(params, secret_paths)


class DataStoreInstance:
    """A config and the store made from it, on first use, once."""

    def __init__(self, store_config: DataStoreConfig):
        if not isinstance(store_config, DataStoreConfig):
            raise TypeError(
                f"store_config must be a DataStoreConfig, was {type(store_config).__name__}"
            )
        self.store_config = store_config
        self._store: DataStore | None = None
        self._lock = threading.Lock()

    @property
    def store(self) -> DataStore:
        """The store, made by ``new_data_store`` the first time it is asked for."""
        with self._lock:
            if self._store is None:
                config = self.store_config
                self._store = new_data_store(config.store_id, **(config.store_params or {}))
            return self._store

    def close(self) -> None:
        """Close the store, if it was made and can be closed."""
        close = getattr(self._store, "close", None)
        if callable(close):
            close()

    def __getstate__(self) -> dict[str, Any]:
        return {"store_config": self.store_config, "_store": self._store}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"DataStoreInstance({self.store_config!r})"


class DataStorePool:
    """Named store configurations; each store is made when first asked for, then reused.

    *store_configs* maps instance names to :class:`DataStoreConfig`; most
    pools come from :meth:`from_dict` or :meth:`from_file`.
    """

    def __init__(self, store_configs: Mapping[str, DataStoreConfig] | None = None):
        if store_configs is not None and not isinstance(store_configs, Mapping):
            raise TypeError(f"store_configs must be a dict, was {type(store_configs).__name__}")
        self._instances = {k: DataStoreInstance(v) for k, v in (store_configs or {}).items()}

    @property
    def is_empty(self) -> bool:
        return not self._instances

    @property
    def store_instance_ids(self) -> list[str]:
        """The instance names, sorted."""
        return sorted(self._instances)

    @property
    def store_configs(self) -> list[DataStoreConfig]:
        return [i.store_config for i in self._instances.values()]

    def get_store_instance_id(
        self, store_config: DataStoreConfig, strict_check: bool = False
    ) -> str | None:
        """The name of a config like *store_config*: the same store ID and
        parameters, or with *strict_check* equal in every field."""
        _check_config(store_config)
        for name, instance in self._instances.items():
            other = instance.store_config
            if (
                other == store_config
                if strict_check
                else (other.store_id, other.store_params)
                == (store_config.store_id, store_config.store_params)
            ):
                return name
        return None

    def has_store_config(self, store_config: DataStoreConfig) -> bool:
        return self.get_store_instance_id(store_config) is not None

    def has_store_instance(self, store_instance_id: str) -> bool:
        _check_name(store_instance_id)
        return store_instance_id in self._instances

    def add_store_config(self, store_instance_id: str, store_config: DataStoreConfig) -> None:
        """Add (or replace, closing the old store) the config named *store_instance_id*."""
        _check_name(store_instance_id)
        _check_config(store_config)
        if store_instance_id in self._instances:
            self._instances[store_instance_id].close()
        self._instances[store_instance_id] = DataStoreInstance(store_config)

    def remove_store_config(self, store_instance_id: str) -> None:
        self._instance(store_instance_id).close()
        del self._instances[store_instance_id]

    def remove_all_store_configs(self) -> None:
        """Remove every config, closing their stores (xcube forgot to close them)."""
        self.close_all_stores()
        self._instances.clear()

    def get_store_config(self, store_instance_id: str) -> DataStoreConfig:
        return self._instance(store_instance_id).store_config

    def get_store(self, store_instance_id: str) -> DataStore:
        """The store named *store_instance_id*, made on first use and then reused."""
        return self._instance(store_instance_id).store

    def get_store_instance(self, store_instance_id: str) -> DataStoreInstance:
        return self._instance(store_instance_id)

    def close_all_stores(self) -> None:
        for instance in self._instances.values():
            instance.close()

    @classmethod
    def normalize(cls, data_store_pool: DataStorePoolLike) -> DataStorePool:
        """A pool from a pool, a JSON/YAML file path, or a dict."""
        if isinstance(data_store_pool, DataStorePool):
            return data_store_pool
        if isinstance(data_store_pool, (str, os.PathLike)):
            return cls.from_file(os.fspath(data_store_pool))
        if isinstance(data_store_pool, Mapping):
            return cls.from_dict(data_store_pool)
        raise TypeError("data_store_pool must be a str, dict, or a DataStorePool instance")

    @classmethod
    def from_file(cls, path: str) -> DataStorePool:
        """A pool from a JSON (``.json``) or YAML file (any fsspec URL), with
        ``${NAME}`` replaced by environment variables."""
        return cls.from_dict(_load_config(path) or {})

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> DataStorePool:
        """A pool from its JSON form, validated against :data:`DATA_STORE_POOL_SCHEMA`."""
        DATA_STORE_POOL_SCHEMA.validate_instance(dict(d))
        return cls({k: DataStoreConfig.from_dict(v) for k, v in d.items()})

    def to_dict(self) -> dict[str, Any]:
        """The JSON form; :meth:`from_dict` restores the pool."""
        return {k: i.store_config.to_dict() for k, i in self._instances.items()}

    def _instance(self, store_instance_id: str) -> DataStoreInstance:
        _check_name(store_instance_id)
        instance = self._instances.get(store_instance_id)
        if instance is None:
            known = ", ".join(map(repr, self.store_instance_ids)) or "none"
            raise DataStoreError(
                f'Configured data store instance "{store_instance_id}" not found; '
                f"the pool has: {known}"
            )
        return instance

    def __repr__(self) -> str:
        return f"DataStorePool({self.store_instance_ids})"


DataStorePoolLike: TypeAlias = str | dict[str, Any] | DataStorePool


def _check_name(store_instance_id: Any) -> None:
    if not isinstance(store_instance_id, str):
        raise TypeError(f"store_instance_id must be a str, was {type(store_instance_id).__name__}")


def _check_config(store_config: Any) -> None:
    if not isinstance(store_config, DataStoreConfig):
        raise TypeError(
            f"store_config must be a DataStoreConfig, was {type(store_config).__name__}"
        )


def _load_config(path: str) -> Any:
    import fsspec
    import yaml

    try:
        with fsspec.open(path, mode="r") as f:
            text = f.read()
    except FileNotFoundError:
        raise DataStoreParamsError(f"Cannot find configuration {path!r}") from None
    except OSError as error:
        raise DataStoreParamsError(f"Cannot load configuration from {path!r}: {error}") from None
    text = string.Template(text).safe_substitute(os.environ)
    try:
        config = json.loads(text) if path.lower().endswith(".json") else yaml.safe_load(text)
    except (ValueError, yaml.YAMLError) as error:
        kind = "JSON" if path.lower().endswith(".json") else "YAML"
        raise DataStoreParamsError(f"{kind} in {path!r} is invalid: {error}") from None
    if config is not None and not isinstance(config, Mapping):
        raise DataStoreParamsError(f"Invalid configuration format in {path!r}: dictionary expected")
    return config


def get_data_store_instance(
    store_id: str,
    store_params: Mapping[str, Any] | None = None,
    store_pool: DataStorePoolLike | None = None,
) -> DataStoreInstance:
    """The store instance *store_id*: ``"@name"`` names one in *store_pool*;
    any other ID makes a new instance with *store_params*."""
    if store_id.startswith("@"):
        if store_pool is None:
            raise DataStoreParamsError(
                f'store_pool must be given, with store_id ("{store_id}") '
                "referring to a configured store"
            )
        if store_params:
            raise DataStoreParamsError(
                f'store_params cannot be given, with store_id ("{store_id}") '
                "referring to a configured store"
            )
        return DataStorePool.normalize(store_pool).get_store_instance(store_id[1:])
    return DataStoreInstance(DataStoreConfig(store_id, store_params))
