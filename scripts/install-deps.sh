#!/usr/bin/env bash
# Install, with apt-get, whatever is missing to build, test and demo
# reactivation on Debian: PostgreSQL 15 server and headers, pgTAP, pg_prove,
# pg_cron, sqlsmith.  Does nothing when all of it is already there.
set -euo pipefail

PG_CONFIG=${PG_CONFIG:-pg_config}
pkgs=(postgresql-15 postgresql-server-dev-15 postgresql-15-pgtap
      libtap-parser-sourcehandler-pgtap-perl postgresql-15-cron sqlsmith make gcc)

missing=()
for p in "${pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
done

if ((${#missing[@]} == 0)); then
	exit 0
fi

echo "installing: ${missing[*]}"
SUDO=""
if [ "$(id -u)" != 0 ]; then
	SUDO="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
