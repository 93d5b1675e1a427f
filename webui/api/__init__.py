"""The JSON API under /api/v1: bearer-token authentication, one error shape for every failure."""

from . import caseyear, notifications, routes, similar, statistics, yearwork  # noqa: F401  (the routes register themselves on the blueprint)
from .blueprint import api

__all__ = ["api"]
