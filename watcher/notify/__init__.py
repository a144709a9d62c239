"""Delivery: channels (alerts/apprise.yml), routes (alerts/routes.toml), templates and the outbox sender."""
