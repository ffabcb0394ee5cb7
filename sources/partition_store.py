"""Where landed Parquet partitions live: a local folder, or a bucket of any S3-compatible object store.

``URBAN_SAFETY_PARQUET_ROOT`` is a folder (``warehouse/incidents`` by default) or ``s3://bucket/prefix``; the S3
endpoint and credentials come from the standard AWS variables (``AWS_ENDPOINT_URL``, ``AWS_ACCESS_KEY_ID``,
``AWS_SECRET_ACCESS_KEY``, ``AWS_DEFAULT_REGION``), as for every AWS client. pyarrow's filesystems do the I/O for
object stores (local folders are plain files), so the landing code is the same; only replacing a whole partition
differs:

* a folder is written next to its target and renamed into place (readers see the old partition or the new one);
* an object store has no rename: the partition's manifest is deleted first (readers then see the partition as
  "not landed" and refuse it), the data files are uploaded, the manifest is uploaded last, and objects of the
  previous version that the new one does not have are deleted. A partition is landed iff its manifest exists.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

import polars as pl

if TYPE_CHECKING:
    import pyarrow.fs as pafs

REMOTE_SCHEMES = ("s3://",)


def _replace_local_file(target: Path, write: Callable[[Path], object]) -> None:
    """``write`` a temporary file next to ``target``, then rename it over ``target``: readers see the old file or
    the new one, never half of one."""
    target.parent.mkdir(parents=True, exist_ok=True)
    temp = target.with_name(f".{target.name}.{uuid.uuid4().hex[:8]}")
    try:
        write(temp)
        os.replace(temp, target)
    finally:
        temp.unlink(missing_ok=True)  # only left when writing failed


@dataclass(frozen=True)
class PartitionStore:
    """A root folder or ``s3://bucket/prefix``; every path below is relative to it, with ``/`` separators."""

    root: str

    @classmethod
    def at(cls, root: str | Path | PartitionStore) -> PartitionStore:
        if isinstance(root, PartitionStore):
            return root
        text = str(root)
        return cls(text if text.startswith(REMOTE_SCHEMES) else str(Path(text).resolve()))

    @property
    def is_remote(self) -> bool:
        return self.root.startswith(REMOTE_SCHEMES)

    @property
    def local_root(self) -> Path | None:
        """The folder, for engines that read local files only (DuckDB without httpfs); None for object storage."""
        return None if self.is_remote else Path(self.root)

    @cached_property
    def _fs_and_base(self) -> tuple[pafs.FileSystem, str]:
        """The object store's filesystem (pyarrow, imported when first used) and the bucket path of the root."""
        import pyarrow.fs as pafs

        return pafs.FileSystem.from_uri(self.root.rstrip("/"))

    @property
    def _fs(self) -> pafs.FileSystem:
        return self._fs_and_base[0]

    def _path(self, relative: str) -> str:
        base = self._fs_and_base[1] if self.is_remote else self.root
        return f"{base.rstrip('/')}/{relative}".rstrip("/")

    def uri(self, relative: str = "") -> str:
        """Where ``relative`` is, as a user would type it (for logs and metadata)."""
        return f"{self.root.rstrip('/')}/{relative}".rstrip("/")

    def exists(self, relative: str) -> bool:
        if not self.is_remote:
            return Path(self._path(relative)).is_file()
        import pyarrow.fs as pafs

        return self._fs.get_file_info(self._path(relative)).type == pafs.FileType.File

    def read_text(self, relative: str) -> str | None:
        if not self.is_remote:
            path = Path(self._path(relative))
            return path.read_text(encoding="utf-8") if path.is_file() else None
        try:
            with self._fs.open_input_stream(self._path(relative)) as stream:
                return stream.read().decode("utf-8")
        except FileNotFoundError:
            return None

    def write_text(self, relative: str, text: str) -> None:
        """One file replaced whole (a rename locally; a single PUT, atomic by itself, in an object store)."""
        if self.is_remote:
            with self._fs.open_output_stream(self._path(relative)) as stream:
                stream.write(text.encode("utf-8"))
            return
        _replace_local_file(Path(self._path(relative)), lambda temp: temp.write_text(text, encoding="utf-8"))

    def read_parquet(self, relative: str, columns: list[str] | None = None) -> pl.DataFrame:
        if not self.is_remote:
            return pl.read_parquet(self._path(relative), columns=columns)
        import pyarrow.parquet as pq

        table = pq.read_table(self._path(relative), filesystem=self._fs, columns=columns)
        return pl.from_arrow(table)  # type: ignore[return-value]

    def write_parquet(self, relative: str, frame: pl.DataFrame) -> None:
        """One Parquet file replaced whole."""
        if self.is_remote:
            import pyarrow.parquet as pq

            pq.write_table(frame.to_arrow(), self._path(relative), filesystem=self._fs, compression="zstd")
            return
        _replace_local_file(Path(self._path(relative)), lambda temp: frame.write_parquet(temp, compression="zstd"))

    def folders(self, relative: str) -> list[str]:
        """Names of the folders directly under ``relative`` (none when it does not exist)."""
        if not self.is_remote:
            base = Path(self._path(relative))
            return sorted(p.name for p in base.iterdir() if p.is_dir()) if base.is_dir() else []
        import pyarrow.fs as pafs

        selector = pafs.FileSelector(self._path(relative), allow_not_found=True, recursive=False)
        infos = self._fs.get_file_info(selector)
        return sorted(i.base_name for i in infos if i.type == pafs.FileType.Directory)

    def remove(self, relative: str) -> None:
        """Delete a folder and everything in it (nothing when it is not there)."""
        if self.is_remote:
            import pyarrow.fs as pafs

            if self._fs.get_file_info(self._path(relative)).type != pafs.FileType.NotFound:
                self._fs.delete_dir(self._path(relative))
            return
        shutil.rmtree(self._path(relative), ignore_errors=True)

    @contextmanager
    def new_folder(self, relative: str, commit_file: str) -> Iterator[Path]:
        """A local folder to write a partition into; on success it replaces ``relative`` whole, ``commit_file``
        (the manifest) arriving last; on failure nothing of it is kept and the previous partition stays."""
        if self.is_remote:
            staging = Path(tempfile.mkdtemp(prefix="partition-"))
        else:
            target = Path(self._path(relative))
            target.parent.mkdir(parents=True, exist_ok=True)
            staging = target.parent / f".tmp-{target.name}-{uuid.uuid4().hex[:8]}"
            staging.mkdir()
        try:
            yield staging
            self._replace(relative, staging, commit_file)
        finally:
            shutil.rmtree(staging, ignore_errors=True)

    def _replace(self, relative: str, staging: Path, commit_file: str) -> None:
        target = self._path(relative)
        if not self.is_remote:
            old = Path(target).with_name(f".old-{Path(target).name}-{uuid.uuid4().hex[:8]}")
            if Path(target).exists():
                Path(target).rename(old)
            staging.rename(target)
            shutil.rmtree(old, ignore_errors=True)
            return
        import pyarrow.fs as pafs

        fs = self._fs
        previous = fs.get_file_info(pafs.FileSelector(target, allow_not_found=True, recursive=True))
        if fs.get_file_info(f"{target}/{commit_file}").type == pafs.FileType.File:
            fs.delete_file(f"{target}/{commit_file}")  # from here on readers see "not landed", never a mix
        names = sorted(p.name for p in staging.iterdir() if p.is_file() and p.name != commit_file)
        for name in [*names, commit_file]:
            with (staging / name).open("rb") as source, fs.open_output_stream(f"{target}/{name}") as sink:
                shutil.copyfileobj(source, sink, length=8 << 20)
        kept = {f"{target}/{name}" for name in [*names, commit_file]}
        for info in previous:
            if info.type == pafs.FileType.File and info.path not in kept:
                fs.delete_file(info.path)
