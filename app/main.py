"""Application factory: routers, templates, static files, error handlers."""

from __future__ import annotations

from fastapi import Depends, FastAPI
from fastapi.staticfiles import StaticFiles

from app.core.config import PROJECT_ROOT, get_settings


def create_app() -> FastAPI:
    get_settings()  # refuses to start in production with the default secret key
    from app.accounts.deps import csrf_protect, identify_browser
    from app.accounts.middleware import SessionCookieCleanup
    from app.core.errors import install_error_handlers

    app = FastAPI(
        title="绩效自评 API",
        version="1",
        description="项目支出绩效自评：绩效目标导入、实际完成值填报、评分、审核与汇总。",
        # Every route: who the browser is (cookie), and the CSRF check on every form write.
        dependencies=[Depends(identify_browser), Depends(csrf_protect)],
    )
    install_error_handlers(app)
    app.add_middleware(SessionCookieCleanup)
    app.mount("/static", StaticFiles(directory=PROJECT_ROOT / "static"), name="static")

    from app.accounts import api as accounts_api
    from app.accounts import web as accounts_web
    from app.scoring import web as scoring_web
    from app.submissions import api as submissions_api
    from app.submissions import web as submissions_web
    from app.targets import web as targets_web
    from app.web import router as web_router

    app.include_router(accounts_web.router)
    app.include_router(accounts_api.router)
    app.include_router(web_router.router)
    app.include_router(scoring_web.router)
    app.include_router(targets_web.router)
    app.include_router(submissions_api.router)
    app.include_router(submissions_web.router)

    from app.reports import api as reports_api
    from app.reports import web as reports_web
    from app.review import api as review_api
    from app.review import web as review_web

    app.include_router(review_api.router)
    app.include_router(reports_api.router)
    app.include_router(review_web.router)
    app.include_router(reports_web.router)
    return app
