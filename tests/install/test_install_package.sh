#!/usr/bin/env bash
# Installs the build tree into a temporary prefix and builds tests/install/consumer.c against it twice:
# once through the CMake package (find_package(tensorpool)) and once through pkg-config.
set -euo pipefail
build_dir="$1"
src_dir="$2"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

"$CMAKE" --install "$build_dir" --prefix "$work/prefix" >/dev/null

mkdir -p "$work/cmake-user"
cat >"$work/cmake-user/CMakeLists.txt" <<CMAKE
cmake_minimum_required(VERSION 3.25)
project(tp_install_user C)
find_package(tensorpool 0.1 REQUIRED)
set(CMAKE_C_STANDARD 11)
set(CMAKE_C_EXTENSIONS OFF)
add_executable(user "$src_dir/consumer.c")
target_link_libraries(user tensorpool::tensorpool)
CMAKE
"$CMAKE" -S "$work/cmake-user" -B "$work/cmake-user/build" -DCMAKE_PREFIX_PATH="$work/prefix" \
    -DCMAKE_C_COMPILER="$CC" -DCMAKE_C_FLAGS="${SAN_FLAGS:-}" -DCMAKE_EXE_LINKER_FLAGS="${SAN_FLAGS:-}" >/dev/null
"$CMAKE" --build "$work/cmake-user/build" >/dev/null
LD_LIBRARY_PATH="$work/prefix/lib" "$work/cmake-user/build/user"

flags="$(PKG_CONFIG_PATH="$work/prefix/lib/pkgconfig" pkg-config --cflags --libs --static tensorpool)"
# shellcheck disable=SC2086
"$CC" -std=c11 ${SAN_FLAGS:-} "$src_dir/consumer.c" -o "$work/pc-user" $flags
case "$flags" in *"$work/prefix"*) ;; *) echo "pkg-config flags do not point into the install prefix: $flags"; exit 1;; esac
LD_LIBRARY_PATH="$work/prefix/lib" "$work/pc-user"
