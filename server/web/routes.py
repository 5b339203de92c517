"""The web router: staff login, the staff dashboard, the public pages and their assets.

``server.app.create_app`` includes :data:`router` (found as ``server.web.router``).
"""

from __future__ import annotations

from fastapi import APIRouter

from . import public_pages, session_pages, staff_pages

router = APIRouter()
router.include_router(session_pages.router)
router.include_router(staff_pages.router)
router.include_router(public_pages.router)
router.include_router(public_pages.api)
