"""The STAC API rig answers as the STAC stores' tests expect of a real API."""

import json
import urllib.request


def _get(url):
    with urllib.request.urlopen(url, timeout=10) as response:
        return json.load(response)


def _collection(cid):
    return {
        "type": "Collection",
        "stac_version": "1.0.0",
        "id": cid,
        "description": cid,
        "license": "MIT",
        "extent": {
            "spatial": {"bbox": [[0, 0, 10, 10]]},
            "temporal": {"interval": [["2020-01-01T00:00:00Z", None]]},
        },
        "links": [],
    }


def _item(cid, i):
    return {
        "type": "Feature",
        "stac_version": "1.0.0",
        "id": f"{cid}-{i}",
        "collection": cid,
        "geometry": {"type": "Point", "coordinates": [i % 10, 1]},
        "bbox": [i % 10, 1, i % 10, 1],
        "properties": {"datetime": f"2020-01-{i + 1:02d}T00:00:00Z"},
        "assets": {},
        "links": [],
    }


def test_stac_api_pages_with_next_links(stac_api):
    url = stac_api([_collection("a"), _collection("b")], [_item("a", i) for i in range(12)])
    assert {c["id"] for c in _get(f"{url}/collections")["collections"]} == {"a", "b"}
    page = _get(f"{url}/collections/a/items?limit=5")
    seen = [f["id"] for f in page["features"]]
    while next_link := [link for link in page["links"] if link["rel"] == "next"]:
        page = _get(next_link[0]["href"])
        seen += [f["id"] for f in page["features"]]
    assert sorted(seen) == sorted(f"a-{i}" for i in range(12))
