"""The plugin side of the process ABI (docs/process-abi.md): one JSON message per line on stdin/stdout.

Serves one call at a time; ``async def`` methods run to completion on one event loop kept for the process.
The protocol uses private copies of stdin/stdout: ``print()`` in plugin code goes to stderr, which the
host writes to the plugin's log.
"""

from __future__ import annotations

import asyncio
import base64
import inspect
import json
import logging
import os
import sys
import traceback
from collections import deque
from typing import Any, Callable, Deque, Dict, List, Optional

from .context import Context, LoggingHandler, PluginError
from .loader import find_plugin, load_module, methods_of
from .types import Request
from .websocket import HOOKS as WS_HOOKS, Connection, answer as ws_answer

ABI_VERSION = 1
_U8 = "__plw_u8"
_REQUEST_FIRST = frozenset(("handle_request", "on_request", "authenticate", "on_response"))


def _default(value: Any) -> Any:
    if isinstance(value, (bytes, bytearray, memoryview)):
        return {_U8: base64.b64encode(bytes(value)).decode("ascii")}
    if isinstance(value, (set, frozenset, tuple)):
        return list(value)
    if hasattr(value, "__dict__"):
        return vars(value)
    return str(value)


def _bytes_hook(obj: Dict[str, Any]) -> Any:
    if len(obj) == 1 and _U8 in obj:
        return base64.b64decode(obj[_U8])
    return obj


_dumps = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False, default=_default).encode


def _arity(fn: Callable[..., Any]) -> int:
    """Positional parameters fn takes (a large number for *args)."""
    try:
        params = inspect.signature(fn).parameters.values()
    except (TypeError, ValueError):
        return 99
    n = 0
    for p in params:
        if p.kind is p.VAR_POSITIONAL:
            return 99
        if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD):
            n += 1
    return n


class Runner:
    def __init__(self, rfile: Any, wfd: int) -> None:
        self._r = rfile
        self._wfd = wfd
        self._backlog: Deque[Dict[str, Any]] = deque()
        self._host_seq = 0
        self._loop: Optional[asyncio.AbstractEventLoop] = None
        self._fns: Dict[str, Callable[..., Any]] = {}
        self._arity: Dict[str, int] = {}
        self.max_response_bytes = 10 * 1024 * 1024
        self.ctx: Optional[Context] = None

    # ---- wire ----
    def send(self, msg: Dict[str, Any]) -> None:
        self._write(_dumps(msg).encode("utf-8") + b"\n")

    def _write(self, data: bytes) -> None:
        view = memoryview(data)
        while view:
            n = os.write(self._wfd, view)
            view = view[n:]

    def _read(self) -> Optional[Dict[str, Any]]:
        line = self._r.readline()
        if not line:
            return None
        msg = json.loads(line, object_hook=_bytes_hook) if b'"__plw_u8"' in line else json.loads(line)
        raw = msg.get("raw_body")
        if raw is not None:
            # a long request body follows its call line as raw UTF-8 (docs/process-abi.md#framing)
            data = self._r.read(int(raw))
            params = msg.get("params") or [{}]
            params[0]["body"] = data.decode("utf-8", "replace")
        return msg

    # ---- host calls (blocking: the process serves one call at a time) ----
    def host_call(self, op: str, args: List[Any]) -> Any:
        self._host_seq += 1
        hid = self._host_seq
        self.send({"type": "host_call", "id": hid, "op": op, "args": args})
        while True:
            msg = self._read()
            if msg is None:
                raise SystemExit(0)
            t = msg.get("type")
            if t == "host_result" and msg.get("id") == hid:
                if msg.get("ok"):
                    return msg.get("value")
                err = msg.get("error") or {}
                raise PluginError(err.get("code") or "PLW_ERR_HOST_CALL", err.get("message") or f"{op} failed", **(err.get("params") or {}))
            if t == "ping":
                self.send({"type": "pong", "id": msg.get("id")})
            elif t == "flags":
                self._flags(msg)
            elif t in ("call", "event"):
                self._backlog.append(msg)
            elif t == "shutdown" and self.ctx:
                self.ctx.aborted = True

    def _flags(self, msg: Dict[str, Any]) -> None:
        if self.ctx:
            self.ctx.flags._values = dict(msg.get("flags") or {})

    # ---- calls ----
    def _await(self, value: Any) -> Any:
        if inspect.isawaitable(value):
            if self._loop is None:
                self._loop = asyncio.new_event_loop()
                asyncio.set_event_loop(self._loop)
            return self._loop.run_until_complete(value)
        return value

    def _invoke(self, name: str, params: List[Any]) -> Any:
        fn = self._fns[name]
        conn = None
        if name in _REQUEST_FIRST and params and isinstance(params[0], dict):
            params = [Request(params[0]), *params[1:]]
        elif name in WS_HOOKS and params and isinstance(params[0], dict):
            conn = Connection(params[0])
            params = [conn, *params[1:]]
        n = self._arity[name]
        args = [*params, self.ctx] if n > len(params) else params[:n]
        value = self._await(fn(*args))
        return ws_answer(conn, value, name) if conn is not None else value

    def _call(self, msg: Dict[str, Any]) -> None:
        cid = msg.get("id")
        name = msg.get("method", "")
        if name not in self._fns:
            self.send({"type": "result", "id": cid, "ok": False, "error": {"code": "PLW_ERR_METHOD_NOT_IMPLEMENTED", "message": f"not implemented: {name}", "params": {"id": self.ctx.plugin_id if self.ctx else "", "method": name}}})
            return
        try:
            value = self._invoke(name, msg.get("params") or [])
            if name == "handle_request" and not (isinstance(value, dict) and "status_code" in value):
                value = {"status_code": 204} if value is None else {"status_code": 200, "body": value}
            data = _dumps({"type": "result", "id": cid, "ok": True, "value": value}).encode("utf-8") + b"\n"
            if len(data) > self.max_response_bytes:
                raise PluginError("PLW_ERR_RESPONSE_TOO_LARGE", f"{name} returned {len(data)} bytes", id=self.ctx.plugin_id if self.ctx else "", method=name, size=len(data), limit=self.max_response_bytes)
            self._write(data)
        except SystemExit:
            raise
        except BaseException as err:  # noqa: BLE001 - every failure goes back to the host as the call's error
            self.send({"type": "result", "id": cid, "ok": False, "error": _wire_error(err)})

    def _event(self, msg: Dict[str, Any]) -> None:
        if not self.ctx:
            return
        handler = self.ctx.events._handlers.get(int(msg.get("subscription") or 0))
        if handler is None:
            return
        try:
            self._await(handler(msg.get("event")) if _arity(handler) < 2 else handler(msg.get("event"), self.ctx))
        except Exception as err:  # noqa: BLE001
            self.ctx.logger.error(f"event handler failed: {err}", exc=traceback.format_exc())

    # ---- main ----
    def serve(self, entry: str) -> None:
        hello = self._read()
        if not hello or hello.get("type") != "hello":
            sys.stderr.write("plugway: the first message was not a hello; is this running under plugway?\n")
            raise SystemExit(2)
        self.max_response_bytes = int(hello.get("max_response_bytes") or self.max_response_bytes)
        self.ctx = Context(hello, self.host_call, self.send)
        root = logging.getLogger()
        root.addHandler(LoggingHandler(self.ctx.logger))
        if root.level == logging.WARNING:
            root.setLevel(logging.INFO)
        try:
            plugin = find_plugin(load_module(entry))
        except BaseException as err:  # noqa: BLE001
            self.send({"type": "load_error", "error": _wire_error(err)})
            return
        for name in methods_of(plugin):
            fn = getattr(plugin, name)
            self._fns[name] = fn
            self._arity[name] = _arity(fn)
        self.send({"type": "ready", "abi": ABI_VERSION, "methods": list(self._fns), "features": ["raw_body"]})
        backlog = self._backlog
        while True:
            msg = backlog.popleft() if backlog else self._read()
            if msg is None:
                return
            t = msg.get("type")
            if t == "call":
                self._call(msg)
            elif t == "ping":
                self.send({"type": "pong", "id": msg.get("id")})
            elif t == "event":
                self._event(msg)
            elif t == "flags":
                self._flags(msg)
            elif t == "shutdown":
                self.ctx.aborted = True
            # cancel: the call it names has finished already (one call at a time)


def _wire_error(err: BaseException) -> Dict[str, Any]:
    name = type(err).__name__
    out: Dict[str, Any] = {"name": name, "message": f"{name}: {err}" if str(err) else name, "stack": "".join(traceback.format_exception(err))[-4000:]}
    code = getattr(err, "code", None)
    if isinstance(code, str):
        out["message"] = str(err) or code
        out["code"] = code
        params = getattr(err, "params", None)
        if isinstance(params, dict):
            out["params"] = params
    return out


def main(entry: str) -> None:
    """Serves the plugin in ``entry`` over stdin/stdout until the host closes stdin."""
    proto_in = os.dup(0)
    proto_out = os.dup(1)
    # plugin code that reads stdin or prints cannot break the protocol
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.close(devnull)
    os.dup2(2, 1)
    try:
        sys.stdout.reconfigure(line_buffering=True)  # type: ignore[union-attr]
    except AttributeError:
        pass
    # A 64 KiB pipe (Linux's default) makes a 64 KiB message a handful of blocked writes and wake-ups:
    # ask for 1 MiB both ways (the most an unprivileged process gets by default).
    for fd in (proto_in, proto_out):
        try:
            import fcntl

            fcntl.fcntl(fd, getattr(fcntl, "F_SETPIPE_SZ", 1031), 1 << 20)
        except (ImportError, OSError):
            pass
    runner = Runner(os.fdopen(proto_in, "rb", buffering=1 << 20), proto_out)
    try:
        runner.serve(entry)
    except KeyboardInterrupt:
        pass
