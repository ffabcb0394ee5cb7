"""sources.fetch against a real local HTTP server (pytest-httpserver on 127.0.0.1) serving the bundled raw files.

No test touches the internet: every URL is the local server's, or a closed local port. urllib3's backoff sleeps are
recorded, not slept (its module's ``time`` is replaced by a recorder); the only real waits are the sub-second timeout
tests.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import os
import re
import socket
import threading
import time
import types
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import requests
import urllib3.util.retry
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

import sources.fetch as fetch_module
from sources.config import BUNDLED_DATA_DIR
from sources.eurostat import read_eurostat
from sources.fetch import (
    FetchAllError,
    FetchError,
    FetchResult,
    fetch,
    fetch_all,
    load_state,
    state_path,
)
from sources.locations import SOURCE_LOCATIONS
from sources.registry import ALL_SOURCES, SourceFile

BY_NAME = {s.name: s for s in ALL_SOURCES}
TSV = "text/tab-separated-values; charset=UTF-8"
TSV_TYPES = SOURCE_LOCATIONS["crim_off_cat"].expected_content_types
ETAG_1 = '"v1-2025-11"'
ETAG_2 = '"v2-2025-12"'
LM_1 = "Tue, 11 Nov 2025 11:00:00 GMT"
LM_2 = "Thu, 11 Dec 2025 11:00:00 GMT"


def bundled(name: str) -> bytes:
    return (BUNDLED_DATA_DIR / BY_NAME[name].relpath).read_bytes()


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


CRIM = bundled("crim_hom_ocit")  # small real TSV (6 kB)
TPS = bundled("tps00001")  # another small real TSV, used as "the new release"


# ---------------------------------------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def _server() -> Iterator[HTTPServer]:
    # Threaded, so a handler still sleeping after a client timeout does not block the retry.
    server = HTTPServer(host="127.0.0.1", port=0, threaded=True)
    server.start()
    yield server
    server.clear()
    server.stop()


@pytest.fixture
def httpserver(_server: HTTPServer) -> Iterator[HTTPServer]:
    _server.clear()
    yield _server
    _server.clear()


@pytest.fixture
def sleeps(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """The delays urllib3's Retry sleeps between attempts (recorded instead of slept)."""
    recorded: list[float] = []
    shim = types.SimpleNamespace(sleep=recorded.append, time=time.time, monotonic=time.monotonic)
    monkeypatch.setattr(urllib3.util.retry, "time", shim)
    return recorded


@pytest.fixture
def kw(tmp_path: Path, sleeps: list[float]) -> dict:
    """Fast, deterministic fetch settings: tiny timeouts and backoff (sleeps recorded by the ``sleeps`` fixture)."""
    return {
        "state_dir": tmp_path / "state",
        "connect_timeout": 2,
        "read_timeout": 2,
        "max_retries": 3,
        "backoff_base": 0.01,
        "max_backoff": 1,
        "expected_content_types": TSV_TYPES,
    }


class Upstream:
    """A conditional-GET-aware resource: answers 304 when the validators match, like a real server."""

    def __init__(self, body: bytes, etag: str | None = ETAG_1, last_modified: str | None = LM_1, ctype: str = TSV):
        self.body, self.etag, self.last_modified, self.ctype = body, etag, last_modified, ctype

    def _validators(self) -> dict[str, str]:
        headers = {}
        if self.etag:
            headers["ETag"] = self.etag
        if self.last_modified:
            headers["Last-Modified"] = self.last_modified
        return headers

    def __call__(self, request: Request) -> Response:
        inm = request.headers.get("If-None-Match")
        ims = request.headers.get("If-Modified-Since")
        if inm is not None:
            fresh = self.etag is not None and inm == self.etag
        else:
            fresh = ims is not None and self.last_modified is not None and ims == self.last_modified
        if fresh:
            return Response(status=304, headers=self._validators())
        return Response(self.body, status=200, content_type=self.ctype, headers=self._validators())


def serve(httpserver: HTTPServer, path: str, handler: Callable[[Request], Response]) -> str:
    httpserver.expect_request(path).respond_with_handler(handler)
    return httpserver.url_for(path)


def sequence(*responses: Callable[[Request], Response]) -> Callable[[Request], Response]:
    """A handler answering with each given handler in turn, then repeating the last."""
    calls = itertools.count()

    def handler(request: Request) -> Response:
        return responses[min(next(calls), len(responses) - 1)](request)

    return handler


def status(code: int, **headers: str) -> Callable[[Request], Response]:
    return lambda _req: Response(f"error {code}", status=code, content_type="text/plain", headers=headers)


def truncated(body: bytes, claimed: int) -> Callable[[Request], Response]:
    def handler(_req: Request) -> Response:
        response = Response(body, status=200, content_type=TSV)
        response.headers["Content-Length"] = str(claimed)  # more than is sent: the client sees a short body
        return response

    return handler


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".part"))


def seed(dest: Path, data: bytes, mtime: float = 1_600_000_000) -> int:
    """A previous good file with an old mtime (so any rewrite would show); returns its mtime_ns."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    dest.write_bytes(data)
    os.utime(dest, (mtime, mtime))
    return dest.stat().st_mtime_ns


# ------------------------------------------------------------------------------------------------------- happy path


def test_downloads_the_bundled_bytes(httpserver: HTTPServer, tmp_path: Path, kw: dict) -> None:
    url = serve(httpserver, "/data/crim_hom_ocit", Upstream(CRIM))
    dest = tmp_path / "raw" / "estat_crim_hom_ocit.tsv"

    result = fetch(url, dest, **kw)

    assert dest.read_bytes() == CRIM
    assert result == FetchResult(url, dest, True, len(CRIM), sha(CRIM), 200, 1, ETAG_1, LM_1)
    assert sha(dest.read_bytes()) == result.sha256 == sha(CRIM)
    assert len(httpserver.log) == 1
    request, response = httpserver.log[0]
    assert response.content_type == TSV
    assert "If-None-Match" not in request.headers and "If-Modified-Since" not in request.headers
    assert leftovers(dest.parent) == []
    state = load_state(kw["state_dir"], url)
    assert state is not None
    assert (state["etag"], state["last_modified"], state["sha256"]) == (ETAG_1, LM_1, sha(CRIM))


@pytest.mark.parametrize("name", ["demo_pjan", "esif_planned", "geo_codes"])
def test_downloads_json_csv_and_codelist_with_their_content_types(
    httpserver: HTTPServer, tmp_path: Path, kw: dict, name: str
) -> None:
    loc = SOURCE_LOCATIONS[name]
    ctype = {"application/json": "application/json", "text/csv": "text/csv; charset=utf-8"}.get(
        min(loc.expected_content_types), TSV
    )
    data = bundled(name)
    url = serve(httpserver, f"/{name}", Upstream(data, ctype=ctype))
    dest = tmp_path / BY_NAME[name].relpath

    result = fetch(url, dest, **{**kw, "expected_content_types": loc.expected_content_types})

    assert result.sha256 == sha(data) == sha(dest.read_bytes())
    assert result.downloaded_bytes == len(data)
    assert httpserver.log[0][1].content_type == ctype


# ------------------------------------------------------------------------------------------- conditional GET / state


def test_second_fetch_is_conditional_and_gets_304(httpserver: HTTPServer, tmp_path: Path, kw: dict) -> None:
    url = serve(httpserver, "/data/crim_hom_ocit", Upstream(CRIM))
    dest = tmp_path / "crim.tsv"
    fetch(url, dest, **kw)
    os.utime(dest, (1_600_000_000, 1_600_000_000))
    mtime = dest.stat().st_mtime_ns

    result = fetch(url, dest, **kw)

    assert (result.status, result.changed, result.downloaded_bytes) == (304, False, 0)
    assert result.sha256 == sha(CRIM)
    assert (result.etag, result.last_modified) == (ETAG_1, LM_1)
    assert len(httpserver.log) == 2
    request, response = httpserver.log[1]
    assert request.headers["If-None-Match"] == ETAG_1
    assert request.headers["If-Modified-Since"] == LM_1
    assert response.status_code == 304
    assert response.get_data() == b""
    assert dest.stat().st_mtime_ns == mtime
    assert dest.read_bytes() == CRIM


def test_changed_upstream_is_downloaded_again(httpserver: HTTPServer, tmp_path: Path, kw: dict) -> None:
    upstream = Upstream(CRIM)
    url = serve(httpserver, "/data/x", upstream)
    dest = tmp_path / "x.tsv"
    fetch(url, dest, **kw)
    upstream.body, upstream.etag, upstream.last_modified = TPS, ETAG_2, LM_2

    result = fetch(url, dest, **kw)

    assert (result.status, result.changed, result.downloaded_bytes) == (200, True, len(TPS))
    assert (result.etag, result.last_modified, result.sha256) == (ETAG_2, LM_2, sha(TPS))
    assert dest.read_bytes() == TPS
    assert httpserver.log[1][0].headers["If-None-Match"] == ETAG_1  # asked conditionally, got the new release
    # ... and the new validators are the ones sent next time
    third = fetch(url, dest, **kw)
    assert third.status == 304
    assert httpserver.log[2][0].headers["If-None-Match"] == ETAG_2


def test_new_etag_same_body_keeps_the_file_and_records_the_etag(
    httpserver: HTTPServer, tmp_path: Path, kw: dict
) -> None:
    """Documented behaviour: a new ETag for identical bytes is downloaded (200) but is not a change: dest is not
    rewritten (mtime kept), ``changed`` is False, and the new ETag is what the next request sends."""
    upstream = Upstream(CRIM)
    url = serve(httpserver, "/data/x", upstream)
    dest = tmp_path / "x.tsv"
    fetch(url, dest, **kw)
    os.utime(dest, (1_600_000_000, 1_600_000_000))
    mtime = dest.stat().st_mtime_ns
    upstream.etag = ETAG_2  # e.g. a CDN re-publishing the same file

    result = fetch(url, dest, **kw)

    assert (result.status, result.changed, result.downloaded_bytes, result.etag) == (200, False, len(CRIM), ETAG_2)
    assert dest.stat().st_mtime_ns == mtime
    assert leftovers(tmp_path) == []
    assert fetch(url, dest, **kw).status == 304
    assert httpserver.log[2][0].headers["If-None-Match"] == ETAG_2


def test_validators_sent_with_a_304_replace_the_stored_ones(httpserver: HTTPServer, tmp_path: Path, kw: dict) -> None:
    def retagging(request: Request) -> Response:  # unchanged, but the server re-tags it in the 304 (RFC 9110 15.4.5)
        if request.headers.get("If-None-Match") in (ETAG_1, ETAG_2):
            return Response(status=304, headers={"ETag": ETAG_2})
        return Upstream(CRIM)(request)

    url = serve(httpserver, "/data/x", retagging)
    dest = tmp_path / "x.tsv"
    fetch(url, dest, **kw)

    second = fetch(url, dest, **kw)
    fetch(url, dest, **kw)

    assert (second.status, second.etag, second.last_modified) == (304, ETAG_2, LM_1)  # Last-Modified kept
    assert [r.headers.get("If-None-Match") for r, _ in httpserver.log] == [None, ETAG_1, ETAG_2]


def test_dropped_last_modified_is_no_longer_sent(httpserver: HTTPServer, tmp_path: Path, kw: dict) -> None:
    """Documented behaviour: validators are replaced, not merged: once the server drops Last-Modified, only
    If-None-Match is sent."""
    upstream = Upstream(CRIM)
    url = serve(httpserver, "/data/x", upstream)
    dest = tmp_path / "x.tsv"
    fetch(url, dest, **kw)
    upstream.body, upstream.etag, upstream.last_modified = TPS, ETAG_2, None

    changed = fetch(url, dest, **kw)
    unchanged = fetch(url, dest, **kw)

    assert (changed.changed, changed.last_modified) == (True, None)
    assert load_state(kw["state_dir"], url)["last_modified"] is None
    assert unchanged.status == 304
    third_request = httpserver.log[2][0]
    assert third_request.headers["If-None-Match"] == ETAG_2
    assert "If-Modified-Since" not in third_request.headers


def test_last_modified_alone_is_enough(httpserver: HTTPServer, tmp_path: Path, kw: dict) -> None:
    url = serve(httpserver, "/data/x", Upstream(CRIM, etag=None))
    dest = tmp_path / "x.tsv"
    fetch(url, dest, **kw)

    result = fetch(url, dest, **kw)

    assert (result.status, result.etag, result.last_modified) == (304, None, LM_1)
    assert "If-None-Match" not in httpserver.log[1][0].headers
    assert httpserver.log[1][0].headers["If-Modified-Since"] == LM_1


def test_server_without_validators_downloads_every_time_but_reports_no_change(
    httpserver: HTTPServer, tmp_path: Path, kw: dict
) -> None:
    url = serve(httpserver, "/data/x", Upstream(CRIM, etag=None, last_modified=None))
    dest = tmp_path / "x.tsv"
    fetch(url, dest, **kw)

    result = fetch(url, dest, **kw)

    assert (result.status, result.changed, result.downloaded_bytes) == (200, False, len(CRIM))
    assert not {"If-None-Match", "If-Modified-Since"} & set(httpserver.log[1][0].headers.keys())


@pytest.mark.parametrize("damage", ["edited", "deleted"])
def test_local_damage_makes_the_fetch_unconditional(
    httpserver: HTTPServer, tmp_path: Path, kw: dict, damage: str
) -> None:
    url = serve(httpserver, "/data/x", Upstream(CRIM))
    dest = tmp_path / "x.tsv"
    fetch(url, dest, **kw)
    if damage == "edited":
        dest.write_bytes(CRIM[:-10] + b"tampered\n")
    else:
        dest.unlink()

    result = fetch(url, dest, **kw)

    assert "If-None-Match" not in httpserver.log[1][0].headers
    assert (result.status, result.changed) == (200, True)
    assert dest.read_bytes() == CRIM


def test_unreadable_state_file_means_unconditional_fetch(httpserver: HTTPServer, tmp_path: Path, kw: dict) -> None:
    url = serve(httpserver, "/data/x", Upstream(CRIM))
    dest = tmp_path / "x.tsv"
    fetch(url, dest, **kw)
    state_path(kw["state_dir"], url).write_text("{not json", encoding="utf-8")

    result = fetch(url, dest, **kw)

    assert result.status == 200 and result.changed is False
    assert "If-None-Match" not in httpserver.log[1][0].headers
    assert load_state(kw["state_dir"], url)["etag"] == ETAG_1  # rewritten, readable again


# ------------------------------------------------------------------------------------------------------------ retries


def test_500_then_200_is_retried(httpserver: HTTPServer, tmp_path: Path, kw: dict, sleeps: list[float]) -> None:
    url = serve(httpserver, "/data/x", sequence(status(500), Upstream(CRIM)))
    dest = tmp_path / "x.tsv"

    result = fetch(url, dest, **kw)

    assert result.attempts == 2
    assert dest.read_bytes() == CRIM
    assert [r.status_code for _, r in httpserver.log] == [500, 200]
    assert sleeps == []  # urllib3 retries the first failure at once, then backs off


def test_500_forever_gives_up_and_keeps_the_previous_file(
    httpserver: HTTPServer, tmp_path: Path, kw: dict, sleeps: list[float]
) -> None:
    url = serve(httpserver, "/data/x", status(500))
    dest = tmp_path / "x.tsv"
    mtime = seed(dest, TPS)

    with pytest.raises(FetchError) as info:
        fetch(url, dest, **kw)

    message = str(info.value)
    assert url in message and "HTTP 500" in message and "gave up after 4 attempts" in message
    assert (info.value.status, info.value.attempts) == (500, 4)
    assert len(httpserver.log) == 4  # max_retries=3 -> 1 + 3 requests
    assert sleeps == [0.02, 0.04]  # urllib3: backoff_base * 2 ** (n - 1) from the second consecutive failure
    assert dest.read_bytes() == TPS and dest.stat().st_mtime_ns == mtime
    assert leftovers(tmp_path) == []


def test_backoff_is_capped(httpserver: HTTPServer, tmp_path: Path, kw: dict, sleeps: list[float]) -> None:
    url = serve(httpserver, "/data/x", status(503))

    with pytest.raises(FetchError):
        fetch(url, tmp_path / "x.tsv", **{**kw, "backoff_base": 1.0, "max_backoff": 3.0, "max_retries": 4})
    assert sleeps == [2.0, 3.0, 3.0]
    assert len(httpserver.log) == 5


def test_429_honours_retry_after_seconds(httpserver: HTTPServer, tmp_path: Path, kw: dict, sleeps: list[float]) -> None:
    url = serve(httpserver, "/data/x", sequence(status(429, **{"Retry-After": "2"}), Upstream(CRIM)))

    result = fetch(url, tmp_path / "x.tsv", **{**kw, "max_backoff": 60})

    assert sleeps == [2]  # not the 0.01 s default backoff
    assert result.attempts == 2 and result.status == 200


def test_retry_after_http_date_is_capped_at_max_backoff(
    httpserver: HTTPServer, tmp_path: Path, kw: dict, sleeps: list[float]
) -> None:
    in_an_hour = time.strftime("%a, %d %b %Y %H:%M:%S GMT", time.gmtime(time.time() + 3600))
    url = serve(httpserver, "/data/x", sequence(status(503, **{"Retry-After": in_an_hour}), Upstream(CRIM)))

    fetch(url, tmp_path / "x.tsv", **{**kw, "max_backoff": 5})

    assert sleeps == [5]


def test_404_fails_at_once(httpserver: HTTPServer, tmp_path: Path, kw: dict, sleeps: list[float]) -> None:
    url = serve(httpserver, "/data/missing", status(404))

    with pytest.raises(FetchError) as info:
        fetch(url, tmp_path / "x.tsv", **kw)

    assert url in str(info.value) and "HTTP 404" in str(info.value)
    assert (info.value.status, info.value.attempts) == (404, 1)
    assert len(httpserver.log) == 1
    assert sleeps == []


def test_connection_refused_is_retried_then_reported(tmp_path: Path, kw: dict, sleeps: list[float]) -> None:
    with socket.socket() as sock:  # a local port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    url = f"http://127.0.0.1:{port}/data/x"

    with pytest.raises(FetchError) as info:
        fetch(url, tmp_path / "x.tsv", **{**kw, "max_retries": 2})

    assert url in str(info.value) and "connection failed" in str(info.value)
    assert info.value.attempts == 3 and sleeps == [0.02]


class SlowThen:
    """Sleeps ``delay`` s before answering the first ``slow`` requests; counts requests as they arrive."""

    def __init__(self, delay: float, slow: int, then: Callable[[Request], Response]):
        self.delay, self.slow, self.then = delay, slow, then
        self.arrived = 0
        self.lock = threading.Lock()

    def __call__(self, request: Request) -> Response:
        with self.lock:
            self.arrived += 1
            n = self.arrived
        if n <= self.slow:
            time.sleep(self.delay)
        return self.then(request)


def wait_for_log(httpserver: HTTPServer, count: int, limit: float = 5.0) -> None:
    """Sleeping handlers log when they finish: wait (bounded) so they do not leak into the next test."""
    deadline = time.monotonic() + limit
    while len(httpserver.log) < count and time.monotonic() < deadline:
        time.sleep(0.02)


def test_read_timeout_is_retried_then_reported(
    httpserver: HTTPServer, tmp_path: Path, kw: dict, sleeps: list[float]
) -> None:
    handler = SlowThen(1.5, slow=99, then=Upstream(CRIM))
    url = serve(httpserver, "/data/slow", handler)
    dest = tmp_path / "x.tsv"
    seed(dest, TPS)

    with pytest.raises(FetchError) as info:
        fetch(url, dest, **{**kw, "read_timeout": 0.4, "max_retries": 1})

    assert "timed out" in str(info.value) and url in str(info.value)
    # One retry, and no backoff sleep before it (a read timeout is retried at once).
    assert info.value.attempts == 2 and handler.arrived == 2 and sleeps == []
    assert dest.read_bytes() == TPS
    wait_for_log(httpserver, 2)


def test_read_timeout_then_success(httpserver: HTTPServer, tmp_path: Path, kw: dict) -> None:
    # The timeout is generous for the answer that comes at once, so a loaded machine (tests run in parallel)
    # does not turn it into a second timeout.
    handler = SlowThen(1.5, slow=1, then=Upstream(CRIM))
    url = serve(httpserver, "/data/slow", handler)

    result = fetch(url, tmp_path / "x.tsv", **{**kw, "read_timeout": 0.4})

    assert result.attempts == 2 and handler.arrived == 2
    assert (tmp_path / "x.tsv").read_bytes() == CRIM
    wait_for_log(httpserver, 2)


# ------------------------------------------------------------------------------------------- body and header checks


def test_total_timeout_bounds_a_trickling_body(httpserver: HTTPServer, tmp_path: Path, kw: dict) -> None:
    def trickle(_request: Request) -> Response:  # each read is quick, the whole body is not
        def body() -> Iterator[bytes]:
            for _ in range(20):
                time.sleep(0.05)
                yield b"A,B\t1 \n"

        return Response(body(), status=200, content_type=TSV)

    url = serve(httpserver, "/data/trickle", trickle)

    with pytest.raises(FetchError) as info:
        fetch(url, tmp_path / "x.tsv", **{**kw, "total_timeout": 0.15, "max_retries": 1})

    assert "not complete after 0.15 s" in str(info.value) and info.value.attempts == 2
    received = int(re.search(r"\((\d+) bytes\)", str(info.value)).group(1))
    assert received < 20 * len(b"A,B\t1 \n")  # the download was cut off, not waited out
    assert leftovers(tmp_path) == []


def test_truncated_body_is_retried_and_never_stored(
    httpserver: HTTPServer, tmp_path: Path, kw: dict, sleeps: list[float]
) -> None:
    url = serve(httpserver, "/data/x", truncated(CRIM[:1000], len(CRIM)))
    dest = tmp_path / "x.tsv"
    mtime = seed(dest, TPS)

    with pytest.raises(FetchError) as info:
        fetch(url, dest, **{**kw, "max_retries": 2})

    assert "truncated" in str(info.value) and url in str(info.value)
    assert info.value.attempts == 3 and len(httpserver.log) == 3 and sleeps == [0.02]
    assert dest.read_bytes() == TPS and dest.stat().st_mtime_ns == mtime
    assert leftovers(tmp_path) == []


def test_truncated_then_complete_succeeds(httpserver: HTTPServer, tmp_path: Path, kw: dict) -> None:
    url = serve(httpserver, "/data/x", sequence(truncated(CRIM[:1000], len(CRIM)), Upstream(CRIM)))

    result = fetch(url, tmp_path / "x.tsv", **kw)

    assert result.attempts == 2 and result.sha256 == sha(CRIM)
    assert leftovers(tmp_path) == []


def test_html_page_with_200_is_not_data(httpserver: HTTPServer, tmp_path: Path, kw: dict) -> None:
    page = b"<!DOCTYPE html><html><body><h1>Service temporarily unavailable</h1></body></html>"
    url = serve(httpserver, "/data/x", lambda _r: Response(page, status=200, content_type="text/html; charset=utf-8"))
    dest = tmp_path / "x.tsv"
    mtime = seed(dest, TPS)

    with pytest.raises(FetchError) as info:
        fetch(url, dest, **{**kw, "expected_content_types": None})  # HTML is refused even when anything goes

    assert url in str(info.value) and "text/html" in str(info.value)
    assert len(httpserver.log) == 1  # not retried
    assert dest.read_bytes() == TPS and dest.stat().st_mtime_ns == mtime
    assert leftovers(tmp_path) == []


def test_unexpected_content_type_is_refused(httpserver: HTTPServer, tmp_path: Path, kw: dict) -> None:
    # What Eurostat answers to a request it queues asynchronously: XML, not the TSV asked for.
    xml = b'<?xml version="1.0"?><S:Envelope><syncResponse><queued><id>x</id></queued></syncResponse></S:Envelope>'
    url = serve(httpserver, "/data/x", lambda _r: Response(xml, status=200, content_type="application/xml"))

    with pytest.raises(FetchError) as info:
        fetch(url, tmp_path / "x.tsv", **kw)

    assert "application/xml" in str(info.value) and url in str(info.value)
    assert not (tmp_path / "x.tsv").exists()


def test_oversized_content_length_is_refused_before_download(
    httpserver: HTTPServer, tmp_path: Path, kw: dict, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = serve(httpserver, "/data/x", Upstream(CRIM))
    temp_files: list[object] = []
    real_mkstemp = fetch_module.tempfile.mkstemp
    monkeypatch.setattr(fetch_module.tempfile, "mkstemp", lambda *a, **k: temp_files.append(k) or real_mkstemp(*a, **k))

    with pytest.raises(FetchError) as info:
        fetch(url, tmp_path / "x.tsv", **{**kw, "max_bytes": len(CRIM) - 1})

    assert f"Content-Length {len(CRIM)} exceeds" in str(info.value)
    assert temp_files == []  # no body was written anywhere
    assert len(httpserver.log) == 1
    assert not (tmp_path / "x.tsv").exists()


def test_body_growing_past_max_bytes_is_aborted(httpserver: HTTPServer, tmp_path: Path, kw: dict) -> None:
    def endless(_request: Request) -> Response:  # chunked, no Content-Length: only the streaming check can stop it
        return Response((b"A,B,C\t1 \n" * 1000 for _ in range(50)), status=200, content_type=TSV)

    url = serve(httpserver, "/data/x", endless)
    dest = tmp_path / "x.tsv"
    seed(dest, TPS)

    with pytest.raises(FetchError) as info:
        fetch(url, dest, **{**kw, "max_bytes": 20_000})

    assert "exceeds the 20000-byte limit" in str(info.value)
    assert httpserver.log[0][1].headers.get("Content-Length") is None
    assert dest.read_bytes() == TPS
    assert leftovers(tmp_path) == []


def test_unwritable_destination_is_a_clear_error(httpserver: HTTPServer, tmp_path: Path, kw: dict) -> None:
    url = serve(httpserver, "/data/x", Upstream(CRIM))
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("a file where a folder should be")

    with pytest.raises(FetchError) as info:
        fetch(url, blocker / "x.tsv", **kw)

    assert "cannot write" in str(info.value) and url in str(info.value)


def test_validation_failure_keeps_the_previous_file_and_state(httpserver: HTTPServer, tmp_path: Path, kw: dict) -> None:
    not_eurostat = b"<?xml version='1.0'?><error>queued</error>\n"
    url = serve(httpserver, "/data/x", Upstream(not_eurostat, ctype="text/plain"))
    dest = tmp_path / "x.tsv"
    mtime = seed(dest, TPS)

    for _ in range(2):  # rejected every time: the state never records the rejected release, so no silent 304
        with pytest.raises(FetchError) as info:
            fetch(url, dest, validate=lambda p: read_eurostat(p, "tps00001"), **kw)
        assert "rejected by validation (SourceFormatError" in str(info.value) and url in str(info.value)

    assert [r.headers.get("If-None-Match") for r, _ in httpserver.log] == [None, None]
    assert load_state(kw["state_dir"], url) is None
    assert dest.read_bytes() == TPS and dest.stat().st_mtime_ns == mtime
    assert leftovers(tmp_path) == []


def test_fetch_all_validates_changed_files_with_the_real_readers(httpserver: HTTPServer, tmp_path: Path) -> None:
    serve_all_sources(httpserver)
    seen: list[tuple[str, int]] = []

    def vet(source: SourceFile, path: Path) -> None:
        seen.append((source.name, read_eurostat(path, source.name).cells.height))

    names = ["crim_hom_ocit", "demo_pjan", "tps00001"]
    fetch_all(names, tmp_path, base_url=httpserver.url_for("/"), validate=vet, max_retries=0)
    assert [name for name, _ in seen] == names and all(rows > 0 for _, rows in seen)

    again = fetch_all(names, tmp_path, base_url=httpserver.url_for("/"), validate=vet, max_retries=0)
    assert {r.status for r in again.values()} == {304}
    assert len(seen) == 3  # nothing new, nothing to validate


# ---------------------------------------------------------------------------------------------------------- fetch_all


def serve_all_sources(httpserver: HTTPServer) -> None:
    """Every registry source at its real path and query, served from the bundled file with a plausible type."""
    for source in ALL_SOURCES:
        loc = SOURCE_LOCATIONS[source.name]
        path, _, query = loc.url.partition("://")[2].partition("/")[2].partition("?")
        types = loc.expected_content_types
        ctype = "application/json" if "application/json" in types else "text/csv" if "text/csv" in types else TSV
        data = bundled(source.name)
        httpserver.expect_request("/" + path, query_string=query).respond_with_handler(
            Upstream(data, etag=f'"{sha(data)[:16]}"', ctype=ctype)
        )


def test_fetch_all_mirrors_every_source_then_finds_nothing_new(
    httpserver: HTTPServer, tmp_path: Path, sleeps: list[float]
) -> None:
    serve_all_sources(httpserver)
    data_dir = tmp_path / "data"
    base = httpserver.url_for("/").rstrip("/")

    first = fetch_all(None, data_dir, base_url=base, max_retries=0)

    assert set(first) == {s.name for s in ALL_SOURCES}
    for source in ALL_SOURCES:
        stored = data_dir / source.relpath
        assert first[source.name].dest == stored.resolve()
        assert sha(stored.read_bytes()) == first[source.name].sha256 == sha(bundled(source.name)), source.name
        assert first[source.name].changed
    assert len(httpserver.log) == len(ALL_SOURCES)
    assert all(response.status_code == 200 for _, response in httpserver.log)
    assert (data_dir / ".fetch_state").is_dir()

    second = fetch_all(None, data_dir, base_url=base, max_retries=0)

    assert {r.status for r in second.values()} == {304}
    assert not any(r.changed for r in second.values())
    assert sum(r.downloaded_bytes for r in second.values()) == 0
    assert len(httpserver.log) == 2 * len(ALL_SOURCES)
    assert sleeps == []


def test_fetch_all_reports_every_failure_and_keeps_the_successes(
    httpserver: HTTPServer, tmp_path: Path, sleeps: list[float]
) -> None:
    for name in ("crim_off_cat", "tps00001"):  # served; ilc_pw03 is not (-> 404 from the server)
        path, _, query = SOURCE_LOCATIONS[name].url.partition("://")[2].partition("/")[2].partition("?")
        httpserver.expect_request("/" + path, query_string=query).respond_with_handler(Upstream(bundled(name)))
    httpserver.no_handler_status_code = 404  # reset by the fixture's clear()

    with pytest.raises(FetchAllError) as info:
        fetch_all(["crim_off_cat", "ilc_pw03", "tps00001"], tmp_path, base_url=httpserver.url_for("/"))

    assert set(info.value.results) == {"crim_off_cat", "tps00001"}
    assert set(info.value.errors) == {"ilc_pw03"}
    assert "HTTP 404" in str(info.value) and "ilc_pw03" in str(info.value)
    assert (tmp_path / BY_NAME["tps00001"].relpath).read_bytes() == TPS
    assert not (tmp_path / BY_NAME["ilc_pw03"].relpath).exists()
    assert sleeps == []


@pytest.mark.parametrize("relpath", ["../outside.tsv", "eurostat_crime/../../outside.tsv", "/tmp/outside.tsv"])
def test_fetch_all_refuses_paths_outside_the_data_folder(httpserver: HTTPServer, tmp_path: Path, relpath: str) -> None:
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    evil = SourceFile("crim_off_cat", relpath, "eurostat", "escapes the data folder")

    with pytest.raises(ValueError, match="refusing"):
        fetch_all(["crim_off_cat"], data_dir, base_url=httpserver.url_for("/"), sources=[evil])

    assert httpserver.log == []  # refused before any request
    assert not (tmp_path / "outside.tsv").exists()


def test_fetch_all_refuses_a_symlink_out_of_the_data_folder(httpserver: HTTPServer, tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (data_dir / "eurostat_crime").symlink_to(outside, target_is_directory=True)

    with pytest.raises(ValueError, match="outside the data folder"):
        fetch_all(["crim_off_cat"], data_dir, base_url=httpserver.url_for("/"))

    assert httpserver.log == []
    assert list(outside.iterdir()) == []


def test_fetch_all_refuses_to_overwrite_the_bundled_data(httpserver: HTTPServer) -> None:
    before = sha(bundled("crim_hom_ocit"))

    with pytest.raises(ValueError, match="bundled data"):
        fetch_all(["crim_hom_ocit"], BUNDLED_DATA_DIR, base_url=httpserver.url_for("/"), max_retries=0)

    assert httpserver.log == []
    assert sha(bundled("crim_hom_ocit")) == before


def test_fetch_all_rejects_unknown_names_and_overrides(tmp_path: Path) -> None:
    with pytest.raises(KeyError, match="no_such_source"):
        fetch_all(["no_such_source"], tmp_path)
    with pytest.raises(TypeError, match="max_bytes"):
        fetch_all(["crim_off_cat"], tmp_path, max_bytes=10)


def test_state_files_are_small_json_per_url(httpserver: HTTPServer, tmp_path: Path, kw: dict) -> None:
    a = serve(httpserver, "/a", Upstream(CRIM))
    b = serve(httpserver, "/b", Upstream(TPS, etag=ETAG_2))
    fetch(a, tmp_path / "a.tsv", **kw)
    fetch(b, tmp_path / "b.tsv", **kw)

    files = sorted(kw["state_dir"].glob("*.json"))
    assert len(files) == 2 and state_path(kw["state_dir"], a) != state_path(kw["state_dir"], b)
    states = {json.loads(f.read_text())["url"]: json.loads(f.read_text()) for f in files}
    assert states[a]["sha256"] == sha(CRIM) and states[b]["etag"] == ETAG_2
    assert all(f.stat().st_size < 2000 for f in files)


def test_a_given_session_is_used_and_left_open(httpserver: HTTPServer, tmp_path: Path, kw: dict) -> None:
    url = serve(httpserver, "/data/x", Upstream(CRIM))
    session = requests.Session()
    session.headers["User-Agent"] = "urban-safety-test/1"

    fetch(url, tmp_path / "x.tsv", session=session, **kw)
    fetch(url, tmp_path / "x.tsv", session=session, **kw)  # still usable

    assert [r.headers["User-Agent"] for r, _ in httpserver.log] == ["urban-safety-test/1"] * 2
    session.close()
