#!/usr/bin/env bash
# Install the named Debian packages when they are missing (as root), else say how.
set -euo pipefail
missing=()
for p in "$@"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -eq 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q
  apt-get install -y -q --no-install-recommends "${missing[@]}"
else
  echo "seqlab: missing Debian packages: ${missing[*]}" >&2
  echo "        install them with: sudo apt-get install -y ${missing[*]}" >&2
  echo "        (seqlab runs what it can without them)" >&2
fi
