"""The API's one error shape and its root.

Every error is `{"detail": "<sentence naming the field>", "errors": {field: [messages]}}` with a
4xx status; domain exceptions raised by services become 400/503 here, never 500.
"""

from __future__ import annotations

import redis
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, status
from rest_framework.decorators import api_view, permission_classes
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.reverse import reverse
from rest_framework.views import exception_handler as drf_exception_handler


class ServiceUnavailable(exceptions.APIException):
    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_detail = "A service AdGenesis depends on is not available; try again in a minute."


def _flatten(errors, prefix: str = "") -> dict[str, list[str]]:
    """DRF's nested error dicts/lists → {"elements[2].fontSize": ["..."]}."""
    flat: dict[str, list[str]] = {}
    if isinstance(errors, dict):
        for key, value in errors.items():
            path = (
                key
                if key in ("non_field_errors", "__all__") and not prefix
                else (f"{prefix}.{key}" if prefix else str(key))
            )
            flat.update(_flatten(value, path))
    elif isinstance(errors, list) and errors and all(isinstance(e, str) for e in errors):
        flat[prefix or "detail"] = [str(e) for e in errors]
    elif isinstance(errors, list):
        for index, value in enumerate(errors):
            if value:
                flat.update(_flatten(value, f"{prefix}[{index}]"))
    else:
        flat[prefix or "detail"] = [str(errors)]
    return flat


def _sentence(errors: dict[str, list[str]]) -> str:
    parts = []
    for field, messages in errors.items():
        message = " ".join(messages)
        named = field in ("detail", "non_field_errors", "__all__") or message.startswith(f"{field}:")
        parts.append(message if named else f"{field}: {message}")
    return "; ".join(parts)


def _domain_exception(exc) -> exceptions.APIException | None:
    """Exceptions at the edge of a pipeline stage, as API errors with a sentence for people."""
    from banners.copywriting import UnsafeInput, UnsafeOutput
    from banners.pipeline import PipelineError
    from catalog.search import SearchUnavailable
    from mlcore.llm import LLMUnavailable
    from mlcore.spec import SpecError

    if isinstance(exc, SpecError):
        return exceptions.ValidationError({exc.path: [exc.message]})
    if isinstance(exc, PipelineError):
        path, _, message = str(exc).partition(": ")
        return exceptions.ValidationError({path: [message]} if message else {"detail": [str(exc)]})
    if isinstance(exc, SearchUnavailable):
        return ServiceUnavailable(str(exc))
    if isinstance(exc, redis.ConnectionError):
        return ServiceUnavailable("The job queue (Redis) is not reachable; the request was not started.")
    if isinstance(exc, UnsafeOutput):
        return exceptions.ValidationError(
            {exc.field: [f"the generated text was refused by the safety check twice: {exc.verdict.reason}"]}
        )
    if isinstance(exc, UnsafeInput):
        return exceptions.ValidationError({exc.field: [f"refused by the safety check: {exc.verdict.reason}"]})
    if isinstance(exc, LLMUnavailable):
        return ServiceUnavailable(f"The text model is not available right now: {exc}")
    return None


def exception_handler(exc, context):
    exc = _domain_exception(exc) or exc
    if isinstance(exc, ValidationError):
        exc = exceptions.ValidationError(exc.message_dict if hasattr(exc, "error_dict") else {"detail": exc.messages})
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound(str(exc) or "Not found.")
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied(str(exc) or None)
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        errors = _flatten(exc.detail)
        response.data = {"detail": _sentence(errors), "errors": errors}
    elif isinstance(response.data, dict) and "detail" in response.data:
        response.data = {"detail": str(response.data["detail"])}
    return response


@extend_schema(responses=OpenApiTypes.OBJECT)
@api_view(["GET"])
@permission_classes([AllowAny])
def api_root(request, format=None):
    """What the AdGenesis API offers; answers without a login so scripts can find their way."""
    names = {
        "products": "product-list",
        "formats": "format-list",
        "campaigns": "campaign-list",
        "campaigns_create": "campaign-create",
        "generate": "api-generate",
        "feedback": "feedback",
        "bank_search": "bank-search",
        "design": "design",
        "render": "render",
        "generate_text": "generate-text",
        "banners": "banner-list",
        "schema": "schema",
        "docs": "docs",
    }
    links = {key: reverse(name, request=request, format=format) for key, name in names.items()}
    return Response(
        {"name": "AdGenesis API", "version": "v1", "authenticated": request.user.is_authenticated, "links": links}
    )
