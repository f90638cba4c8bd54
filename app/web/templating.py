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


def fmt_amount(value: Decimal | None) -> str:
    """An amount in 万元 as entered: at least 2 places, up to 4 (万元 to the 元), so ``0.0850``
    shows as ``0.085`` beside the rate computed from it, never ``0.08``; blank for None."""
    if value is None:
        return ""
    head, _, tail = f"{Decimal(value):,.4f}".partition(".")
    return f"{head}.{tail.rstrip('0').ljust(2, '0')}"


templates.env.filters["dec"] = fmt_decimal
templates.env.filters["amount"] = fmt_amount
templates.env.filters["plain"] = decimal_str
