"""Turning a fetched response into Items: the kind registry, one self-describing module per kind, markup,
dates, main text, detail pages, and the option suggestions `watcher sources try` shows."""
