#!/usr/bin/env bash
# Makes a PostgreSQL server available on 127.0.0.1:5432 where the user postgres may log in
# from this machine without a password, as kassa's tests and demo expect:
#   - already answering: nothing to start;
#   - installed but stopped: start the newest cluster;
#   - not installed: install Debian's postgresql package, then start it.
# Then, only when that password-less login does not work yet (a fresh Debian install
# allows only peer logins on the socket), it adds this one line to the top of the
# cluster's pg_hba.conf, says so, and reloads the server:
#     host all postgres 127.0.0.1/32 trust
# that is: the postgres user, over TCP from this machine (IPv4, which is how the tests and
# the demo connect), without a password. It changes nothing else, and nothing at all when
# the login works already. KASSA_PG_HBA names another pg_hba.conf to edit.
set -euo pipefail

host=127.0.0.1
port=${PGPORT:-5432}
cluster=${KASSA_PG_CLUSTER:-main} # the Debian cluster to start when none answers
trust_line="host all postgres 127.0.0.1/32 trust"
say() { printf 'ensure-postgres: %s\n' "$*" >&2; }
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

ready() { command -v pg_isready >/dev/null 2>&1 && pg_isready -q -h "$host" -p "$port"; }

can_login() { psql -h "$host" -p "$port" -U postgres -d postgres -w -qAtc 'SELECT 1' >/dev/null 2>&1; }

newest_version() { ls /etc/postgresql 2>/dev/null | sort -V | tail -n 1; }

start_cluster() {
	local version
	version=$(newest_version)
	[ -n "$version" ] || return 1
	[ -d "/etc/postgresql/$version/$cluster" ] || return 1
	if ! as_root pg_ctlcluster --skip-systemctl-redirect "$version" "$cluster" status >/dev/null 2>&1; then
		say "starting PostgreSQL $version ($cluster)"
		as_root pg_ctlcluster --skip-systemctl-redirect "$version" "$cluster" start
	fi
}

wait_until() {
	local what=$1
	shift
	for _ in $(seq 1 60); do
		"$@" && return 0
		sleep 1
	done
	say "$what did not happen within a minute"
	return 1
}

# allow_trust_login HBA puts trust_line at the top of the pg_hba.conf file HBA, unless it
# is there already, and says what it changed.
allow_trust_login() {
	local hba=$1 as=as_root
	[ -w "$hba" ] && as="" # a file of our own needs no root
	if $as grep -qxF "$trust_line" "$hba"; then
		say "$hba already has '$trust_line'"
		return 0
	fi
	say "adding to the top of $hba: '$trust_line'"
	say "  (password-less logins of the postgres user over TCP from this machine, for kassa's tests and demo;"
	say "   remove the line to undo it)"
	if $as test -s "$hba"; then
		$as sed -i "1i $trust_line" "$hba"
	else
		printf '%s\n' "$trust_line" | $as tee "$hba" >/dev/null
	fi
}

main() {
	if ! ready; then
		if ! start_cluster; then
			say "installing PostgreSQL from Debian's packages"
			as_root apt-get update -qq
			as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
			start_cluster
		fi
		wait_until "PostgreSQL answering on $host:$port" ready
	fi

	if can_login; then
		say "the postgres user logs in without a password already: pg_hba.conf left as it is"
	else
		local version hba
		version=$(newest_version)
		hba=${KASSA_PG_HBA:-/etc/postgresql/$version/$cluster/pg_hba.conf}
		allow_trust_login "$hba"
		as_root pg_ctlcluster --skip-systemctl-redirect "$version" "$cluster" reload
		wait_until "a password-less login of postgres on $host:$port" can_login
	fi
	say "PostgreSQL is ready on $host:$port"
}

# Sourced (by the tests), it only defines its functions.
if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then
	main "$@"
fi
