"""Every API error message is Chinese: pydantic's validation errors are answered from
``app.web.errors``' message table, with the crossed bound filled in, and a type the table does not
know answers ``取值无效`` rather than pydantic's English text."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from typing import Annotated, Literal

import pytest
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from app.web.errors import validation_message
from tests.accounts_support import make_user
from tests.entry_support import api_client

CJK = re.compile(r"[\u4e00-\u9fff]")
# words allowed inside a Chinese message: format names the clerk types
ALLOWED_LATIN = {"YYYY", "MM", "DD", "HH", "SS", "JSON", "UUID", "Unicode", "T"}


def _assert_chinese(message: str) -> None:
    assert CJK.search(message), message
    prose = re.sub(r"（可选：[^）]*）", "", message)  # the choices are the values as typed
    latin = set(re.findall(r"[A-Za-z]+", prose)) - ALLOWED_LATIN
    assert not latin, f"{message!r} carries {latin}"


class _Everything(BaseModel):
    model_config = ConfigDict(extra="forbid")

    whole: Annotated[int, Field(ge=1, le=1000)]
    positive: Annotated[int, Field(gt=0, lt=10)]
    amount: Annotated[Decimal, Field(max_digits=6, decimal_places=2)]
    name: Annotated[str, Field(min_length=2, max_length=4, pattern=r"^[a-z]+$")]
    items: Annotated[list[int], Field(min_length=1, max_length=2)]
    format: Literal["json", "csv", "xlsx"]
    day: date
    flag: bool


BAD_VALUES = [
    {"whole": 0},
    {"whole": 1001},
    {"whole": "十"},
    {"whole": 1.5},
    {"positive": 0},
    {"positive": 10},
    {"amount": "abc"},
    {"amount": "12345.678"},
    {"amount": "inf"},
    {"name": "a"},
    {"name": "abcdefg"},
    {"name": "AB"},
    {"name": 3},
    {"items": []},
    {"items": [1, 2, 3]},
    {"items": "x"},
    {"format": "pdf"},
    {"day": "2026-13-01"},
    {"flag": "maybe"},
    {"unknown_field": 1},
]
GOOD = {
    "whole": 5,
    "positive": 5,
    "amount": "1.50",
    "name": "abc",
    "items": [1],
    "format": "json",
    "day": "2026-01-01",
    "flag": True,
}


@pytest.mark.parametrize(
    "bad", BAD_VALUES, ids=lambda bad: next(iter(bad)) + "=" + repr(next(iter(bad.values())))
)
def test_each_validation_error_reads_in_chinese(bad):
    with pytest.raises(ValidationError) as caught:
        _Everything.model_validate({**GOOD, **bad})
    for err in caught.value.errors():
        _assert_chinese(validation_message(err))


def test_a_crossed_bound_is_named_and_a_choice_lists_the_choices():
    with pytest.raises(ValidationError) as caught:
        _Everything.model_validate({**GOOD, "whole": 1001, "format": "pdf"})
    messages = {err["loc"][0]: validation_message(err) for err in caught.value.errors()}
    assert messages == {"whole": "应不大于 1000", "format": "取值不在允许范围内（可选：json、csv、xlsx）"}


def test_an_unknown_error_type_answers_in_chinese_not_in_pydantics_english():
    assert validation_message({"type": "some_future_type", "msg": "Input should be nice"}) == "取值无效"
    assert validation_message({"type": "less_than_equal", "msg": "Input should be <= 3"}) == "取值无效"


def test_an_out_of_range_limit_answers_422_in_chinese_at_its_field(app, db):
    finance = api_client(app, db, make_user(db, "fin", "finance"), scope="read")
    response = finance.get("/api/v1/summaries", params={"year": 2023, "limit": 100000})
    assert response.status_code == 422
    (item,) = response.json()["detail"]
    assert item["loc"] == ["query", "limit"]
    assert item["msg"] == "应不大于 1000"
