#!/usr/bin/env bash
# Builds abandoned-cartd.exe for 64-bit Windows and its MSI, on Debian 12.
#
#   installer/windows/build-msi.sh [OUTPUT_DIR]        (default: build-windows in the clone)
#
# Installs the packages it needs (as root or through sudo; quiet when they are there),
# cross-builds the dependencies once into a cache outside the clone (build-deps.sh),
# cross-compiles the product with its own CMake, strips it, and builds the MSI with wixl.
# Its last line of output is the path of the MSI; abandoned-cartd.exe is beside it.
# ACD_JOBS sets the parallel jobs (default 2).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
out=$(mkdir -p "${1:-$root/build-windows}" && cd "${1:-$root/build-windows}" && pwd)
jobs=${ACD_JOBS:-2}
triplet=x86_64-w64-mingw32

say() { echo "build-msi: $*" >&2; }

packages=(cmake ninja-build dpkg-dev mingw-w64 g++-mingw-w64-x86-64-posix libboost-dev msitools wixl wine wine64)
missing=()
for package in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'ok installed' || missing+=("$package")
done
if [ "${#missing[@]}" -gt 0 ]; then
    say "installing ${missing[*]}"
    sudo=()
    [ "$(id -u)" -eq 0 ] || sudo=(sudo)
    "${sudo[@]}" apt-get update -qq >&2
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq -o DPkg::Lock::Timeout=600 \
        "${missing[@]}" >&2
fi

deps=$("$here/build-deps.sh" | tail -1)
mstch=$("$here/build-mstch.sh" | tail -1)

version=$(sed -n 's/^project([^)]*VERSION \([0-9][0-9.]*\).*/\1/p' "$root/CMakeLists.txt")
if [ -z "$version" ]; then
    say "cannot read the project version from $root/CMakeLists.txt"
    exit 1
fi

say "cross-compiling abandoned-cartd $version (-j$jobs)"
build=$out/build
cmake -S "$root" -B "$build" -G Ninja -DCMAKE_TOOLCHAIN_FILE="$here/mingw-w64-x86_64.cmake" \
    -DACD_WINDOWS_DEPS="$deps;$mstch" -DCMAKE_PROJECT_TOP_LEVEL_INCLUDES="$here/WindowsProject.cmake" \
    -DCMAKE_BUILD_TYPE=Release -DACD_BUILD_TESTS=OFF >"$out/configure.log" 2>&1 || {
    tail -40 "$out/configure.log" >&2
    exit 1
}
cmake --build "$build" -j"$jobs" --target abandoned-cartd >"$out/build.log" 2>&1 || {
    grep -B2 -A12 -m3 -E 'error|Error' "$out/build.log" >&2 || tail -40 "$out/build.log" >&2
    exit 1
}
exe=$out/abandoned-cartd.exe
$triplet-strip -o "$exe" "$build/bin/abandoned-cartd.exe"

# The configuration the MSI installs: the Windows settings, then the reference of every key.
stage=$out/msi
rm -rf "$stage"
mkdir -p "$stage"
cat "$here/windows.properties" "$root/conf/abandoned-cartd.properties" >"$stage/abandoned-cartd.properties"

# conf/templates as a component group under ProgramData\abandoned-cartd\templates.
id_of() { printf '%s' "$1" | tr -c 'A-Za-z0-9_.' '_'; }
templates_dir() {
    local dir=$1 rel=$2 entry name
    for entry in "$dir"/*; do
        name=$(basename "$entry")
        if [ -d "$entry" ]; then
            echo "<Directory Id=\"TplDir_$(id_of "$rel$name")\" Name=\"$name\">"
            templates_dir "$entry" "$rel$name/"
            echo "</Directory>"
        elif [ -f "$entry" ]; then
            echo "<Component Id=\"Tpl_$(id_of "$rel$name")\" Guid=\"*\" Win64=\"yes\">"
            echo "<File Id=\"Tpl_$(id_of "$rel$name")\" Name=\"$name\" Source=\"${entry#/}\" KeyPath=\"yes\"/>"
            echo "</Component>"
        fi
    done
}
templates_refs() {
    find "$root/conf/templates" -type f -printf '%P\n' | sort | while read -r rel; do
        echo "<ComponentRef Id=\"Tpl_$(id_of "$rel")\"/>"
    done
}
{
    echo '<?xml version="1.0" encoding="utf-8"?>'
    echo '<Wix xmlns="http://schemas.microsoft.com/wix/2006/wi"><Fragment>'
    echo '<DirectoryRef Id="TEMPLATESDIR">'
    templates_dir "$root/conf/templates" ""
    echo '</DirectoryRef>'
    echo '<ComponentGroup Id="Templates">'
    templates_refs
    echo '</ComponentGroup></Fragment></Wix>'
} >"$stage/templates.wxs"

msi=$out/abandoned-cartd-$version-x64.msi
rm -f "$msi"
# wixl 0.101 looks a Source up as a child of its include folders and of the current one, so an
# absolute path is never found: the sources are given relative to /, and wixl runs there.
(cd / && wixl -a x64 -D Version="$version" -D ExeFile="${exe#/}" -D ConfigFile="${stage#/}/abandoned-cartd.properties" \
    -o "$msi" "$here/abandoned-cartd.wxs" "$stage/templates.wxs") 2> >(grep -v 'Platform' >&2)

# What wixl cannot write. Permanent (16) + NeverOverwrite (128) + 64-bit (256): the
# configuration, the templates and the data folder stay through upgrades and uninstall, and
# an edited file is never replaced.
keep=$((16 + 128 + 256))
msibuild "$msi" -q "UPDATE \`Component\` SET \`Attributes\` = $keep WHERE \`Component\` = 'Config'" \
    -q "UPDATE \`Component\` SET \`Attributes\` = $keep WHERE \`Component\` = 'State'"
for rel in $(find "$root/conf/templates" -type f -printf '%P\n'); do
    msibuild "$msi" -q "UPDATE \`Component\` SET \`Attributes\` = $keep WHERE \`Component\` = 'Tpl_$(id_of "$rel")'"
done

# Only SYSTEM and Administrators may read the configuration, the ledger and the secrets;
# the service's own account (NT SERVICE\abandoned-cartd) reads the configuration and
# templates and writes the data folder. Protected DACLs (no ACE inherited from ProgramData,
# where Users may read), inherited by every file created below them. SDDL names the service
# by its SID, which is derived from its name, so nothing has to be looked up at install time.
service_sid() {
    local hex sid=S-1-5-80 i word
    hex=$(printf '%s' "${1^^}" | iconv -f UTF-8 -t UTF-16LE | sha1sum | cut -c1-40)
    for i in 0 8 16 24 32; do
        word=${hex:$i:8}
        sid+=-$((16#${word:6:2}${word:4:2}${word:2:2}${word:0:2}))
    done
    echo "$sid"
}
sid=$(service_sid abandoned-cartd)
admins='(A;OICI;FA;;;SY)(A;OICI;FA;;;BA)'
msibuild "$msi" -q "CREATE TABLE \`MsiLockPermissionsEx\` (\`MsiLockPermissionsEx\` CHAR(72) NOT NULL, \`LockObject\` CHAR(72) NOT NULL, \`Table\` CHAR(32) NOT NULL, \`SDDLText\` LONGCHAR NOT NULL, \`Condition\` CHAR(255) PRIMARY KEY \`MsiLockPermissionsEx\`)" \
    -q "INSERT INTO \`MsiLockPermissionsEx\` (\`MsiLockPermissionsEx\`, \`LockObject\`, \`Table\`, \`SDDLText\`) VALUES ('ConfigAcl', 'DATADIR', 'CreateFolder', 'D:PAI${admins}(A;OICI;FRFX;;;$sid)')" \
    -q "INSERT INTO \`MsiLockPermissionsEx\` (\`MsiLockPermissionsEx\`, \`LockObject\`, \`Table\`, \`SDDLText\`) VALUES ('StateAcl', 'STATEDIR', 'CreateFolder', 'D:PAI${admins}(A;OICI;0x1301bf;;;$sid)')"

say "built $exe ($(du -h "$exe" | cut -f1)) and $msi"
echo "$msi"
