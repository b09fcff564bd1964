#!/bin/sh
# Create the cluster, its user and database on first start (as the official image does), then run the server
# in the foreground on $LISTEN_ADDRESSES (default: every address) and $PGPORT (default 5432).
set -eu
if [ ! -s "$PGDATA/PG_VERSION" ]; then
    printf '%s\n' "$POSTGRES_PASSWORD" > /tmp/pwfile
    initdb --username="$POSTGRES_USER" --pwfile=/tmp/pwfile --auth-host=scram-sha-256 --auth-local=trust \
        --encoding=UTF8 --locale=C.UTF-8 \
        -D "$PGDATA" >/dev/null
    rm /tmp/pwfile
    echo "host all all all scram-sha-256" >> "$PGDATA/pg_hba.conf"
    pg_ctl -D "$PGDATA" -o "-c listen_addresses='' -p ${PGPORT:-5432}" -w start >/dev/null
    if [ "$POSTGRES_DB" != "postgres" ]; then
        createdb -h /var/run/postgresql -p "${PGPORT:-5432}" -U "$POSTGRES_USER" "$POSTGRES_DB"
    fi
    pg_ctl -D "$PGDATA" -m fast -w stop >/dev/null
fi
exec postgres -D "$PGDATA" -c "listen_addresses=${LISTEN_ADDRESSES:-*}" -p "${PGPORT:-5432}" \
    -c unix_socket_directories=/var/run/postgresql
