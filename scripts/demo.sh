#!/usr/bin/env bash
# The README's main command: install what is missing, build, start the Commerce simulator
# with a demo store, run one cycle of abandoned-cartd against it with the outbox provider,
# and show what happened: the summary, the skips by reason and where the reminders are.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
./installer/linux/install-deps.sh
build=${ACD_BUILD_DIR:-build}
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$build" -j"$(nproc)" --target abandoned-cartd commerce-sim >/dev/null

demo=${ACD_DEMO_DIR:-$PWD/demo}
rm -rf "$demo"
mkdir -p "$demo"
pids=()
trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done; true' EXIT

# start NAME PORTFILE COMMAND...: runs a loopback server and waits for the port it chose.
start() {
    local name=$1 portfile=$2
    shift 2
    "$@" >"$demo/$name.log" 2>&1 &
    pids+=($!)
    for _ in $(seq 100); do [ -s "$portfile" ] && return; sleep 0.1; done
    echo "$name did not start:" >&2
    cat "$demo/$name.log" >&2
    exit 1
}
start commerce-sim "$demo/sim.port" "$build/bin/commerce-sim" --scenario=tests/sim/scenarios/demo.json \
    --port=0 --port-file="$demo/sim.port"
# Product images: a tile per product, at the size each viewport asks for.
start images "$demo/images.port" /usr/bin/python3 tests/integration/image_server.py --demo \
    --port-file="$demo/images.port"
sim="http://127.0.0.1:$(cat "$demo/sim.port")"
images="http://127.0.0.1:$(cat "$demo/images.port")"

sed -e "s|@SIM@|$sim|g" -e "s|@IMAGES@|$images|g" -e "s|@DEMO@|$demo|g" -e "s|@ROOT@|$root|g" \
    conf/demo.properties >"$demo/abandoned-cartd.properties"
# The simulator's demo credentials, given through the env secret source (development only).
export ACD_SECRET_RETAIL_APP_ID=app-id ACD_SECRET_RETAIL_APP_SECRET=app-secret

"$build/bin/abandoned-cartd" --config="$demo/abandoned-cartd.properties" --once 2>&1 | tee "$demo/abandoned-cartd.log"

ledger=$demo/ledger.sqlite
echo
echo "== The cycle"
sqlite3 "$ledger" "SELECT printf('carts seen: %d, reminders written: %d, skipped: %d, status: %s',
    carts_seen, reminders_sent, skipped, status) FROM cycles ORDER BY id DESC LIMIT 1;"
echo
echo "== Carts not reminded, by reason"
sqlite3 -header -column "$ledger" "SELECT reason, count FROM skips_by_reason ORDER BY count DESC, reason;"

# The .html files reference the images on the local image server, which stops with this
# script: preview copies with the images saved beside them stay viewable afterwards.
/usr/bin/python3 - "$demo/outbox" "$demo/preview" "$images" <<'PY'
import hashlib, html, os, re, sys, urllib.request
outbox, preview, server = sys.argv[1:]
os.makedirs(os.path.join(preview, "images"), exist_ok=True)
for name in sorted(os.listdir(outbox)):
    if not name.endswith(".html"):
        continue
    text = open(os.path.join(outbox, name), encoding="utf-8").read()
    def local(match):
        url = match.group(0)
        file = "images/" + hashlib.sha256(url.encode()).hexdigest()[:16] + ".png"
        if not os.path.exists(os.path.join(preview, file)):
            with urllib.request.urlopen(html.unescape(url)) as reply, open(os.path.join(preview, file), "wb") as out:
                out.write(reply.read())
        return file
    text = re.sub(re.escape(server) + r'[^"\s]*', local, text)
    open(os.path.join(preview, name), "w", encoding="utf-8").write(text)
PY

count=$(find "$demo/outbox" -name '*.eml' | wc -l)
first=$(find "$demo/preview" -maxdepth 1 -name '*.html' | sort | head -1)
echo
echo "== $count reminders written to $demo/outbox"
echo "   each as an RFC 5322 message (.eml, text and HTML) and its HTML part (.html);"
echo "   $demo/preview holds the same HTML with the product images saved beside it."
[ -z "$first" ] || echo "   Open one in a browser: file://$first"
echo
echo "Everything is in $demo (configuration, ledger, log)."
