#!/bin/sh
# Backups of dronewatch's state, exactly as docs/operations.md ("Backups") gives them and as
# tests/integration/test_backup.py runs them (backup, restore into a new database, same answers).
#
#   backup.sh dump-store [pg_dump connection options] DBNAME > store.dump
#       the PostgreSQL incident store, as a custom-format dump on standard output
#   backup.sh restore-store [pg_restore connection options] -d DBNAME < store.dump
#       into an EMPTY database (create it first); one transaction, stops at the first error
#   backup.sh copy-sqlite FROM.db TO.db
#       an SQLite database (the store under `make run`, ingestion's outbox) through SQLite's online
#       backup API: consistent while the service writes. Copying a backup back is the restore
#       (with the service stopped).
#
# PG_EXEC runs the PostgreSQL tools elsewhere, e.g. PG_EXEC="docker compose exec -T postgres" to
# use the server's own pg_dump (it must be at least the server's version).
set -eu
usage="usage: backup.sh dump-store|restore-store [options] | copy-sqlite FROM.db TO.db"
cmd=${1:?$usage}
shift
case "$cmd" in
  dump-store)
    exec ${PG_EXEC:-} pg_dump --format=custom --no-owner --no-acl "$@" ;;
  restore-store)
    exec ${PG_EXEC:-} pg_restore --no-owner --no-acl --exit-on-error --single-transaction "$@" ;;
  copy-sqlite)
    [ $# -eq 2 ] || { echo "$usage" >&2; exit 2; }
    [ -f "$1" ] || { echo "backup.sh: no database at $1" >&2; exit 2; }
    exec "${PYTHON:-python3}" -c '
import sqlite3, sys
source, target = sqlite3.connect(sys.argv[1]), sqlite3.connect(sys.argv[2])
with target:
    source.backup(target)
source.close()
target.close()
' "$1" "$2" ;;
  *)
    echo "$usage" >&2
    exit 2 ;;
esac
