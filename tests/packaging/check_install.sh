#!/usr/bin/env bash
# ctest packaging.install_and_find_package: `cmake --install` of a built tree
# into a temp prefix, the installed files, an outside project (consumer/)
# built against it with find_package(Tidelog) and run, and the unit checked by
# systemd-analyze when that exists. The temp directory is removed on exit.
#
#   check_install.sh BUILD_DIR SOURCE_DIR
# Environment (set by tests/packaging/CMakeLists.txt): CMAKE_COMMAND,
# TIDELOG_CXX, TIDELOG_GENERATOR.
set -euo pipefail

if [[ $# -ne 2 ]]; then
  echo "usage: $0 BUILD_DIR SOURCE_DIR" >&2
  exit 2
fi
build=$(realpath "$1")
source=$(realpath "$2")
cmake=${CMAKE_COMMAND:-cmake}
generator=${TIDELOG_GENERATOR:-Ninja}

fail() {
  echo "FAIL: $*" >&2
  exit 1
}
cache_value() {  # the value of a CMakeCache.txt entry of the build
  sed -n "s/^$1:[A-Z]*=//p" "$build/CMakeCache.txt" | head -n 1
}

tmp=$(mktemp -d "${TMPDIR:-/tmp}/tidelog-packaging-XXXXXX")
trap 'rm -rf "$tmp"' EXIT
prefix=$tmp/prefix

echo "== cmake --install $build --prefix $prefix"
"$cmake" --install "$build" --prefix "$prefix" >"$tmp/install.log" 2>&1 ||
  { cat "$tmp/install.log" >&2; fail "cmake --install failed (is the tree fully built?)"; }

libdir=$(cache_value CMAKE_INSTALL_LIBDIR)
libdir=${libdir:-lib}
version=$(cache_value CMAKE_PROJECT_VERSION)
[[ -n $version ]] || fail "no CMAKE_PROJECT_VERSION in $build/CMakeCache.txt"

echo "== installed files"
for f in bin/tidelogd include/tidelog/engine.h \
  "$libdir/cmake/Tidelog/TidelogConfig.cmake" "$libdir/cmake/Tidelog/TidelogConfigVersion.cmake" \
  "$libdir/cmake/Tidelog/TidelogTargets.cmake" lib/systemd/system/tidelogd.service \
  lib/sysusers.d/tidelog.conf share/doc/tidelog/examples/tidelogd.toml; do
  [[ -f $prefix/$f ]] || fail "missing $f"
  echo "ok  $f"
done
[[ -x $prefix/bin/tidelogd ]] || fail "bin/tidelogd is not executable"
for header in "$source"/engine/include/tidelog/*.h; do
  [[ -f $prefix/include/tidelog/$(basename "$header") ]] ||
    fail "public header $(basename "$header") not installed"
done
# The package must be relocatable: nothing in it may point into the tree.
if grep -rlF -e "$source" -e "$build" "$prefix/$libdir/cmake/Tidelog"; then
  fail "the CMake package names the source or build tree (above)"
fi
cmp -s "$source/packaging/tidelogd.toml" "$prefix/share/doc/tidelog/examples/tidelogd.toml" ||
  fail "the installed example config differs from packaging/tidelogd.toml"
bindir=$(cache_value CMAKE_INSTALL_BINDIR)
expected_exec="ExecStart=$(cache_value CMAKE_INSTALL_PREFIX)/${bindir:-bin}/tidelogd --config /etc/tidelog/tidelogd.toml"
grep -qxF "$expected_exec" "$prefix/lib/systemd/system/tidelogd.service" ||
  fail "the installed unit lacks '$expected_exec'"

echo "== installed tidelogd --version"
out=$("$prefix/bin/tidelogd" --version) || fail "tidelogd --version exited $?"
echo "$out"
[[ $out == "tidelogd $version"* ]] || fail "tidelogd --version does not start with 'tidelogd $version'"

echo "== consumer: find_package(Tidelog $version) from $prefix"
consumer_args=(-S "$source/tests/packaging/consumer" -B "$tmp/consumer" -G "$generator"
  -DCMAKE_BUILD_TYPE=Release -DCMAKE_PREFIX_PATH="$prefix" -DTIDELOG_EXPECTED_VERSION="$version")
if [[ -n ${TIDELOG_CXX:-} ]]; then consumer_args+=(-DCMAKE_CXX_COMPILER="$TIDELOG_CXX"); fi
"$cmake" "${consumer_args[@]}" >"$tmp/consumer-configure.log" 2>&1 ||
  { cat "$tmp/consumer-configure.log" >&2; fail "configuring the consumer failed"; }
found=$(sed -n 's/^Tidelog_DIR:[A-Z]*=//p' "$tmp/consumer/CMakeCache.txt")
[[ $found == "$prefix/$libdir/cmake/Tidelog" ]] ||
  fail "the consumer found Tidelog in '$found', not in the temp prefix"
"$cmake" --build "$tmp/consumer" -j 2 >"$tmp/consumer-build.log" 2>&1 ||
  { cat "$tmp/consumer-build.log" >&2; fail "building the consumer failed"; }
"$tmp/consumer/tidelog_consumer" "$tmp/consumer-data" || fail "the consumer exited $?"

echo "== systemd unit"
if command -v systemd-analyze >/dev/null 2>&1; then
  # The installed unit names the configured prefix; check a copy that names
  # the binary just installed.
  mkdir "$tmp/unit"
  sed "s|^ExecStart=[^ ]*/tidelogd |ExecStart=$prefix/bin/tidelogd |" \
    "$prefix/lib/systemd/system/tidelogd.service" >"$tmp/unit/tidelogd.service"
  systemd-analyze verify "$tmp/unit/tidelogd.service" || fail "systemd-analyze verify failed"
  echo "ok  systemd-analyze verify tidelogd.service"
else
  echo "SKIPPED: systemd-analyze not found; tidelogd.service not verified"
fi
echo "PASS"
