#!/usr/bin/env bash
# Load the public data sets from DATA_DIR (default ../shared/data) into the
# schema testdata of the current database (PG* environment), one raw text
# line per row, for the tests that check against them.  Files that are
# absent are skipped, and so are the tests that need them.  The data is read
# at run time and never committed.
set -euo pipefail
DATA_DIR=${1:-$(cd "$(dirname "$0")/../.." && pwd)/shared/data}

psql -X -q -v ON_ERROR_STOP=1 -c "SET client_min_messages = warning" -c "DROP SCHEMA IF EXISTS testdata CASCADE" -c "CREATE SCHEMA testdata"
for f in cdnow_master.txt cdnow_sample.txt cdnow_customers_summary.csv \
         cdnow_customers_summary_with_transactions.csv rfm_data_orders.csv \
         lifetimes_example_transactions.csv donations_bgbb_summary.csv; do
	if [ -r "$DATA_DIR/$f" ]; then
		t=${f%.*}
		psql -X -q -v ON_ERROR_STOP=1 \
			-c "CREATE TABLE testdata.$t (n serial, line text)" \
			-c "\\copy testdata.$t (line) FROM '$DATA_DIR/$f' WITH (FORMAT text, DELIMITER E'\\x01')"
		echo "loaded $f"
	else
		echo "absent: $DATA_DIR/$f (tests that need it will skip)"
	fi
done
