"""Domain errors raised by services; the web and API layers map them to HTTP statuses."""
from __future__ import annotations


class DomainError(Exception):
    status = 400

    def __init__(self, message: str, *, field_errors: dict[str, list[str]] | None = None):
        super().__init__(message)
        self.message = message
        self.field_errors = field_errors or {}


class InvalidInput(DomainError):
    """Input that breaks a rule; `field_errors` names the fields."""

    status = 422


class PermissionDenied(DomainError):
    status = 403


class NotFound(DomainError):
    status = 404


class Conflict(DomainError):
    """The object is not in a state that allows the action."""

    status = 409


class Unavailable(DomainError):
    """A service the act needs (virus scanning) is not answering: nothing was done; try again."""

    status = 503


class StartupError(RuntimeError):
    """The application cannot start: bad configuration or an unreachable service."""
