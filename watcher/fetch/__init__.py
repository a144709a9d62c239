"""HTTP for checks, and deciding how a body is encoded."""
