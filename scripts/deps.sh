#!/bin/sh
# deps.sh — install everything a fresh Debian 12 machine needs to build and test kettle.
#
# Runs as root. Installs the toolchain (musl-gcc, gcc, clang with libFuzzer runtime,
# clang-format, patch for the Debian patch series vendor.sh applies), the test peers (runc,
# busybox-static, util-linux, bsdutils for `script`'s terminal, iproute2, nftables: nft is
# network.test's oracle, kettle itself never runs it; containerd; nodejs and npm for the shim
# v2 kit's CRI client; python3 and libcap2-bin for the image fixtures; umoci, skopeo and
# podman, the images' oracles) and the bench peers (hyperfine), then builds the pinned vendor
# libraries with
# scripts/vendor.sh. Idempotent: when every package is already installed apt is not
# touched at all, so a re-run costs only the dpkg-query check.
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)

pkgs="musl-tools gperf bzip2 runc busybox-static make gcc clang libclang-rt-14-dev clang-format
file dpkg-dev xz-utils ca-certificates util-linux procps iproute2 nftables hyperfine containerd
bash coreutils python3 jq patch bsdutils nodejs libcap2-bin umoci skopeo podman"

if [ "$(id -u)" -ne 0 ]; then
	echo "deps.sh: must run as root (uid $(id -u)); allowed: uid 0" >&2
	exit 1
fi

missing=
for p in $pkgs; do
	status=$(dpkg-query -W -f='${db:Status-Abbrev}' "$p" 2>/dev/null || true)
	case $status in
	ii*) ;;
	*) missing="$missing $p" ;;
	esac
done

if [ -n "$missing" ]; then
	echo "deps.sh: installing:$missing"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	# Install the whole list, not only the missing ones, so versions stay consistent.
	# shellcheck disable=SC2086 # word splitting of the package list is intended
	apt-get install -y -qq --no-install-recommends $pkgs
else
	echo "deps.sh: all packages already installed"
fi
# npm: NodeSource's nodejs (as on these machines) carries its own npm and conflicts with
# Debian's npm package; Debian's nodejs needs the package.
if ! command -v npm >/dev/null 2>&1; then
	echo "deps.sh: installing: npm"
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends npm
fi

"$top/scripts/vendor.sh" musl
