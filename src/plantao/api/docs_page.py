"""The OpenAPI explorer at ``/docs`` under a Content-Security-Policy of its own.

Swagger UI loads its bundle from a CDN and starts with one inline script. Rather than weaken the
policy of every page, this page allows exactly that CDN and exactly that script, by its SHA-256.
"""

from __future__ import annotations

import base64
import hashlib
import re

from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse

_CDN = "https://cdn.jsdelivr.net"
_INLINE_SCRIPT = re.compile(r"<script>(.*?)</script>", re.DOTALL)


def _policy(html: str) -> str:
    hashes = " ".join(
        "'sha256-" + base64.b64encode(hashlib.sha256(body.encode()).digest()).decode() + "'"
        for body in _INLINE_SCRIPT.findall(html)
    )
    return (
        f"default-src 'none'; script-src {_CDN} {hashes}; style-src {_CDN}; "
        "img-src 'self' data: https://fastapi.tiangolo.com; connect-src 'self'; "
        "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
    )


def install(app: FastAPI) -> None:
    html = get_swagger_ui_html(openapi_url="/openapi.json", title=f"{app.title} API").body
    page = bytes(html).decode()
    policy = _policy(page)

    @app.get("/docs", include_in_schema=False)
    def docs() -> HTMLResponse:
        return HTMLResponse(page, headers={"Content-Security-Policy": policy})
