"""Limit/offset pagination with a capped page size; bad, empty or repeated values are a 400,
not ignored."""

from collections.abc import Sequence
from typing import Any

from drf_spectacular.utils import OpenApiParameter
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.utils.urls import remove_query_param, replace_query_param

from quizapp.api.fields import QuerySerializer
from quizapp.api.schema import integer_in

DEFAULT_LIMIT = 50
MAX_LIMIT = 100

MAX_OFFSET = 10**9

PAGINATION_PARAMETERS = [
    OpenApiParameter(
        "limit",
        integer_in(1, MAX_LIMIT),
        description=f"Page size, 1–{MAX_LIMIT} (default {DEFAULT_LIMIT}).",
    ),
    OpenApiParameter("offset", integer_in(0, MAX_OFFSET), description="Items to skip (default 0)."),
]


class PageInputSerializer(QuerySerializer):
    limit = serializers.IntegerField(min_value=1, max_value=MAX_LIMIT, default=DEFAULT_LIMIT)
    offset = serializers.IntegerField(min_value=0, max_value=MAX_OFFSET, default=0)


def page_serializer(item_serializer: type[serializers.Serializer], name: str) -> type:
    """The envelope of a page of `item_serializer` objects, as a named schema component."""
    return type(
        name,
        (serializers.Serializer,),
        {
            "count": serializers.IntegerField(help_text="Items in all pages."),
            "next": serializers.URLField(allow_null=True, help_text="The next page, if any."),
            "previous": serializers.URLField(allow_null=True),
            "results": item_serializer(many=True),
            "__module__": __name__,
        },
    )


def paginated_response(
    *,
    items: Sequence[Any],
    serializer_class: type[serializers.Serializer],
    request: Request,
    context: dict[str, Any] | None = None,
) -> Response:
    """Serialize one page of `items` (a list or a queryset: only the page is fetched)."""
    params = PageInputSerializer(data=request.query_params)
    params.is_valid(raise_exception=True)
    limit, offset = params.validated_data["limit"], params.validated_data["offset"]
    count = len(items) if isinstance(items, list) else items.count()
    page = items[offset : offset + limit]
    url = request.build_absolute_uri()
    next_url = (
        replace_query_param(replace_query_param(url, "limit", limit), "offset", offset + limit)
        if offset + limit < count
        else None
    )
    previous_url = None
    if offset > 0:
        previous_url = replace_query_param(url, "limit", limit)
        previous_url = (
            remove_query_param(previous_url, "offset")
            if offset - limit <= 0
            else replace_query_param(previous_url, "offset", offset - limit)
        )
    return Response(
        {
            "count": count,
            "next": next_url,
            "previous": previous_url,
            "results": serializer_class(page, many=True, context=context or {}).data,
        }
    )
