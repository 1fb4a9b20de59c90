#!/usr/bin/env bash
# Makes a PostgreSQL server available on 127.0.0.1:5432 where the user postgres may log
# in without a password (trust), as kassa's tests and demo expect:
#   - already answering: nothing to do;
#   - installed but stopped: start the newest cluster;
#   - not installed: install Debian's postgresql package, then start it.
# Then it makes sure that password-less TCP logins of postgres from localhost work.
set -euo pipefail

host=127.0.0.1
port=${PGPORT:-5432}
cluster=${KASSA_PG_CLUSTER:-main} # the Debian cluster to start when none answers
say() { printf 'ensure-postgres: %s\n' "$*" >&2; }
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

ready() { command -v pg_isready >/dev/null 2>&1 && pg_isready -q -h "$host" -p "$port"; }

start_cluster() {
	local version
	version=$(ls /etc/postgresql 2>/dev/null | sort -V | tail -n 1)
	[ -n "$version" ] || return 1
	[ -d "/etc/postgresql/$version/$cluster" ] || return 1
	if ! as_root pg_ctlcluster --skip-systemctl-redirect "$version" "$cluster" status >/dev/null 2>&1; then
		say "starting PostgreSQL $version ($cluster)"
		as_root pg_ctlcluster --skip-systemctl-redirect "$version" "$cluster" start
	fi
}

wait_ready() {
	for _ in $(seq 1 60); do
		ready && return 0
		sleep 1
	done
	say "PostgreSQL did not become ready on $host:$port"
	return 1
}

if ! ready; then
	if ! start_cluster; then
		say "installing PostgreSQL from Debian's packages"
		as_root apt-get update -qq
		as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
		start_cluster
	fi
	wait_ready
fi

# Password-less TCP login for postgres from localhost (a fresh Debian install only
# allows peer login on the socket).
if ! psql -h "$host" -p "$port" -U postgres -d postgres -w -qAtc 'SELECT 1' >/dev/null 2>&1; then
	version=$(ls /etc/postgresql | sort -V | tail -n 1)
	hba=/etc/postgresql/$version/$cluster/pg_hba.conf
	say "allowing trust logins from localhost in $hba"
	as_root sed -i '1i host all all 127.0.0.1/32 trust\nhost all all ::1/128 trust' "$hba"
	as_root pg_ctlcluster --skip-systemctl-redirect "$version" "$cluster" reload
	sleep 1
	psql -h "$host" -p "$port" -U postgres -d postgres -w -qAtc 'SELECT 1' >/dev/null
fi
say "PostgreSQL is ready on $host:$port"
