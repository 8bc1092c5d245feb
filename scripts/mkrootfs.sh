#!/bin/sh
# mkrootfs.sh DIR — build the integration tests' root filesystem from Debian's busybox-static.
#
# DIR/bin holds a copy of /bin/busybox and one symlink per applet; sbin, usr/bin and usr/sbin
# point at bin, so every usual PATH entry finds every applet. /etc/passwd and /etc/group hold
# root (0), kuser (1000) and nobody (65534). Idempotent: the tree is built in a temporary
# sibling directory and renamed over DIR only when complete, so DIR is never half-built.
set -eu

if [ $# -ne 1 ] || [ -z "$1" ]; then
	echo "usage: mkrootfs.sh DIR" >&2
	exit 2
fi
dest=${1%/}
bb=/bin/busybox
if [ ! -x "$bb" ]; then
	echo "mkrootfs.sh: \`$bb\` is missing; install busybox-static (scripts/deps.sh)" >&2
	exit 1
fi
if ! file -L "$bb" | grep -q 'statically linked'; then
	echo "mkrootfs.sh: \`$bb\` is not statically linked; install busybox-static" >&2
	exit 1
fi

parent=$(dirname "$dest")
mkdir -p "$parent"
tmp=$(mktemp -d "$parent/.rootfs-new.XXXXXX")
trap 'rm -rf "$tmp"' EXIT INT TERM

mkdir -p "$tmp/bin" "$tmp/usr" "$tmp/etc" "$tmp/proc" "$tmp/sys" "$tmp/dev" "$tmp/root" \
	"$tmp/tmp" "$tmp/home/kuser" "$tmp/var/tmp"
chmod 1777 "$tmp/tmp" "$tmp/var/tmp"
chmod 0700 "$tmp/root"
cp "$bb" "$tmp/bin/busybox"
chmod 0755 "$tmp/bin/busybox"
for applet in $("$bb" --list); do
	case $applet in
	busybox | */*) continue ;;
	esac
	ln -s busybox "$tmp/bin/$applet"
done
ln -s bin "$tmp/sbin"
ln -s ../bin "$tmp/usr/bin"
ln -s ../bin "$tmp/usr/sbin"

for need in sh true cat sleep; do
	if [ ! -e "$tmp/bin/$need" ]; then
		echo "mkrootfs.sh: busybox lacks the \`$need\` applet; the tests need it" >&2
		exit 1
	fi
done

cat >"$tmp/etc/passwd" <<'EOF'
root:x:0:0:root:/root:/bin/sh
kuser:x:1000:1000:kettle test user:/home/kuser:/bin/sh
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
EOF
cat >"$tmp/etc/group" <<'EOF'
root:x:0:
kuser:x:1000:
nogroup:x:65534:
EOF
chmod 0644 "$tmp/etc/passwd" "$tmp/etc/group"
chown 1000:1000 "$tmp/home/kuser" 2>/dev/null || true
chmod 0755 "$tmp"

# Swap in the finished tree; the old one (if any) is removed only after the rename.
old=
if [ -e "$dest" ] || [ -L "$dest" ]; then
	old=$(mktemp -d "$parent/.rootfs-old.XXXXXX")
	mv "$dest" "$old/tree"
fi
mv "$tmp" "$dest"
trap - EXIT INT TERM
[ -n "$old" ] && rm -rf "$old"
exit 0
