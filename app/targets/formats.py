"""Read a published target table from a file: pick the layout, decode, parse.

``READERS`` maps a format name to a function ``(data: bytes, source: str) -> ParsedTable``;
a new layout (xlsx, csv, html) is one entry there and one in ``EXTENSIONS``.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from app.targets.types import ParsedTable, TableFormatError

FORMATS = ("auto", "text", "xlsx", "csv", "html")
EXTENSIONS = {
    ".txt": "text",
    ".tsv": "text",
    ".tab": "text",
    ".xlsx": "xlsx",
    ".xlsm": "xlsx",
    ".csv": "csv",
    ".html": "html",
    ".htm": "html",
}


def decode_text(data: bytes) -> str:
    """Decode UTF-8 (with or without BOM), UTF-16 with BOM, or GBK/GB18030.

    Raises :class:`TableFormatError` for binary content or an unknown encoding, with the line.
    """
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            pass
    nul = data.find(b"\x00")
    if nul >= 0:
        line = data.count(b"\n", 0, nul) + 1
        raise TableFormatError(f"第{line}行起含有二进制内容，不是文本格式的绩效目标表。")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        utf8_error = exc
    try:
        return data.decode("gb18030")
    except UnicodeDecodeError:
        line = data.count(b"\n", 0, utf8_error.start) + 1
        raise TableFormatError(
            f"第{line}行：无法识别文件编码（既不是 UTF-8 也不是 GBK），或文件不是文本。"
        ) from None


def _read_text(data: bytes, source: str) -> ParsedTable:
    from app.targets.text_layout import parse_text_table

    return parse_text_table(decode_text(data), source=source)


READERS: dict[str, Callable[[bytes, str], ParsedTable]] = {
    "text": _read_text,
}


def detect_format(data: bytes, name: str = "") -> str:
    """The format of a file from its extension, else from its first bytes."""
    fmt = EXTENSIONS.get(Path(name).suffix.lower())
    if fmt:
        return fmt
    if data.startswith(b"PK\x03\x04"):
        return "xlsx"
    head = data[:2048].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if head.startswith(b"<") and (
        b"<table" in data[:65536].lower() or head.startswith((b"<!doctype", b"<html"))
    ):
        return "html"
    return "text"


def parse_bytes(data: bytes, *, format: str = "auto", source: str = "") -> ParsedTable:
    """Parse the bytes of a table file; ``source`` (a file name) helps detect the format."""
    fmt = detect_format(data, source) if format == "auto" else format
    reader = READERS.get(fmt)
    if reader is None:
        supported = "、".join(READERS)
        raise TableFormatError(f"暂不支持 {fmt} 格式（目前支持：{supported}）。")
    return reader(data, "")


def read_table(path: Path, *, format: str = "auto") -> ParsedTable:
    """Read and parse one published target table. Raises :class:`TableFormatError`."""
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise TableFormatError(f"无法读取文件（{exc.strerror or exc}）。") from None
    return parse_bytes(data, format=format, source=Path(path).name)
