"""Plain values and helpers every stage shares; imports nothing else of watcher."""
