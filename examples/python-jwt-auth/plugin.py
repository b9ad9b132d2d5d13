"""The CovetPy seed's JWTAuthPlugin: authenticate a bearer JWT, authorize by permission or admin role."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from typing import Any, Dict, Optional

from plugway import Context, Plugin, Principal, Request


def _b64url_decode(part: str) -> bytes:
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


class JWTAuthPlugin(Plugin):
    name = "jwt_auth"
    version = "1.0.0"

    def init(self, ctx: Context) -> None:
        self.secret_key: bytes = str(ctx.config["secret_key"]).encode()
        self.algorithm: str = ctx.config.get("algorithm", "HS256")
        self.leeway: float = float(ctx.config.get("leeway_seconds", 30))

    def decode(self, token: str) -> Optional[Dict[str, Any]]:
        try:
            header_b64, payload_b64, signature_b64 = token.split(".")
            header = json.loads(_b64url_decode(header_b64))
            if header.get("alg") != self.algorithm:
                return None
            expected = hmac.new(self.secret_key, f"{header_b64}.{payload_b64}".encode(), hashlib.sha256).digest()
            if not hmac.compare_digest(expected, _b64url_decode(signature_b64)):
                return None
            payload = json.loads(_b64url_decode(payload_b64))
        except (ValueError, TypeError):
            return None
        now = time.time()
        if "exp" in payload and now > float(payload["exp"]) + self.leeway:
            return None
        if "nbf" in payload and now + self.leeway < float(payload["nbf"]):
            return None
        return payload

    async def authenticate(self, request: Request, ctx: Context) -> Optional[Principal]:
        auth = request.header("authorization") or ""
        token = auth[7:].strip() if auth.lower().startswith("bearer ") else None
        if not token:
            return None
        payload = self.decode(token)
        if payload is None:
            ctx.logger.info("rejected a bearer token", request_id=request.id)
            return None
        return {
            "id": str(payload.get("sub", "")),
            "roles": list(payload.get("roles", [])),
            "permissions": list(payload.get("permissions", [])),
            "claims": payload,
        }

    async def authorize(self, user: Dict[str, Any], resource: str, action: str, ctx: Context) -> bool:
        roles = user.get("roles", [])
        permissions = user.get("permissions", [])
        if f"{resource}:{action}" in permissions:
            return True
        return any(role in ["admin", "superuser"] for role in roles)
