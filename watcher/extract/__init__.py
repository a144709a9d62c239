"""Turning a fetched response into Items: the kind registry, one module per kind, markup helpers."""
