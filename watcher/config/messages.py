"""pydantic's validation errors, said the way an analyst editing sources.toml reads them.

pydantic speaks of tuples, dictionaries, union members (`severity.literal['high','medium','low']`)
and bare numbers; sources.toml has lists, tables, one key and durations with units. Each error
becomes `key 'name': what is wrong; got VALUE`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel
from pydantic.fields import FieldInfo

from watcher.core.units import format_duration, parse_duration

# pydantic tags a union member's errors with its type in the location: not a key anyone wrote
_MEMBER = re.compile(r"[\[\]]|^(str|int|float|bool|dict|list|tuple|set|none|is-instance|function-\w+)$")
_TYPES = {
    "tuple_type": "must be a list, e.g. {example}",
    "list_type": "must be a list, e.g. {example}",
    "set_type": "must be a list, e.g. {example}",
    "dict_type": 'must be a table, e.g. {{ key = "value" }}',
    "model_type": 'must be a table, e.g. {{ key = "value" }}',
    "model_attributes_type": 'must be a table, e.g. {{ key = "value" }}',
    "bool_type": "must be true or false (without quotes)",
    "bool_parsing": "must be true or false (without quotes)",
    "string_type": "must be text in quotes",
    "int_type": "must be a whole number",
    "int_parsing": "must be a whole number",
    "int_from_float": "must be a whole number",
    "float_type": "must be a number",
    "float_parsing": "must be a number",
    "missing": "is required",
}
_BOUNDS = {
    "greater_than_equal": ("ge", "at least"),
    "greater_than": ("gt", "more than"),
    "less_than_equal": ("le", "at most"),
    "less_than": ("lt", "less than"),
}


def key_of(loc: tuple[Any, ...]) -> list[str]:
    """The location as the keys the file has (union member tags dropped)."""
    return [str(part) for part in loc if not _MEMBER.search(str(part))]


def is_duration(field: FieldInfo | None) -> bool:
    return field is not None and any(getattr(meta, "func", None) is parse_duration for meta in field.metadata)


def field_of(model: type[BaseModel], loc: list[str]) -> FieldInfo | None:
    """The field a location names, following nested models (detail.max)."""
    field = None
    for part in loc:
        fields = getattr(model, "model_fields", None)
        if not isinstance(fields, dict) or part not in fields:
            break
        field = fields[part]
        model = field.annotation
        args = getattr(model, "__args__", ())
        model = next((arg for arg in args if isinstance(arg, type) and issubclass(arg, BaseModel)), model)
    return field


def message(item: Mapping[str, Any], field: FieldInfo | None) -> str:
    """What is wrong, in the file's terms: lists, tables, true/false, durations with their unit."""
    kind = item["type"]
    bound = _BOUNDS.get(kind)
    if bound is not None and bound[0] in item.get("ctx", {}):
        limit = item["ctx"][bound[0]]
        shown = format_duration(float(limit)) if is_duration(field) else str(limit)
        return f"must be {bound[1]} {shown}"
    if kind in _TYPES:
        value = item.get("input")
        example = f'["{value}"]' if isinstance(value, str) else '["a", "b"]'
        return _TYPES[kind].format(example=example)
    text = str(item["msg"]).removeprefix("Value error, ")
    return re.sub(r"^Input should be", "must be", text)


def shown_value(value: Any, field: FieldInfo | None) -> str:
    """The offending value as written: durations with a unit."""
    if is_duration(field) and isinstance(value, float):
        return format_duration(value)
    return repr(value)
