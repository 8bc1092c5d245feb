#!/bin/sh
# vendor.sh FLAVOUR — fetch, verify, unpack and build the pinned third-party parts.
#
# FLAVOUR is `musl` (static kettle) or `glibc` (sanitizer and fuzz builds). Reads
# vendor/*.pin, downloads with apt into build/vendor/dl, refuses any file whose sha256
# differs from its pin, applies the Debian package's own patch series (debian/patches/series,
# in order) to a source package, and installs headers and static libraries under
# build/vendor/FLAVOUR. Idempotent: each library has its own stamp, newer than its pin
# once built, so a new or changed pin rebuilds that library alone.
set -eu

flavour=${1:-musl}
top=$(cd "$(dirname "$0")/.." && pwd)
vdir=$top/build/vendor
dl=$vdir/dl
out=$vdir/$flavour
case $flavour in
musl) cc=musl-gcc ;;
glibc) cc=gcc ;;
*) echo "vendor.sh: unknown flavour \`$flavour\` (allowed: musl, glibc)" >&2; exit 2 ;;
esac

pin_get() { # pin_get FILE KEY
	sed -n "s/^$2=//p" "$1" | head -n 1
}

verify() { # verify PATH EXPECTED
	got=$(sha256sum "$1" | cut -d' ' -f1)
	if [ "$got" != "$2" ]; then
		echo "vendor.sh: checksum mismatch for $(basename "$1"): expected $2, got $got" >&2
		exit 1
	fi
}

ensure_deb_src() {
	if grep -rqs '^Types:.*deb-src' /etc/apt/sources.list.d/ ||
		grep -qs '^deb-src' /etc/apt/sources.list; then
		return
	fi
	src=/etc/apt/sources.list.d/debian.sources
	[ -f "$src" ] || { echo "vendor.sh: no $src to derive a deb-src entry from" >&2; exit 1; }
	sed 's/^Types:.*/Types: deb-src/' "$src" >/etc/apt/sources.list.d/kettle-deb-src.sources
	apt-get update -qq
}

fetch_source() { # fetch_source PIN
	pkg=$(pin_get "$1" package); ver=$(pin_get "$1" version); file=$(pin_get "$1" file)
	dfile=$(pin_get "$1" debian_file)
	if [ ! -f "$dl/$file" ] || { [ -n "$dfile" ] && [ ! -f "$dl/$dfile" ]; }; then
		ensure_deb_src
		(cd "$dl" && apt-get -o APT::Sandbox::User=root source -qq --download-only "$pkg=$ver") >/dev/null ||
			(apt-get update -qq && cd "$dl" && apt-get -o APT::Sandbox::User=root source -qq --download-only "$pkg=$ver")
	fi
	verify "$dl/$file" "$(pin_get "$1" sha256)"
}

fetch_binary() { # fetch_binary PIN
	pkg=$(pin_get "$1" package); ver=$(pin_get "$1" version); file=$(pin_get "$1" file)
	if [ ! -f "$dl/$file" ]; then
		(cd "$dl" && apt-get -o APT::Sandbox::User=root download -qq "$pkg=$ver") ||
			(apt-get update -qq && cd "$dl" && apt-get -o APT::Sandbox::User=root download -qq "$pkg=$ver")
	fi
	verify "$dl/$file" "$(pin_get "$1" sha256)"
}

# up_to_date: the flavour's stamp is newer than this script and every pin (an edited pin
# leaves the folder's own mtime alone, so each file is compared).
up_to_date() {
	[ -f "$out/.stamp" ] || return 1
	for f in "$0" "$top"/vendor/*.pin; do
		[ "$out/.stamp" -nt "$f" ] || return 1
	done
}

# apply_debian_patches PIN SRC: unpacks the pinned .debian.tar.xz and applies every patch of
# debian/patches/series to SRC, in order; a patch that does not apply stops the build.
apply_debian_patches() {
	dfile=$(pin_get "$1" debian_file)
	[ -n "$dfile" ] || return 0
	verify "$dl/$dfile" "$(pin_get "$1" debian_sha256)"
	dtmp=$vdir/debian-$flavour
	rm -rf "$dtmp" && mkdir -p "$dtmp"
	tar -xJf "$dl/$dfile" -C "$dtmp"
	[ -f "$dtmp/debian/patches/series" ] || return 0
	# Blank lines and comments are not patches (dpkg-source's quilt format).
	sed -e 's/#.*//' -e '/^[[:space:]]*$/d' "$dtmp/debian/patches/series" |
		while read -r p _; do
			if ! patch -d "$2" -p1 --quiet --forward <"$dtmp/debian/patches/$p"; then
				echo "vendor.sh: Debian patch \`$p\` does not apply to $(pin_get "$1" file)" >&2
				exit 1
			fi
		done
	rm -rf "$dtmp"
}

mkdir -p "$dl" "$out/include" "$out/lib"
up_to_date && exit 0

# fresh NAME ARTIFACT: true when ARTIFACT (under build/vendor/FLAVOUR) exists and NAME's
# stamp is newer than its pin; a tree built before the per-library stamps counts its
# global stamp instead.
fresh() {
	[ -f "$out/$2" ] || return 1
	[ -f "$out/.stamp-$1" ] && [ "$out/.stamp-$1" -nt "$top/vendor/$1.pin" ] && return 0
	[ -f "$out/.stamp" ] && [ "$out/.stamp" -nt "$top/vendor/$1.pin" ] && touch "$out/.stamp-$1"
}

# jsmn: one header.
jpin=$top/vendor/jsmn.pin
if ! fresh jsmn include/jsmn.h; then
	fetch_binary "$jpin"
	rm -rf "$vdir/jsmn-x" && mkdir -p "$vdir/jsmn-x"
	dpkg-deb -x "$dl/$(pin_get "$jpin" file)" "$vdir/jsmn-x"
	cp "$vdir/jsmn-x/usr/include/jsmn.h" "$out/include/jsmn.h"
	touch "$out/.stamp-jsmn"
fi

# libseccomp: static, with the flavour's compiler. musl-gcc does not see the kernel
# headers, so give it copies of linux/, asm-generic/ and asm/.
spin=$top/vendor/libseccomp.pin
if ! fresh libseccomp lib/libseccomp.a; then
	fetch_source "$spin"
	src=$vdir/src-$flavour
	rm -rf "$src" && mkdir -p "$src"
	tar -xzf "$dl/$(pin_get "$spin" file)" -C "$src" --strip-components=1
	# Debian's series adds the syscalls up to Linux 6.7 (fchmodat2, cachestat, futex_wait, …)
	# to syscalls.csv; make regenerates the lookup tables from it with gperf.
	apply_debian_patches "$spin" "$src"
	extra=
	if [ "$flavour" = musl ]; then
		kh=$vdir/kernel-headers
		rm -rf "$kh" && mkdir -p "$kh"
		cp -r /usr/include/linux /usr/include/asm-generic "$kh/"
		cp -r /usr/include/x86_64-linux-gnu/asm "$kh/asm"
		extra="-I$kh"
	fi
	(
		cd "$src"
		CC=$cc CFLAGS="-O2 -fPIC $extra" ./configure --quiet --enable-static --disable-shared \
			--prefix="$out" >/dev/null
		make -s -j"$(nproc)" >/dev/null 2>&1 || make -j1
		make -s install >/dev/null
	)
	rm -rf "$out/lib/pkgconfig" "$out/share" "$out/bin"
	touch "$out/.stamp-libseccomp"
fi

# zlib: static, with the flavour's compiler (its own configure; no kernel headers needed).
zpin=$top/vendor/zlib.pin
if ! fresh zlib lib/libz.a; then
	fetch_source "$zpin"
	zsrc=$vdir/zlib-$flavour
	rm -rf "$zsrc" && mkdir -p "$zsrc"
	tar -xjf "$dl/$(pin_get "$zpin" file)" -C "$zsrc" --strip-components=1
	(
		cd "$zsrc"
		CC=$cc CFLAGS="-O2 -fPIC" ./configure --static --prefix="$out" >/dev/null
		make -s -j"$(nproc)" libz.a >/dev/null 2>&1 || make -j1 libz.a
		cp libz.a "$out/lib/libz.a"
		cp zlib.h zconf.h "$out/include/"
	)
	touch "$out/.stamp-zlib"
fi
touch "$out/.stamp"
echo "vendor.sh: $flavour: jsmn $(pin_get "$jpin" version), libseccomp $(pin_get "$spin" version) (with Debian's patches), zlib $(pin_get "$zpin" version) ready in build/vendor/$flavour"
