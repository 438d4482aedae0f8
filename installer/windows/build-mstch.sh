#!/usr/bin/env bash
# Cross-builds mstch (the Mustache engine of the reminder templates) for 64-bit Windows from
# Debian's source package, static, into its own cache beside build-deps.sh's:
#   ${XDG_CACHE_HOME:-$HOME/.cache}/abandoned-cartd/windows-deps/mstch-<key>
# keyed by the source version, the compiler and this script. mstch is seven source files
# whose only dependency is header-only Boost (boost::variant), so they are compiled directly;
# the prefix holds a `boost` link to Debian's Boost headers, which are the same on every
# platform. Prints the prefix as its last line. Expects the packages of build-msi.sh.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
cache=${XDG_CACHE_HOME:-$HOME/.cache}/abandoned-cartd/windows-deps
triplet=x86_64-w64-mingw32
say() { echo "build-mstch: $*" >&2; }

# The private apt state of build-deps.sh (which runs first and sets it up).
aptdir=$cache/apt
apt_opts=(-q -o "Dir::Etc::SourceList=$aptdir/empty.list" -o "Dir::Etc::SourceParts=$aptdir/sources.list.d"
    -o "Dir::State::Lists=$aptdir/lists" -o "Dir::Cache=$aptdir/cache" -o APT::Sandbox::User=root)
dsc=$(apt-get "${apt_opts[@]}" source --print-uris mstch 2>/dev/null | awk '{ print $2 }' | grep '\.dsc$' || true)
if [ -z "$dsc" ]; then
    say "cannot find Debian's source package mstch"
    exit 1
fi
key=$( {
    echo "$dsc"
    $triplet-g++-posix --version | head -1
    cat "$here/build-mstch.sh"
} | sha256sum | cut -c1-16)
prefix=$cache/mstch-$key
if [ -f "$prefix/.complete" ]; then
    say "reusing $prefix"
    echo "$prefix"
    exit 0
fi

say "building $dsc into $prefix"
rm -rf "$prefix"
work=$(mktemp -d "$cache/work-mstch-XXXXXX")
trap 'rm -rf "$work"' EXIT
cd "$work"
# Debian's patches (packaging only: mstch's sources are compiled directly here) come in the
# .debian.tar.xz, which some mirrors lack: then the upstream tarball alone is used, once its
# SHA-256 matches the one the .dsc gives.
if apt-get "${apt_opts[@]}" source --download-only mstch >&2; then
    dpkg-source --no-check -x "$(basename "$dsc")" >&2
else
    orig=$(ls mstch_*.orig.tar.* 2>/dev/null | head -1)
    [ -n "$orig" ] && [ -f "$(basename "$dsc")" ] || {
        say "cannot download the source package mstch"
        exit 1
    }
    want=$(sed -n '/^Checksums-Sha256:/,/^[A-Z]/p' "$(basename "$dsc")" | awk -v f="$orig" '$3 == f { print $1 }')
    [ -n "$want" ] && [ "$(sha256sum "$orig" | cut -d' ' -f1)" = "$want" ] || {
        say "$orig does not match the SHA-256 of $(basename "$dsc")"
        exit 1
    }
    say "the Debian part of mstch is not on this mirror: building the verified upstream $orig"
    tar xf "$orig"
fi
src=$(ls -d mstch-*/)
mkdir -p "$prefix/include/mstch" "$prefix/lib/cmake/mstch"
ln -s /usr/include/boost "$prefix/include/boost"
objects=()
for file in "$src"/src/*.cpp "$src"/src/state/*.cpp; do
    object=$work/$(basename "$file" .cpp).o
    $triplet-g++-posix -std=c++11 -O2 -I"$src/include" -I"$src/src" -I"$prefix/include" -c "$file" -o "$object"
    objects+=("$object")
done
$triplet-ar rcs "$prefix/lib/libmstch.a" "${objects[@]}"
cp "$src/include/mstch/mstch.hpp" "$prefix/include/mstch/"
cat >"$prefix/lib/cmake/mstch/mstch-config.cmake" <<'CMAKE'
# mstch cross-built by installer/windows/build-mstch.sh.
get_filename_component(_mstch_prefix "${CMAKE_CURRENT_LIST_DIR}/../../.." ABSOLUTE)
if(NOT TARGET mstch::mstch)
    add_library(mstch::mstch STATIC IMPORTED)
    set_target_properties(mstch::mstch PROPERTIES
        IMPORTED_LOCATION "${_mstch_prefix}/lib/libmstch.a"
        INTERFACE_INCLUDE_DIRECTORIES "${_mstch_prefix}/include")
endif()
CMAKE
echo "$dsc" >"$prefix/.complete"
say "done: $prefix"
echo "$prefix"
