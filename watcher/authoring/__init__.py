"""`watcher sources try`: fetch a URL once, ask every kind what it makes of it, and print a [[source]] to paste."""
