"""Delete the session cookie on the way out when ``identify_browser`` found it bad (tampered,
expired, revoked): the browser is logged out on whatever page it asked for."""

from __future__ import annotations

from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.accounts.security import SESSION_COOKIE


def _delete_cookie_header() -> tuple[bytes, bytes]:
    response = Response()
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="lax")
    return next((k, v) for k, v in response.raw_headers if k == b"set-cookie")


class SessionCookieCleanup:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.header = _delete_cookie_header()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_wrapper(message: Message) -> None:
            if message["type"] == "http.response.start" and scope.get("state", {}).get("drop_session_cookie"):
                headers = list(message.get("headers", []))
                if not any(
                    k == b"set-cookie" and v.startswith(SESSION_COOKIE.encode() + b"=") for k, v in headers
                ):
                    headers.append(self.header)
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_wrapper)
