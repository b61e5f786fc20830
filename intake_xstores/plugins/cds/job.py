"""One retrieve job on the CDS, from submission to the downloaded result file.

The CDS (since 2024) runs requests as jobs of an OGC Processes API:
``POST {url}/retrieve/v1/processes/{collection}/execution`` submits one,
``GET {url}/retrieve/v1/jobs/{id}`` tells its status (``accepted``,
``running``, ``successful``, ``failed``, ``rejected``, ...), and the
job's ``results`` link names the file to download. We speak it through ECMWF's
own client (``ecmwf-datastores-client``, what ``cdsapi`` 0.7 delegates to),
but drive the waiting ourselves: polls back off from ``poll_interval`` to
``poll_interval_max``, a progress bar shows the status and then the download,
and a ``job_timeout`` ends the wait (deleting the job on the service) instead
of blocking for ever. The download is the client's own (resumed by range
requests, retried, its size checked); the file lands in a folder the caller
removes.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import time
from typing import Any

from ...errors import DataStoreError, error_text

LOG = logging.getLogger("intake_xstores.plugins.cds")

SERVICE = "CDS"


@dataclasses.dataclass
class JobOptions:
    """How a job is submitted, waited for and downloaded."""

    url: str
    key: str
    num_retries: int = 5
    retry_backoff_base: float = 0.5
    retry_backoff_max: float = 30.0
    poll_interval: float = 1.0
    poll_interval_max: float = 30.0
    job_timeout: float | None = None
    progress: bool = True


def _log(level: int, *args: Any, **kwargs: Any) -> None:
    LOG.log(level, *args, **kwargs)


def _client(options: JobOptions):
    from ecmwf import datastores

    base, most = options.retry_backoff_base, options.retry_backoff_max
    retry_after: Any = (base, most, 2) if 0 < base < most else min(base, most)
    return datastores.Client(
        url=options.url,
        key=options.key,
        progress=options.progress,
        cleanup=False,
        sleep_max=options.poll_interval_max,
        retry_after=retry_after,
        maximum_tries=options.num_retries + 1,
        log_callback=_log,
    )


def retrieve(options: JobOptions, collection: str, inputs: dict, folder: str, what: str) -> str:
    """Run the job for *inputs* of *collection*; return the path of its result in *folder*.

    *what* names the request in errors and in the progress bar (the data ID).
    """
    from tqdm import tqdm

    with tqdm(desc=f"{SERVICE} {what}", disable=not options.progress, leave=False) as bar:
        with _explained(options, f"submit the request for {what}"):
            remote = _client(options).submit(collection, inputs)
        try:
            results_url = _wait(options, remote, what, bar)
        except KeyboardInterrupt:  # no orphan job left in the user's queue
            _delete(remote)
            raise
        bar.set_postfix_str("downloading")
    job = remote.request_id
    with _explained(options, f"download the result of job {job} for {what}"):
        from ecmwf.datastores import Results

        # what Remote.get_results() does, without polling the finished job twice more
        results = Results.from_request("get", results_url, **remote._request_kwargs)
        path = os.path.join(folder, os.path.basename(results.location.split("?")[0]) or "result")
        results.download(path)  # resumed and retried; its own progress bar
    return path


def _wait(options: JobOptions, remote, what: str, bar) -> str:
    """Poll *remote* until it succeeds and return its results' URL; fail with its
    message, or after ``job_timeout``."""
    start = time.monotonic()
    delay = options.poll_interval
    job = remote.request_id
    while True:
        with _explained(options, f"ask for the status of job {job} for {what}"):
            reply = remote.json
            status = reply["status"]
        bar.set_postfix_str(status)
        if status == "successful":
            links = [
                link["href"] for link in reply.get("links", []) if link.get("rel") == "results"
            ]
            return links[0] if links else f"{remote.url}/results"
        if status not in ("accepted", "running"):
            raise DataStoreError(
                f"{SERVICE} job {job} for {what} ended {status!r}: {_failure(options, remote)}"
            )
        waited = time.monotonic() - start
        if options.job_timeout is not None and waited + delay > options.job_timeout:
            _delete(remote)
            raise DataStoreError(
                f"{SERVICE} job {job} for {what} did not finish within job_timeout="
                f"{options.job_timeout:g} s (still {status!r}); it was deleted on the "
                "service. Raise 'job_timeout', or try again when the queue is shorter"
            )
        time.sleep(delay)
        delay = min(delay * 1.5, options.poll_interval_max)


def _failure(options: JobOptions, remote) -> str:
    """What the service says of the failed job *remote*."""
    from ecmwf.datastores.processing import ProcessingFailedError

    try:
        remote.results_ready  # noqa: B018 - raises with the job's error
    except ProcessingFailedError as error:
        return str(error).strip() or "no reason given"
    except Exception as error:
        return _message(error)
    return "no reason given"


def _delete(remote) -> None:
    try:
        remote.delete()
    except Exception as error:  # the timeout is the error to report
        LOG.warning("Could not delete CDS job %s: %s", remote.request_id, error_text(error))


def _message(error: BaseException) -> str:
    """The service's own words from a ``requests`` error, else the error's text."""
    return str(error).strip().replace("\n", "; ") or error_text(error)


class _explained:
    """Turn what the CDS client raises into a :class:`DataStoreError` saying what failed."""

    def __init__(self, options: JobOptions, doing: str):
        self.options = options
        self.doing = doing

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind, error, traceback) -> bool:
        import requests

        if error is None or isinstance(error, DataStoreError):
            return False
        url = self.options.url
        if isinstance(error, requests.HTTPError) and error.response is not None:
            status = error.response.status_code
            if status in (401, 403):
                raise DataStoreError(
                    f"{SERVICE} at {url} refused the API key (cds_api_key='***') when asked "
                    f"to {self.doing}: {_message(error)}. Check 'cds_api_key' (or CDSAPI_KEY, "
                    "or the key in ~/.cdsapirc) and that the dataset's licence is accepted"
                ) from None
            raise DataStoreError(
                f"{SERVICE} at {url} could not {self.doing}: {_message(error)}"
            ) from None
        if isinstance(error, requests.ConnectionError):
            raise DataStoreError(
                f"{SERVICE} at {url} cannot be reached to {self.doing}: {error_text(error)}; "
                "check 'endpoint_url'"
            ) from None
        if isinstance(error, requests.RequestException | RuntimeError | ValueError | KeyError):
            raise DataStoreError(
                f"{SERVICE} at {url} answered strangely when asked to {self.doing}: "
                f"{error_text(error)}"
            ) from None
        return False
