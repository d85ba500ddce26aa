#!/bin/sh
# The standby's start (docker-compose's `postgres-standby`, Kubernetes' postgres-standby-0), run
# as: postgres-standby.sh <the server's command, e.g. docker-entrypoint.sh postgres>.
#
# On its first start (no cluster in PGDATA) it copies the primary (PRIMARY_HOST, PRIMARY_PORT;
# PGUSER and PGPASSWORD a role with REPLICATION) with `pg_basebackup -R` through a replication
# slot named STANDBY_NAME, which is also its application_name, the name the primary's
# synchronous_standby_names gives it. -R writes standby.signal and primary_conninfo, so the server
# starts as a hot standby streaming from the primary; the slot keeps the primary from recycling
# WAL the standby has not received yet. Every later start just starts the server (a standby
# still, or the primary it was promoted to: pg_ctl promote removes standby.signal).
#
# Safe to run again after a first start that failed half way: the copy is made beside PGDATA and
# renamed only once complete, and a slot left inactive by the failed attempt is dropped first.
set -eu

: "${PGDATA:?PGDATA: where the standby's cluster lives}"
: "${PRIMARY_HOST:?PRIMARY_HOST: the primary to copy}"
PRIMARY_PORT="${PRIMARY_PORT:-5432}"
STANDBY_NAME="${STANDBY_NAME:-postgres_standby}"
export PGUSER="${PGUSER:-postgres}"

if [ "$(id -u)" = 0 ]; then  # the image starts as root; PostgreSQL's files belong to postgres
    mkdir -p "$(dirname "$PGDATA")"
    chown postgres "$(dirname "$PGDATA")"
    exec gosu postgres sh "$0" "$@"
fi

if [ ! -s "$PGDATA/PG_VERSION" ]; then
    if [ -d "$PGDATA" ]; then
        rmdir "$PGDATA" || { echo "$PGDATA holds files but no cluster: not touching it" >&2; exit 1; }
    fi
    copy="$PGDATA.new"
    rm -rf "$copy"
    until pg_isready -q -h "$PRIMARY_HOST" -p "$PRIMARY_PORT"; do
        echo "waiting for the primary at $PRIMARY_HOST:$PRIMARY_PORT"
        sleep 2
    done
    psql -h "$PRIMARY_HOST" -p "$PRIMARY_PORT" -d postgres -X -q -t -v ON_ERROR_STOP=1 -c \
        "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots
         WHERE slot_name = '$STANDBY_NAME' AND NOT active" >/dev/null
    echo "copying the primary at $PRIMARY_HOST:$PRIMARY_PORT (pg_basebackup, slot $STANDBY_NAME)"
    pg_basebackup -d "host=$PRIMARY_HOST port=$PRIMARY_PORT application_name=$STANDBY_NAME" \
        -D "$copy" -X stream -c fast -R -C -S "$STANDBY_NAME"
    # The copy has the primary's postgresql.conf, naming this server as its synchronous standby:
    # promoted, it would wait at every commit for itself. Its own setting (postgresql.auto.conf,
    # which wins) names none, so a promoted standby goes on alone until it is given a standby.
    echo "synchronous_standby_names = ''" >> "$copy/postgresql.auto.conf"
    mv "$copy" "$PGDATA"
    echo "standby of $PRIMARY_HOST:$PRIMARY_PORT made in $PGDATA"
fi

exec "$@"
