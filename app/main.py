"""Application factory: routers, templates, static files, error handlers."""

from __future__ import annotations

import importlib
from types import ModuleType

from fastapi import Depends, FastAPI
from fastapi.staticfiles import StaticFiles

from app.core.config import PROJECT_ROOT, get_settings

# Every area's routes, in the order they are matched. Importing them also registers each area's
# audit action labels (used by ``jixiao audit`` too).
ROUTER_MODULES = (
    "app.accounts.web",
    "app.accounts.api",
    "app.web.router",
    "app.scoring.web",
    "app.targets.web",
    "app.targets.api",
    "app.submissions.api",
    "app.submissions.web",
    "app.review.api",
    "app.reports.api",
    "app.review.web",
    "app.reports.web",
)


def area_modules() -> list[ModuleType]:
    return [importlib.import_module(name) for name in ROUTER_MODULES]


def create_app() -> FastAPI:
    from app.core.preflight import refuse_unsafe_start

    refuse_unsafe_start(get_settings())  # production: no weak secret, no demo password
    from app.accounts.deps import csrf_protect, identify_browser
    from app.accounts.middleware import SessionCookieCleanup
    from app.core.admission import AdmissionLimit
    from app.core.headers import SecurityHeaders
    from app.core.params import valid_text
    from app.db.deps import TransactionBoundary
    from app.web.api_docs import install_api_docs
    from app.web.errors import install_error_handlers

    app = FastAPI(
        title="绩效自评 API",
        version="1",
        description="项目支出绩效自评：绩效目标导入、实际完成值填报、评分、审核与汇总。",
        docs_url=None,  # /docs and /redoc are served from this site's own files: app/web/api_docs.py
        redoc_url=None,
        # Every route: who the browser is (cookie), the CSRF check on every form write, and no
        # JSON text that cannot be stored.
        dependencies=[Depends(identify_browser), Depends(csrf_protect), Depends(valid_text)],
    )
    install_error_handlers(app)
    # innermost: the request's session is finished as its response starts (an error never commits)
    app.add_middleware(TransactionBoundary)
    app.add_middleware(SessionCookieCleanup)
    app.add_middleware(AdmissionLimit, slots=get_settings().request_slots)
    if get_settings().is_sqlite:
        from app.db.write_queue import SQLiteWriteQueue

        # outside the slots: a write waiting for its turn does not keep a reader out
        app.add_middleware(SQLiteWriteQueue)  # one writing request at a time per process
    # outermost: every response carries them, an admission or write-queue refusal too
    app.add_middleware(SecurityHeaders, https=get_settings().https)
    app.mount("/static", StaticFiles(directory=PROJECT_ROOT / "static"), name="static")
    install_api_docs(app)

    for module in area_modules():
        app.include_router(module.router)
    return app
