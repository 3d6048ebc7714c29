#!/usr/bin/env bash
# Installs the Debian packages that building and testing tensorpool need. Idempotent: it only calls
# apt-get when something is missing, so a prepared machine needs no network. Run as root (or via sudo).
set -euo pipefail

packages=(build-essential g++ clang cmake pkg-config python3 libcmocka-dev libtomlplusplus-dev python3-numpy python3-pytest python3-venv python3-setuptools)

missing=()
for p in "${packages[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
        missing+=("$p")
    fi
done

if [ ${#missing[@]} -eq 0 ]; then
    echo "setup: all build and test packages present"
    exit 0
fi

sudo_cmd=()
if [ "$(id -u)" -ne 0 ]; then
    sudo_cmd=(sudo)
fi
echo "setup: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
"${sudo_cmd[@]}" apt-get update -qq
"${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
