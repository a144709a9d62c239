"""`python -m watcher`: the same CLI as the `watcher` script (for containers and tests without the script)."""

from watcher.cli import main

if __name__ == "__main__":
    main()
