#!/usr/bin/env bash
# Write the stored values of reactivation 0.1.0 that test/upgrade_values.sh
# reads: build the tag v0.1.0 into a private PostgreSQL root (PG_CONFIG_010,
# default: a copy made by scripts/pgroot.sh v010), run the rows of
# rows.psql through its aggregates on a throwaway cluster (port RA_PGPORT_010,
# default 55511) and COPY the values out, in text and in binary.
#
#   PG_CONFIG_010=... test/upgrade/make_fixtures.sh
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
PG_CONFIG_010=${PG_CONFIG_010:-$("$repo/scripts/pgroot.sh" v010)}
port=${RA_PGPORT_010:-55511}
work=$(mktemp -d)
trap 'PG_CONFIG=$PG_CONFIG_010 RA_PGPORT=$port "$repo/scripts/pgcluster.sh" stop >/dev/null 2>&1 || true; rm -rf "$work"' EXIT

git -C "$repo" archive v0.1.0 --prefix=v010/ | tar -x -C "$work"
make -s -C "$work/v010" PG_CONFIG="$PG_CONFIG_010" >/dev/null
make -s -C "$work/v010" PG_CONFIG="$PG_CONFIG_010" install >/dev/null
eval "$(PG_CONFIG=$PG_CONFIG_010 RA_PGPORT=$port "$repo/scripts/pgcluster.sh" start)"
BINDIR=$("$PG_CONFIG_010" --bindir)
q() { "$BINDIR/psql" -X -q -v ON_ERROR_STOP=1 -d postgres "$@"; }
q -c "DROP EXTENSION IF EXISTS reactivation" -c "CREATE EXTENSION reactivation VERSION '0.1.0'"
q -c "DROP TABLE IF EXISTS up_orders, up_events" -f "$here/rows.psql"
q <<SQL
\copy (SELECT customer_id, purchase_history(ordered_at, amount) FROM up_orders GROUP BY customer_id ORDER BY customer_id) TO '$here/ph_010.txt'
\copy (SELECT customer_id, purchase_history(ordered_at, amount) FROM up_orders GROUP BY customer_id ORDER BY customer_id) TO '$here/ph_010.bin' WITH (FORMAT binary)
\copy (SELECT subscriber_id, engagement_history(event_type, occurred_at) FROM up_events GROUP BY subscriber_id ORDER BY subscriber_id) TO '$here/eh_010.txt'
\copy (SELECT bgnbd_fit(btyd_x(ph, '2025-01-01')::float8, btyd_t_x(ph, '2025-01-01'), btyd_t(ph, '2025-01-01')) FROM (SELECT purchase_history(ordered_at, amount) AS ph FROM up_orders GROUP BY customer_id) s) TO '$here/model_010.txt'
SQL
echo "fixtures written to $here"
