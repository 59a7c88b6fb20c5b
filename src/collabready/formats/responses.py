"""Reading and writing response and score files (Parquet or CSV)."""

from __future__ import annotations

from pathlib import Path

import polars as pl

from collabready.errors import InputFileError

SUFFIXES = (".parquet", ".csv")


def check_table_suffix(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        raise InputFileError(
            f"{path}: unknown file type {suffix or '(none)'!r}; use .parquet or .csv"
        )
    return suffix


def check_output_table(path: Path, *, suffixes: tuple[str, ...] = SUFFIXES) -> str:
    """Check, before any work is done, that a table can be written to ``path``."""
    suffix = path.suffix.lower()
    if suffix not in suffixes:
        allowed = " or ".join(suffixes)
        raise InputFileError(f"{path}: unknown file type {suffix or '(none)'!r}; use {allowed}")
    if not path.parent.exists():
        raise InputFileError(f"{path.parent}: no such directory")
    if path.is_dir():
        raise InputFileError(f"{path}: is a directory, not a file")
    return suffix


def read_table(path: Path) -> pl.DataFrame:
    """Read a Parquet or CSV file, with errors that name the file and the problem."""
    suffix = check_table_suffix(path)
    if not path.exists():
        raise InputFileError(f"{path}: no such file")
    if path.is_dir():
        raise InputFileError(f"{path}: is a directory, not a file")
    try:
        if suffix == ".parquet":
            return pl.read_parquet(path)
        return pl.read_csv(path, infer_schema_length=10_000)
    except (pl.exceptions.PolarsError, OSError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        kind = "Parquet" if suffix == ".parquet" else "CSV"
        raise InputFileError(f"{path}: not a readable {kind} file ({first})") from None


def write_table(frame: pl.DataFrame, path: Path) -> None:
    """Write a frame as Parquet or CSV by the file's suffix, atomically."""
    suffix = check_table_suffix(path)
    if not path.parent.exists():
        raise InputFileError(f"{path.parent}: no such directory")
    tmp = path.with_name(f".{path.name}.partial")
    try:
        if suffix == ".parquet":
            frame.write_parquet(tmp, statistics=False)
        else:
            frame.write_csv(tmp)
        tmp.replace(path)
    finally:
        tmp.unlink(missing_ok=True)
