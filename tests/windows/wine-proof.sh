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
cleanup() {
    "${wine%/*}/wineserver" -k 2>/dev/null || wineserver -k 2>/dev/null || true
    [ -z "$sim_pid" ] || kill "$sim_pid" 2>/dev/null || true
}
trap cleanup EXIT
rm -rf "$WINEPREFIX"
"$wine" wineboot -i >"$logs/wineboot.log" 2>&1

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

# 3. configuration as store IT would write it, against the simulator
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
deliveries() { curl -sf "$sim/_sim/emarsys/deliveries" | grep -o '"trigger_id"' | wc -l; }
acd /once >"$logs/once.txt" 2>&1 || fail "/once exited $?: $(tail -5 "$logs/once.txt")"
sent=$(deliveries)
[ "$sent" -eq 25 ] || fail "/once: the simulated Emarsys received $sent reminders, expected the scenario's 25"
pass "/once: one cycle against commerce-sim on 127.0.0.1, 25 reminders reached the simulated Emarsys"

# 5. the service. A fresh world in the simulator (new modification times, so new episodes)
# and no ledger: its first cycle has the same 25 reminders to send.
curl -sf -X POST --data-binary @"$root/tests/sim/scenarios/demo.json" "$sim/_sim/scenario" >/dev/null ||
    fail "cannot reset the simulator"
rm -f "$drive"/ProgramData/abandoned-cartd/data/ledger.sqlite*
# Restarted so that the service manager, and so the service, log Wine's eventlog channel.
"${wine%/*}/wineserver" -k 2>/dev/null || wineserver -k 2>/dev/null || true
WINEDEBUG=-all,+eventlog "$wine" net start abandoned-cartd >"$logs/net-start.txt" 2>"$logs/eventlog.txt" ||
    fail "net start exited $?: $(cat "$logs/net-start.txt")"
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
    ! grep -rqF -- "$value" "$logs" --exclude=sim.log || fail "a secret value appears in the output ($logs)"
done
pass "no secret value in any output"
echo "$passed passed, 0 failed"
