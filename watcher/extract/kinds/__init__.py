"""One module per source kind; the registry in watcher.extract.registry finds them."""
