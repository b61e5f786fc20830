"""Archives of a Zenodo record: what is inside, read in place or unpacked safely."""

from __future__ import annotations

import os
import posixpath
import tarfile
import zipfile

from ...errors import DataStoreError

#: Archives unpacked by preloading; those of the second kind also open lazily
#: when they hold a Zarr dataset.
ARCHIVE_SUFFIXES = (".zip", ".tar", ".tar.gz", ".tgz")
LAZY_ARCHIVE_SUFFIXES = (".zip", ".tar")

#: Files that mark the root folder of a Zarr dataset (v2 or v3).
_ZARR_MARKERS = (".zgroup", ".zmetadata", "zarr.json")


def zarr_roots(fs) -> list[str]:
    """The top-most Zarr dataset folders in the archive filesystem *fs*."""
    folders = sorted(
        {posixpath.dirname(p) for p in fs.find("") if posixpath.basename(p) in _ZARR_MARKERS}
    )
    roots: list[str] = []
    for folder in folders:
        if folder and not any(folder.startswith(r + "/") for r in roots):
            roots.append(folder)
    return roots


def unpack(path: str, folder: str) -> None:
    """Unpack the zip or tar (gzip too) archive *path* into *folder*.

    Members that would land outside *folder* (absolute paths, ``..``, links
    pointing out) are refused, as is anything that is not an archive.
    """
    try:
        if zipfile.is_zipfile(path):
            with zipfile.ZipFile(path) as archive:
                for name in archive.namelist():
                    _check_member(name, path)
                archive.extractall(folder)
        elif tarfile.is_tarfile(path):
            with tarfile.open(path) as archive:
                archive.extractall(folder, filter="data")
        else:
            raise DataStoreError(f"{os.path.basename(path)!r} is neither a zip nor a tar archive")
    except (zipfile.BadZipFile, tarfile.TarError, EOFError) as error:
        raise DataStoreError(
            f"Cannot unpack {os.path.basename(path)!r}: {type(error).__name__}: {error}"
        ) from error


def _check_member(name: str, archive: str) -> None:
    parts = name.replace("\\", "/").split("/")
    if name.startswith(("/", "\\")) or ".." in parts or (parts and ":" in parts[0]):
        raise DataStoreError(
            f"Refused to unpack {os.path.basename(archive)!r}: its member {name!r} "
            "would land outside the unpacking folder"
        )
