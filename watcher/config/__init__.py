"""sources.toml -> validated, immutable Source values."""
