"""Live download of the raw source files: conditional GET, retries by urllib3, checks, atomic replace.

``fetch(url, dest, state_dir=...)`` downloads one URL to one file:

* Retries are urllib3's: a :class:`urllib3.util.Retry` mounted on the session's ``HTTPAdapter`` retries connection
  errors, read timeouts and the statuses in :data:`RETRY_STATUSES` with exponential backoff (``backoff_base``,
  capped at ``max_backoff``) and honours ``Retry-After`` (seconds or an HTTP date, capped at ``max_backoff``).
  ``max_retries`` counts retries: at most ``max_retries + 1`` requests. Other 4xx fail at once. A body that breaks
  off (fewer bytes than ``Content-Length``, a dropped connection) is retried on the same budget and backoff.
* Conditional GET: the response's ``ETag`` / ``Last-Modified`` and the sha256 of the stored file are kept in a small
  JSON file per URL under ``state_dir``. The next call sends ``If-None-Match`` / ``If-Modified-Since``; a ``304``
  leaves the file untouched (``changed=False, downloaded_bytes=0``). If ``dest`` is missing or its sha256 no longer
  matches the state, the request is unconditional.
* Content checks: an HTML page is never data, whatever its status; the media type must be one of
  ``expected_content_types``; a ``Content-Length`` above ``max_bytes`` is refused before the body is read and a body
  growing past ``max_bytes`` is aborted.
* Validate before replace: the body streams into a temporary file next to ``dest`` (sha256 computed on the way),
  ``validate`` (e.g. the reader) vets it, then it is fsynced and ``os.replace``d onto ``dest``. A failure removes the
  temporary file; ``dest`` and the state are never partially written. A 200 whose body is byte-identical to ``dest``
  leaves it untouched (``changed=False``) and records the new validators.

No source needs credentials: URLs are public and shown as they are.

``fetch_all(names, data_dir, base_url=...)`` fetches registry sources to ``data_dir / SourceFile.relpath``
(refusing relpaths that resolve outside ``data_dir``) using :mod:`sources.locations`.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import logging
import os
import tempfile
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import requests
from requests.adapters import HTTPAdapter
from urllib3.exceptions import MaxRetryError, NewConnectionError, ProtocolError, ReadTimeoutError
from urllib3.util import Retry

from sources.config import BUNDLED_DATA_DIR
from sources.locations import location_for
from sources.registry import ALL_SOURCES, SourceFile

log = logging.getLogger(__name__)

CHUNK_SIZE = 64 * 1024
DEFAULT_MAX_BYTES = 200 * 1024 * 1024
STATE_DIRNAME = ".fetch_state"
HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})
RETRY_STATUSES = frozenset({408, 429, 500, 502, 503, 504})


class FetchError(RuntimeError):
    """A download that failed; the message names the URL and the reason."""

    def __init__(self, url: str, reason: str, *, status: int | None = None, attempts: int | None = None):
        self.url, self.reason, self.status, self.attempts = url, reason, status, attempts
        super().__init__(f"{url}: {reason}")


class FetchAllError(FetchError):
    """Some sources of a ``fetch_all`` failed; ``results`` holds the ones that succeeded, ``errors`` the others."""

    def __init__(self, results: dict[str, FetchResult], errors: dict[str, FetchError]):
        self.results, self.errors = results, errors
        lines = "; ".join(f"{name}: {err}" for name, err in errors.items())
        super().__init__("", lines)
        RuntimeError.__init__(self, f"{len(errors)} of {len(results) + len(errors)} sources failed: {lines}")


@dataclass(frozen=True)
class FetchResult:
    url: str
    dest: Path
    changed: bool  # dest now holds different bytes than before the call
    downloaded_bytes: int  # body bytes received (0 on 304)
    sha256: str  # of dest after the call
    status: int  # 200 or 304
    attempts: int  # requests made, retries included
    etag: str | None
    last_modified: str | None


class _BodyBroken(Exception):
    """The body broke off after the headers: retried on the same urllib3 budget."""

    requests_made = 1


def retry_policy(max_retries: int = 4, backoff_base: float = 1.0, max_backoff: float = 60) -> Retry:
    """urllib3's retry policy for every download (see the module docstring)."""
    return Retry(
        total=max_retries,
        backoff_factor=backoff_base,
        backoff_max=max_backoff,
        retry_after_max=max_backoff,
        status_forcelist=RETRY_STATUSES,
        allowed_methods={"GET"},
        respect_retry_after_header=True,
        raise_on_status=False,  # the last response is returned: reported with its status below
    )


def retrying_session(retry: Retry | None = None) -> requests.Session:
    """A requests session whose adapters retry with ``retry`` (default :func:`retry_policy`)."""
    session = requests.Session()
    adapter = HTTPAdapter(max_retries=retry or retry_policy())
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session


# ------------------------------------------------------------------------------------------------------------ state


def _file_sha256(path: Path) -> str | None:
    if not path.is_file():
        return None
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(1024 * 1024):
            digest.update(chunk)
    return digest.hexdigest()


def state_path(state_dir: Path, url: str) -> Path:
    """The state file of ``url`` (one small JSON file per URL, so parallel fetches of different URLs never race)."""
    return Path(state_dir) / f"{hashlib.sha256(url.encode()).hexdigest()[:32]}.json"


def load_state(state_dir: Path, url: str) -> dict | None:
    path = state_path(state_dir, url)
    try:
        state = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        log.warning("ignoring unreadable fetch state %s (%s); fetching unconditionally", path, type(exc).__name__)
        return None
    return state if isinstance(state, dict) and state.get("url") == url else None


def _atomic_write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


# ------------------------------------------------------------------------------------------------------------ fetch


def fetch(
    url: str,
    dest: Path,
    *,
    state_dir: Path,
    session: requests.Session | None = None,
    headers: Mapping[str, str] | None = None,
    connect_timeout: float = 10,
    read_timeout: float = 60,
    total_timeout: float | None = None,
    max_retries: int = 4,
    backoff_base: float = 1.0,
    max_backoff: float = 60,
    expected_content_types: Iterable[str] | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
    validate: Callable[[Path], object] | None = None,
) -> FetchResult:
    """Download ``url`` to ``dest`` if it changed upstream (see the module docstring).

    ``expected_content_types``: accepted media types (``None``: anything but HTML; a missing Content-Type counts as
    ``application/octet-stream``). ``read_timeout`` bounds each socket read, ``total_timeout`` (optional) the whole
    body of one attempt. ``session``: reused as given (its adapters decide the retries); default a
    :func:`retrying_session`. ``validate`` is called with the downloaded temporary file when the bytes changed,
    before it replaces ``dest``; if it raises, ``dest`` and the state stay as they were. Raises :class:`FetchError`.
    """
    if max_retries < 0:
        raise ValueError("max_retries must be >= 0")
    dest, state_dir = Path(dest), Path(state_dir)
    retry = retry_policy(max_retries, backoff_base, max_backoff)
    own_session = session is None
    session = session or retrying_session(retry)
    expected = None if expected_content_types is None else frozenset(t.lower() for t in expected_content_types)

    state = load_state(state_dir, url)
    current_sha = _file_sha256(dest)
    request_headers = dict(headers or {})
    if state and current_sha and state.get("sha256") == current_sha:
        if state.get("etag"):
            request_headers["If-None-Match"] = state["etag"]
        if state.get("last_modified"):
            request_headers["If-Modified-Since"] = state["last_modified"]
    conditional = "If-None-Match" in request_headers or "If-Modified-Since" in request_headers

    attempts = 0
    try:
        while True:
            try:
                resp, tmp, new_sha, nbytes, requests_made = _attempt(
                    session, url, dest, request_headers, conditional, (connect_timeout, read_timeout),
                    total_timeout, expected, max_bytes,
                )  # fmt: skip
                attempts += requests_made
                break
            except _BodyBroken as exc:
                attempts += exc.requests_made
                try:
                    retry = retry.increment("GET", url, error=ProtocolError(str(exc)))
                except MaxRetryError:
                    raise FetchError(url, f"{exc}; gave up after {attempts} attempts", attempts=attempts) from None
                log.warning("%s: %s; retrying", url, exc)
                retry.sleep()
            except FetchError as exc:
                exc.attempts = attempts + (exc.attempts or 1)
                raise
    finally:
        if own_session:
            session.close()

    old = state or {}
    etag = resp.headers.get("ETag")
    last_modified = resp.headers.get("Last-Modified")
    if tmp is None:  # 304: it may carry updated validators; otherwise keep the stored ones
        etag, last_modified = etag or old.get("etag"), last_modified or old.get("last_modified")
        assert current_sha is not None
        new_sha, status, changed = current_sha, 304, False
    else:
        status, changed = 200, new_sha != current_sha
        try:
            if changed and validate is not None:
                try:
                    validate(Path(tmp))
                except Exception as exc:
                    raise FetchError(
                        url, f"downloaded file rejected by validation ({type(exc).__name__}: {exc}); {dest} kept",
                        status=200, attempts=attempts,
                    ) from exc  # fmt: skip
            if changed:
                try:
                    os.replace(tmp, dest)
                except OSError as exc:
                    raise FetchError(url, f"cannot replace {dest}: {exc.strerror}", attempts=attempts) from None
        finally:
            with contextlib.suppress(OSError):
                os.unlink(tmp)  # gone already when it replaced dest
    now = datetime.now(UTC).isoformat(timespec="seconds")
    record = {"url": url, "dest": str(dest), "etag": etag, "last_modified": last_modified, "sha256": new_sha}
    record |= {"bytes": dest.stat().st_size, "checked_at": now, "changed_at": now if changed else old.get("changed_at")}
    _atomic_write(state_path(state_dir, url), json.dumps(record, indent=1, sort_keys=True).encode())
    log.info("%s: HTTP %d, %s, %d bytes downloaded", url, status, "changed" if changed else "unchanged", nbytes)
    return FetchResult(url, dest, changed, nbytes, new_sha, status, attempts, etag, last_modified)


def _attempt(
    session: requests.Session,
    url: str,
    dest: Path,
    headers: dict[str, str],
    conditional: bool,
    timeout: tuple[float, float],
    total_timeout: float | None,
    expected: frozenset[str] | None,
    max_bytes: int,
) -> tuple[requests.Response, str | None, str | None, int, int]:
    """One request (urllib3 retrying inside it). Returns (response, temp file or None on 304, sha256, bytes,
    requests made); raises _BodyBroken or FetchError."""
    try:
        resp = session.get(url, headers=headers, stream=True, timeout=timeout)
    except requests.RequestException as exc:
        cause = getattr(exc.args[0], "reason", None) if exc.args else None  # requests wraps urllib3's MaxRetryError
        timed_out = isinstance(exc, requests.Timeout) or (
            isinstance(cause, ReadTimeoutError) and not isinstance(cause, NewConnectionError)
        )
        kind = "timed out" if timed_out else "connection failed"
        retries = getattr(session.get_adapter(url), "max_retries", None)
        made = (retries.total or 0) + 1 if isinstance(retries, Retry) and isinstance(retries.total, int) else 1
        raise FetchError(
            url, f"{kind} ({type(cause or exc).__name__}: {cause or exc}); gave up after {made} attempts", attempts=made
        ) from None
    with resp:
        history = getattr(getattr(resp.raw, "retries", None), "history", ()) or ()
        made = 1 + len(history)
        status = resp.status_code
        what = f"HTTP {status} {resp.reason or ''}".rstrip()
        if status == 304:
            if not conditional:
                raise FetchError(url, "HTTP 304 Not Modified to an unconditional request", status=status, attempts=made)
            return resp, None, None, 0, made
        if status in RETRY_STATUSES:
            raise FetchError(url, f"{what}; gave up after {made} attempts", status=status, attempts=made)
        if status != 200:
            raise FetchError(url, what, status=status, attempts=made)
        media = (resp.headers.get("Content-Type") or "").split(";", 1)[0].strip().lower() or None
        if media in HTML_TYPES:
            raise FetchError(url, f"served content type {media!r}: an HTML page, not data", status=200, attempts=made)
        if expected is not None and (media or "application/octet-stream") not in expected:
            raise FetchError(
                url, f"unexpected content type {media or '(none)'!r}; expected one of {sorted(expected)}",
                status=200, attempts=made,
            )  # fmt: skip
        declared = resp.headers.get("Content-Length")
        if declared is not None and declared.isdigit() and int(declared) > max_bytes:
            raise FetchError(
                url, f"Content-Length {declared} exceeds the {max_bytes}-byte limit; not downloaded", status=200,
                attempts=made,
            )  # fmt: skip
        try:
            tmp, sha, nbytes = _stream(resp, url, dest, max_bytes, total_timeout)
        except _BodyBroken as exc:
            exc.requests_made = made
            raise
        return resp, tmp, sha, nbytes, made


def _stream(
    resp: requests.Response, url: str, dest: Path, max_bytes: int, total_timeout: float | None
) -> tuple[str, str, int]:
    """Body -> fsynced temp file next to dest. Returns (temp path, sha256, bytes); the temp file is gone on failure.
    urllib3 checks the length against ``Content-Length`` (a short body raises, as a broken connection does)."""
    try:
        dest.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=dest.parent, prefix=f".{dest.name}.", suffix=".part")
    except OSError as exc:
        raise FetchError(url, f"cannot write to {dest.parent}: {exc.strerror}") from None
    digest, nbytes, started = hashlib.sha256(), 0, time.monotonic()
    try:
        with os.fdopen(fd, "wb") as fh:
            try:
                for chunk in resp.iter_content(CHUNK_SIZE):
                    nbytes += len(chunk)
                    if nbytes > max_bytes:
                        raise FetchError(url, f"body exceeds the {max_bytes}-byte limit; download aborted")
                    if total_timeout is not None and time.monotonic() - started > total_timeout:
                        raise _BodyBroken(f"body not complete after {total_timeout} s ({nbytes} bytes)")
                    digest.update(chunk)
                    fh.write(chunk)
            except (requests.ConnectionError, requests.exceptions.ChunkedEncodingError) as exc:
                raise _BodyBroken(f"body truncated or connection broken after {nbytes} bytes ({exc})") from None
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o644)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    return tmp, digest.hexdigest(), nbytes


# -------------------------------------------------------------------------------------------------------- fetch_all


def confined_path(data_dir: Path, relpath: str) -> Path:
    """``data_dir / relpath``, refusing absolute paths and anything resolving outside ``data_dir`` (``..``, links)."""
    root = Path(data_dir).resolve()
    if Path(relpath).is_absolute():
        raise ValueError(f"refusing absolute source path {relpath!r}: must be relative to {root}")
    path = (root / relpath).resolve()
    if path == root or not path.is_relative_to(root):
        raise ValueError(f"refusing source path {relpath!r}: resolves to {path}, outside the data folder {root}")
    return path


def fetch_all(
    names: Iterable[str] | None,
    data_dir: Path,
    *,
    base_url: str | None = None,
    state_dir: Path | None = None,
    sources: Iterable[SourceFile] = ALL_SOURCES,
    session: requests.Session | None = None,
    allow_bundled: bool = False,
    validate: Callable[[SourceFile, Path], object] | None = None,
    **kw,
) -> dict[str, FetchResult]:
    """Fetch the named registry sources (all when ``names`` is None) to ``data_dir / relpath``.

    URL, accepted content types and size cap come from :func:`sources.locations.location_for` (``base_url``
    rebases every URL); ``kw`` goes to :func:`fetch` (timeouts, retries, ``headers``…). State lives in
    ``state_dir`` (default ``data_dir/.fetch_state``). Every path is checked before anything is downloaded. A
    failing source does not stop the others; if any failed, :class:`FetchAllError` is raised at the end with the
    successful ``results`` and the ``errors``.

    ``validate(source, temp_path)`` (e.g. ``lambda s, p: read_eurostat(p, s.name)``) vets each changed download
    before it replaces the previous file.

    The bundled ``data/raw`` holds documented byte-for-byte copies (see each PROVENANCE.md) and is refused as a
    target unless ``allow_bundled=True``: point live mode at its own folder (``$URBAN_SAFETY_DATA_DIR``).
    """
    for forbidden in ("expected_content_types", "max_bytes"):
        if forbidden in kw:
            raise TypeError(f"fetch_all takes {forbidden} from sources.locations, not as an argument")
    by_name = {s.name: s for s in sources}
    names = list(by_name) if names is None else list(names)
    unknown = [n for n in names if n not in by_name]
    if unknown:
        raise KeyError(f"unknown sources {unknown}; known: {', '.join(sorted(by_name))}")
    root = Path(data_dir).resolve()
    dests = {n: confined_path(root, by_name[n].relpath) for n in names}
    bundled = BUNDLED_DATA_DIR.resolve()
    if not allow_bundled and any(d.is_relative_to(bundled) for d in dests.values()):
        raise ValueError(
            f"refusing to overwrite the bundled data in {bundled}: fetch into another folder "
            "(e.g. $URBAN_SAFETY_DATA_DIR) or pass allow_bundled=True"
        )
    locations = {n: location_for(n, base_url) for n in names}
    state_dir = Path(state_dir) if state_dir is not None else root / STATE_DIRNAME

    own_session = session is None
    if session is None:
        policy = {k: kw[k] for k in ("max_retries", "backoff_base", "max_backoff") if k in kw}
        session = retrying_session(retry_policy(**policy))
    results: dict[str, FetchResult] = {}
    errors: dict[str, FetchError] = {}
    try:
        for name in names:
            loc = locations[name]
            try:
                results[name] = fetch(
                    loc.url,
                    dests[name],
                    state_dir=state_dir,
                    session=session,
                    expected_content_types=loc.expected_content_types,
                    max_bytes=loc.max_bytes,
                    validate=None if validate is None else functools.partial(validate, by_name[name]),
                    **kw,
                )
            except FetchError as exc:
                log.error("%s: %s", name, exc)
                errors[name] = exc
    finally:
        if own_session:
            session.close()
    if errors:
        raise FetchAllError(results, errors)
    return results
