# Start/stop a throwaway PostgreSQL cluster for the tests; exports ORTIF_TEST_DATABASE_URL.
PG_PORT=${PG_PORT:-55432}
PG_DIR=${PG_DIR:-/tmp/ortif-ci-pg}

start_postgres() {
  local bin
  bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
  rm -rf "$PG_DIR" && mkdir -p "$PG_DIR" && chown postgres "$PG_DIR"
  su postgres -c "$bin/initdb -D $PG_DIR/data -A trust -U postgres >/dev/null"
  su postgres -c "$bin/pg_ctl -D $PG_DIR/data -l $PG_DIR/log -w \
    -o '-p $PG_PORT -k $PG_DIR -c listen_addresses=127.0.0.1' start"
  su postgres -c "$bin/createdb -h 127.0.0.1 -p $PG_PORT -U postgres ortif_test"
  export ORTIF_TEST_DATABASE_URL="postgresql+psycopg://postgres@127.0.0.1:$PG_PORT/ortif_test"
}

stop_postgres() {
  local bin
  bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
  su postgres -c "$bin/pg_ctl -D $PG_DIR/data -m fast stop" >/dev/null 2>&1 || true
}
