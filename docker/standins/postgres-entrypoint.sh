#!/bin/sh
# As the official image: a first start makes the cluster with POSTGRES_USER (superuser, with
# POSTGRES_PASSWORD over TCP) and POSTGRES_DB; every start serves on every interface.
set -e
if [ "$1" = "postgres" ]; then
    if [ ! -s "$PGDATA/PG_VERSION" ]; then
        user="${POSTGRES_USER:-postgres}"
        printf '%s\n' "${POSTGRES_PASSWORD:?POSTGRES_PASSWORD is required}" >/tmp/pwfile
        initdb -D "$PGDATA" -U "$user" --pwfile=/tmp/pwfile --auth-local=trust --auth-host=scram-sha-256 -E UTF8 >/dev/null
        rm /tmp/pwfile
        echo "host all all all scram-sha-256" >>"$PGDATA/pg_hba.conf"
        pg_ctl -D "$PGDATA" -o "-c listen_addresses=''" -w start >/dev/null
        db="${POSTGRES_DB:-$user}"
        [ "$db" = "postgres" ] || createdb -U "$user" "$db"
        pg_ctl -D "$PGDATA" -m fast -w stop >/dev/null
    fi
    shift
    exec postgres -D "$PGDATA" -c listen_addresses='*' "$@"
fi
exec "$@"
