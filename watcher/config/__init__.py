"""sources.toml -> validated, immutable Source values; pydantic errors as "file: entry: key" lines."""
