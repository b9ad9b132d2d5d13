"""WebSocket rooms in Python: on_open joins the room named in the path, on_message answers, on_close tells the room.

``conn`` collects actions (send, close, join, leave, broadcast) that the gateway applies when the hook
returns; a returned value is sent to this connection (docs/process-abi.md#websocket-endpoints).
"""

from __future__ import annotations

import json
from typing import Any, Union

from plugway import Connection, Context


def on_open(conn: Connection, ctx: Context) -> dict:
    room = conn.params["room"]
    conn.join(room)
    return {"joined": room, "id": conn.id}


def on_message(conn: Connection, data: Union[str, bytes], ctx: Context) -> Any:
    if isinstance(data, bytes):
        return data  # binary frames are echoed as binary
    try:
        msg = json.loads(data)
    except ValueError:
        return {"echo": data}
    if isinstance(msg, dict) and "say" in msg:
        conn.broadcast(conn.params["room"], {"from": conn.user_id or conn.id[:8], "say": msg["say"]})
        return None
    if isinstance(msg, dict) and msg.get("bye"):
        conn.send({"bye": conn.id})
        conn.close(4000, "bye")
        return None
    return {"echo": msg}


def on_close(conn: Connection, code: int, ctx: Context) -> None:
    # the connection is gone (and out of its rooms): tell the others
    conn.broadcast(conn.params["room"], {"left": conn.id, "code": code})
    ctx.logger.info("python-chat: left", conn_id=conn.id, code=code)
