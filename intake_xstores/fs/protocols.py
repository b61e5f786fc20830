"""Protocols: which fsspec filesystem a store uses and which options it takes.

A protocol is mostly data: a name, a description, the schema of its
``storage_options`` and its root. What differs in behaviour between
filesystems is its :mod:`kind <.kinds>`, declared or chosen from what the
fsspec filesystem class can do. Formats never ask which protocol they are on.

Any protocol fsspec knows works without registration
(:func:`generic_protocol`), with a generic options schema; the registered
ones below keep their richer schemas.
"""

from __future__ import annotations

import copy
import dataclasses
import functools
from typing import Any

from ..errors import DataStoreError
from ..extras import NOTHING, Needs
from ..schema import (
    UNDEFINED,
    JsonBooleanSchema,
    JsonIntegerSchema,
    JsonNumberSchema,
    JsonObjectSchema,
    JsonSchema,
    JsonStringSchema,
)
from .kinds import LOCAL, OBJECT_STORE, SYNCHRONOUS, FsKind, FtpKind


def _folder_root() -> JsonStringSchema:
    return JsonStringSchema(default="", description="Root folder of the store")


COMMON_STORAGE_OPTIONS: dict[str, JsonSchema] = dict(
    use_listings_cache=JsonBooleanSchema(description="Cache directory listings"),
    listings_expiry_time=JsonNumberSchema(
        minimum=0, description="Seconds a cached listing stays valid"
    ),
    max_paths=JsonIntegerSchema(minimum=0, description="Most listings kept in the cache"),
    skip_instance_cache=JsonBooleanSchema(
        description="Create a new filesystem instead of reusing a cached one"
    ),
    asynchronous=JsonBooleanSchema(description="Run the filesystem in async mode"),
)


#: Options of fsspec filesystems that hold credentials.
SECRET_OPTIONS = (
    "key",
    "secret",
    "token",
    "password",
    "passphrase",
    "account_key",
    "connection_string",
    "sas_token",
    "client_secret",
    "credential",
    "credentials",
)


def credential_options(description: str) -> JsonObjectSchema:
    """The options of a filesystem no schema describes: any, with credentials
    among them (:data:`SECRET_OPTIONS`) kept out of reprs, logs and errors."""
    return JsonObjectSchema(
        properties={
            name: JsonSchema(description="A credential (kept out of repr)", secret=True)
            for name in SECRET_OPTIONS
        },
        additional_properties=True,
        description=description,
    )


@dataclasses.dataclass(frozen=True)
class FsProtocol:
    """An fsspec protocol as the stores see it.

    ``root`` is the schema of the store's ``root`` parameter; without a
    default, the store requires one. ``needs`` names the filesystem's
    libraries the base install lacks; a filesystem is built only when they
    are installed.
    """

    name: str
    description: str
    storage_options: dict[str, JsonSchema] = dataclasses.field(default_factory=dict)
    read_only: bool = False
    #: The filesystem lives in this process only: a root that does not exist
    #: yet is an empty store, never a typo for remote data.
    ephemeral: bool = False
    needs: Needs = NOTHING
    root: JsonStringSchema = dataclasses.field(default_factory=_folder_root)
    #: The filesystem has one connection, which threads must take turns on.
    single_connection: bool = False
    #: What differs in behaviour; by default chosen from the filesystem class.
    kind: FsKind | None = None
    #: The path an empty ``root`` stands for.
    default_root: str = ""

    @property
    def root_required(self) -> bool:
        return self.root.default is UNDEFINED

    def get_root_schema(self) -> JsonStringSchema:
        return copy.deepcopy(self.root)

    def get_storage_options_schema(self) -> JsonObjectSchema:
        return JsonObjectSchema(
            properties={**COMMON_STORAGE_OPTIONS, **self.storage_options},
            additional_properties=True,
            description=f"Options of fsspec's {self.name!r} filesystem; "
            "unlisted options are passed on to it",
        )

    def filesystem_class(self) -> type:
        """fsspec's filesystem class of this protocol, its libraries checked first."""
        import fsspec

        self.needs.check(f"The {self.name!r} protocol")
        if self.single_connection:
            from .serial import SerialFTPFileSystem

            return SerialFTPFileSystem
        try:
            return fsspec.get_filesystem_class(self.name)
        except ImportError as error:  # fsspec names the package to install
            raise DataStoreError(
                f"The {self.name!r} protocol needs a library that is not installed: {error}"
            ) from None

    def get_kind(self) -> FsKind:
        """How this filesystem behaves (see :mod:`.kinds`)."""
        if self.kind is not None:
            return self.kind
        from fsspec.implementations.local import LocalFileSystem

        cls = self.filesystem_class()
        if issubclass(cls, LocalFileSystem):
            return LOCAL
        return OBJECT_STORE if getattr(cls, "async_impl", False) else SYNCHRONOUS

    def new_filesystem(self, storage_options: dict[str, Any] | None = None):
        from .closing import track

        fs = self.filesystem_class()(**(storage_options or {}))
        fs._xstores_kind = self.get_kind()  # what formats ask (see kinds.kind_of)
        track(fs)  # closed at exit while event loops still run
        return fs


@functools.cache
def generic_protocol(name: str) -> FsProtocol | None:
    """An unregistered protocol fsspec knows (``sftp``, ``gcs``, ``webdav``...),
    with a generic ``storage_options`` schema; None if fsspec knows none."""
    import fsspec

    if name not in fsspec.available_protocols():
        return None
    credentials = credential_options("").properties  # the options themselves are unknown
    return FsProtocol(name, f"Data store on fsspec's {name!r} filesystem", credentials)


_secret = dict(secret=True)

PROTOCOLS = (
    FsProtocol(
        "file",
        "Data store on the local filesystem",
        dict(
            auto_mkdirs=JsonBooleanSchema(
                description="Create a file's parent folders when opening it for writing"
            )
        ),
        default_root=".",
    ),
    FsProtocol(
        "memory", "Data store in an in-memory filesystem (for tests and caching)", ephemeral=True
    ),
    FsProtocol(
        "s3",
        "Data store in AWS S3 compatible object storage",
        dict(
            anon=JsonBooleanSchema(description="Connect anonymously"),
            key=JsonStringSchema(description="AWS access key identifier", **_secret),
            secret=JsonStringSchema(description="AWS secret access key", **_secret),
            token=JsonStringSchema(description="Session token", **_secret),
            use_ssl=JsonBooleanSchema(default=True, description="Use SSL connections"),
            requester_pays=JsonBooleanSchema(
                default=False, description="Support 'RequesterPays' buckets"
            ),
            s3_additional_kwargs=JsonObjectSchema(
                additional_properties=True,
                description="Parameters for S3 API calls, e.g. ServerSideEncryption",
            ),
            client_kwargs=JsonObjectSchema(
                properties=dict(
                    endpoint_url=JsonStringSchema(description="S3 endpoint URL"),
                    region_name=JsonStringSchema(description="AWS region"),
                ),
                additional_properties=True,
                description="Parameters for the botocore client",
            ),
        ),
        needs=Needs(("s3fs",), "remote"),
    ),
    FsProtocol(
        "abfs",
        "Data store in Azure blob storage",
        dict(
            anon=JsonBooleanSchema(description="Connect anonymously"),
            account_name=JsonStringSchema(description="Azure storage account name"),
            account_key=JsonStringSchema(description="Azure storage account key", **_secret),
            connection_string=JsonStringSchema(
                description="Connection string for Azure blob storage", **_secret
            ),
        ),
        needs=Needs(("adlfs",), "remote"),
    ),
    FsProtocol(
        "https",
        "Read-only data store on an HTTPS server",
        dict(
            client_kwargs=JsonObjectSchema(
                additional_properties=True,
                description="Parameters for the aiohttp client session",
            ),
            headers=JsonObjectSchema(
                additional_properties=JsonStringSchema(),
                description="HTTP headers sent with every request",
            ),
        ),
        read_only=True,
        needs=Needs(("aiohttp",), "remote"),
        root=JsonStringSchema(
            pattern=r"^https?://[^/\s]+",
            description="URL of the store's root folder: http(s)://host/path",
        ),
    ),
    FsProtocol(
        "ftp",
        "Data store on an FTP server",
        dict(
            host=JsonStringSchema(description="Remote server name or IP"),
            port=JsonIntegerSchema(minimum=0, maximum=65535, default=21, description="FTP port"),
            username=JsonStringSchema(description="User name, if any"),
            password=JsonStringSchema(description="Password, if any", **_secret),
        ),
        single_connection=True,
        kind=FtpKind(),
    ),
)
