"""Uniform access to a scan given as a path or as bytes (an upload)."""

from __future__ import annotations

import hashlib
import io
import os
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Union

from ballistics_core.errors import ScanFormatError
from ballistics_core.io.limits import MAX_FILE_BYTES

ScanSource = Union[str, os.PathLike, bytes, bytearray, memoryview]

_HEAD_BYTES = 32
_HASH_CHUNK = 1 << 20
#: Files up to this size are read once into memory, so the bytes hashed are
#: exactly the bytes decoded even if the file changes on disk meanwhile.
_READ_ONCE_BYTES = 256_000_000


@dataclass(frozen=True)
class SourceFile:
    """An input file: display name, size, SHA-256 of its bytes and its first bytes."""

    name: str
    size: int
    sha256: str
    head: bytes
    path: Path | None = None
    data: bytes | None = None

    def open(self) -> BinaryIO:
        if self.data is not None:
            return io.BytesIO(self.data)
        assert self.path is not None
        return open(self.path, "rb")


def open_source(source: ScanSource, *, name: str | None = None) -> SourceFile:
    """Hash and size-check ``source`` without decoding it.

    Raises
    ------
    ScanFormatError
        If the input is empty or larger than ``MAX_FILE_BYTES``.
    FileNotFoundError, IsADirectoryError, PermissionError
        For paths that cannot be opened.
    """
    if isinstance(source, (bytes, bytearray, memoryview)):
        data = bytes(source)
        _check_size(len(data))
        return SourceFile(
            name=name or "<bytes>",
            size=len(data),
            sha256=hashlib.sha256(data).hexdigest(),
            head=data[:_HEAD_BYTES],
            data=data,
        )
    if not isinstance(source, (str, os.PathLike)):
        raise TypeError(f"source must be a path or bytes, got {type(source).__name__}")
    path = Path(source)
    with open(path, "rb") as fh:
        size = os.fstat(fh.fileno()).st_size
        _check_size(size)
        if size <= _READ_ONCE_BYTES:
            data = fh.read()
            _check_size(len(data))
            return SourceFile(
                name=name or path.name,
                size=len(data),
                sha256=hashlib.sha256(data).hexdigest(),
                head=data[:_HEAD_BYTES],
                path=path,
                data=data,
            )
        digest = hashlib.sha256()
        head = fh.read(_HEAD_BYTES)
        digest.update(head)
        while chunk := fh.read(_HASH_CHUNK):
            digest.update(chunk)
    return SourceFile(name=name or path.name, size=size, sha256=digest.hexdigest(), head=head, path=path)


def _check_size(size: int) -> None:
    if size == 0:
        raise ScanFormatError("file is empty")
    if size > MAX_FILE_BYTES:
        raise ScanFormatError(f"file is too large: {size} bytes (limit {MAX_FILE_BYTES})")
