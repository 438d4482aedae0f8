#!/usr/bin/env bash
# Cross-builds the product's dependencies for 64-bit Windows from Debian's own source
# packages (Debian's patches applied): Poco Foundation/Util/Net/XML, libcurl (HTTP and SMTP)
# with Schannel, SQLite (the amalgamation bundled with SQLiteCpp) and SQLiteCpp, all static, and
# RapidJSON's headers (header-only: copied as they are).
#
# The result is cached outside the clone, under
#   ${XDG_CACHE_HOME:-$HOME/.cache}/abandoned-cartd/windows-deps/<key>
# where the key covers the source package versions, the compiler, CMake, this script, the
# toolchain file and the include shims: a second run with the same inputs only prints the
# path. Prints the prefix as its last line. Expects the packages of build-msi.sh installed.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
cache=${XDG_CACHE_HOME:-$HOME/.cache}/abandoned-cartd/windows-deps
jobs=${ACD_JOBS:-2}
toolchain=$here/mingw-w64-x86_64.cmake

say() { echo "build-deps: $*" >&2; }

# Source packages come from the mirror of the system's own deb lines, through a private
# apt state, so the system's apt configuration and caches are left alone.
aptdir=$cache/apt
mkdir -p "$aptdir/sources.list.d" "$aptdir/lists/partial" "$aptdir/cache/archives/partial"
: >"$aptdir/empty.list"
apt_opts=(-q -o "Dir::Etc::SourceList=$aptdir/empty.list" -o "Dir::Etc::SourceParts=$aptdir/sources.list.d"
    -o "Dir::State::Lists=$aptdir/lists" -o "Dir::Cache=$aptdir/cache" -o APT::Sandbox::User=root)
if [ ! -s "$aptdir/sources.list.d/debian.sources" ]; then
    if [ -f /etc/apt/sources.list.d/debian.sources ]; then
        sed 's/^Types:.*/Types: deb-src/' /etc/apt/sources.list.d/debian.sources >"$aptdir/sources.list.d/debian.sources"
    else
        grep -h '^deb ' /etc/apt/sources.list | sed 's/^deb /deb-src /' >"$aptdir/sources.list.d/debian.list"
    fi
fi
if ! ls "$aptdir"/lists/*Sources* >/dev/null 2>&1; then
    say "reading Debian's source package lists"
    apt-get "${apt_opts[@]}" update >&2
fi

packages=(poco curl sqlitecpp rapidjson)
mapfile -t dscs < <(apt-get "${apt_opts[@]}" source --print-uris "${packages[@]}" 2>/dev/null |
    awk '{ print $2 }' | grep '\.dsc$' | sort)
if [ "${#dscs[@]}" -ne "${#packages[@]}" ]; then
    say "cannot find the source packages ${packages[*]} (found: ${dscs[*]:-none})"
    exit 1
fi

key=$( {
    printf '%s\n' "${dscs[@]}"
    x86_64-w64-mingw32-g++-posix --version | head -1
    cmake --version | head -1
    cat "$here/build-deps.sh" "$toolchain" "$here"/include/*.h
} | sha256sum | cut -c1-16)
prefix=$cache/$key

exec 9>"$cache/$key.lock"
flock 9
if [ -f "$prefix/.complete" ]; then
    say "reusing $prefix"
    echo "$prefix"
    exit 0
fi

say "building ${dscs[*]} for x86_64-w64-mingw32 into $prefix (-j$jobs; about 20 minutes on 2 cores)"
rm -rf "$prefix"
work=$cache/work-$key
rm -rf "$work"
mkdir -p "$work"
trap 'rm -rf "$work"' EXIT
cd "$work"
apt-get "${apt_opts[@]}" source --download-only "${packages[@]}" >&2
for dsc in "${dscs[@]}"; do
    dpkg-source --no-check -x "$dsc" >&2
done

cmake_cross=(-G Ninja -DCMAKE_TOOLCHAIN_FILE="$toolchain" -DACD_WINDOWS_DEPS="$prefix"
    -DCMAKE_BUILD_TYPE=Release -DCMAKE_INSTALL_PREFIX="$prefix" -DBUILD_SHARED_LIBS=OFF)

build() {
    local name=$1 src=$2
    shift 2
    say "$name: configure"
    cmake -S "$src" -B "build-$name" "${cmake_cross[@]}" "$@" >"$name.log" 2>&1 || {
        tail -40 "$name.log" >&2
        exit 1
    }
    say "$name: build"
    cmake --build "build-$name" -j"$jobs" >>"$name.log" 2>&1 && cmake --install "build-$name" >>"$name.log" 2>&1 || {
        tail -40 "$name.log" >&2
        exit 1
    }
}

# Only what the product links; NetSSL and Crypto would need OpenSSL, which the Windows
# build does without (libcurl speaks TLS through Schannel).
build poco "$(ls -d poco-*/)" -DPOCO_UNBUNDLED=OFF -DENABLE_TESTS=OFF \
    -DENABLE_FOUNDATION=ON -DENABLE_UTIL=ON -DENABLE_NET=ON -DENABLE_JSON=OFF -DENABLE_XML=ON \
    -DENABLE_NETSSL=OFF -DENABLE_NETSSL_WIN=OFF -DENABLE_CRYPTO=OFF -DENABLE_JWT=OFF \
    -DENABLE_DATA=OFF -DENABLE_DATA_SQLITE=OFF -DENABLE_DATA_MYSQL=OFF -DENABLE_DATA_POSTGRESQL=OFF \
    -DENABLE_DATA_ODBC=OFF -DENABLE_MONGODB=OFF -DENABLE_REDIS=OFF -DENABLE_PDF=OFF -DENABLE_ZIP=OFF \
    -DENABLE_SEVENZIP=OFF -DENABLE_ENCODINGS=OFF -DENABLE_PAGECOMPILER=OFF \
    -DENABLE_PAGECOMPILER_FILE2PAGE=OFF -DENABLE_ACTIVERECORD=OFF -DENABLE_ACTIVERECORD_COMPILER=OFF \
    -DENABLE_APACHECONNECTOR=OFF -DENABLE_CPPPARSER=OFF -DENABLE_POCODOC=OFF \
    -DCMAKE_MC_COMPILER="$(command -v x86_64-w64-mingw32-windmc)"

# HTTP(S) for the web APIs and SMTP for the smtp provider (STARTTLS and smtps:// through
# Schannel as well); every other protocol stays out.
build curl "$(ls -d curl-*/)" -DBUILD_CURL_EXE=OFF -DBUILD_TESTING=OFF -DENABLE_MANUAL=OFF \
    -DCURL_DISABLE_DICT=ON -DCURL_DISABLE_FILE=ON -DCURL_DISABLE_FTP=ON -DCURL_DISABLE_GOPHER=ON \
    -DCURL_DISABLE_IMAP=ON -DCURL_DISABLE_LDAPS=ON -DCURL_DISABLE_MQTT=ON -DCURL_DISABLE_POP3=ON \
    -DCURL_DISABLE_RTSP=ON -DCURL_DISABLE_SMB=ON -DCURL_DISABLE_TELNET=ON -DCURL_DISABLE_TFTP=ON \
    -DCURL_USE_SCHANNEL=ON -DCURL_USE_OPENSSL=OFF -DCURL_ZLIB=OFF -DCURL_BROTLI=OFF \
    -DCURL_ZSTD=OFF -DUSE_NGHTTP2=OFF -DUSE_LIBIDN2=OFF -DCURL_USE_LIBSSH2=OFF -DCURL_USE_LIBPSL=OFF \
    -DCURL_DISABLE_LDAP=ON -DENABLE_UNICODE=ON -DCURL_CA_BUNDLE=none -DCURL_CA_PATH=none

build sqlitecpp "$(ls -d sqlitecpp-*/)" -DSQLITECPP_INTERNAL_SQLITE=ON -DSQLITECPP_BUILD_TESTS=OFF \
    -DSQLITECPP_BUILD_EXAMPLES=OFF -DSQLITECPP_RUN_CPPLINT=OFF -DSQLITECPP_RUN_CPPCHECK=OFF

# RapidJSON is the product's JSON library; Poco's JSON is left out above (Util then builds
# without JSONConfiguration, which the product does not use).
mkdir -p "$prefix/include"
cp -r "$(ls -d rapidjson-*/)include/rapidjson" "$prefix/include/"

printf '%s\n' "${dscs[@]}" >"$prefix/.complete"
say "done: $prefix"
echo "$prefix"
