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


def _read_grid(fmt: str) -> Callable[[bytes, str], ParsedTable]:
    def read(data: bytes, source: str) -> ParsedTable:
        from app.targets.readers import GRID_READERS

        return GRID_READERS[fmt](data, source)

    return read


READERS: dict[str, Callable[[bytes, str], ParsedTable]] = {
    "text": _read_text,
    "xlsx": _read_grid("xlsx"),  # grid layouts: app.targets.grid via app.targets.readers
    "csv": _read_grid("csv"),
    "html": _read_grid("html"),
}
# Readers that take the budget year and the unit from the file name when the table lacks them.
NAME_AWARE = frozenset({"xlsx", "csv", "html"})


def detect_format(data: bytes, name: str = "") -> str:
    """The format of a file from its content (a workbook or a web page whatever its name — sites
    serve HTML tables as ``.xls``), then its extension, then its shape: a text whose first rows
    hold a grid header (一级指标 … 指标值) is ``csv``, otherwise the published ``text`` layout."""
    from app.targets.readers import sniff_format

    sniffed = sniff_format(data, name)
    if sniffed in ("xlsx", "html"):
        return sniffed
    return "csv" if EXTENSIONS.get(Path(name).suffix.lower()) == "csv" else sniffed


def parse_bytes(data: bytes, *, format: str = "auto", source: str = "") -> ParsedTable:
    """Parse the bytes of a table file; ``source`` (a file name) helps detect the format."""
    fmt = detect_format(data, source) if format == "auto" else format
    reader = READERS.get(fmt)
    if reader is None:
        supported = "、".join(READERS)
        raise TableFormatError(f"暂不支持 {fmt} 格式（目前支持：{supported}）。")
    return reader(data, source if fmt in NAME_AWARE else "")


def read_table(path: Path, *, format: str = "auto") -> ParsedTable:
    """Read and parse one published target table. Raises :class:`TableFormatError`."""
    try:
        data = Path(path).read_bytes()
    except FileNotFoundError:
        raise TableFormatError("文件不存在。") from None
    except IsADirectoryError:
        raise TableFormatError("这是一个目录，不是文件。") from None
    except PermissionError:
        raise TableFormatError("没有读取该文件的权限。") from None
    except OSError as exc:
        raise TableFormatError(f"无法读取文件（{exc.strerror or exc}）。") from None
    return parse_bytes(data, format=format, source=Path(path).name)
