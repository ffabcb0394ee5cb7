"""Live download of the raw source files: conditional GET, bounded retries, checks, atomic replace.

``fetch(url, dest, state_dir=...)`` downloads one URL to one file:

* Conditional GET. After a download the response's ``ETag`` / ``Last-Modified`` and the sha256 of the stored
  file are kept in a small JSON file per URL under ``state_dir``. The next call sends ``If-None-Match`` /
  ``If-Modified-Since``; a ``304`` leaves the file untouched (``changed=False, downloaded_bytes=0``). If ``dest``
  is missing or its sha256 no longer matches the state, the request is unconditional.
* Retries with exponential backoff (``backoff_base * 2**n``, capped at ``max_backoff``; optional injected
  jitter) on connection errors, timeouts, truncated bodies, 408, 429 and 5xx. ``Retry-After`` (seconds or an
  HTTP date) replaces the backoff, capped at ``max_backoff``. Other 4xx fail at once. ``max_retries`` counts
  retries: at most ``max_retries + 1`` requests.
* Checks: an HTML page is never data, whatever its status; the media type must be one of
  ``expected_content_types``; ``Content-Length`` above ``max_bytes`` is refused before the body is read and a
  body growing past ``max_bytes`` is aborted; fewer bytes than ``Content-Length`` is a (retried) truncation.
* The body streams into a temporary file next to ``dest`` (sha256 computed on the way), is fsynced and
  ``os.replace``d onto ``dest``. A failure removes the temporary file; ``dest`` is never partially written.
  A 200 whose body is byte-identical to ``dest`` (new ETag, same content) leaves ``dest`` untouched
  (``changed=False``, ``downloaded_bytes`` > 0) and records the new validators.

Secrets: query parameters such as ``$$app_token`` (Socrata), ``token``, ``api_key`` and headers such as
``Authorization`` / ``X-App-Token`` never appear in error messages, log lines, ``FetchResult.url`` or the state
files; URLs are shown with those values replaced by ``***``.

``fetch_all(names, data_dir, base_url=...)`` fetches registry sources to ``data_dir / SourceFile.relpath``
(refusing relpaths that resolve outside ``data_dir``) using :mod:`sources.locations`.
"""

from __future__ import annotations

import contextlib
import email.utils
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
from urllib.parse import parse_qsl, quote, quote_plus, urlencode, urlsplit, urlunsplit

import requests

from sources.config import BUNDLED_DATA_DIR
from sources.locations import location_for
from sources.registry import ALL_SOURCES, SourceFile

log = logging.getLogger(__name__)

CHUNK_SIZE = 64 * 1024
DEFAULT_MAX_BYTES = 200 * 1024 * 1024
STATE_DIRNAME = ".fetch_state"
HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})
RETRY_STATUSES = frozenset({408, 429})  # plus every 5xx

SECRET_PARAMS = frozenset(
    {"app_token", "token", "access_token", "api_key", "apikey", "key", "secret", "client_secret", "password"}
    | {"passwd", "signature", "sig", "auth", "x-amz-signature", "x-amz-credential", "x-amz-security-token"}
)
SECRET_PARAM_SUFFIXES = ("_token", "-token", "_key", "-key", "_secret", "password")
SECRET_HEADERS = frozenset(
    {"authorization", "proxy-authorization", "cookie", "x-app-token", "x-api-key", "api-key", "x-auth-token"}
)
REDACTED = "***"


class FetchError(RuntimeError):
    """A download that failed. The message names the (redacted) URL and the reason, never a secret."""

    def __init__(self, url: str, reason: str, *, status: int | None = None, attempts: int | None = None):
        self.url = url
        self.reason = reason
        self.status = status
        self.attempts = attempts
        super().__init__(f"{url}: {reason}")


class FetchAllError(FetchError):
    """Some sources of a ``fetch_all`` failed; ``results`` holds the ones that succeeded, ``errors`` the others."""

    def __init__(self, results: dict[str, FetchResult], errors: dict[str, FetchError]):
        self.results = results
        self.errors = errors
        lines = "; ".join(f"{name}: {err}" for name, err in errors.items())
        RuntimeError.__init__(self, f"{len(errors)} of {len(results) + len(errors)} sources failed: {lines}")
        self.url = ""
        self.reason = lines
        self.status = None
        self.attempts = None


@dataclass(frozen=True)
class FetchResult:
    url: str  # redacted: secrets replaced by ***
    dest: Path
    changed: bool  # dest now holds different bytes than before the call
    downloaded_bytes: int  # body bytes received (0 on 304)
    sha256: str  # of dest after the call
    status: int  # 200 or 304
    attempts: int  # requests made, retries included
    etag: str | None
    last_modified: str | None


class _Transient(Exception):
    """A failure worth retrying."""

    def __init__(self, reason: str, status: int | None = None, retry_after: float | None = None):
        super().__init__(reason)
        self.reason = reason
        self.status = status
        self.retry_after = retry_after


# ---------------------------------------------------------------------------------------------------------- secrets


def _is_secret_param(key: str) -> bool:
    k = key.lower().lstrip("$")
    return k in SECRET_PARAMS or k.endswith(SECRET_PARAM_SUFFIXES)


def redact_url(url: str) -> str:
    """``url`` without user info and with the values of secret-looking query parameters replaced by ``***``."""
    parts = urlsplit(url)
    netloc = parts.netloc.rpartition("@")[2]
    pairs = parse_qsl(parts.query, keep_blank_values=True)
    if any(_is_secret_param(k) for k, _ in pairs):
        query = urlencode([(k, REDACTED if _is_secret_param(k) else v) for k, v in pairs], safe="$*,:")
    else:
        query = parts.query
    return urlunsplit((parts.scheme, netloc, parts.path, query, ""))


def _secrets(url: str, headers: Mapping[str, str]) -> list[str]:
    parts = urlsplit(url)
    found = [v for k, v in parse_qsl(parts.query, keep_blank_values=True) if _is_secret_param(k)]
    if parts.password:
        found.append(parts.password)
    for name, value in headers.items():
        if name.lower() in SECRET_HEADERS and value:
            found += [str(value), str(value).split()[-1]]  # "Bearer abc": hide "abc" on its own too
    variants = {s for v in found if v for s in (v, quote(v, safe=""), quote_plus(v))}
    return sorted(variants, key=len, reverse=True)


def _scrub(text: str, secrets: list[str]) -> str:
    for secret in secrets:
        text = text.replace(secret, REDACTED)
    return text


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
    key = redact_url(url)
    return Path(state_dir) / f"{hashlib.sha256(key.encode()).hexdigest()[:32]}.json"


def load_state(state_dir: Path, url: str) -> dict | None:
    path = state_path(state_dir, url)
    try:
        state = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        log.warning("ignoring unreadable fetch state %s (%s); fetching unconditionally", path, type(exc).__name__)
        return None
    return state if isinstance(state, dict) and state.get("url") == redact_url(url) else None


def _save_state(state_dir: Path, url: str, state: dict) -> None:
    path = state_path(state_dir, url)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".state.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(state, fh, indent=1, sort_keys=True)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


# ---------------------------------------------------------------------------------------------------------- helpers


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delay-seconds or HTTP-date); None if absent or unreadable."""
    if value is None or not value.strip():
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        pass
    else:
        return max(0.0, seconds) if seconds == seconds else None  # NaN -> None
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


def _media_type(content_type: str | None) -> str | None:
    if not content_type:
        return None
    return content_type.split(";", 1)[0].strip().lower() or None


def _fsync_dir(folder: Path) -> None:
    if os.name != "posix":
        return
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


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
    sleep: Callable[[float], object] = time.sleep,
    jitter: Callable[[float], float] | None = None,
    expected_content_types: Iterable[str] | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
    validate: Callable[[Path], object] | None = None,
) -> FetchResult:
    """Download ``url`` to ``dest`` if it changed upstream (see the module docstring).

    ``expected_content_types``: accepted media types (``None``: anything but HTML; a missing Content-Type counts
    as ``application/octet-stream``). ``read_timeout`` bounds each socket read, ``total_timeout`` (optional) the
    whole body of one attempt. ``sleep`` and ``jitter`` (maps the backoff delay to the delay used) are injectable
    for tests. ``validate`` (e.g. a reader) is called with the downloaded temporary file when the bytes changed,
    before it replaces ``dest``; if it raises, ``dest`` and the state stay as they were. Raises :class:`FetchError`.
    """
    if max_retries < 0:
        raise ValueError("max_retries must be >= 0")
    dest = Path(dest)
    state_dir = Path(state_dir)
    shown = redact_url(url)
    headers = dict(headers or {})
    own_session = session is None
    session = session or requests.Session()
    secrets = _secrets(url, {**session.headers, **headers})
    expected = None if expected_content_types is None else frozenset(t.lower() for t in expected_content_types)

    state = load_state(state_dir, url)
    current_sha = _file_sha256(dest)
    conditional = bool(state and current_sha and state.get("sha256") == current_sha)
    request_headers = dict(headers)
    if conditional:
        assert state is not None
        if state.get("etag"):
            request_headers["If-None-Match"] = state["etag"]
        if state.get("last_modified"):
            request_headers["If-Modified-Since"] = state["last_modified"]
        conditional = "If-None-Match" in request_headers or "If-Modified-Since" in request_headers

    attempts = 0
    try:
        while True:
            attempts += 1
            try:
                outcome = _attempt(
                    session,
                    url,
                    shown,
                    dest,
                    request_headers,
                    conditional=conditional,
                    timeout=(connect_timeout, read_timeout),
                    total_timeout=total_timeout,
                    expected=expected,
                    max_bytes=max_bytes,
                    secrets=secrets,
                )
                break
            except _Transient as exc:
                reason = _scrub(exc.reason, secrets)
                if attempts > max_retries:
                    raise FetchError(
                        shown, f"{reason}; gave up after {attempts} attempts", status=exc.status, attempts=attempts
                    ) from None
                if exc.retry_after is not None:
                    delay = min(max_backoff, exc.retry_after)
                else:
                    delay = min(max_backoff, backoff_base * 2 ** (attempts - 1))
                    if jitter is not None:
                        delay = min(max_backoff, max(0.0, jitter(delay)))
                log.warning("%s: %s; retry %d of %d in %.3g s", shown, reason, attempts, max_retries, delay)
                sleep(delay)
            except FetchError as exc:
                exc.attempts = attempts
                raise
    finally:
        if own_session:
            session.close()

    kind, resp_headers, tmp, new_sha, nbytes = outcome
    old = state or {}
    etag = resp_headers.get("ETag")
    last_modified = resp_headers.get("Last-Modified")
    if kind == "not_modified":  # a 304 may carry updated validators; otherwise keep the stored ones
        etag = etag or old.get("etag")
        last_modified = last_modified or old.get("last_modified")
        assert current_sha is not None
        new_sha, status, changed = current_sha, 304, False
    else:
        status = 200
        changed = new_sha != current_sha
        if changed and validate is not None:
            try:
                validate(Path(tmp))
            except Exception as exc:
                with contextlib.suppress(OSError):
                    os.unlink(tmp)
                reason = _scrub(f"{type(exc).__name__}: {exc}", secrets)
                raise FetchError(
                    shown,
                    f"downloaded file rejected by validation ({reason}); {dest} kept",
                    status=200,
                    attempts=attempts,
                ) from exc
        if changed:
            try:
                dest.parent.mkdir(parents=True, exist_ok=True)
                os.replace(tmp, dest)
            except OSError as exc:
                with contextlib.suppress(OSError):
                    os.unlink(tmp)
                raise FetchError(shown, f"cannot replace {dest}: {exc.strerror}", attempts=attempts) from None
            _fsync_dir(dest.parent)
        else:
            os.unlink(tmp)
    _save_state(
        state_dir,
        url,
        {
            "url": shown,
            "dest": str(dest),
            "etag": etag,
            "last_modified": last_modified,
            "sha256": new_sha,
            "bytes": dest.stat().st_size,
            "checked_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "changed_at": datetime.now(UTC).isoformat(timespec="seconds") if changed else old.get("changed_at"),
        },
    )
    log.info("%s: HTTP %d, %s, %d bytes downloaded", shown, status, "changed" if changed else "unchanged", nbytes)
    return FetchResult(shown, dest, changed, nbytes, new_sha, status, attempts, etag, last_modified)


def _attempt(
    session: requests.Session,
    url: str,
    shown: str,
    dest: Path,
    headers: dict[str, str],
    *,
    conditional: bool,
    timeout: tuple[float, float],
    total_timeout: float | None,
    expected: frozenset[str] | None,
    max_bytes: int,
    secrets: list[str],
) -> tuple[str, Mapping[str, str], str | None, str | None, int]:
    """One request. Returns (kind, response headers, temp file, sha256, bytes); raises _Transient or FetchError."""
    try:
        resp = session.get(url, headers=headers, stream=True, timeout=timeout)
    except requests.Timeout as exc:
        raise _Transient(f"timed out ({type(exc).__name__}, connect {timeout[0]} s / read {timeout[1]} s)") from None
    except requests.ConnectionError as exc:
        raise _Transient(f"connection failed ({type(exc).__name__}: {_scrub(str(exc), secrets)})") from None
    except requests.RequestException as exc:
        raise FetchError(shown, f"request failed ({type(exc).__name__}: {_scrub(str(exc), secrets)})") from None

    with resp:
        status = resp.status_code
        if status == 304:
            if not conditional:
                raise FetchError(shown, "HTTP 304 Not Modified to an unconditional request", status=status)
            return "not_modified", resp.headers, None, None, 0
        if status in RETRY_STATUSES or 500 <= status <= 599:
            raise _Transient(
                f"HTTP {status} {resp.reason or ''}".rstrip(),
                status=status,
                retry_after=parse_retry_after(resp.headers.get("Retry-After")),
            )
        if status != 200:
            raise FetchError(shown, f"HTTP {status} {resp.reason or ''}".rstrip(), status=status)

        media = _media_type(resp.headers.get("Content-Type"))
        if media in HTML_TYPES:
            raise FetchError(shown, f"served content type {media!r}: an HTML page, not data", status=status)
        if expected is not None and (media or "application/octet-stream") not in expected:
            raise FetchError(
                shown,
                f"unexpected content type {media or '(none)'!r}; expected one of {sorted(expected)}",
                status=status,
            )
        declared: int | None = None
        if resp.headers.get("Content-Length") is not None:
            try:
                declared = int(resp.headers["Content-Length"])
            except ValueError:
                raise FetchError(shown, f"invalid Content-Length {resp.headers['Content-Length']!r}") from None
            if declared > max_bytes:
                raise FetchError(
                    shown, f"Content-Length {declared} exceeds the {max_bytes}-byte limit; not downloaded", status=200
                )
        return ("downloaded", resp.headers, *_stream(resp, shown, dest, declared, max_bytes, total_timeout, secrets))


def _stream(
    resp: requests.Response,
    shown: str,
    dest: Path,
    declared: int | None,
    max_bytes: int,
    total_timeout: float | None,
    secrets: list[str],
) -> tuple[str, str, int]:
    """Body -> temp file next to dest. Returns (temp path, sha256, bytes); the temp file is gone on any failure."""
    try:
        dest.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=dest.parent, prefix=f".{dest.name}.", suffix=".part")
    except OSError as exc:
        raise FetchError(shown, f"cannot write to {dest.parent}: {exc.strerror}") from None
    digest = hashlib.sha256()
    nbytes = 0
    started = time.monotonic()
    try:
        with os.fdopen(fd, "wb") as fh:
            try:
                for chunk in resp.iter_content(CHUNK_SIZE):
                    nbytes += len(chunk)
                    if nbytes > max_bytes:
                        raise FetchError(shown, f"body exceeds the {max_bytes}-byte limit; download aborted")
                    if total_timeout is not None and time.monotonic() - started > total_timeout:
                        raise _Transient(f"body not complete after {total_timeout} s ({nbytes} bytes)")
                    digest.update(chunk)
                    fh.write(chunk)
            except (requests.ConnectionError, requests.exceptions.ChunkedEncodingError) as exc:
                got = f"{nbytes} of {declared}" if declared is not None else f"{nbytes}"
                raise _Transient(
                    f"body truncated or connection broken after {got} bytes "
                    f"({type(exc).__name__}: {_scrub(str(exc), secrets)})"
                ) from None
            except requests.exceptions.ContentDecodingError:
                raise _Transient(
                    f"undecodable body (Content-Encoding {resp.headers.get('Content-Encoding')})"
                ) from None
            wire = resp.raw.tell() if hasattr(resp.raw, "tell") else nbytes
            if declared is not None and wire < declared:
                raise _Transient(f"body truncated: {wire} of {declared} bytes")
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
    rebases every URL); ``kw`` goes to :func:`fetch` (timeouts, retries, ``sleep``, ``headers``…). State lives in
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
    session = session or requests.Session()
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
