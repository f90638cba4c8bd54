"""Application factory: routers, templates, static files, error handlers."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from app.core.config import PROJECT_ROOT


def create_app() -> FastAPI:
    app = FastAPI(
        title="绩效自评 API",
        version="1",
        description="项目支出绩效自评：绩效目标导入、实际完成值填报、评分、审核与汇总。",
    )
    app.mount("/static", StaticFiles(directory=PROJECT_ROOT / "static"), name="static")

    from app.web import router as web_router

    app.include_router(web_router.router)
    return app
