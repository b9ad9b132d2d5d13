"""plugway's Python SDK: write a plugin for the ``process`` runtime with the standard library only.

A module with top-level functions named after the methods is a complete plugin::

    def handle_request(req, ctx):
        return {"status_code": 200, "body": {"hello": req.query.get("name", "world")}}

A class with the same snake_case methods works too (``class MyPlugin(plugway.Plugin)`` or ``plugin = MyPlugin()``),
and ``async def`` methods work. WebSocket endpoints get ``on_open(conn)``, ``on_message(conn, data)`` and
``on_close(conn, code)`` with a ``Connection``. See docs/process-abi.md for the wire protocol under it.
"""

from .context import Context, Events, FetchResponse, Flags, Logger, PluginError, Storage
from .loader import METHODS, Plugin
from .types import HealthStatus, Principal, Request, Response, response
from .websocket import Connection

__all__ = [
    "Connection",
    "Context",
    "Events",
    "FetchResponse",
    "Flags",
    "HealthStatus",
    "Logger",
    "METHODS",
    "Plugin",
    "PluginError",
    "Principal",
    "Request",
    "Response",
    "Storage",
    "response",
]

__version__ = "0.1.0"
