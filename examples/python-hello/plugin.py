"""A complete plugin: top-level functions named after the methods, no boilerplate."""

from __future__ import annotations

import platform

from plugway import Context, Request, Response, response


def init(ctx: Context) -> None:
    ctx.logger.info("python-hello ready", python=platform.python_version())


def handle_request(req: Request, ctx: Context) -> Response:
    if req.path.endswith("/count"):
        n = int((req.body or {}).get("n", 1))
        total = int(ctx.storage.get("total") or 0) + n
        ctx.storage.set("total", total)
        ctx.emit("python_hello.counted", {"n": n, "total": total})
        return response(200, {"total": total})
    name = req.query.get("name", "world")
    return response(200, {"message": f"{ctx.config.get('greeting', 'Hello')}, {name}!", "runtime": "process", "python": platform.python_version()})


async def health_check(ctx: Context) -> dict:
    return {"status": "healthy"}
