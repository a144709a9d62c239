"""`watcher run`: the scheduler, signals, reload, health and metrics endpoints."""
