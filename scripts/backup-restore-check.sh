#!/usr/bin/env bash
# Backs up kassa's database with pg_dump and proves that the backup restores: it restores
# it with pg_restore into a fresh scratch database on the same server and compares, table
# by table, the row count and a checksum of every row, and a few key figures (schema
# version, number and total of sales, payments, stock on hand), with the database as it
# was at the moment of the dump (the dump and the figures read one snapshot, so a daemon
# may go on working meanwhile). The scratch database is dropped afterwards.
#
#   scripts/backup-restore-check.sh [-o FILE] [--keep] [DATABASE_URL]
#
# DATABASE_URL defaults to $DATABASE_URL, else kassa's local default. FILE (the backup,
# pg_dump's custom format) defaults to kassa-YYYYMMDD-HHMMSS.dump in the current folder.
# --keep leaves the scratch database for a look. The user needs the right to create
# databases. Exit status: 0 the backup restores to the same figures; 1 it does not, or a
# step failed (said on stderr); 2 a usage error.
set -euo pipefail

say() { printf 'backup-restore-check: %s\n' "$*" >&2; }
usage() {
	sed -n '2,/^set -euo/{/^#/s/^# \{0,1\}//p}' "$0" >&2
	exit "${1:-2}"
}

url="" out="" keep=0
while [ $# -gt 0 ]; do
	case $1 in
	-o) [ $# -ge 2 ] || usage; out=$2; shift ;;
	--keep) keep=1 ;;
	-h | --help) usage 0 ;;
	-*) say "unknown option $1"; usage ;;
	*) [ -z "$url" ] || usage; url=$1 ;;
	esac
	shift
done
url=${url:-${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/kassa?sslmode=disable}}
out=${out:-kassa-$(date +%Y%m%d-%H%M%S).dump}
for tool in psql pg_dump pg_restore; do
	if ! command -v "$tool" >/dev/null 2>&1; then
		say "$tool is not installed (Debian: apt-get install postgresql-client)"
		exit 1
	fi
done
case $url in
postgres://*/* | postgresql://*/*) ;;
*) say "the database must be a URL that names it, e.g. postgres://kassa@db.example/kassa"; exit 2 ;;
esac

# The scratch database: the same server and settings, another name.
base=${url%%\?*}
query=""
[[ $url == *\?* ]] && query="?${url#*\?}"
scratch="kassa_restore_check_$(date +%s)_$$"
scratch_url="${base%/*}/$scratch$query"

work=$(mktemp -d)
created=0
cleanup() {
	if [ "$created" = 1 ] && [ "$keep" = 0 ]; then
		psql "$url" -qAtX -c "DROP DATABASE IF EXISTS $scratch WITH (FORCE)" >/dev/null 2>&1 ||
			say "could not drop the scratch database $scratch: drop it by hand"
	fi
	rm -rf "$work"
}
trap cleanup EXIT

# Every table's row count and a checksum of its rows (in a fixed text form: UTC times),
# then the key figures. Output lines: name|value|checksum.
figures_sql=$(
	cat <<'SQL'
SET TimeZone = 'UTC';
SET extra_float_digits = 3;
SELECT format('SELECT %L, count(*), coalesce(md5(string_agg(md5(t::text), '''' ORDER BY md5(t::text))), ''-'') FROM %I.%I t',
              'table ' || schemaname || '.' || tablename, schemaname, tablename)
FROM pg_tables WHERE schemaname NOT IN ('pg_catalog', 'information_schema') ORDER BY schemaname, tablename
\gexec
SELECT 'schema version', coalesce(max(version_id), 0), '' FROM goose_db_version WHERE is_applied;
SELECT 'sales', count(*), coalesce(sum(total), 0) FROM sales;
SELECT 'payments', count(*), coalesce(sum(amount), 0) FROM payments;
SELECT 'stock on hand', count(*), coalesce(sum(on_hand), 0) FROM stock_levels;
SQL
)

# The source: one read-only snapshot, exported for pg_dump and read for the figures.
coproc SRC { psql "$url" -qAtX -v ON_ERROR_STOP=1 2>&1; }
exec {to}>&"${SRC[1]}" {from}<&"${SRC[0]}"
printf '%s\n' "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY;" "SELECT pg_export_snapshot();" >&"$to"
snapshot=""
read -r snapshot <&"$from" || true
if ! [[ $snapshot =~ ^[0-9A-F]+-[0-9A-F]+-[0-9]+$ ]]; then
	say "cannot read the database: ${snapshot:-no answer}"
	exit 1
fi
pg_dump -Fc --snapshot="$snapshot" -f "$out" "$url"
printf '%s\n%s\n' "$figures_sql" '\echo --end--' >&"$to"
ended=0
while IFS= read -r line <&"$from"; do
	if [ "$line" = "--end--" ]; then
		ended=1
		break
	fi
	printf '%s\n' "$line"
done >"$work/source.txt"
printf 'COMMIT;\n' >&"$to"
src_pid=$SRC_PID
exec {to}>&- {from}<&-
if [ -n "${SRC[1]:-}" ]; then
	eval "exec ${SRC[1]}>&- ${SRC[0]}<&-"
fi
wait "$src_pid" || true
if [ "$ended" = 0 ]; then
	say "cannot read the database's figures: $(tail -n 1 "$work/source.txt")"
	exit 1
fi

# The restore, into a database of its own.
if ! psql "$url" -qAtX -v ON_ERROR_STOP=1 -c "CREATE DATABASE $scratch" >/dev/null 2>"$work/create.txt"; then
	say "the backup $out is written, but it cannot be restored to be checked: creating a scratch database was refused ($(head -n 1 "$work/create.txt")); run the check as a user who may create databases, e.g. sudo -u postgres $0 'postgresql:///kassa?host=/var/run/postgresql'"
	exit 1
fi
created=1
if ! pg_restore --exit-on-error --no-owner --no-privileges -d "$scratch_url" "$out" 2>"$work/restore.txt"; then
	say "pg_restore failed: $(head -n 3 "$work/restore.txt")"
	exit 1
fi
printf '%s\n' "$figures_sql" | psql "$scratch_url" -qAtX -v ON_ERROR_STOP=1 >"$work/restored.txt"

size=$(du -h "$out" | cut -f1)
if ! diff -q "$work/source.txt" "$work/restored.txt" >/dev/null; then
	say "the backup $out ($size) does NOT restore to the same data; what differs (< database, > restored copy):"
	diff "$work/source.txt" "$work/restored.txt" | grep '^[<>]' | sed 's/|[0-9a-f]\{32\}$/ (checksum)/' >&2 || true
	exit 1
fi
tables=$(grep -c '^table ' "$work/source.txt" || true)
figure() { grep "^$1|" "$work/source.txt" | cut -d'|' -f"$2"; }
echo "backup $out ($size) restores: $tables tables with the same rows, restored into $scratch and compared"
echo "  schema version $(figure 'schema version' 2); $(figure sales 2) sales totalling $(figure sales 3);" \
	"$(figure payments 2) payments totalling $(figure payments 3); stock on hand $(figure 'stock on hand' 3)"
if [ "$keep" = 1 ]; then
	echo "  the restored copy is kept: $scratch (drop it with: psql '$url' -c 'DROP DATABASE $scratch')"
fi
