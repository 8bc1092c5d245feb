#!/bin/sh
# install.sh DESTDIR PREFIX KETTLE_BIN — `make install`: the binary, its role links, the
# service files and the bash completion, under $DESTDIR$PREFIX (man-less).
#
#   $DESTDIR$PREFIX/bin/kettle                          the static binary (0755)
#   $DESTDIR$PREFIX/bin/kettled -> kettle               runs `kettle daemon` by its name
#   $DESTDIR$PREFIX/bin/kettle-shim -> kettle           runs `kettle shim` by its name
#   $DESTDIR$PREFIX/lib/systemd/system/kettle.service   systemd unit (0644)
#   $DESTDIR$PREFIX/share/kettle/kettle.openrc          OpenRC / busybox init script (0755);
#                                                       copy it to /etc/init.d/kettle
#   $DESTDIR$PREFIX/share/bash-completion/completions/kettle   completion (0644)
#
# Paths inside the service files are the final ones ($PREFIX/bin, without DESTDIR). The
# completion holds no lists: it asks the kettle it completes (`kettle __complete`).
# Files are written to a temporary name and renamed, so a running kettle is never
# overwritten in place (ETXTBSY) and a reader never sees half a file.
set -eu

if [ $# -ne 3 ]; then
	echo "usage: scripts/install.sh DESTDIR PREFIX KETTLE_BIN" >&2
	exit 2
fi
destdir=$1
prefix=$2
bin=$3
top=$(cd "$(dirname "$0")/.." && pwd)

case $prefix in
/*) ;;
*)
	echo "install.sh: PREFIX \`$prefix\` is not an absolute path" >&2
	exit 2
	;;
esac
if [ ! -x "$bin" ] || [ ! -f "$bin" ]; then
	echo "install.sh: \`$bin\` is not an executable file (run make first)" >&2
	exit 2
fi

root=$destdir$prefix
bindir=$prefix/bin

# put SRC DEST MODE: atomic copy.
put()
{
	mkdir -p "$(dirname "$2")"
	cp "$1" "$2.tmp.$$"
	chmod "$3" "$2.tmp.$$"
	mv -f "$2.tmp.$$" "$2"
}

# subst SRC DEST MODE: a copy with @BINDIR@ replaced.
subst()
{
	mkdir -p "$(dirname "$2")"
	sed "s|@BINDIR@|$bindir|g" "$1" >"$2.tmp.$$"
	chmod "$3" "$2.tmp.$$"
	mv -f "$2.tmp.$$" "$2"
}

# link NAME: NAME -> kettle in the bin directory.
link()
{
	ln -sfn kettle "$root/bin/$1.tmp.$$"
	mv -f "$root/bin/$1.tmp.$$" "$root/bin/$1"
}

put "$bin" "$root/bin/kettle" 0755
link kettled
link kettle-shim
subst "$top/scripts/kettle.service" "$root/lib/systemd/system/kettle.service" 0644
subst "$top/scripts/kettle.openrc" "$root/share/kettle/kettle.openrc" 0755

# The completion asks the binary (`kettle __complete`), so it is installed as it is.
put "$top/scripts/kettle.bash-completion" "$root/share/bash-completion/completions/kettle" 0644
echo "installed kettle $("$root/bin/kettle" --version | sed 's/^kettle //') in $root"
