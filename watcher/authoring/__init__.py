"""`watcher sources try`: probe a URL and suggest how to watch it."""
