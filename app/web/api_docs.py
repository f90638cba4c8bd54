"""The interactive API docs (``/docs`` Swagger UI, ``/redoc`` ReDoc) and the favicon, served from
this server alone: the Swagger UI and ReDoc bundles are the files the ``fastapi-offline`` package
ships (Swagger UI: Apache-2.0, ReDoc: MIT), mounted at ``/docs-assets``; the pages are our own
templates whose only script is ``static/api-docs.js``, so they need no CDN and no inline script."""

from __future__ import annotations

from pathlib import Path

import fastapi_offline
from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import FileResponse, HTMLResponse
from fastapi.staticfiles import StaticFiles

from app.core.config import PROJECT_ROOT
from app.web.templating import templates

ASSETS_URL = "/docs-assets"
ASSETS_DIR = Path(fastapi_offline.__file__).parent / "static"
FAVICON = PROJECT_ROOT / "static" / "favicon.ico"

router = APIRouter(include_in_schema=False)


def _page(request: Request, template: str) -> HTMLResponse:
    app = request.app
    return templates.TemplateResponse(
        request,
        template,
        {"title": app.title, "openapi_url": app.openapi_url, "assets": ASSETS_URL},
    )


@router.get("/docs")
async def swagger_ui(request: Request) -> HTMLResponse:
    return _page(request, "api_docs_swagger.html")


@router.get("/redoc")
async def redoc(request: Request) -> HTMLResponse:
    return _page(request, "api_docs_redoc.html")


@router.get("/favicon.ico")
async def favicon() -> FileResponse:
    return FileResponse(
        FAVICON, media_type="image/x-icon", headers={"Cache-Control": "public, max-age=86400"}
    )


def install_api_docs(app: FastAPI) -> None:
    """Mount the bundles and add the two pages and the favicon (the app is built with
    ``docs_url=None, redoc_url=None``)."""
    app.mount(ASSETS_URL, StaticFiles(directory=ASSETS_DIR), name="docs-assets")
    app.include_router(router)
