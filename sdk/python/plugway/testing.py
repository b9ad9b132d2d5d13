"""Unit-test a Python plugin without the host (no pytest needed)::

    from plugway.testing import load

    plugin = load("plugin.py", config={"greeting": "Hi"})
    res = plugin.handle_request({"method": "GET", "path": "/hello", "query": {"name": "Ada"}})
    assert res["status_code"] == 200

    conn = connection(user={"id": "ada"})
    answer = plugin.on_message(conn, '{"join": "r1"}')   # the actions the gateway would apply
    assert answer["actions"][0] == {"op": "join", "room": "r1"}

Calls run in this process, unsandboxed: storage is a dict, emitted events and log lines are lists,
and fetch answers from ``responses`` (url -> (status, body)) or refuses as an ungranted host would.
"""

from __future__ import annotations

import asyncio
import inspect
import os
from typing import Any, Dict, List, Optional, Tuple

from .context import Context, PluginError
from .loader import find_plugin, load_module, methods_of
from .types import Request
from .websocket import HOOKS as _WS_HOOKS, Connection, answer as _ws_answer

_REQUEST_FIRST = ("handle_request", "on_request", "authenticate", "on_response")


def request(method: str = "GET", path: str = "/", **fields: Any) -> Request:
    """A Request with the gateway's defaults (id, headers, body, user_id, context, params, query)."""
    base: Dict[str, Any] = {"id": "test", "method": method, "path": path, "headers": {}, "body": None, "user_id": None, "context": {}, "params": {}, "query": {}}
    base.update(fields)
    base["headers"] = {k.lower(): v for k, v in base["headers"].items()}
    return Request(base)


def connection(**fields: Any) -> Connection:
    """A WebSocket Connection as the gateway sends it (id, user, path, params, query, version, rooms)."""
    base: Dict[str, Any] = {"id": "test-conn", "user": None, "path": "/", "params": {}, "query": {}, "version": "test", "rooms": []}
    base.update(fields)
    return Connection(base)


class LoadedPlugin:
    """A plugin loaded for a test: call its methods by name (``plugin.handle_request(req)``)."""

    def __init__(self, path: str, config: Optional[Dict[str, Any]] = None, responses: Optional[Dict[str, Tuple[int, str]]] = None) -> None:
        self.storage: Dict[str, Any] = {}
        self.events: List[Tuple[str, Any]] = []
        self.logs: List[Dict[str, Any]] = []
        self._responses = responses or {}
        self.ctx = Context({"plugin_id": os.path.basename(os.path.dirname(os.path.abspath(path))), "version": "test", "config": config or {}}, self._host_call, self.logs.append)
        self.plugin = find_plugin(load_module(path))
        self.methods = methods_of(self.plugin)
        self._loop = asyncio.new_event_loop()

    def _host_call(self, op: str, args: List[Any]) -> Any:
        if op == "storage.get":
            return self.storage.get(args[0])
        if op == "storage.set":
            self.storage[args[0]] = args[1]
            return None
        if op == "storage.delete":
            return self.storage.pop(args[0], None) is not None
        if op == "storage.exists":
            return args[0] in self.storage
        if op == "events.emit":
            self.events.append((args[0], args[1]))
            return None
        if op in ("events.on", "events.off"):
            return True
        if op == "http.fetch":
            url = args[0]["url"]
            if url not in self._responses:
                raise PluginError("PLW_ERR_HOST_DENIED", f"fetch of {url} is not allowed in this test")
            status, body = self._responses[url]
            return {"status": status, "headers": {}, "body": body}
        raise PluginError("PLW_ERR_HOST_CALL", f"unknown host call {op}")

    def call(self, method: str, *params: Any) -> Any:
        fn = getattr(self.plugin, method, None)
        if fn is None or method not in self.methods:
            raise AttributeError(f"the plugin does not implement {method}")
        args = list(params)
        if method in _REQUEST_FIRST and args and isinstance(args[0], dict) and not isinstance(args[0], Request):
            args[0] = request(**args[0])
        if method in _WS_HOOKS and args and isinstance(args[0], dict):
            args[0] = connection(**args[0])
        try:
            n = len([p for p in inspect.signature(fn).parameters.values() if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)])
        except (TypeError, ValueError):
            n = len(args) + 1
        value = fn(*args, self.ctx) if n > len(args) else fn(*args[:n])
        value = self._loop.run_until_complete(value) if inspect.isawaitable(value) else value
        # a WebSocket hook answers with its actions, as on the wire
        return _ws_answer(args[0], value, method) if method in _WS_HOOKS and args and isinstance(args[0], Connection) else value

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        return lambda *params: self.call(name, *params)


def load(path: str, config: Optional[Dict[str, Any]] = None, responses: Optional[Dict[str, Tuple[int, str]]] = None) -> LoadedPlugin:
    """Loads the plugin module at ``path`` (relative to the caller's folder is fine)."""
    if not os.path.isabs(path):
        caller = inspect.stack()[1].filename
        path = os.path.join(os.path.dirname(os.path.abspath(caller)), path)
    return LoadedPlugin(path, config, responses)
