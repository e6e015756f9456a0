"""The one mapping from the application layer's refusals to HTTP statuses (API and pages)."""

from __future__ import annotations

from fastapi import status
from pydantic import ValidationError

from service.actions.errors import (
    Conflict,
    DomainError,
    Forbidden,
    InvalidInput,
    NotFound,
    TooManyAttempts,
    Unauthorised,
)

STATUS_OF: dict[type[DomainError], int] = {
    Unauthorised: status.HTTP_401_UNAUTHORIZED,
    Forbidden: status.HTTP_403_FORBIDDEN,
    NotFound: status.HTTP_404_NOT_FOUND,
    Conflict: status.HTTP_409_CONFLICT,
    InvalidInput: status.HTTP_422_UNPROCESSABLE_CONTENT,
    TooManyAttempts: status.HTTP_429_TOO_MANY_REQUESTS,
}


def status_of(error: DomainError | ValidationError) -> int:
    """The status of a refusal; a form value that does not validate is 422 as in the API."""
    if isinstance(error, ValidationError):
        return status.HTTP_422_UNPROCESSABLE_CONTENT
    return next(code for kind, code in STATUS_OF.items() if isinstance(error, kind))
