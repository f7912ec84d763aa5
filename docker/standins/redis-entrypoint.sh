#!/bin/sh
# As the official image: `redis-server ARGS` listens on every interface of the container,
# without protected mode (the stack's network is its protection), data in /data.
if [ "$1" = "redis-server" ]; then
    shift
    exec redis-server --bind 0.0.0.0 --protected-mode no --dir /data "$@"
fi
exec "$@"
