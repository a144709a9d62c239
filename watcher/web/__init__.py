"""The read-only web view and feeds: pages over the state for people, served by waitress beside the daemon.

Flask and waitress are imported only here, so only `watcher serve` and `watcher run --http` load them.
"""
