"""Input building blocks: serializers that refuse unknown fields, and strict field types."""

import uuid
from collections.abc import Mapping
from functools import cache
from typing import Any
from zoneinfo import available_timezones

from django.http import QueryDict
from django.utils.dateparse import parse_datetime
from rest_framework import serializers
from rest_framework.exceptions import ErrorDetail
from rest_framework.settings import api_settings

MAX_UNKNOWN_NAME = 100
NOT_AN_OBJECT = ErrorDetail("The request body must be a JSON object, not null.", code="invalid")


# JSON type each kind of field takes, checked before DRF's lenient coercion (which would take
# "3" for 3, 1 for true and 42 for "42"): the schema says which type, so anything else is a 400.
_JSON_TYPES: list[tuple[type, tuple[type, ...], str]] = [
    (serializers.BooleanField, (bool,), "Must be true or false."),
    (serializers.IntegerField, (int,), "Must be an integer."),
    (serializers.FloatField, (int, float), "Must be a number."),
    (serializers.CharField, (str,), "Must be a string."),
    (serializers.UUIDField, (str,), "Must be a string."),
    (serializers.DateTimeField, (str,), "Must be a string."),
    (serializers.ListField, (list,), "Must be a list."),
    (serializers.BaseSerializer, (dict,), "Must be an object."),
]


def _json_type_error(field: serializers.Field, value: Any) -> str | None:
    if value is None:
        return None  # the field itself decides whether null is allowed
    for kind, accepted, message in _JSON_TYPES:
        if isinstance(field, kind):
            if isinstance(value, bool) and bool not in accepted:
                return message
            return None if isinstance(value, accepted) else message
    return None


class StrictSerializer(serializers.Serializer):
    """An input serializer that answers 400 to fields it does not declare, so a client can
    never set what it may not (owner, score, card state…) and a typo is not silently ignored,
    to values of the wrong JSON type, and to a body that is not a JSON object (`null`
    included)."""

    def run_validation(self, data: Any = serializers.empty) -> Any:
        # DRF answers a null body with its own code, "null", which the API does not document.
        if self.parent is None and data is None:
            raise serializers.ValidationError(
                {api_settings.NON_FIELD_ERRORS_KEY: [NOT_AN_OBJECT]}, code="invalid"
            )
        return super().run_validation(data)

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, Mapping):
            writable = {name: field for name, field in self.fields.items() if not field.read_only}
            problems = {
                str(name)[:MAX_UNKNOWN_NAME]: ["This field is not accepted here."]
                for name in data
                if name not in writable
            }
            for name, field in writable.items():
                if name in data and (message := _json_type_error(field, data[name])):
                    problems[name] = [message]
            if problems:
                raise serializers.ValidationError(dict(sorted(problems.items())))
        return super().to_internal_value(data)


class QuerySerializer(serializers.Serializer):
    """Query parameters, each given at most once: a repeated one is a 400 naming it (which of
    them would count is anyone's guess), and so is an empty number (`limit=`), which DRF
    would quietly take for the default. An empty text parameter means none, as documented."""

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, QueryDict):
            problems = {}
            for name, field in self.fields.items():
                values = data.getlist(name)
                if len(values) > 1:
                    problems[name] = [f"Give {name} once, not {len(values)} times."]
                elif values == [""] and not isinstance(field, serializers.CharField):
                    problems[name] = [f"{name} is empty: give a value, or leave it out."]
            if problems:
                raise serializers.ValidationError(problems)
        return super().to_internal_value(data)


class ClientUUIDField(serializers.UUIDField):
    """A client-generated id: a UUID written as a string, never the all-zero UUID."""

    default_error_messages = {
        "invalid": "Must be a UUID string such as 1b4e28ba-2fa1-11d2-883f-0016d3cca427.",
        "nil": "The all-zero UUID is not a valid id; generate a random (version 4) UUID.",
    }

    def to_internal_value(self, data: Any) -> uuid.UUID:
        if not isinstance(data, str) or len(data) > 45:
            self.fail("invalid")
        value = super().to_internal_value(data)
        if value.int == 0:
            self.fail("nil")
        return value


class AwareDateTimeField(serializers.DateTimeField):
    """An RFC 3339 timestamp that states its offset; a bare local time is ambiguous."""

    default_error_messages = {
        "naive": "Include the time zone offset, e.g. 2026-03-02T12:00:00Z.",
    }

    def to_internal_value(self, value: Any) -> Any:
        if isinstance(value, str):
            try:
                parsed = parse_datetime(value.strip())
            except ValueError:
                parsed = None
            if parsed is not None and parsed.tzinfo is None:
                self.fail("naive")
        return super().to_internal_value(value)


class TimeZoneField(serializers.CharField):
    """An IANA time zone name such as Asia/Baku (any name the tz database lists)."""

    default_error_messages = {"unknown_zone": "Not an IANA time zone name (e.g. Asia/Baku)."}

    def __init__(self, **kwargs: Any):
        kwargs.setdefault("max_length", 64)
        super().__init__(**kwargs)

    def to_internal_value(self, data: Any) -> str:
        name = super().to_internal_value(data)
        if name not in time_zone_names():
            self.fail("unknown_zone")
        return name


@cache
def time_zone_names() -> frozenset[str]:
    return frozenset(available_timezones())


def refuse_body(data: Any) -> None:
    """For operations that take no body: one naming fields (a client trying to set a score, an
    owner or a status) is refused with 400, as unknown fields are everywhere else."""
    if data is None or (isinstance(data, Mapping) and not data):
        return
    if isinstance(data, Mapping):
        raise serializers.ValidationError(
            {str(name)[:MAX_UNKNOWN_NAME]: ["This field is not accepted here."] for name in data}
        )
    raise serializers.ValidationError("This operation takes no request body.")
