"""pydantic's errors as the lines an analyst reads: "file: entry: key 'x': what is wrong; got VALUE (what it is)".

Every table of sources.toml ([settings], [defaults], each [[source]], each [[expect]]) is validated
through `validate`, which appends one line per problem instead of raising, so a file with five
mistakes is fixed in one pass. The wording of each pydantic error is watcher.config.messages.
"""

from __future__ import annotations

import difflib
from typing import Any

from pydantic import BaseModel, ValidationError

from watcher.config import messages


def validate(
    model: type[BaseModel], data: Any, where: str, problems: list[str], context: dict[str, Any] | None = None
) -> Any:
    """`data` validated as `model`, or None with the problems appended, each starting with `where`."""
    if not isinstance(data, dict):
        problems.append(f"{where} must be a table")
        return None
    try:
        return model.model_validate(data, context=context)
    except ValidationError as error:
        fields = model.model_fields
        seen: set[str] = set()
        for item in error.errors():
            loc = messages.key_of(item["loc"])
            key = ".".join(loc) or "?"
            if item["type"] == "extra_forbidden":
                allowed = sorted(fields)
                problems.append(
                    f"{where}: unknown key {key!r}{suggest(loc[-1], allowed)}; allowed: {', '.join(allowed)}"
                )
                continue
            if key in seen:  # a union (severity) reports once per member: the first says it
                continue
            seen.add(key)
            top = fields.get(loc[0]) if loc else None
            field = messages.field_of(model, loc)
            described = f" ({top.description})" if top is not None and top.description else ""
            said = messages.message(item, field)
            shown = "" if item["type"] == "missing" else _shown(loc, item.get("input"), field)
            problems.append(f"{where}: key {key!r}: {said}{shown}{described}")
        return None


def _shown(loc: list[str], value: Any, field: Any) -> str:
    """The offending value, unless it may hold a secret (headers carry tokens) or is too long to help."""
    if loc and loc[0] in ("headers", "user_agent"):
        return ""
    text = messages.shown_value(value, field)
    return f"; got {text}" if len(text) <= 80 else f"; got a {type(value).__name__}"


def suggest(word: str, choices: list[str]) -> str:
    close = difflib.get_close_matches(word, choices, n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""
