"""The loopback service kit answers like a web service, and misbehaves on request."""

import http.client
import urllib.parse

import pytest
import requests

from tests.service_kit import FakeService


def test_json_route_and_template_handler(fake_service):
    fake_service.json("/api/records/42", {"files": [{"key": "a.nc"}]})
    fake_service.route(
        "/api/echo/<name>", lambda request, name: {"name": name, "q": request.args["q"]}
    )

    assert requests.get(f"{fake_service.url}/api/records/42").json() == {"files": [{"key": "a.nc"}]}
    assert requests.get(f"{fake_service.url}/api/echo/x?q=1").json() == {"name": "x", "q": "1"}
    missing = requests.get(f"{fake_service.url}/api/records/43")
    assert missing.status_code == 404
    assert fake_service.count("GET", "/api/records/42") == 1
    assert fake_service.requests[-1].status == 404


def test_file_with_ranges(fake_service):
    fake_service.file("/files/a.bin", bytes(range(100)))
    url = f"{fake_service.url}/files/a.bin"

    whole = requests.get(url)
    assert whole.content == bytes(range(100))
    assert whole.headers["Accept-Ranges"] == "bytes"
    part = requests.get(url, headers={"Range": "bytes=10-19"})
    assert part.status_code == 206
    assert part.content == bytes(range(10, 20))
    assert part.headers["Content-Range"] == "bytes 10-19/100"
    assert requests.head(url).headers["Content-Length"] == "100"
    assert requests.get(url, headers={"Range": "bytes=200-"}).status_code == 416


def test_file_from_path(fake_service, tmp_path):
    (tmp_path / "x.json").write_text('{"a": 1}')
    fake_service.file("/x.json", tmp_path / "x.json")
    response = requests.get(f"{fake_service.url}/x.json")
    assert response.json() == {"a": 1}
    assert response.headers["Content-Type"] == "application/json"


def test_fault_status_with_retry_after_for_the_first_requests_only(fake_service):
    fake_service.file("/files/a.bin", b"abc")
    fake_service.fault("/files/", status=429, retry_after=1.5, times=2)
    url = f"{fake_service.url}/files/a.bin"

    answers = [requests.get(url) for _ in range(3)]
    assert [a.status_code for a in answers] == [429, 429, 200]
    assert answers[0].headers["Retry-After"] == "1.5"
    assert answers[2].content == b"abc"


def test_fault_server_error_only_under_its_prefix(fake_service):
    fake_service.json("/api/a", [1])
    fake_service.json("/other", [2])
    fake_service.fault("/api/", status=503)
    assert requests.get(f"{fake_service.url}/api/a").status_code == 503
    assert requests.get(f"{fake_service.url}/other").json() == [2]


def test_fault_truncated_body_is_noticed_by_the_client(fake_service):
    fake_service.file("/files/a.bin", bytes(1000))
    fake_service.fault("/files/", truncate=0.5)
    with pytest.raises(requests.exceptions.ChunkedEncodingError):
        requests.get(f"{fake_service.url}/files/a.bin", timeout=10)


def test_fault_server_without_range_support(fake_service):
    fake_service.file("/files/a.bin", bytes(range(100)))
    fake_service.fault("/files/", ranges=False)
    response = requests.get(f"{fake_service.url}/files/a.bin", headers={"Range": "bytes=10-19"})
    assert response.status_code == 200
    assert len(response.content) == 100


def test_fault_latency_delays_the_answer(fake_service):
    fake_service.json("/slow", {"ok": True})
    fake_service.fault("/slow", latency=0.2)
    response = requests.get(f"{fake_service.url}/slow")
    # the server side adds the delay before answering: the client waited at least that long
    assert response.elapsed.total_seconds() >= 0.2


def test_https_service_trusted_through_its_ca(fake_https_service):
    fake_https_service.json("/api", {"tls": True})
    url = f"{fake_https_service.url}/api"
    assert url.startswith("https://127.0.0.1:")
    assert requests.get(url, verify=fake_https_service.ca_file).json() == {"tls": True}
    with pytest.raises(requests.exceptions.SSLError):
        requests.get(url)
    host = urllib.parse.urlsplit(url)
    conn = http.client.HTTPSConnection(
        host.hostname, host.port, context=fake_https_service.ssl_context
    )
    conn.request("GET", "/api")
    assert conn.getresponse().status == 200


def test_service_outside_pytest_stops_on_exit():
    with FakeService() as service:
        service.json("/", {})
        url = service.url
        assert requests.get(url).status_code == 200
    with pytest.raises(requests.exceptions.ConnectionError):
        requests.get(url, timeout=2)


def test_fsspec_reads_ranges_over_tls_and_notices_a_server_without_them(fake_https_service):
    import fsspec

    data = bytes(range(256)) * 100
    fake_https_service.file("/files/a.bin", data)
    url = f"{fake_https_service.url}/files/a.bin"
    fs = fsspec.filesystem("https", ssl=fake_https_service.ssl_context, skip_instance_cache=True)
    assert fs.info(url)["size"] == len(data)
    with fs.open(url, block_size=1000) as f:
        f.seek(5000)
        assert f.read(4) == data[5000:5004]
    assert any(r.headers.get("Range") == "bytes=5000-6003" for r in fake_https_service.requests)
    fake_https_service.fault("/files/", ranges=False)
    with (
        pytest.raises(ValueError, match="support range requests"),
        fs.open(url, block_size=1000) as f,
    ):
        f.seek(5000)
        f.read(4)
