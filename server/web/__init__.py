"""The staff dashboard and the public pages (Jinja2 templates, plain JavaScript, inline
SVG charts; every asset served locally). See :mod:`server.web.routes`."""

from .routes import router

__all__ = ["router"]
