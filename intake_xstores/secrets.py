"""What a secret is, and how every output hides it.

One place decides: a value is secret when its store parameter schema marks it
(``writeOnly``), when its name looks like a credential at any depth of nested
options (``client_kwargs.aws_secret_access_key``, ``headers.Authorization``,
``sas_token``, ...), or when it is the password in a URL (``https://user:pw@host``)
or a signature in a URL's query (``?sig=...``). Reprs, errors, YAML,
``describe()``, the GUI, the CLI and logs all ask this module.

The libraries we drive (botocore, s3fs, fsspec, adlfs, azure, aiohttp) log
credentials at DEBUG level; :func:`register_secrets` makes every log record
of theirs pass through :func:`scrub` first, for the secrets of the stores
we made.
"""

from __future__ import annotations

import logging
import re
import threading
import urllib.parse
from collections.abc import Collection, Iterable, Mapping
from typing import Any

MASK = "***"
"""What a secret is shown as."""

_SECRET_NAME = re.compile(
    r"secret|token|passw|pwd|credential|key|authorization|signature|cookie"
    r"|connection_?string|^sas_|^sig$|^auth$",
    re.IGNORECASE,
)

# Names containing "key" that hold no credential.
_NOT_SECRET = frozenset({"key_prefix", "keys", "sort_keys", "primary_key"})

_URL_USERINFO = re.compile(
    r"(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*://)(?P<user>[^/@:\s]*):(?P<pw>[^/@\s]+)@"
)

_SHORTEST = 4  # shorter strings are too common to scrub from free text

_LIBRARY_LOGGERS = (
    "botocore",
    "aiobotocore",
    "s3fs",
    "fsspec",
    "adlfs",
    "azure",
    "aiohttp",
    "rasterio",
    "odc",  # odc-loader logs the (signed) URL of an asset it failed to read
    "urllib3",
)


def is_secret_name(name: Any) -> bool:
    """Whether an option named *name* holds a credential (``aws_secret_access_key``,
    ``sas_token``, ``Authorization``, ``SSECustomerKey``, ``password``, ...)."""
    return (
        isinstance(name, str)
        and name.lower() not in _NOT_SECRET
        and bool(_SECRET_NAME.search(name))
    )


def is_secret_path(path: tuple[str, ...], secret_paths: Collection[tuple[str, ...]] = ()) -> bool:
    """Whether the value at *path* is secret: a schema marks it or its name says so."""
    return path in secret_paths or (bool(path) and is_secret_name(path[-1]))


def holds_secret(schema: Mapping[str, Any], path: Iterable[Any] = ()) -> bool:
    """Whether a value checked against *schema* at *path* may hold a secret, so
    that an error rejecting it must not echo it (``storage_options="secret=X"``)."""
    if any(is_secret_name(str(p)) for p in path) or schema.get("writeOnly"):
        return True
    if schema.get("type") == "object" and schema.get("additionalProperties") not in (None, False):
        return True  # open-ended options, such as a filesystem's
    nested = [*schema.get("properties", {}).values()]
    for key in ("oneOf", "anyOf", "allOf"):
        nested += schema.get(key, [])
    return any(isinstance(s, Mapping) and holds_secret(s) for s in nested)


def redact(
    value: Any,
    secret_paths: Collection[tuple[str, ...]] = (),
    mask: str = MASK,
    path: tuple[str, ...] = (),
) -> Any:
    """A copy of *value* (nested mappings and lists) with every secret masked.

    *secret_paths* are the paths a schema marks; names that look like
    credentials are masked at any depth, and URLs lose their passwords.
    """
    if is_secret_path(path, secret_paths) and value not in (None, ""):
        return mask
    if isinstance(value, Mapping):
        return {k: redact(v, secret_paths, mask, path + (str(k),)) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(redact(v, secret_paths, mask, path) for v in value)
    if isinstance(value, str):
        return redact_url(value, mask)
    return value


def redact_url(text: str, mask: str = MASK) -> str:
    """*text* with URL passwords and secret query parameters masked."""
    text = _URL_USERINFO.sub(lambda m: f"{m['scheme']}{m['user']}:{mask}@", text)
    if "?" in text and "://" in text:
        base, _, query = text.partition("?")
        pairs = urllib.parse.parse_qsl(query, keep_blank_values=True)
        if any(is_secret_name(k) for k, _ in pairs):
            query = "&".join(f"{k}={mask if is_secret_name(k) else v}" for k, v in pairs)
            text = f"{base}?{query}"
    return text


def secret_values(value: Any, secret_paths: Collection[tuple[str, ...]] = ()) -> set[str]:
    """The secret strings in *value*, as :func:`redact` would mask them."""
    found: set[str] = set()

    def walk(v: Any, path: tuple[str, ...]) -> None:
        if isinstance(v, Mapping):
            for k, item in v.items():
                walk(item, path + (str(k),))
        elif isinstance(v, (list, tuple)):
            for item in v:
                walk(item, path)
        elif isinstance(v, str):
            if is_secret_path(path, secret_paths):
                found.add(v)
            for match in _URL_USERINFO.finditer(v):
                found.add(urllib.parse.unquote(match["pw"]))
                found.add(match["pw"])
        elif isinstance(v, bytes) and is_secret_path(path, secret_paths):
            found.add(v.decode("utf-8", "replace"))

    walk(value, ())
    return {s for s in found if len(s) >= _SHORTEST and not s.startswith("{{")}


def scrub(text: str, secrets: Iterable[str] = (), mask: str = MASK) -> str:
    """*text* with each of *secrets* (and every known one) and URL passwords masked."""
    with _lock:
        known = set(_known)
    for secret in sorted(known.union(secrets), key=len, reverse=True):
        if len(secret) >= _SHORTEST:
            text = text.replace(secret, mask)
    return redact_url(text, mask)


# --- logs --------------------------------------------------------------------

_lock = threading.Lock()
_known: set[str] = set()
_installed = False


def register_secrets(value: Any, secret_paths: Collection[tuple[str, ...]] = ()) -> None:
    """Remember the secrets in *value* (a store's parameters), so that the log
    records of the libraries we drive never show them."""
    secrets = secret_values(value, secret_paths)
    global _installed
    with _lock:
        _known.update(secrets)
        if _installed:
            return
        _installed = True
    previous = logging.getLogRecordFactory()

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        if record.name.split(".", 1)[0] in _LIBRARY_LOGGERS:
            try:
                message = record.getMessage()
            except Exception:  # noqa: BLE001 - a malformed record stays as it is
                return record
            record.msg, record.args = scrub(message), None
        return record

    logging.setLogRecordFactory(factory)
