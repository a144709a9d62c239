"""watcher: an alerting daemon for critical-mineral supply risk."""

__version__ = "0.1.0"
