"""Value types shared by the tables of sources.toml: durations and sizes with units, levels, entry names."""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import BeforeValidator

from watcher.core.units import parse_duration, parse_size

LEVELS = ("high", "medium", "low")
Level = Literal["high", "medium", "low"]
Duration = Annotated[float, BeforeValidator(parse_duration)]  # "90s", "30m", "6h", "1d", or seconds
Size = Annotated[int, BeforeValidator(parse_size)]  # "10MB", "512KB", or bytes
#: the name of a [[source]] or an [[expect]]: it is a job id, a metric label and part of file names
NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
