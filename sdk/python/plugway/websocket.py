"""WebSocket endpoints in Python: ``on_open(conn)``, ``on_message(conn, data)``, ``on_close(conn, code)``.

The connection lives in the gateway, so ``conn`` here collects what the plugin asks for (send, close,
join, leave, broadcast) as actions; the SDK returns them as the call's answer and the gateway applies
them in order once the hook returns (docs/process-abi.md#websocket-endpoints)::

    def on_message(conn, data):
        msg = json.loads(data)
        if "join" in msg:
            conn.join(msg["join"])
            return {"joined": msg["join"]}      # a returned value is sent to this connection
        conn.broadcast(msg["room"], {"from": conn.user_id, "text": msg["text"]}, except_self=True)
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Set

from .types import Principal

#: The hooks, in the order a connection meets them.
HOOKS = ("on_open", "on_message", "on_close")


class Connection:
    """One open WebSocket as a hook sees it: its data, and methods that queue actions.

    Attributes: ``id`` (a UUID), ``user`` (the principal, or None without auth), ``path``, ``params``,
    ``query``, ``version`` (the plugin version it stays on) and ``rooms`` (a set, kept current as you
    join and leave). ``actions`` is the list the methods fill.
    """

    def __init__(self, data: Dict[str, Any]) -> None:
        self.id: str = data.get("id", "")
        self.user: Optional[Principal] = data.get("user")
        self.path: str = data.get("path", "")
        self.params: Dict[str, str] = data.get("params") or {}
        self.query: Dict[str, Any] = data.get("query") or {}
        self.version: str = data.get("version", "")
        self.rooms: Set[str] = set(data.get("rooms") or [])
        self.actions: List[Dict[str, Any]] = []

    @property
    def user_id(self) -> Optional[str]:
        return self.user.get("id") if self.user else None

    def send(self, data: Any) -> None:
        """Sends to this connection: str as a text frame, bytes as binary, anything else as JSON text."""
        self.actions.append({"op": "send", "data": data})

    def close(self, code: int = 1000, reason: str = "") -> None:
        """Closes this connection (1000, 1001, 1003, 1007–1014 or 3000–4999)."""
        action: Dict[str, Any] = {"op": "close", "code": code}
        if reason:
            action["reason"] = reason
        self.actions.append(action)

    def join(self, room: str) -> None:
        """Joins one of the plugin's rooms (a non-empty name of at most 200 characters)."""
        self.rooms.add(room)
        self.actions.append({"op": "join", "room": room})

    def leave(self, room: str) -> None:
        self.rooms.discard(room)
        self.actions.append({"op": "leave", "room": room})

    def broadcast(self, room: str, data: Any, except_self: bool = False) -> None:
        """Sends to every connection in ``room`` (on every node when the cluster has NATS)."""
        action: Dict[str, Any] = {"op": "broadcast", "room": room, "data": data}
        if except_self:
            action["except_self"] = True
        self.actions.append(action)

    def __repr__(self) -> str:
        return f"Connection(id={self.id!r}, user_id={self.user_id!r}, path={self.path!r}, rooms={sorted(self.rooms)!r})"


def answer(conn: Connection, returned: Any, hook: str) -> Dict[str, Any]:
    """The hook's answer on the wire: the queued actions (taken from ``conn``), then the returned value as one more send."""
    actions, conn.actions = conn.actions, []
    if returned is not None and hook != "on_close":
        actions.append({"op": "send", "data": returned})
    return {"actions": actions}
