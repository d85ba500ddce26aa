#!/bin/sh
# The primary's first start (docker-compose's `postgres`, Kubernetes' postgres-0) runs this once,
# after initdb. Replication connections (the standby's pg_basebackup and its WAL stream, the
# backup and wal-archive services' pg_basebackup and pg_receivewal) come from other containers,
# which the image's pg_hba.conf does not let in for replication.
echo "host replication all all scram-sha-256" >> "$PGDATA/pg_hba.conf"
# Synchronous replication to the standby named in SYNCHRONOUS_STANDBY_NAMES (its
# application_name; empty: asynchronous): a commit is acknowledged only once the standby has it,
# so losing the primary loses nothing acknowledged. The price: while that standby is down, every
# commit waits (docs/operations.md, "Database primary lost", says how to go asynchronous then:
# ALTER SYSTEM SET synchronous_standby_names = '', which wins over this file). wal_log_hints lets
# pg_rewind make this server a standby of the other after a failover. In postgresql.conf, not on
# the command line, so that ALTER SYSTEM can change it without a restart.
cat >> "$PGDATA/postgresql.conf" <<SETTINGS
synchronous_standby_names = '${SYNCHRONOUS_STANDBY_NAMES:-}'
synchronous_commit = on
wal_log_hints = on
SETTINGS
