"""The shared Jinja2 environment and number formatting filters."""

from __future__ import annotations

from decimal import Decimal

from fastapi.templating import Jinja2Templates

from app.core.config import PROJECT_ROOT
from app.targets.types import decimal_str

templates = Jinja2Templates(directory=str(PROJECT_ROOT / "templates"))


def fmt_decimal(value: Decimal | None, places: int = 2) -> str:
    """Show money and scores with fixed places (``50.00``); blank for None."""
    if value is None:
        return ""
    return f"{Decimal(value):,.{places}f}"


templates.env.filters["dec"] = fmt_decimal
templates.env.filters["plain"] = decimal_str
