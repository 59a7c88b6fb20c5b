"""The NinjaAPI: authentication, the routers, and every error as problem details."""

from __future__ import annotations

import logging
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, AuthorizationError, HttpError, ValidationError

from collabready.errors import UserError
from collabready.web.api import routes_jobs, routes_privacy, routes_responses, routes_waves
from collabready.web.api.auth import TokenAuth
from collabready.web.api.common import DEFAULT_LIMIT, MAX_LIMIT, ApiError
from collabready.web.api.problems import problem

logger = logging.getLogger(__name__)

DESCRIPTION = f"""
The Collaboration Readiness Index API. See docs/api.md for a Python client.

* **Authentication:** `Authorization: Bearer <token>`; tokens are created and revoked by an
  admin. A token acts with its user's role (admin, researcher, convenor).
* **Pagination:** lists take `limit` (default {DEFAULT_LIMIT}, at most {MAX_LIMIT}) and
  `cursor` (the `next_cursor` of the previous page; `null` when there are no more).
* **Rate limit:** past the token's limit the API answers 429 with `Retry-After` (seconds).
* **Errors:** every error is `application/problem+json` (RFC 9457): `status`, `title`,
  `detail`, and `errors` (each problem and where) when there are several.
* **Denials:** an object you may not see answers 404 exactly as one that does not exist;
  an action your role may not take on an object you can see answers 403.
* **ETags:** large reads (instruments, response pages, aggregates) send an `ETag`; send it
  back as `If-None-Match` to get `304 Not Modified`.
* **Idempotency:** `POST /api/waves/{{id}}/responses` needs an `Idempotency-Key` header.
"""

api = NinjaAPI(
    title="Collaboration Readiness Index API",
    version="1",
    description=DESCRIPTION,
    auth=TokenAuth(),
    urls_namespace="api",
    docs_url="/docs",
    openapi_url="/openapi.json",
)
api.add_router("", routes_waves.router)
api.add_router("", routes_responses.router)
api.add_router("", routes_jobs.router)
api.add_router("", routes_privacy.router)


def _clean_errors(errors: list[Any]) -> list[dict[str, Any]]:
    cleaned = []
    for error in errors:
        if isinstance(error, dict):
            cleaned.append(
                {"loc": [str(p) for p in error.get("loc", ())], "msg": str(error.get("msg", ""))}
            )
        else:
            cleaned.append({"msg": str(error)})
    return cleaned


@api.exception_handler(ApiError)
def _api_error(request: HttpRequest, exc: ApiError) -> HttpResponse:
    return problem(
        exc.status, exc.detail, errors=exc.errors, headers=exc.headers, instance=request.path
    )


@api.exception_handler(ValidationError)
def _validation(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    errors = _clean_errors(list(exc.errors))
    where = "; ".join(f"{'.'.join(e.get('loc', []))}: {e['msg']}" for e in errors[:5])
    return problem(422, f"the request is not valid: {where}", errors=errors, instance=request.path)


@api.exception_handler(AuthenticationError)
def _unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return problem(
        401,
        "send a live API token as 'Authorization: Bearer <token>' (unknown, revoked and "
        "expired tokens are refused)",
        headers={"WWW-Authenticate": 'Bearer realm="api"'},
        instance=request.path,
    )


@api.exception_handler(AuthorizationError)
def _unauthorised(request: HttpRequest, exc: AuthorizationError) -> HttpResponse:
    return problem(403, "your role may not do this", instance=request.path)


@api.exception_handler(HttpError)
def _http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    return problem(exc.status_code, str(exc), instance=request.path)


@api.exception_handler(Http404)
def _not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return problem(404, "there is nothing at this address in the API", instance=request.path)


@api.exception_handler(UserError)
def _user_error(request: HttpRequest, exc: UserError) -> HttpResponse:
    return problem(422, str(exc), instance=request.path)


@api.exception_handler(Exception)
def _unexpected(request: HttpRequest, exc: Exception) -> HttpResponse:
    logger.exception("API error on %s %s", request.method, request.path, exc_info=exc)
    return problem(
        500,
        f"an unexpected error ({type(exc).__name__}); the details are in the server log",
        instance=request.path,
    )
