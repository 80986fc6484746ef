#!/usr/bin/env bash
# Runs the Database example against a throwaway PostgreSQL server: starts one from Debian's postgresql package in a
# temporary folder (port 54329 on 127.0.0.1 only, its unix socket in that folder, trust authentication, no fsync: nothing
# in it is worth keeping), creates the database `loans`, runs
#   dotnet run --project examples/Database -- --postgres "<connection string>" "$@"
# and stops and removes the server afterwards, also on failure or Ctrl-C. Whatever it runs sees the connection string in
# BACKPROP_POSTGRES, which is how the PostgreSQL test finds a server:
#   bash examples/Database/postgres.sh --exec dotnet test tests/Backprop.MLNet.Tests --filter FullyQualifiedName~Postgres
# runs that command instead of the example. BACKPROP_POSTGRES_PORT chooses another port.
# PostgreSQL refuses to run as root: run as root, the script runs the server as the user `postgres` (the Debian package
# creates it) and everything else as root.
set -euo pipefail
repository=$(cd "$(dirname "$0")/../.." && pwd)
port=${BACKPROP_POSTGRES_PORT:-54329}

bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
if [ -z "$bin" ] || [ ! -x "$bin/initdb" ] || [ ! -x "$bin/pg_ctl" ]; then
  echo "No PostgreSQL server binaries under /usr/lib/postgresql/*/bin. Install Debian's server package:" >&2
  echo "  sudo apt-get install postgresql" >&2
  echo "(run 'sudo apt-get update' first on a fresh machine) and run this script again." >&2
  exit 3
fi

# The server's commands run as the invoking user, or as `postgres` when that user is root.
server_user=$(id -un)
if [ "$(id -u)" -eq 0 ]; then
  if ! id postgres >/dev/null 2>&1; then
    echo "Running as root, and PostgreSQL refuses to run as root; there is no user 'postgres' to run it as." >&2
    echo "Create one (sudo useradd --system --home-dir /var/lib/postgresql postgres) or run this script as another user." >&2
    exit 3
  fi
  server_user=postgres
fi
as_server() {
  if [ "$server_user" = "$(id -un)" ]; then
    "$@"
  elif command -v runuser >/dev/null; then
    runuser -u "$server_user" -- "$@"
  else
    su -s /bin/sh "$server_user" -c "$(printf '%q ' "$@")"
  fi
}

work=$(mktemp -d "${TMPDIR:-/tmp}/backprop-postgres.XXXXXX")
started=no
stop_server() {
  status=$?
  trap - EXIT INT TERM
  if [ "$started" = yes ]; then
    as_server "$bin/pg_ctl" -D "$work/data" -m fast -w stop >/dev/null 2>&1 ||
      echo "postgres.sh: pg_ctl stop failed; see $work/server.log" >&2
  fi
  rm -rf "$work"
  exit "$status"
}
trap stop_server EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
chown "$server_user" "$work"

echo "== PostgreSQL $("$bin/pg_ctl" --version | sed -E "s/^pg_ctl \(PostgreSQL\) //") in $work, port $port, as user $server_user"
if ! as_server "$bin/initdb" -D "$work/data" -U postgres --auth=trust --encoding=UTF8 --no-locale >"$work/initdb.log" 2>&1; then
  cat "$work/initdb.log" >&2
  exit 1
fi
if ! as_server "$bin/pg_ctl" -D "$work/data" -l "$work/server.log" -w -t 60 start \
    -o "-c port=$port -c listen_addresses=127.0.0.1 -c unix_socket_directories=$work -c fsync=off -c synchronous_commit=off -c full_page_writes=off" \
    >/dev/null; then
  echo "postgres.sh: the server did not start (port $port taken? BACKPROP_POSTGRES_PORT chooses another):" >&2
  cat "$work/server.log" >&2
  exit 1
fi
started=yes
as_server "$bin/createdb" -h 127.0.0.1 -p "$port" -U postgres loans

export BACKPROP_POSTGRES="Host=127.0.0.1;Port=$port;Username=postgres;Database=loans"
echo "== BACKPROP_POSTGRES=$BACKPROP_POSTGRES"
cd "$repository"
if [ "${1:-}" = "--exec" ]; then
  shift
  "$@"
else
  dotnet run --project examples/Database -- --postgres "$BACKPROP_POSTGRES" "$@"
fi
