"""The ``xstores`` command: data stores from a shell.

::

    xstores stores                                   # installed stores
    xstores params s3                                # a store's parameters (--json: schema)
    xstores list file --param root=demo_data --param max_depth=2 [--attrs]
    xstores describe file cubes/chl.zarr --param root=demo_data
    xstores open-params file cubes/chl.zarr --param root=demo_data
    xstores copy file:cubes/sst.nc s3:cubes/sst.zarr --src-param root=demo_data \\
        --dst-param root=my-bucket
    xstores catalog s3 --param root=my-bucket > stores.yaml
    xstores catalog s3 --param root=my-bucket --v2 > stores-v2.yaml   # for Intake 2
    xstores preload zenodo data.nc --param root=12345 --preload-param max_workers=4
    xstores gui catalogs/stores.yaml --port 5006      # Intake's GUI in a browser

``--param k=v`` values are read as the store's schema types them, strictly
(``max_depth=2``, ``read_only=false``, ``includes='["a*", "b*"]'``; ``root=2023``
stays a string; ``read_only=maybe`` is an error naming it); values of keys the
schema does not describe are JSON when they parse, else strings. A dotted key
sets a nested value (``--param storage_options.anon=true``). Every error is one
line on stderr and a non-zero exit; secrets given on the command line never
appear in output or errors.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, NoReturn

#: Exit status of a failed command (argparse uses 2 for usage errors).
EXIT_ERROR = 1

#: Descriptor fields ``xstores list --attrs`` shows when none are named.
DEFAULT_LIST_ATTRS = ("data_type", "crs", "bbox", "time_range", "data_vars")


class CliError(Exception):
    """An error the command reports as one line, without a traceback."""


# --- parameters ------------------------------------------------------------


def parse_value(text: str) -> Any:
    """*text* parsed as JSON when it parses, else the string itself."""
    try:
        return json.loads(text)
    except ValueError:
        return text


def parse_params(
    items: Iterable[str] | None, option: str = "--param", schema: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """``["k=v", "a.b=1"]`` as ``{"k": "v", "a": {"b": 1}}``.

    A value becomes the type *schema* (a JSON Schema dict) gives its key,
    strictly, as in every face (:mod:`intake_xstores.coercion`: ``false`` and
    ``False`` are ``False``, ``maybe`` for a boolean an error naming it); the
    value of a key the schema does not describe is read by :func:`parse_value`.
    """
    from .coercion import coerce_params

    params: dict[str, Any] = {}
    for item in items or ():
        key, sep, text = item.partition("=")
        if not sep or not key:
            from .secrets import is_secret_name

            shown = (
                "an item naming a secret"
                if any(map(is_secret_name, item.split(".")))
                else repr(item)
            )
            raise CliError(f"{option} expects KEY=VALUE, got {shown}")
        *parents, leaf = key.split(".")
        target = params
        for parent in parents:
            child = target.setdefault(parent, {})
            if not isinstance(child, dict):
                raise CliError(f"{option} {key!r}: {parent!r} is already set to a value")
            target = child
        target[leaf] = text
    return coerce_params(schema or {}, params, unknown=parse_value)


# The argument naming the store (as STORE or STORE:DATA_ID) whose parameters each option gives.
_STORE_OF_PARAMS = {"params": "store_id", "src_params": "source", "dst_params": "target"}


def _store_params_schema(location: str | None) -> dict[str, Any] | None:
    """The parameter schema of the store *location* names, if it is one we know."""
    from .store import get_data_store_params_schema

    try:
        return get_data_store_params_schema(str(location).partition(":")[0]).to_dict()
    except Exception:  # no store, or an unknown one: its command says so
        return None


def _secret_values(store_id: str, params: Mapping[str, Any]) -> list[str]:
    """String values in *params* that are secret (see :mod:`intake_xstores.secrets`)."""
    from .secrets import secret_values

    try:
        from .store import get_data_store_params_schema

        paths = get_data_store_params_schema(store_id).secret_paths()
    except Exception:  # an unknown store: its names alone tell
        paths = set()
    return sorted(secret_values(params, paths))


# --- output ----------------------------------------------------------------


def _table(rows: Sequence[Sequence[str]], header: Sequence[str] | None = None) -> str:
    """Rows as left-aligned columns; the last column is not padded."""
    rows = [list(header)] + [list(r) for r in rows] if header else [list(r) for r in rows]
    if not rows:
        return ""
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]) - 1)]
    lines = []
    for i, row in enumerate(rows):
        cells = [c.ljust(w) for c, w in zip(row[:-1], widths, strict=True)] + [row[-1]]
        lines.append("  ".join(cells).rstrip())
        if header and i == 0:
            lines.append("  ".join("-" * len(c) for c in cells).rstrip())
    return "\n".join(lines)


def _type_of(schema: Mapping[str, Any]) -> str:
    """A short, readable type of a JSON Schema: ``integer|null``, ``list[string]``."""
    if "enum" in schema and "type" not in schema:
        return "enum"
    type_ = schema.get("type")
    if isinstance(type_, list):
        return "|".join(type_)
    if type_ == "array":
        items = schema.get("items")
        return f"list[{_type_of(items)}]" if isinstance(items, Mapping) else "list"
    if type_ is not None:
        return str(type_)
    for key in ("anyOf", "oneOf"):
        if key in schema:
            return "|".join(_type_of(s) for s in schema[key])
    return "any"


def _describe(schema: Mapping[str, Any]) -> str:
    text = schema.get("description") or schema.get("title") or ""
    if schema.get("writeOnly"):
        text = f"{text} (secret)".strip()
    if text and not text.endswith((".", ")")) and ("enum" in schema):
        text += "."
    if "enum" in schema:
        text += f" One of: {', '.join(json.dumps(v) for v in schema['enum'])}."
    bounds = [
        f"{word} {schema[key]}"
        for key, word in (("minimum", "min"), ("maximum", "max"))
        if key in schema
    ]
    if bounds:
        text += f" ({', '.join(bounds)})"
    return text.strip()


def schema_rows(schema: Mapping[str, Any], prefix: str = "") -> list[list[str]]:
    """One row (name, type, default, description) per property, nested ones dotted."""
    rows: list[list[str]] = []
    required = set(schema.get("required", ()))
    for name, prop in schema.get("properties", {}).items():
        default = json.dumps(prop["default"]) if "default" in prop else ""
        if name in required:
            default = "(required)"
        rows.append([prefix + name, _type_of(prop), default, _describe(prop)])
        if prop.get("properties"):
            rows += schema_rows(prop, prefix=f"{prefix}{name}.")
    return rows


def _print_schema(schema: Any, as_json: bool) -> None:
    d = schema.to_dict()
    if as_json:
        print(json.dumps(d, indent=2))
    else:
        rows = schema_rows(d)
        print(_table(rows, ("NAME", "TYPE", "DEFAULT", "DESCRIPTION")) if rows else "(none)")


def _jsonable(value: Any) -> Any:
    """*value* as JSON (see :func:`~intake_xstores.schema.to_json_value`), anything
    exotic as its string, so that printing never fails."""
    from .schema import to_json_value

    return to_json_value(value, fallback=str)


def _short(name: str, value: Any) -> str:
    """A one-line rendering of a descriptor field for ``list --attrs``."""
    if name in ("data_vars", "coords") and isinstance(value, Mapping):
        return ", ".join(value)
    if isinstance(value, (dict, list)):
        return json.dumps(_jsonable(value))
    return str(value)


# --- commands --------------------------------------------------------------


def _store(store_id: str, params: Mapping[str, Any]):
    from .store import new_data_store

    return new_data_store(store_id, **params)


def cmd_stores(args: argparse.Namespace) -> None:
    """List the installed data stores with their descriptions."""
    from .store import list_data_store_ids

    stores = list_data_store_ids(detail=True)
    if args.json:
        print(json.dumps(_jsonable(stores), indent=2))
        return
    print(_table([[k, str(v.get("description", ""))] for k, v in stores.items()]))


def cmd_params(args: argparse.Namespace) -> None:
    """Show the parameters of a data store."""
    from .store import get_data_store_params_schema

    _print_schema(get_data_store_params_schema(args.store_id), args.json)


def cmd_list(args: argparse.Namespace) -> None:
    """List the data IDs of a store, optionally with descriptor fields."""
    store = _store(args.store_id, args.params)
    if args.attrs is None:
        for data_id in store.get_data_ids(data_type=args.data_type):
            print(data_id)
        return
    names = DEFAULT_LIST_ATTRS if args.attrs == "" else tuple(args.attrs.split(","))
    items = store.list_data_ids(data_type=args.data_type, include_attrs=list(names))
    if args.json:
        print(json.dumps({d: _jsonable(a) for d, a in items}, indent=2))
        return
    rows = [[d] + [_short(n, a[n]) if n in a else "" for n in names] for d, a in items]
    print(_table(rows, ("DATA_ID",) + tuple(n.upper() for n in names)))


def cmd_clean(args: argparse.Namespace) -> None:
    """Finish or undo interrupted writes in a store and remove their hidden temps."""
    store = _store(args.store_id, args.params)
    cleanup = getattr(store, "cleanup", None)
    if cleanup is None:
        raise CliError(f"The {args.store_id!r} store keeps no hidden write state to clean")
    done = cleanup()
    for path in done:
        print(path)
    print(f"{len(done)} interrupted write(s) cleaned up", file=sys.stderr)


def cmd_describe(args: argparse.Namespace) -> None:
    """Describe one data ID: type, CRS, bbox, time range, variables, ..."""
    store = _store(args.store_id, args.params)
    d = store.describe_data(args.data_id).to_dict()
    if args.json:
        print(json.dumps(_jsonable(d), indent=2))
        return
    import yaml

    d.pop("open_params_schema", None)  # `xstores open-params` shows it
    print(yaml.safe_dump(_jsonable(d), sort_keys=False, default_flow_style=None).rstrip())


def cmd_open_params(args: argparse.Namespace) -> None:
    """Show the parameters of opening one data ID."""
    store = _store(args.store_id, args.params)
    _print_schema(store.get_open_data_params_schema(args.data_id), args.json)


def split_location(text: str, data_id_required: bool) -> tuple[str, str | None]:
    """``"STORE:DATA_ID"`` as ``("STORE", "DATA_ID")``; the data ID may be optional."""
    store_id, sep, data_id = text.partition(":")
    if not store_id or (data_id_required and not data_id):
        form = "STORE:DATA_ID" if data_id_required else "STORE[:DATA_ID]"
        raise CliError(f"expected {form}, got {text!r}")
    return store_id, data_id or None


def cmd_copy(args: argparse.Namespace) -> None:
    """Copy SOURCE to TARGET; the target data ID's extension picks the format
    written (.zarr, .nc, .geojson, ...)."""
    from .store import MutableDataStore

    src_id, src_data_id = split_location(args.source, data_id_required=True)
    dst_id, dst_data_id = split_location(args.target, data_id_required=False)
    src = _store(src_id, args.src_params)
    dst = _store(dst_id, args.dst_params)
    if not isinstance(dst, MutableDataStore):
        raise CliError(f"data store {dst_id!r} is read-only; cannot copy into it")
    from .coercion import coerce_params

    open_schema = src.get_open_data_params_schema(src_data_id).to_dict()
    open_params = coerce_params(open_schema, args.open_params)
    target = dst_data_id or src_data_id
    write_params = dict(args.write_params)
    for name in ("chunks", "encoding"):
        if getattr(args, name) is not None:
            write_params[name] = getattr(args, name)
    data = _open_in_chunks(src, src_data_id, open_params, write_params.get("chunks"))
    written = _write_with_progress(dst, data, target, write_params, args)
    print(f"{src_id}:{src_data_id} -> {dst_id}:{written}")


def _open_in_chunks(src: Any, data_id: str, open_params: dict[str, Any], chunks: Any) -> Any:
    """Open *data_id* in the chunks it will be written in, unless told how.

    Each chunk then reads only its part of the source: re-chunking after
    opening would read a whole stored chunk (for NetCDF: often a whole
    variable) before splitting it.
    """
    data = src.open_data(data_id, **open_params)
    if "chunks" in open_params or not hasattr(data, "data_vars"):
        return data
    schema = src.get_open_data_params_schema(data_id)
    if "chunks" not in schema.properties:
        return data
    import dask

    from .fs.formats.zarr import DEFAULT_CHUNK_BYTES

    wanted = {d: (chunks or {}).get(d, "auto") for d in data.dims}
    with dask.config.set({"array.chunk-size": DEFAULT_CHUNK_BYTES}):
        return src.open_data(data_id, **open_params, chunks=wanted)


def _write_with_progress(
    dst: Any, data: Any, data_id: str, write_params: dict[str, Any], args: argparse.Namespace
) -> str:
    """Write *data*, showing progress on stderr: the writer's own bar if it has
    one (Zarr counts chunks written, ``.levels`` labels each level), else Dask's tasks."""
    from tqdm.dask import TqdmCallback

    from .errors import DataExistsError

    kwargs = dict(replace=args.replace, **write_params)
    try:
        if args.quiet:
            return dst.write_data(data, data_id, **kwargs)
        if "progress" in _write_params_schema(dst, data, data_id).properties:
            kwargs.setdefault("progress", True)
            return dst.write_data(data, data_id, **kwargs)
        with TqdmCallback(desc=f"copying to {data_id}", file=sys.stderr, unit="task"):
            return dst.write_data(data, data_id, **kwargs)
    except DataExistsError as error:
        raise CliError(
            f"Data resource {error.data_id!r} already exists; pass --replace to overwrite it"
        ) from None


def _write_params_schema(dst: Any, data: Any, data_id: str) -> Any:
    """The write parameters of the writer *dst* picks for *data* as *data_id*."""
    from .datatype import data_type_of

    alias = data_type_of(data).alias
    opener_ids = dst.get_data_opener_ids(data_id, data_type=alias)
    writer_ids = [i for i in opener_ids if i in dst.get_data_writer_ids(alias)]
    if not writer_ids:
        return dst.get_write_data_params_schema()
    return dst.get_write_data_params_schema(writer_ids[0])


def cmd_catalog(args: argparse.Namespace) -> None:
    """Print a YAML Intake catalog declaring one store; secrets become env templates."""
    try:
        from .intake.params import store_catalog_yaml
        from .intake.pool import pool_catalog_yaml
        from .intake.v2 import catalog_v2, catalog_yaml, store_reader_v2
    except ImportError as error:
        raise CliError(f"the Intake face is not available: {error}") from None
    if args.from_pool:
        if args.store_id or args.params or args.name or args.description or args.v2:
            raise CliError("--from-pool takes no STORE_ID, --param, --name, --description or --v2")
        text = pool_catalog_yaml(args.from_pool)
    elif not args.store_id:
        raise CliError("give a STORE_ID, or --from-pool POOL_FILE")
    elif args.v2:
        entry = store_reader_v2(args.store_id, args.params, args.description)
        text = catalog_yaml(catalog_v2({args.name or args.store_id: entry}))
    else:
        text = store_catalog_yaml(
            args.store_id, args.params, name=args.name, description=args.description
        )
    print(text.rstrip())


def cmd_gui(args: argparse.Namespace) -> None:
    """Serve Intake's GUI browsing YAML catalogs, until interrupted."""
    try:
        from .intake.gui import serve
    except ImportError as error:
        raise CliError(
            f"the GUI needs panel and hvplot ({error}); pip install 'intake_xstores[gui]'"
        ) from None
    serve(args.catalogs, port=args.port, address=args.address, show=args.show)


def cmd_preload(args: argparse.Namespace) -> None:
    """Preload DATA_IDs (default: all the store preloads) with progress; Ctrl-C
    cancels cleanly. Prints the store to open them from."""
    from .preload import NullPreloadHandle, PreloadStatus

    store = _store(args.store_id, args.params)
    params = parse_params(args.preload_params, "--preload-param")
    cache = store.preload_data(
        *args.data_ids, **{**params, "blocking": False, "silent": args.quiet}
    )
    handle = cache.preload_handle
    if isinstance(handle, NullPreloadHandle):
        print(f"nothing to preload: {cache!r} opens these data where they are")
        return
    try:
        handle.wait()
    except KeyboardInterrupt:
        handle.cancel()
        handle.wait()  # the running tasks stop at their next check of handle.cancelled
        raise CliError(
            "preload cancelled (Ctrl-C); unfinished data IDs were not preloaded"
        ) from None
    states = [handle.get_state(d) for d in args.data_ids or getattr(handle, "data_ids", ())]
    print(handle)
    failed = [s for s in states if s.status is not PreloadStatus.completed]
    if failed:
        raise CliError("preload failed: " + "; ".join(f"{s.data_id}: {s.message}" for s in failed))
    print(f"preloaded into {cache!r}")


# --- the parser ------------------------------------------------------------


def _command(
    sub: Any, func: Callable[[argparse.Namespace], None], says: str
) -> argparse.ArgumentParser:
    """The subcommand running *func*, named after it (``cmd_open_params``:
    ``open-params``); *says* is its one-line help, its docstring the description."""
    name = func.__name__.removeprefix("cmd_").replace("_", "-")
    p = sub.add_parser(name, help=says, description=func.__doc__)
    p.set_defaults(func=func)
    return p


def _add_params(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "-p",
        "--param",
        dest="params",
        action="append",
        metavar="KEY=VALUE",
        help="store parameter; VALUE is read as the store's schema types KEY "
        "(repeatable; dotted keys nest: storage_options.anon=true)",
    )


def _chunks_option(text: str) -> dict[str, Any]:
    """``time=1,lat=auto`` as ``{"time": 1, "lat": "auto"}``."""
    try:
        chunks = parse_params(text.split(","), "--chunks") if text else {}
    except CliError as error:
        raise argparse.ArgumentTypeError(str(error)) from None
    for dim, size in chunks.items():
        if not (size == "auto" or (isinstance(size, int) and (size >= 1 or size == -1))):
            raise argparse.ArgumentTypeError(
                f"{dim}={size}: a size is a positive integer, -1 or auto"
            )
    return chunks


def _json_object_option(text: str) -> dict[str, Any]:
    value = parse_value(text)
    if not isinstance(value, dict):
        raise argparse.ArgumentTypeError(f"expected a JSON object, got {text!r}")
    return value


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``xstores``."""
    parser = argparse.ArgumentParser(
        prog="xstores",
        description="Find, describe and copy data in xcube-style data stores.",
        epilog="Run 'xstores COMMAND --help' for a command's options. "
        "Set XSTORES_TRACEBACK=1 to see tracebacks of errors.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    p = _command(sub, cmd_stores, "list the installed data stores")
    p.add_argument("--json", action="store_true", help="print JSON")

    p = _command(sub, cmd_params, "show a data store's parameters")
    p.add_argument("store_id", metavar="STORE_ID")
    p.add_argument("--json", action="store_true", help="print the JSON Schema")

    p = _command(sub, cmd_list, "list the data IDs of a store")
    p.add_argument("store_id", metavar="STORE_ID")
    _add_params(p)
    p.add_argument("-t", "--data-type", help="only data of this type (dataset, geodataframe, ...)")
    p.add_argument(
        "-a",
        "--attrs",
        nargs="?",
        const="",
        metavar="NAMES",
        help="show descriptor fields: comma-separated NAMES, "
        f"by default {','.join(DEFAULT_LIST_ATTRS)}",
    )
    p.add_argument("--json", action="store_true", help="with --attrs: print JSON")

    p = _command(sub, cmd_clean, "finish or undo interrupted writes in a store, remove their temps")
    p.add_argument("store_id", metavar="STORE_ID")
    _add_params(p)

    for func, says, json_says in (
        (
            cmd_describe,
            "describe a data ID (bbox, time range, variables)",
            "print the full descriptor as JSON",
        ),
        (cmd_open_params, "show the parameters of opening a data ID", "print the JSON Schema"),
    ):
        p = _command(sub, func, says)
        p.add_argument("store_id", metavar="STORE_ID")
        p.add_argument("data_id", metavar="DATA_ID")
        _add_params(p)
        p.add_argument("--json", action="store_true", help=json_says)

    p = _command(sub, cmd_copy, "copy a dataset between stores (e.g. NetCDF to Zarr)")
    p.add_argument("source", metavar="SRC_STORE:DATA_ID")
    p.add_argument("target", metavar="DST_STORE[:DATA_ID]")
    for name, what in (
        ("src-param", "source store parameter"),
        ("dst-param", "target store parameter"),
        ("open-param", "parameter of opening the source"),
        ("write-param", "parameter of writing the target"),
    ):
        p.add_argument(
            f"--{name}",
            dest=name.replace("-", "_") + "s",
            action="append",
            metavar="KEY=VALUE",
            help=f"{what} (repeatable; VALUE is JSON if it parses)",
        )
    p.add_argument(
        "--chunks",
        type=_chunks_option,
        metavar="DIM=SIZE,...",
        help="chunks to read and write, by dimension: a size, -1 (whole) or auto "
        "(default: auto, chunks of about 8 MiB); e.g. time=1,lat=512,lon=512",
    )
    p.add_argument(
        "--encoding",
        type=_json_object_option,
        metavar="JSON",
        help='encoding of the written variables, e.g. \'{"sst": {"dtype": "float32"}}\'',
    )
    p.add_argument("--replace", action="store_true", help="overwrite an existing target")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bar")

    p = _command(sub, cmd_catalog, "print an Intake YAML catalog entry for a store")
    p.add_argument("store_id", metavar="STORE_ID", nargs="?")
    p.add_argument(
        "--from-pool",
        metavar="POOL_FILE",
        help="instead, a catalog of every store of an xcube store pool file (JSON or YAML)",
    )
    _add_params(p)
    p.add_argument("--name", help="entry name (default: the store ID)")
    p.add_argument("--description", help="entry description")
    p.add_argument("--v2", action="store_true", help="an Intake 2 catalog (intake.from_yaml_file)")

    p = _command(sub, cmd_gui, "browse YAML catalogs in Intake's GUI (Panel)")
    p.add_argument(
        "catalogs",
        metavar="CATALOG",
        nargs="*",
        default=["catalogs/stores.yaml"],
        help="YAML catalog files (default: catalogs/stores.yaml)",
    )
    p.add_argument("--port", type=int, default=5006, help="port to serve on (default: 5006)")
    p.add_argument("--address", default="127.0.0.1", help="address to serve on (default: loopback)")
    p.add_argument("--show", action="store_true", help="open a web browser")

    p = _command(sub, cmd_preload, "fetch data IDs into a store's cache ahead of opening them")
    p.add_argument("store_id", metavar="STORE_ID")
    p.add_argument("data_ids", metavar="DATA_ID", nargs="*")
    _add_params(p)
    p.add_argument(
        "--preload-param",
        dest="preload_params",
        action="append",
        metavar="KEY=VALUE",
        help="preload parameter, e.g. max_workers=4 (repeatable; VALUE is JSON if it parses)",
    )
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bars")
    return parser


def _fail(message: str, secrets: Iterable[str]) -> NoReturn:
    from .secrets import scrub

    message = " ".join(scrub(message, secrets).split())  # one line
    print(f"xstores: error: {message}", file=sys.stderr)
    raise SystemExit(EXIT_ERROR)


def main(argv: Sequence[str] | None = None) -> None:
    """Run ``xstores`` with *argv* (default: the command line)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    secrets: list[str] = []
    try:
        for name in ("params", "src_params", "dst_params", "open_params", "write_params"):
            if hasattr(args, name) and not callable(getattr(args, name)):
                option = "--" + name[:-1].replace("_", "-")
                location = getattr(args, _STORE_OF_PARAMS.get(name, ""), None)
                schema = _store_params_schema(location)
                setattr(args, name, parse_params(getattr(args, name), option, schema))
        for params_attr, store_attr in _STORE_OF_PARAMS.items():
            if hasattr(args, params_attr) and hasattr(args, store_attr):
                store_id = (getattr(args, store_attr) or "").partition(":")[0]
                secrets += _secret_values(store_id, getattr(args, params_attr))
        args.func(args)
    except KeyboardInterrupt:
        _fail("interrupted", secrets)
    except BrokenPipeError:
        # The reader went away (`xstores list ... | head`); that is not an error.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except SystemExit:
        raise
    except Exception as error:
        if os.environ.get("XSTORES_TRACEBACK"):
            raise
        from .errors import error_text

        _fail(str(error) if _is_ours(error) and str(error) else error_text(error), secrets)


def _is_ours(error: Exception) -> bool:
    """Whether *error*'s text is written for users: ours need no type name."""
    from .errors import DataStoreError

    return isinstance(error, (CliError, DataStoreError))


if __name__ == "__main__":
    main()
