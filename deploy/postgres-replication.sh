#!/bin/sh
# docker-compose's PostgreSQL runs this on first start: the backup and wal-archive services take
# their copies over replication connections (pg_basebackup, pg_receivewal), which the image's
# pg_hba.conf does not let in from other containers.
echo "host replication all all scram-sha-256" >> "$PGDATA/pg_hba.conf"
