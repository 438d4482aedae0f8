#!/usr/bin/env bash
# The README's main command: install what is missing, build, start the Commerce simulator
# with a demo store, run one cycle of abandoned-cartd against it and show what happened.
set -euo pipefail
cd "$(dirname "$0")/.."
./installer/linux/install-deps.sh
build=${ACD_BUILD_DIR:-build}
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$build" -j"$(nproc)" --target abandoned-cartd commerce-sim >/dev/null

demo=${ACD_DEMO_DIR:-$PWD/demo}
rm -rf "$demo"
mkdir -p "$demo"
"$build/bin/commerce-sim" --scenario=tests/sim/scenarios/demo.json --port=0 --port-file="$demo/sim.port" \
    >"$demo/sim.log" 2>&1 &
sim=$!
trap 'kill $sim 2>/dev/null; wait $sim 2>/dev/null || true' EXIT
for _ in $(seq 100); do [ -s "$demo/sim.port" ] && break; sleep 0.1; done
[ -s "$demo/sim.port" ] || { echo "commerce-sim did not start:" >&2; cat "$demo/sim.log" >&2; exit 1; }
url="http://127.0.0.1:$(cat "$demo/sim.port")"

sed -e "s|@SIM@|$url|g" -e "s|@DEMO@|$demo|g" conf/demo.properties >"$demo/abandoned-cartd.properties"
# The simulator's demo credentials, given through the env secret source (development only).
export ACD_SECRET_RETAIL_APP_ID=app-id ACD_SECRET_RETAIL_APP_SECRET=app-secret
export ACD_SECRET_EMARSYS_API_USER=emarsys-user ACD_SECRET_EMARSYS_API_SECRET=emarsys-secret

"$build/bin/abandoned-cartd" --config="$demo/abandoned-cartd.properties" --once 2>&1 | tee "$demo/abandoned-cartd.log"

echo
echo "== What the ledger says ($demo/ledger.sqlite)"
sqlite3 -header -column "$demo/ledger.sqlite" \
    "SELECT status, COALESCE(reason, '') AS reason, COUNT(*) AS carts FROM notifications GROUP BY 1, 2 ORDER BY 1, 2;"
echo
echo "== What reached the (simulated) Emarsys"
curl -s "$url/_sim/emarsys/deliveries" >"$demo/emarsys-deliveries.json"
python3 - "$demo/emarsys-deliveries.json" <<'PY'
import json, sys
for d in json.load(open(sys.argv[1])):
    data = d.get("data", {})
    items = ", ".join(f'{l["quantity"]} x {l["productName"]} at {l["unitPrice"]} {data.get("currency", "")}'
                      for l in data.get("orderDetails", []))
    print(f'{d["external_id"]:<32} {data.get("firstName", "")} {data.get("lastName", "")}: {items}')
PY
echo
echo "Everything is in $demo (config, ledger, log, $demo/emarsys-deliveries.json)."
