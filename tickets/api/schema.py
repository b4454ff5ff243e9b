"""The OpenAPI schema's shared parts: every operation documents the error answers it can give,
in the one shape the exception handler (tickets.api.errors) produces."""

from typing import Any, Literal

from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiExample, extend_schema_serializer
from rest_framework import serializers

WRITES = ("POST", "PUT", "PATCH", "DELETE")


@extend_schema_serializer(
    examples=[
        OpenApiExample(
            "Refused",
            value={"detail": "You cannot share this request."},
            response_only=True,
            status_codes=["401", "403", "404", "409", "413", "429"],
        )
    ]
)
class ErrorOut(serializers.Serializer[Any]):
    """Every refusal but a bad field: 401, 403, 404, 409, 413, 429."""

    detail = serializers.CharField(help_text="What went wrong, in the caller's language.")


# 400: one entry per field in error (a list of messages, or for `fields` an object of them by
# field key), or `detail` for a document that could not be read at all.
VALIDATION_ERROR = {
    "type": "object",
    "description": 'Messages by field: {"summary": ["This field is required."]}; nested by key for `fields`.',
    "additionalProperties": True,
    "example": {"fields": {"summary": ["This field is required."]}},
}
ERRORS = {
    "401": "Not signed in: no, an expired or a revoked token.",
    "403": "Signed in, but this action is not yours to take.",
    "404": "No such thing, or not one you may see.",
    "413": "The body is larger than the server accepts.",
    "429": "Too many requests: wait the seconds in Retry-After.",
}
CONFLICT = "The request changed since you read it (a stale `version`), or the action does not fit its state."


TAGS_BY_PATH = (("/auth/", "auth"), ("/desks/", "catalogue"), ("/request-types/", "catalogue"),
                ("/queues/", "agents"), ("/search/", "agents"), ("/work-items/", "agents"))  # fmt: skip


class HelpdeskAutoSchema(AutoSchema):
    def get_tags(self) -> list[str]:
        for part, tag in TAGS_BY_PATH:
            if self.path.startswith(f"/api/v1{part}"):
                return [tag]
        return ["requests"]

    def _get_response_bodies(self, direction: Literal["request", "response"] = "response") -> dict[str, Any]:
        responses = super()._get_response_bodies(direction)
        if direction != "response":
            return responses
        responses.setdefault(
            "400", {"description": "Bad input.", "content": {"application/json": {"schema": VALIDATION_ERROR}}}
        )
        errors = dict(ERRORS)
        if self.method in WRITES:
            errors["409"] = CONFLICT
        for code, description in errors.items():
            if code not in responses:
                body = self._get_response_for_code(ErrorOut, code, direction=direction)
                body["description"] = description
                responses[code] = body
        responses["429"]["headers"] = {
            "Retry-After": {"schema": {"type": "integer"}, "description": "Seconds to wait before trying again."}
        }
        return responses
