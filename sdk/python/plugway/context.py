"""What a plugin gets as ``ctx``: config, logger, storage, events, feature flags and fetch through the host.

Every ``ctx`` call that needs the host (storage, emit, fetch) blocks until the host answers; the plugin
process serves one call at a time, so this is safe from plain and ``async def`` methods alike.
"""

from __future__ import annotations

import json as _json
import logging
from typing import Any, Callable, Dict, List, Mapping, Optional, Protocol


class HostCaller(Protocol):
    def __call__(self, op: str, args: List[Any]) -> Any: ...


class PluginError(Exception):
    """An error with a stable code: the host reports it as such (e.g. raise PluginError("MY_CODE", "why"))."""

    def __init__(self, code: str, message: str, **params: Any) -> None:
        super().__init__(message)
        self.code = code
        self.params = params


class Logger:
    """Structured logging into the gateway's log: ``ctx.logger.info("charged", amount=12)``."""

    def __init__(self, send: Callable[[Dict[str, Any]], None], bindings: Optional[Dict[str, Any]] = None) -> None:
        self._send = send
        self._bindings = bindings or {}

    def _log(self, level: str, message: str, args: tuple, fields: Dict[str, Any]) -> None:
        if args:
            try:
                message = message % args
            except (TypeError, ValueError):
                message = " ".join([message, *map(str, args)])
        merged = {**self._bindings, **fields} if self._bindings else fields
        msg: Dict[str, Any] = {"type": "log", "level": level, "message": str(message)}
        if merged:
            msg["fields"] = merged
        self._send(msg)

    def debug(self, message: str, *args: Any, **fields: Any) -> None:
        self._log("debug", message, args, fields)

    def info(self, message: str, *args: Any, **fields: Any) -> None:
        self._log("info", message, args, fields)

    def warning(self, message: str, *args: Any, **fields: Any) -> None:
        self._log("warn", message, args, fields)

    warn = warning

    def error(self, message: str, *args: Any, **fields: Any) -> None:
        self._log("error", message, args, fields)

    def critical(self, message: str, *args: Any, **fields: Any) -> None:
        self._log("fatal", message, args, fields)

    def child(self, **bindings: Any) -> "Logger":
        return Logger(self._send, {**self._bindings, **bindings})


class LoggingHandler(logging.Handler):
    """Sends records of Python's ``logging`` module to the host's log too."""

    LEVELS = {logging.DEBUG: "debug", logging.INFO: "info", logging.WARNING: "warn", logging.ERROR: "error", logging.CRITICAL: "fatal"}

    def __init__(self, logger: Logger) -> None:
        super().__init__()
        self._logger = logger

    def emit(self, record: logging.LogRecord) -> None:
        level = self.LEVELS.get(record.levelno, "info")
        fields = {"logger": record.name}
        if record.exc_info:
            fields["exc"] = self.format(record).split("\n", 1)[-1]
        self._logger._log(level, record.getMessage(), (), fields)


class Storage:
    """The plugin's key/value storage (namespaced per plugin by the host)."""

    def __init__(self, call: HostCaller) -> None:
        self._call = call

    def get(self, key: str) -> Any:
        return self._call("storage.get", [key])

    def set(self, key: str, value: Any, ttl_ms: Optional[int] = None) -> None:
        self._call("storage.set", [key, value] + ([ttl_ms] if ttl_ms is not None else []))

    def delete(self, key: str) -> bool:
        return bool(self._call("storage.delete", [key]))

    def exists(self, key: str) -> bool:
        return bool(self._call("storage.exists", [key]))


class Events:
    """Domain events: ``ctx.events.emit("order.paid", {...})`` and ``ctx.events.on("user.*", handler)``."""

    def __init__(self, call: HostCaller) -> None:
        self._call = call
        self._handlers: Dict[int, Callable[[Dict[str, Any]], Any]] = {}
        self._seq = 0

    def emit(self, type: str, data: Any = None) -> None:
        self._call("events.emit", [type, data])

    def on(self, type: str, handler: Callable[[Dict[str, Any]], Any]) -> Callable[[], None]:
        """Subscribes; returns a function that unsubscribes. Handlers run between calls."""
        self._seq += 1
        sub = self._seq
        self._handlers[sub] = handler
        self._call("events.on", [type, sub])

        def off() -> None:
            if self._handlers.pop(sub, None) is not None:
                self._call("events.off", [sub])

        return off

    def _deliver(self, sub: int, event: Dict[str, Any]) -> Optional[Callable[[Dict[str, Any]], Any]]:
        return self._handlers.get(sub)


class FetchResponse:
    """What ctx.fetch returns."""

    def __init__(self, status: int, headers: Dict[str, str], body: str) -> None:
        self.status = status
        self.headers = headers
        self.text = body

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    def json(self) -> Any:
        return _json.loads(self.text)

    def __repr__(self) -> str:
        return f"FetchResponse(status={self.status})"


class Flags:
    def __init__(self, values: Mapping[str, bool]) -> None:
        self._values = dict(values)

    def is_enabled(self, name: str) -> bool:
        return bool(self._values.get(name, False))

    def all(self) -> Dict[str, bool]:
        return dict(self._values)


class Context:
    """The plugin's view of the host. Attributes: plugin_id, version, instance, config, logger, storage, events, flags."""

    def __init__(self, hello: Mapping[str, Any], call: HostCaller, send: Callable[[Dict[str, Any]], None]) -> None:
        self.plugin_id: str = hello.get("plugin_id", "")
        self.version: str = hello.get("version", "")
        self.instance: int = int(hello.get("instance", 0))
        self.config: Dict[str, Any] = dict(hello.get("config") or {})
        self.logger = Logger(send)
        self.storage = Storage(call)
        self.events = Events(call)
        self.flags = Flags(hello.get("flags") or {})
        #: True once the host is shutting the plugin down.
        self.aborted = False
        self._call = call

    def emit(self, type: str, data: Any = None) -> None:
        """Publishes a domain event (same as ctx.events.emit)."""
        self.events.emit(type, data)

    def fetch(
        self,
        url: str,
        method: str = "GET",
        headers: Optional[Dict[str, str]] = None,
        body: Optional[str] = None,
        json: Any = None,
    ) -> FetchResponse:
        """HTTP through the host, to hosts that permissions.network grants; a denied host raises PluginError("PLW_ERR_HOST_DENIED")."""
        h = dict(headers or {})
        if json is not None:
            body = _json.dumps(json)
            h.setdefault("content-type", "application/json")
        r = self._call("http.fetch", [{"url": url, "method": method, "headers": h, "body": body}])
        return FetchResponse(int(r["status"]), dict(r.get("headers") or {}), r.get("body") or "")
