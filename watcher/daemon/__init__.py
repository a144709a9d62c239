"""`watcher run`: the life cycle, the scheduler's jobs, signals, reload, health and metrics endpoints."""
