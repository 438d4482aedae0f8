#!/usr/bin/env bash
# The Windows proof, under Wine (docs/windows.md):
#   wine-proof.sh COMMERCE_SIM WORK_DIR
# builds the exe and the MSI (installer/windows/build-msi.sh into WORK_DIR/out; the
# dependencies come from the cache outside the clone), then in a fresh Wine prefix:
#   1. the exe answers /help;
#   2. msiexec /i installs the MSI silently; the service is registered (ImagePath with
#      /config=, Start=2, ObjectName NT SERVICE\abandoned-cartd) with its event source;
#   3. secrets go into DPAPI with /secret-set and come back with /secret-check, and the blob
#      files do not hold the values;
#   4. the installed exe runs one cycle (/once) against commerce-sim (the Linux binary on
#      127.0.0.1) with the installed configuration: the simulated Emarsys receives the
#      scenario's reminders;
#   4b. it runs one cycle with the outbox provider (a fresh ledger and simulator world): the
#      same reminders land as .eml and .html files in C:\ProgramData\abandoned-cartd\data\outbox;
#   4c. it runs one cycle with the smtp provider (STARTTLS through Schannel) against a
#      STARTTLS server on 127.0.0.1: nothing is sent while the server's CA is not in the
#      Windows certificate store, the 25 reminders are once it is;
#   5. net start runs it as a service: its cycle reaches the simulator again and its log
#      reaches the Event Log (Wine prints ReportEvent calls on its `eventlog` debug
#      channel, which is what is checked here); net stop stops it;
#   6. msiexec /x removes the service and keeps the configuration.
# No secret value may appear in any output. Exits non-zero naming the first failed check.
set -euo pipefail

sim_exe=$1
work=$(mkdir -p "$2" && cd "$2" && pwd)
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
logs=$work/logs
rm -rf "$logs"
mkdir -p "$logs"

fail() {
    echo "FAIL: $*" >&2
    exit 1
}
passed=0
pass() {
    echo "ok: $*"
    passed=$((passed + 1))
}

if ! command -v curl >/dev/null; then
    [ "$(id -u)" -eq 0 ] && sudo=() || sudo=(sudo)
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq -o DPkg::Lock::Timeout=600 curl >&2
fi

msi=$("$root/installer/windows/build-msi.sh" "$work/out" | tail -1)
exe=$(dirname "$msi")/abandoned-cartd.exe
[ -f "$msi" ] && [ -f "$exe" ] || fail "build-msi.sh did not produce the MSI and the exe ($msi)"
pass "built $(basename "$msi") and abandoned-cartd.exe ($(du -h "$exe" | cut -f1))"

export WINEPREFIX=$work/prefix WINEDEBUG=-all WINEDLLOVERRIDES="mscoree,mshtml="
wine=$(command -v wine || echo /usr/lib/wine/wine64)
sim_pid=
smtp_pid=
cleanup() {
    "${wine%/*}/wineserver" -k 2>/dev/null || wineserver -k 2>/dev/null || true
    [ -z "$sim_pid" ] || kill "$sim_pid" 2>/dev/null || true
    [ -z "$smtp_pid" ] || kill "$smtp_pid" 2>/dev/null || true
}
trap cleanup EXIT
rm -rf "$WINEPREFIX"
"$wine" wineboot -i >"$logs/wineboot.log" 2>&1
# Let the first boot's wineserver and services.exe end before installing: with them still
# settling, Wine's msiexec creates the service and then cannot open it to start it (1060),
# and rolls the installation back.
"${wine%/*}/wineserver" -w 2>/dev/null || wineserver -w

# 1. /help
"$wine" "$exe" /help >"$logs/help.txt" 2>&1 || fail "abandoned-cartd.exe /help exited $?"
grep -q '/registerService' "$logs/help.txt" || fail "/help does not list /registerService"
grep -q '/config=FILE' "$logs/help.txt" || fail "/help does not list /config=FILE"
pass "/help answers with Windows-style options"

# 2. install
"$wine" msiexec /i "$(winepath -w "$msi" 2>/dev/null)" /qn /l*v "$(winepath -w "$logs/install.log" 2>/dev/null)" ||
    fail "msiexec /i exited $?"
services='HKLM\System\CurrentControlSet\Services'
"$wine" reg query "$services\\abandoned-cartd" >"$logs/service.reg" 2>&1 || fail "the service is not registered"
tr -d '\r' <"$logs/service.reg" >"$logs/service.txt"
grep -E 'ImagePath.*abandoned-cartd\\abandoned-cartd\.exe.*/config="?C:\\ProgramData\\abandoned-cartd\\abandoned-cartd\.properties' \
    "$logs/service.txt" >/dev/null || fail "ImagePath lacks the exe or /config=: $(grep ImagePath "$logs/service.txt")"
grep -E 'Start[[:space:]]+REG_DWORD[[:space:]]+0x2$' "$logs/service.txt" >/dev/null || fail "Start is not 2 (automatic)"
grep -E 'ObjectName[[:space:]]+REG_SZ[[:space:]]+NT SERVICE\\abandoned-cartd$' "$logs/service.txt" >/dev/null ||
    fail "ObjectName is not NT SERVICE\\abandoned-cartd"
"$wine" reg query "$services\\EventLog\\Application\\abandoned-cartd" /v EventMessageFile 2>&1 | tr -d '\r' |
    grep -q 'abandoned-cartd\.exe' || fail "the event source is not registered"
drive=$WINEPREFIX/drive_c
installed_exe='C:\Program Files\abandoned-cartd\abandoned-cartd.exe'
config_win='C:\ProgramData\abandoned-cartd\abandoned-cartd.properties'
config=$drive/ProgramData/abandoned-cartd/abandoned-cartd.properties
[ -f "$drive/Program Files/abandoned-cartd/abandoned-cartd.exe" ] || fail "the exe is not in Program Files"
[ -f "$config" ] || fail "the configuration is not in ProgramData"
[ -f "$drive/ProgramData/abandoned-cartd/templates/en/subject.mustache" ] || fail "the templates are not in ProgramData"
sed -n '/^ImagePath/p;/^Start /p;/^ObjectName/p' "$logs/service.txt" | sed 's/^/    /'
pass "msiexec /i /qn installed the service (automatic, NT SERVICE\\abandoned-cartd) and its event source"

# The ACLs are in the MSI (Wine's msi.dll does not apply them): the service's SID is the one
# `sc showsid abandoned-cartd` gives on Windows.
msiinfo export "$msi" MsiLockPermissionsEx >"$logs/acl.txt"
service_sid=S-1-5-80-929219983-1682193796-3191271927-3185971205-346263923
grep -q "^ConfigAcl.DATADIR.CreateFolder.D:PAI(A;OICI;FA;;;SY)(A;OICI;FA;;;BA)(A;OICI;FRFX;;;$service_sid)" "$logs/acl.txt" ||
    fail "the MSI lacks the ACL of the configuration folder: $(cat "$logs/acl.txt")"
grep -q "^StateAcl.STATEDIR.CreateFolder.D:PAI(A;OICI;FA;;;SY)(A;OICI;FA;;;BA)(A;OICI;0x1301bf;;;$service_sid)" "$logs/acl.txt" ||
    fail "the MSI lacks the ACL of the data folder: $(cat "$logs/acl.txt")"
pass "the MSI carries protected ACLs: SYSTEM and Administrators only, plus the service's own SID"

# Wine's service manager starts the automatic services each time it starts (every wine
# command after the last one ended): demand start while the one-off cycles below run, so that
# no service cycle runs beside them; step 5 puts Start back to 2.
"$wine" net stop abandoned-cartd >"$logs/net-stop-install.txt" 2>&1 || true
"$wine" reg add "$services\\abandoned-cartd" /v Start /t REG_DWORD /d 3 /f >/dev/null 2>&1 ||
    fail "cannot set the service to demand start"

# 3. configuration as store IT would write it, against the simulator
rm -f "$work/sim.port" # a previous run's port is not this simulator's
"$sim_exe" --scenario="$root/tests/sim/scenarios/demo.json" --port=0 --port-file="$work/sim.port" \
    >"$logs/sim.log" 2>&1 &
sim_pid=$!
for _ in $(seq 100); do
    [ -s "$work/sim.port" ] && break
    sleep 0.1
done
[ -s "$work/sim.port" ] || fail "commerce-sim did not start: $(cat "$logs/sim.log")"
sim=http://127.0.0.1:$(cat "$work/sim.port")
cat >>"$config" <<EOF

# --- Wine proof: the Commerce simulator ---
retailServer.url = $sim
retailServer.authority = $sim
retailServer.tenantId = tenant-1
retailServer.operatingUnitNumber = 128
retailServer.appIdSecretName = retail-app-id
retailServer.appSecretSecretName = retail-app-secret
emarsys.apiUrl = $sim/api/v2/event/{0}/trigger
emarsys.contactDeleteUrl = $sim/api/v2/contact/delete
emarsys.externalEventId = 1234
emarsys.apiUserNameSecretName = emarsys-api-user
emarsys.apiSecretSecretName = emarsys-api-secret
EOF
acd() { "$wine" "$installed_exe" /config="$config_win" "$@"; }
acd /config-check >"$logs/config-check.txt" 2>&1 || fail "/config-check: $(cat "$logs/config-check.txt")"

declare -A secrets=([retail-app-id]=app-id [retail-app-secret]=app-secret [emarsys-api-user]=emarsys-user
    [emarsys-api-secret]=emarsys-secret)
for name in "${!secrets[@]}"; do
    printf '%s\n' "${secrets[$name]}" | acd /secret-set="$name" >>"$logs/secret-set.txt" 2>&1 ||
        fail "/secret-set=$name: $(tail -1 "$logs/secret-set.txt")"
done
[ "$(grep -c "stored in dpapi" "$logs/secret-set.txt")" -eq 4 ] || fail "not every secret went to dpapi"
blobs=$drive/ProgramData/abandoned-cartd/data/secrets
for name in "${!secrets[@]}"; do
    [ -s "$blobs/$name.dpapi" ] || fail "no DPAPI file for $name in $blobs"
done
for value in "${secrets[@]}"; do
    ! grep -rqF "$value" "$blobs" || fail "a DPAPI file holds a secret in the clear"
done
acd /secret-check >"$logs/secret-check.txt" 2>&1 || fail "/secret-check: $(cat "$logs/secret-check.txt")"
[ "$(grep -c '^ok .*from dpapi' "$logs/secret-check.txt")" -eq 4 ] || fail "/secret-check did not read 4 secrets from dpapi"
pass "DPAPI round-trip: 4 secrets stored with /secret-set, read back by /secret-check, no value in the files"

# 4. one cycle
deliveries() { curl -sf "$sim/_sim/emarsys/deliveries" | { grep -o '"trigger_id"' || true; } | wc -l; }
acd /once >"$logs/once.txt" 2>&1 || fail "/once exited $?: $(tail -5 "$logs/once.txt")"
sent=$(deliveries)
[ "$sent" -eq 25 ] || fail "/once: the simulated Emarsys received $sent reminders, expected the scenario's 25"
pass "/once: one cycle against commerce-sim on 127.0.0.1, 25 reminders reached the simulated Emarsys"

# 4b. one cycle with the outbox provider. A fresh world in the simulator and no ledger, so
# the same 25 reminders are due; they must land as .eml and .html files in the installed
# data folder, and none at the simulated Emarsys.
curl -sf -X POST --data-binary @"$root/tests/sim/scenarios/demo.json" "$sim/_sim/scenario" >/dev/null ||
    fail "cannot reset the simulator"
rm -f "$drive"/ProgramData/abandoned-cartd/data/ledger.sqlite*
outbox=$drive/ProgramData/abandoned-cartd/data/outbox
rm -rf "$outbox"
printf '\n# --- Wine proof: one cycle with the outbox provider ---\nnotify.provider = outbox\n' >>"$config"
acd /once >"$logs/once-outbox.txt" 2>&1 || fail "/once with the outbox provider exited $?: $(tail -5 "$logs/once-outbox.txt")"
emls=$(find "$outbox" -maxdepth 1 -name '*.eml' 2>/dev/null | wc -l)
htmls=$(find "$outbox" -maxdepth 1 -name '*.html' 2>/dev/null | wc -l)
[ "$emls" -eq 25 ] && [ "$htmls" -eq 25 ] ||
    fail "/once with the outbox provider wrote $emls .eml and $htmls .html files to $outbox, expected 25 of each"
for eml in "$outbox"/*.eml; do
    grep -q '^To: ' "$eml" && grep -q '^Subject: ' "$eml" && grep -q '^Message-ID: ' "$eml" ||
        fail "$(basename "$eml") lacks To, Subject or Message-ID"
done
sent=$(deliveries)
[ "$sent" -eq 0 ] || fail "/once with the outbox provider: the simulated Emarsys received $sent reminders, expected none"
# Back to Emarsys for the service below.
sed -i '/^# --- Wine proof: one cycle with the outbox provider ---$/,/^notify.provider = outbox$/d' "$config"
ls "$outbox" | head -2 | sed 's/^/    /'
pass "/once with the outbox provider: 25 reminders as .eml and .html files in C:\\ProgramData\\abandoned-cartd\\data\\outbox"

# 4c. one cycle with the smtp provider, STARTTLS through Schannel, against a STARTTLS server
# on 127.0.0.1 (tests/windows/smtp-tls-server.py) whose certificate names localhost and comes
# from a CA made here. While that CA is not in the Windows certificate store, nothing may be
# sent; once it is in LocalMachine\Root (tests/windows/add-root.c, as store IT would import
# a relay's CA), the cycle's 25 reminders reach the server.
tls=$work/tls
rm -rf "$tls" "$work/smtp-mail" "$work/smtp.port"
mkdir -p "$tls"
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=wine-proof test CA" \
    -keyout "$tls/ca.key" -out "$tls/ca.pem" >"$logs/openssl.txt" 2>&1
openssl req -newkey rsa:2048 -nodes -subj "/CN=localhost" -keyout "$tls/server.key" -out "$tls/server.csr" \
    >>"$logs/openssl.txt" 2>&1
printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\nbasicConstraints=CA:FALSE\n' \
    >"$tls/server.ext"
openssl x509 -req -in "$tls/server.csr" -CA "$tls/ca.pem" -CAkey "$tls/ca.key" -CAcreateserial -days 2 \
    -extfile "$tls/server.ext" -out "$tls/server.pem" >>"$logs/openssl.txt" 2>&1 || fail "openssl: $(cat "$logs/openssl.txt")"
python3 "$here/smtp-tls-server.py" "$tls/server.pem" "$tls/server.key" "$work/smtp.port" "$work/smtp-mail" \
    >"$logs/smtp-server.txt" 2>&1 &
smtp_pid=$!
for _ in $(seq 100); do
    [ -s "$work/smtp.port" ] && break
    sleep 0.1
done
[ -s "$work/smtp.port" ] || fail "the STARTTLS test server did not start: $(cat "$logs/smtp-server.txt")"
cat >>"$config" <<SMTP
# --- Wine proof: the smtp provider ---
notify.provider = smtp
smtp.host = localhost
smtp.port = $(cat "$work/smtp.port")
smtp.tls = starttls
smtp.from = Wine proof <reminders@example.com>
# --- end of the smtp provider ---
SMTP
fresh_world() {
    curl -sf -X POST --data-binary @"$root/tests/sim/scenarios/demo.json" "$sim/_sim/scenario" >/dev/null ||
        fail "cannot reset the simulator"
    rm -f "$drive"/ProgramData/abandoned-cartd/data/ledger.sqlite*
}
mails() { find "$work/smtp-mail" -name '*.eml' 2>/dev/null | wc -l; }
fresh_world
# One second to deliver: the first reminder fails at once, the others wait for the next cycle.
echo 'notify.retryBudgetSeconds = 1' >>"$config"
acd /once >"$logs/once-smtp-untrusted.txt" 2>&1 || true
sed -i '/^notify.retryBudgetSeconds = 1$/d' "$config"
[ "$(mails)" -eq 0 ] || fail "/once with smtp sent $(mails) messages to a server whose CA Windows does not trust"
# Why they are pending: the ledger's reason of each reminder (read from Linux).
python3 -c 'import sqlite3, sys
for (reason,) in sqlite3.connect(sys.argv[1]).execute("SELECT reason FROM notifications WHERE status = ?", ("pending",)):
    print(reason)' "$drive/ProgramData/abandoned-cartd/data/ledger.sqlite" >"$logs/smtp-untrusted-reasons.txt"
[ "$(grep -c 'TLS with localhost: the server.s certificate is not from a certificate authority this computer trusts' \
    "$logs/smtp-untrusted-reasons.txt")" -eq 25 ] ||
    fail "the 25 pending reminders do not name the untrusted certificate: $(head -3 "$logs/smtp-untrusted-reasons.txt")"
grep -q '^TLS established' "$logs/smtp-server.txt" ||
    fail "the client did not reach the TLS handshake: $(cat "$logs/smtp-server.txt")"
head -1 "$logs/smtp-untrusted-reasons.txt" | cut -c1-200 | sed 's/^/    /'
x86_64-w64-mingw32-gcc -O2 -o "$work/add-root.exe" "$here/add-root.c" -lcrypt32 || fail "cannot build add-root.exe"
"$wine" "$work/add-root.exe" "$(winepath -w "$tls/ca.pem" 2>/dev/null)" >"$logs/add-root.txt" 2>&1 ||
    fail "add-root.exe: $(cat "$logs/add-root.txt")"
fresh_world
acd /once >"$logs/once-smtp.txt" 2>&1 || fail "/once with smtp exited $?: $(tail -5 "$logs/once-smtp.txt")"
[ "$(mails)" -eq 25 ] ||
    fail "/once with smtp: the STARTTLS server received $(mails) messages, expected 25: $(tail -5 "$logs/once-smtp.txt")"
! grep -L '^To: ' "$work"/smtp-mail/*.eml | grep -q . || fail "a message sent over SMTP lacks its To header"
kill "$smtp_pid" 2>/dev/null || true
sed -i '/^# --- Wine proof: the smtp provider ---$/,/^# --- end of the smtp provider ---$/d' "$config"
pass "/once with smtp: the server refused while its CA was unknown to Windows; with the CA in LocalMachine\\Root, 25 reminders went over STARTTLS (Schannel)"

# 5. the service. A fresh world in the simulator (new modification times, so new episodes)
# and no ledger: its first cycle has the same 25 reminders to send.
curl -sf -X POST --data-binary @"$root/tests/sim/scenarios/demo.json" "$sim/_sim/scenario" >/dev/null ||
    fail "cannot reset the simulator"
rm -f "$drive"/ProgramData/abandoned-cartd/data/ledger.sqlite*
"$wine" reg add "$services\\abandoned-cartd" /v Start /t REG_DWORD /d 2 /f >/dev/null 2>&1 ||
    fail "cannot set the service back to automatic start"
# Restarted so that the service manager, and so the service, log Wine's eventlog channel.
"${wine%/*}/wineserver" -k 2>/dev/null || wineserver -k 2>/dev/null || true
"${wine%/*}/wineserver" -w 2>/dev/null || wineserver -w 2>/dev/null || true
# Wine's service manager starts the automatic services when it starts, this one included, so
# net start may find it running already.
WINEDEBUG=-all,+eventlog "$wine" net start abandoned-cartd >"$logs/net-start.txt" 2>"$logs/eventlog.txt" ||
    grep -q 'already running' "$logs/net-start.txt" || fail "net start failed: $(cat "$logs/net-start.txt")"
for _ in $(seq 600); do
    [ "$(deliveries)" -ge 25 ] && break
    sleep 0.2
done
sent=$(deliveries)
[ "$sent" -eq 25 ] || fail "the service's cycle: the simulated Emarsys received $sent reminders, expected 25"
"$wine" sc query abandoned-cartd 2>/dev/null | tr -d '\r' >"$logs/sc-query.txt"
grep -q 'RUNNING' "$logs/sc-query.txt" || fail "sc query does not show the service running: $(cat "$logs/sc-query.txt")"
"$wine" net stop abandoned-cartd >"$logs/net-stop.txt" 2>>"$logs/eventlog.txt" || fail "net stop exited $?"
for _ in $(seq 100); do
    grep -q 'abandoned-cartd stopped' "$logs/eventlog.txt" && break
    sleep 0.1
done
grep -q 'abandoned-cartd started' "$logs/eventlog.txt" || fail "no 'started' entry reached the event log"
grep -q 'cycle' "$logs/eventlog.txt" || fail "no cycle summary reached the event log"
grep -q 'abandoned-cartd stopped' "$logs/eventlog.txt" || fail "no 'stopped' entry reached the event log"
grep 'eventlog' "$logs/eventlog.txt" | sed 's/^/    /' | head -8
pass "net start: the service ran a cycle (25 reminders), logged to the Event Log, and stopped with net stop"

# 6. uninstall
"$wine" msiexec /x "$(winepath -w "$msi" 2>/dev/null)" /qn || fail "msiexec /x exited $?"
! "$wine" reg query "$services\\abandoned-cartd" >/dev/null 2>&1 || fail "the service is still registered"
[ ! -e "$drive/Program Files/abandoned-cartd/abandoned-cartd.exe" ] || fail "the exe is still installed"
grep -q "^retailServer.url = $sim" "$config" || fail "the edited configuration was not kept"
pass "msiexec /x removed the service and the exe, and kept the edited configuration"

# app-id and app-secret are also parts of secret names (retail-app-id), which outputs may show.
for value in emarsys-user emarsys-secret; do
    ! grep -rqF --exclude=sim.log -- "$value" "$logs" || fail "a secret value appears in the output ($logs)"
done
pass "no secret value in any output"
echo "$passed passed, 0 failed"
