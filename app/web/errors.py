"""How an error is answered: JSON for ``/api``, a Chinese page for the web, ``/login`` for a
web request without a login. The errors themselves are in ``app/core/errors.py``."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import quote, urlsplit

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from app.core.errors import AppError, ErrorItem
from app.web.templating import templates

API_PREFIX = "/api/"

# FastAPI/pydantic validation types → Chinese messages; ``{…}`` names a value of the error's
# context (the bound that was crossed). A type not listed answers ``取值无效``, never English.
_VALIDATION_MESSAGES = {
    "missing": "必填",
    "missing_argument": "必填",
    "extra_forbidden": "不允许的字段",
    "int_parsing": "应为整数",
    "int_type": "应为整数",
    "int_from_float": "应为整数",
    "decimal_parsing": "应为数字",
    "decimal_type": "应为数字",
    "float_parsing": "应为数字",
    "float_type": "应为数字",
    "finite_number": "应为有限的数字",
    "decimal_max_digits": "数字最多 {max_digits} 位",
    "decimal_max_places": "小数最多 {decimal_places} 位",
    "decimal_whole_digits": "整数部分最多 {whole_digits} 位",
    "greater_than": "应大于 {gt}",
    "greater_than_equal": "应不小于 {ge}",
    "less_than": "应小于 {lt}",
    "less_than_equal": "应不大于 {le}",
    "multiple_of": "应为 {multiple_of} 的倍数",
    "bool_parsing": "应为是或否",
    "bool_type": "应为是或否",
    "string_type": "应为文本",
    "string_unicode": "应为有效的 Unicode 文本",
    "string_too_short": "内容过短（至少 {min_length} 个字符）",
    "string_too_long": "内容过长（最多 {max_length} 个字符）",
    "string_pattern_mismatch": "格式不符合要求",
    "too_short": "至少 {min_length} 项",
    "too_long": "最多 {max_length} 项",
    "date_from_datetime_parsing": "应为日期（YYYY-MM-DD）",
    "date_parsing": "应为日期（YYYY-MM-DD）",
    "date_type": "应为日期（YYYY-MM-DD）",
    "datetime_parsing": "应为日期时间（YYYY-MM-DDTHH:MM:SS）",
    "datetime_type": "应为日期时间（YYYY-MM-DDTHH:MM:SS）",
    "literal_error": "取值不在允许范围内（可选：{expected}）",
    "enum": "取值不在允许范围内（可选：{expected}）",
    "json_invalid": "JSON 格式错误",
    "json_type": "JSON 格式错误",
    "model_type": "应为对象",
    "model_attributes_type": "格式错误",
    "dict_type": "应为对象",
    "list_type": "应为列表",
    "url_parsing": "应为网址",
    "uuid_parsing": "应为 UUID",
    "int_parsing_size": "数值过大",
}

# Parameter names → what a web page calls them in its error message.
_PARAM_LABELS = {
    "year": "预算年度",
    "page": "页码",
    "version": "版本号",
    "project_id": "项目编号",
    "indicator_id": "指标编号",
    "token_id": "令牌编号",
    "unit": "单位",
}
_VALIDATION_FALLBACK = "取值无效"


def _listed(value: str) -> str:
    """pydantic's ``'a', 'b' or 'c'`` as ``a、b、c``."""
    return value.replace("'", "").replace(" or ", "、").replace(", ", "、")


def validation_message(err: Mapping[str, Any]) -> str:
    """The Chinese message of one pydantic error, with the bound it names filled in; a
    validator's own Chinese text is kept."""
    kind = str(err.get("type", ""))
    if kind not in _VALIDATION_MESSAGES:
        text = str(err.get("msg", "")).removeprefix("Value error, ").removeprefix("Assertion failed, ")
        return text if text and not text.isascii() else _VALIDATION_FALLBACK
    template = _VALIDATION_MESSAGES[kind]
    context = {key: _listed(str(value)) for key, value in (err.get("ctx") or {}).items()}
    try:
        return template.format_map(context)
    except (KeyError, IndexError, ValueError):  # a context without the value the message names
        return _VALIDATION_FALLBACK


_HTTP_MESSAGES = {
    400: ("bad_request", "请求无效"),
    401: ("not_authenticated", "请先登录"),
    403: ("forbidden", "您没有执行此操作的权限"),
    404: ("not_found", "未找到"),
    405: ("method_not_allowed", "不支持该请求方法"),
    409: ("conflict", "数据冲突"),
    413: ("too_large", "上传内容过大"),
    422: ("invalid", "提交的内容有误"),
    429: ("throttled", "请求过于频繁，请稍后再试"),
}

_PAGE_TITLES = {
    400: "请求无效",
    401: "请先登录",
    403: "无权访问",
    404: "未找到",
    405: "不支持的操作",
    409: "数据冲突",
    422: "提交的内容有误",
    429: "操作过于频繁",
}


def validation_items(exc: RequestValidationError) -> list[ErrorItem]:
    items = []
    for err in exc.errors():
        items.append(ErrorItem(validation_message(err), str(err.get("type", "invalid")), err.get("loc", ())))
    return items


def is_api_request(request: Request) -> bool:
    return request.url.path.startswith(API_PREFIX)


def api_error_response(
    status_code: int, items: Sequence[ErrorItem], headers: dict[str, str] | None = None
) -> JSONResponse:
    return JSONResponse(
        {"detail": [item.as_dict() for item in items]}, status_code=status_code, headers=headers
    )


def _login_redirect(request: Request) -> RedirectResponse:
    """To /login, coming back afterwards to the page (for a form post: the page the form was on)."""
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    if request.method != "GET":
        referer = urlsplit(request.headers.get("referer", ""))
        same_site = referer.netloc == request.url.netloc and referer.path.startswith("/")
        target = (referer.path + (f"?{referer.query}" if referer.query else "")) if same_site else "/"
    return RedirectResponse(f"/login?next={quote(target, safe='')}", status_code=303)


def html_error_response(request: Request, status_code: int, items: Sequence[ErrorItem]) -> Response:
    return templates.TemplateResponse(
        request,
        "error.html",
        {
            "status_code": status_code,
            "title": _PAGE_TITLES.get(status_code, "出错了"),
            "messages": [item.msg for item in items],
        },
        status_code=status_code,
    )


async def _app_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, AppError)
    if is_api_request(request):
        return api_error_response(exc.status_code, exc.items(), exc.headers)
    if exc.status_code == 401:
        return _login_redirect(request)
    return html_error_response(request, exc.status_code, exc.items())


def _param_label(loc) -> str:
    if not loc:
        return "请求"
    name = loc[-1]
    return _PARAM_LABELS.get(name, str(name)) if isinstance(name, str) else f"第 {name + 1} 项"


async def _validation_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    items = validation_items(exc)
    if is_api_request(request):
        return api_error_response(422, items)
    return html_error_response(
        request, 422, [ErrorItem(f"{_param_label(i.loc)}：{i.msg}", i.code, i.loc) for i in items]
    )


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    code, message = _HTTP_MESSAGES.get(exc.status_code, ("error", "请求失败"))
    if isinstance(exc.detail, str) and exc.detail and not exc.detail.isascii():
        message = exc.detail  # already a Chinese message
    headers = getattr(exc, "headers", None)
    if is_api_request(request):
        return api_error_response(exc.status_code, [ErrorItem(message, code)], headers)
    if exc.status_code == 401:
        return _login_redirect(request)
    response = html_error_response(request, exc.status_code, [ErrorItem(message, code)])
    if headers:
        response.headers.update(headers)
    return response


def install_error_handlers(app: FastAPI) -> None:
    """One JSON shape for ``/api``, one Chinese page for the web."""
    app.add_exception_handler(AppError, _app_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
