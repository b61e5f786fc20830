"""A fake Zenodo: records served by a :class:`tests.service_kit.FakeService`.

Only the two routes the ``zenodo`` store uses, shaped like Zenodo's answers:
``GET /api/records/{id}`` (the record's metadata with its ``files`` list:
``key``, ``size``, ``checksum`` "md5:...", ``links``) and the files at
``/records/{id}/files/{key}``, served with range support.
"""

from __future__ import annotations

import hashlib
import io
import tarfile
import zipfile
from pathlib import Path


def serve_record(
    service, record_id: str, files: dict[str, bytes], title: str = "", handler=None
) -> dict:
    """Serve a record of *files* on *service*; return the record's JSON document.

    ``handler(request, data)``, if given, answers the file requests instead of
    the service's file route.
    """
    entries = []
    for key, data in files.items():
        url = f"{service.url}/records/{record_id}/files/{key}"
        path = f"/records/{record_id}/files/{key}"
        if handler is None:
            service.file(path, data)
        else:
            service.route(path, lambda request, data=data, **_: handler(request, data))
        entries.append(
            {
                "id": hashlib.sha1(key.encode()).hexdigest()[:16],
                "key": key,
                "size": len(data),
                "checksum": "md5:" + hashlib.md5(data).hexdigest(),
                "links": {"self": url},
            }
        )
    record = {
        "id": int(record_id),
        "doi": f"10.5281/zenodo.{record_id}",
        "metadata": {
            "title": title or f"Test record {record_id}",
            "doi": f"10.5281/zenodo.{record_id}",
            "publication_date": "2024-05-01",
            "license": {"id": "cc-by-4.0"},
            "resource_type": {"type": "dataset"},
        },
        "files": entries,
    }
    service.json(f"/api/records/{record_id}", record)
    return record


def netcdf_bytes(dataset) -> bytes:
    return bytes(dataset.to_netcdf(engine="h5netcdf"))


def zip_bytes(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def tar_bytes(members: dict[str, bytes], compression: str = "") -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode=f"w:{compression}") as archive:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def folder_members(folder: Path, prefix: str) -> dict[str, bytes]:
    """The files below *folder* as archive members named ``prefix/<relative path>``."""
    return {
        f"{prefix}/{p.relative_to(folder).as_posix()}": p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }
