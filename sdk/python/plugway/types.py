"""The shapes a plugin receives and returns: requests and responses with the Veza seed's field names."""

from __future__ import annotations

from typing import Any, Dict, List, Literal, Optional, TypedDict, Union


class Principal(TypedDict, total=False):
    """The caller an auth plugin recognised."""

    id: str
    roles: List[str]
    permissions: List[str]
    claims: Dict[str, Any]


class Response(TypedDict, total=False):
    """What handle_request returns. A dict or list body is sent as JSON, str as text, bytes as bytes."""

    status_code: int
    headers: Dict[str, Union[str, List[str]]]
    body: Any
    metadata: Dict[str, Any]


class HealthStatus(TypedDict, total=False):
    status: Literal["healthy", "degraded", "unhealthy"]
    message: str
    details: Dict[str, Any]


class Request(dict):  # type: ignore[type-arg]
    """An HTTP request as the gateway routed it: ``req["path"]`` and ``req.path`` both work.

    Fields: id, method, path, headers (lower-case names), body (parsed JSON, str, bytes or None),
    user_id, context (what middleware put there), params, query, and user (a Principal) when authenticated.
    """

    id: str
    method: str
    path: str
    headers: Dict[str, Any]
    body: Any
    user_id: Optional[str]
    context: Dict[str, Any]
    params: Dict[str, str]
    query: Dict[str, Any]
    user: Optional[Principal]

    def __getattr__(self, name: str) -> Any:
        try:
            return self[name]
        except KeyError:
            if name in ("user", "user_id", "body"):
                return None
            raise AttributeError(name) from None

    def header(self, name: str, default: Optional[str] = None) -> Optional[str]:
        """A header's value (the first when repeated), by case-insensitive name."""
        v = (self.get("headers") or {}).get(name.lower(), default)
        return v[0] if isinstance(v, list) and v else v


def response(status_code: int = 200, body: Any = None, headers: Optional[Dict[str, str]] = None, **metadata: Any) -> Response:
    """A Response dict: ``return response(200, {"ok": True})``."""
    out: Response = {"status_code": status_code, "body": body}
    if headers:
        out["headers"] = headers
    if metadata:
        out["metadata"] = metadata
    return out
