# watcher in a container: `docker build -t watcher .`, then
#   docker run -d --name watcher --restart unless-stopped --stop-timeout 45 \
#     -v watcher-state:/var/lib/watcher -v "$PWD/config:/etc/watcher:ro" --env-file watcher.env \
#     -p 127.0.0.1:9464:9464 watcher
# where config/ holds sources.toml and alerts/ (mount the directory, not single files, so that
# edits that replace a file are seen and reloaded), and watcher.env the secrets of alerts/apprise.yml.
# The health endpoint listens on 0.0.0.0 inside the container so the port mapping reaches it;
# publish it on the host's loopback (as above) unless Prometheus scrapes from elsewhere.

FROM python:3.11-slim AS build
WORKDIR /src
# installed from this clone, never from PyPI: "watcher" there is another program (ours is "watcher-alerts")
COPY pyproject.toml README.md ./
COPY watcher ./watcher
RUN python -m venv /opt/watcher \
 && /opt/watcher/bin/pip install --no-cache-dir --upgrade pip \
 && /opt/watcher/bin/pip install --no-cache-dir .

FROM python:3.11-slim
RUN useradd --system --uid 10001 --user-group --home-dir /var/lib/watcher --shell /usr/sbin/nologin watcher \
 && install -d -o watcher -g watcher -m 0750 /var/lib/watcher
COPY --from=build /opt/watcher /opt/watcher
COPY sources.toml /etc/watcher/sources.toml
COPY alerts /etc/watcher/alerts
ENV PATH=/opt/watcher/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    WATCHER_SOURCES=/etc/watcher/sources.toml \
    WATCHER_ALERTS=/etc/watcher/alerts \
    WATCHER_STATE=/var/lib/watcher \
    WATCHER_LOG_LEVEL=info
USER watcher
WORKDIR /var/lib/watcher
VOLUME /var/lib/watcher
EXPOSE 9464
# python, not curl (the slim image has none); urlopen raises on the 503 of an unhealthy daemon.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:9464/healthz', timeout=4)"]
STOPSIGNAL SIGTERM
ENTRYPOINT ["watcher"]
CMD ["run", "--http", "0.0.0.0:9464"]
