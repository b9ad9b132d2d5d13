"""Finds the plugin in a module: a ``plugin`` object, a ``Plugin`` subclass, or the module's own functions."""

from __future__ import annotations

import importlib.util
import inspect
import os
import sys
from types import ModuleType
from typing import Any, List

#: Every method the host may call, in snake_case (docs/process-abi.md).
METHODS = (
    "init", "start", "stop", "health_check", "handle_request", "handle_event", "metrics", "execute",
    "on_request", "on_response", "authenticate", "authorize",
    "get", "set", "delete", "exists",
    "models", "complete", "can_route", "select_provider",
    "connect", "disconnect", "diagnose", "get_metrics",
    "on_open", "on_message", "on_close",
)


class Plugin:
    """Optional base class: subclass it and define the methods your kind needs (handle_request, authenticate, ...)."""


def load_module(path: str) -> ModuleType:
    """Imports the plugin's file; its folder goes on sys.path so it can import its own modules."""
    path = os.path.abspath(path)
    folder = os.path.dirname(path)
    if folder not in sys.path:
        sys.path.insert(0, folder)
    name = os.path.splitext(os.path.basename(path))[0]
    if name == "__init__":
        name = os.path.basename(folder) or "plugin"
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot import {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def find_plugin(module: ModuleType) -> Any:
    """The object whose methods serve calls."""
    obj = getattr(module, "plugin", None)
    if obj is not None:
        return obj() if inspect.isclass(obj) else obj
    for value in vars(module).values():
        if inspect.isclass(value) and value is not Plugin and issubclass(value, Plugin) and value.__module__ == module.__name__:
            return value()
    return module


def methods_of(plugin: Any) -> List[str]:
    out = []
    for name in METHODS:
        fn = getattr(plugin, name, None)
        if fn is None or inspect.isclass(fn) or not callable(fn):
            continue
        # a module's imported helpers (e.g. `from os import get...`) are not its methods
        if isinstance(plugin, ModuleType) and getattr(fn, "__module__", plugin.__name__) != plugin.__name__:
            continue
        out.append(name)
    return out
