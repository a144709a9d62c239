"""`watcher demo`: the whole pipeline, offline, on bundled snapshots of real sources.

`scenario` reads the story (package data in `watcher/data/demo/`), `server`
mirrors the sites on 127.0.0.1, `card` draws delivered alerts as Slack-like
cards, and `play` runs the baseline and the steps through `watcher check`'s
own pipeline.
"""
