#!/bin/bash
# shellcheck disable=SC2016,SC2317 # exit hooks are single-quoted for eval; load_*/run_* are called as "load_$t"
# images.sh KETTLE — image load and image start latency, side by side with the peers.
#
# Builds offline a three-layer gzip image of about 200 MB uncompressed (a busybox root, random
# binary files, base64 text files; tar --sort=name, gzip -n -1) as an OCI layout tar. Part 1 loads
# it BENCH_LOAD_RUNS times into an empty store each: `kettle load -q -i`, `podman load -q -i`
# (overlay storage), `ctr images import` (unpacked into containerd's overlayfs snapshotter) and
# the floor `gzip -dc LAYER | tar -x` of each layer blob into one directory; the order rotates
# every round; kettle's time includes its digest checks and its syncfs, the floor has neither.
# Part 2 times BENCH_RUNS × `kettle run --rm IMAGE /bin/true` against bare `runc run` on the
# layers already extracted (the overlay mount and unmount included in the timed command; kettle's
# own unmount and removal finish in the background after `run --rm` returns, and are waited for
# untimed, as in startup.sh) and `podman run --rm --network none IMAGE /bin/true`. Prints medians
# and ratios; exits 0 whether or not the targets (load faster than both peers and ≤ 1.3× the
# floor; run ≤ 1.2× bare runc) were met, 1 only when something could not run.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

LOADS=${BENCH_LOAD_RUNS:-3}
RUNS=${BENCH_RUNS:-10}
TARGET_FLOOR=1.3
TARGET_RUNC=1.2

bench_init "$@"
case $LOADS in '' | *[!0-9]* | 0) bench_die "BENCH_LOAD_RUNS must be a positive whole number" ;; esac
case $RUNS in '' | *[!0-9]* | 0) bench_die "BENCH_RUNS must be a positive whole number" ;; esac
command -v gzip >/dev/null || bench_die "needs gzip"

# ---- the image: an OCI layout tar, three gzip layers ----
img=$BENCH_TMP/img
mkdir -p "$img/l1" "$img/l2/data/bin" "$img/l3/data/text" "$img/layout/blobs/sha256"
bench_rootfs "$img/l1"
# 100 MiB of random bytes: 400 files of 128 KiB and 50 of 1 MiB.
head -c 50M /dev/urandom | split -b 128k -a 3 - "$img/l2/data/bin/small."
head -c 50M /dev/urandom | split -b 1M -a 2 - "$img/l2/data/bin/big."
# About 100 MiB of text (base64 of random bytes: gzip gets it to 3/4): 1000 files of 100 KiB.
head -c 75M /dev/urandom | base64 -w 76 | split -b 100k -a 3 - "$img/l3/data/text/t."
sum() { sha256sum "$1" | cut -d' ' -f1; }
size() { stat -c %s "$1"; }
layers_json=
diff_ids=
for l in l1 l2 l3; do
	tar --create --file "$img/$l.tar" --directory "$img/$l" --format=posix --sort=name \
		--numeric-owner --mtime=@1704164645 .
	gzip -n -1 -c "$img/$l.tar" >"$img/$l.tar.gz"
	d=$(sum "$img/$l.tar.gz")
	mv "$img/$l.tar.gz" "$img/layout/blobs/sha256/$d"
	diff_ids+=${diff_ids:+,}\"sha256:$(sum "$img/$l.tar")\"
	layers_json+=${layers_json:+,}"{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar+gzip\",\"digest\":\"sha256:$d\",\"size\":$(size "$img/layout/blobs/sha256/$d")}"
	echo "$d" >>"$img/blobs"
	rm "$img/$l.tar"
done
rm -rf "$img/l2" "$img/l3" # l1 stays: the bare runc bundle's config comes from it below
printf '%s' "{\"architecture\":\"amd64\",\"os\":\"linux\",\"created\":\"2024-01-02T03:04:05Z\",\"config\":{\"Env\":[\"PATH=/usr/sbin:/usr/bin:/sbin:/bin\"],\"Cmd\":[\"/bin/sh\"]},\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[$diff_ids]}}" >"$img/config"
config=$(sum "$img/config")
mv "$img/config" "$img/layout/blobs/sha256/$config"
printf '%s' "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"config\":{\"mediaType\":\"application/vnd.oci.image.config.v1+json\",\"digest\":\"sha256:$config\",\"size\":$(size "$img/layout/blobs/sha256/$config")},\"layers\":[$layers_json]}" >"$img/manifest"
manifest=$(sum "$img/manifest")
msize=$(size "$img/manifest")
mv "$img/manifest" "$img/layout/blobs/sha256/$manifest"
printf '%s' '{"imageLayoutVersion":"1.0.0"}' >"$img/layout/oci-layout"
printf '%s' "{\"schemaVersion\":2,\"manifests\":[{\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"digest\":\"sha256:$manifest\",\"size\":$msize,\"platform\":{\"architecture\":\"amd64\",\"os\":\"linux\"},\"annotations\":{\"io.containerd.image.name\":\"docker.io/kettle/bench:latest\",\"org.opencontainers.image.ref.name\":\"latest\"}}]}" >"$img/layout/index.json"
archive=$BENCH_TMP/bench-oci.tar
tar --create --file "$archive" --directory "$img/layout" --format=posix --sort=name .
mapfile -t blobs <"$img/blobs"
unpacked_mb=$(awk '{ s += $1 } END { printf "%.0f", s / 1048576 }' \
	<(for b in "${blobs[@]}"; do gzip -dc "$img/layout/blobs/sha256/$b" | wc -c; done))
nfiles=$(for b in "${blobs[@]}"; do gzip -dc "$img/layout/blobs/sha256/$b" | tar -t; done | wc -l)
archive_mb=$(awk -v s="$(size "$archive")" 'BEGIN { printf "%.0f", s / 1048576 }')

# ---- the tools ----
bench_kettle_start "$BENCH_TMP/kroot" || bench_die "$BENCH_WHY"
have_ctr=1
bench_containerd_start "$BENCH_TMP/containerd" || {
	have_ctr=0
	ctr_why=$BENCH_WHY
}
have_podman=0
if command -v podman >/dev/null; then
	have_podman=1
	pdir=$BENCH_TMP/podman
	mkdir -p "$pdir"
	# podman's default rlimits exceed this machine's hard limits (ENVIRONMENT.md).
	cat >"$pdir/containers.conf" <<EOF
[containers]
default_ulimits = ["nofile=1024:1024", "nproc=1024:1024"]
[engine]
cgroup_manager = "cgroupfs"
events_logger = "file"
EOF
	pod()
	{
		CONTAINERS_CONF=$pdir/containers.conf podman --root "$pdir/root" \
			--runroot "$pdir/run" --tmpdir "$pdir/tmp" --storage-driver overlay "$@"
	}
	bench_on_exit 'pod rm -f -a >/dev/null 2>&1; pod rmi -a -f >/dev/null 2>&1; bench_kill_naming "$pdir"; umount -R "$pdir/root/overlay" 2>/dev/null; rm -rf --one-file-system "$pdir/root"'
else
	podman_why="podman is not installed"
fi
ctr_() { ctr --address "$CTRD_SOCK" "$@"; }

# ---- part 1: loads, each into an empty store ----
load_kettle()
{
	bench_time "$KETTLE" load -q -i "$archive" || return 1
	"$KETTLE" rmi kettle/bench >/dev/null 2>&1
}
load_podman()
{
	bench_time pod load -q -i "$archive" || return 1
	pod rmi -a -f >/dev/null 2>&1
}
load_ctr()
{
	bench_time ctr_ images import "$archive" || return 1
	ctr_ images rm --sync docker.io/kettle/bench:latest >/dev/null 2>&1
}
load_floor()
{
	rm -rf "$BENCH_TMP/floor"
	mkdir "$BENCH_TMP/floor"
	bench_time sh -c 'for b in $(cat "$1/blobs"); do gzip -dc "$1/layout/blobs/sha256/$b" | tar -x -C "$2" || exit 1; done' \
		sh "$img" "$BENCH_TMP/floor"
}

echo "bench images: $(uname -r), $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "  $("$KETTLE" version 2>/dev/null | head -n 1); $(runc --version | head -n 1)"
tools=(kettle floor)
if [ "$have_podman" = 1 ]; then
	tools+=(podman)
	echo "  $(podman --version)"
else
	echo "  podman: skipped, $podman_why"
fi
if [ "$have_ctr" = 1 ]; then
	tools+=(ctr)
	echo "  $(containerd --version)"
else
	echo "  ctr: skipped, $ctr_why"
fi
echo "  image: OCI layout tar of $archive_mb MB, 3 gzip layers, $unpacked_mb MB uncompressed, $nfiles tar members"
echo "  $LOADS loads per tool into an empty store, rotating order; $RUNS runs per tool in part 2"
ntools=${#tools[@]}
for t in "${tools[@]}"; do : >"$BENCH_TMP/load-$t.us"; done
for ((i = 0; i < LOADS; i++)); do
	for ((k = 0; k < ntools; k++)); do
		t=${tools[(i + k) % ntools]}
		sync
		"load_$t" || bench_die "load $i of $t failed: $(head -c 500 "$BENCH_TMP/last.err")"
		echo "$BENCH_US" >>"$BENCH_TMP/load-$t.us"
	done
done
printf '\n  %-34s %5s %9s %9s %9s %8s\n' "load (s)" loads median min max "×floor"
read -r _ floor_med _ <<<"$(bench_stats "$BENCH_TMP/load-floor.us")"
declare -A lmed
for t in kettle floor podman ctr; do
	[ -s "$BENCH_TMP/load-$t.us" ] || continue
	read -r n m _ lo hi <<<"$(bench_stats "$BENCH_TMP/load-$t.us")"
	lmed[$t]=$m
	case $t in
	kettle) label="kettle load -i" ;;
	floor) label="gzip -dc | tar -x (floor)" ;;
	podman) label="podman load -i (overlay)" ;;
	ctr) label="ctr images import (unpacked)" ;;
	esac
	s() { awk -v v="$1" 'BEGIN { printf "%.2f", v / 1000 }'; }
	printf '  %-34s %5d %9s %9s %9s %8s\n' "$label" "$n" "$(s "$m")" "$(s "$lo")" "$(s "$hi")" \
		"$(bench_ratio "$m" "$floor_med")"
done
ratio=$(bench_ratio "${lmed[kettle]}" "$floor_med")
verdict=met
awk -v r="$ratio" -v t="$TARGET_FLOOR" 'BEGIN { exit !(r > t) }' && verdict=MISSED
echo "  target kettle load ≤ ${TARGET_FLOOR}× the floor: $verdict (${ratio}×)"
for t in podman ctr; do
	[ -n "${lmed[$t]:-}" ] || continue
	r=$(bench_ratio "${lmed[kettle]}" "${lmed[$t]}")
	verdict=met
	awk -v r="$r" 'BEGIN { exit !(r >= 1) }' && verdict=MISSED
	echo "  target kettle load faster than $t: $verdict (${r}×)"
done

# ---- part 2: run --rm IMAGE /bin/true ----
"$KETTLE" load -q -i "$archive" >/dev/null 2>"$BENCH_TMP/last.err" ||
	bench_die "kettle load failed: $(head -c 500 "$BENCH_TMP/last.err")"
# Bare runc: the layers extracted once (the floor's way), an overlay of them with a fresh
# upper and work directory mounted and unmounted inside the timed command.
lay=$BENCH_TMP/layers
n=0
lower=
for b in "${blobs[@]}"; do
	n=$((n + 1))
	mkdir -p "$lay/$n"
	gzip -dc "$img/layout/blobs/sha256/$b" | tar -x -C "$lay/$n"
	lower=$lay/$n${lower:+:$lower}
done
mkdir -p "$BENCH_TMP/ovl"
bench_bundle "$BENCH_TMP/bundle" "$BENCH_TMP/ovl" /bin/true
bench_on_exit 'umount "$BENCH_TMP/ovl" 2>/dev/null; bench_runc_cleanup "$BENCH_TMP/runc"'
cat >"$BENCH_TMP/bare.sh" <<'EOF'
#!/bin/sh
# bare.sh TMP LOWER ID: an overlay root with a fresh upper, runc run, unmount, clean up.
set -e
rm -rf "$1/upper" "$1/work"
mkdir "$1/upper" "$1/work"
mount -t overlay overlay -o "lowerdir=$2,upperdir=$1/upper,workdir=$1/work" "$1/ovl"
rc=0
runc --root "$1/runc" run -b "$1/bundle" "$3" || rc=$?
umount "$1/ovl"
exit "$rc"
EOF
chmod +x "$BENCH_TMP/bare.sh"
if [ "$have_podman" = 1 ]; then
	pod load -q -i "$archive" >/dev/null 2>"$BENCH_TMP/last.err" ||
		bench_die "podman load failed: $(head -c 500 "$BENCH_TMP/last.err")"
	pimg=$(pod images -q | head -n 1)
fi
run_kettle()
{
	local rc=0 left n
	bench_time "$KETTLE" run --rm kettle/bench /bin/true || rc=$?
	# The removal of --rm finishes in the background: wait for it, untimed.
	for ((n = 0; n < 500; n++)); do
		left=("$KETTLE_ROOT"/containers/*)
		[ -e "${left[0]}" ] || break
		sleep 0.01
	done
	return "$rc"
}
run_runc()
{
	bench_time "$BENCH_TMP/bare.sh" "$BENCH_TMP" "$lower" "bench-$1"
}
run_podman()
{
	bench_time pod run --rm --network none "$pimg" /bin/true
}
rtools=(kettle runc)
[ "$have_podman" = 1 ] && rtools+=(podman)
nr=${#rtools[@]}
for t in "${rtools[@]}"; do
	: >"$BENCH_TMP/run-$t.us"
	"run_$t" warm || bench_die "warm-up of $t failed: $(head -c 500 "$BENCH_TMP/last.err")"
done
for ((i = 0; i < RUNS; i++)); do
	for ((k = 0; k < nr; k++)); do
		t=${rtools[(i + k) % nr]}
		"run_$t" "$i" || bench_die "run $i of $t failed: $(head -c 500 "$BENCH_TMP/last.err")"
		echo "$BENCH_US" >>"$BENCH_TMP/run-$t.us"
	done
done
printf '\n  %-40s %5s %9s %9s %9s %8s\n' "run --rm IMAGE /bin/true (ms)" runs median p90 min "×runc"
read -r _ runc_med _ <<<"$(bench_stats "$BENCH_TMP/run-runc.us")"
declare -A rmed
for t in "${rtools[@]}"; do
	read -r n m p lo _ <<<"$(bench_stats "$BENCH_TMP/run-$t.us")"
	rmed[$t]=$m
	case $t in
	kettle) label="kettle run --rm IMAGE" ;;
	runc) label="overlay mount + runc run + umount (bare)" ;;
	podman) label="podman run --rm --network none IMAGE" ;;
	esac
	printf '  %-40s %5d %9s %9s %9s %8s\n' "$label" "$n" "$m" "$p" "$lo" \
		"$(bench_ratio "$m" "$runc_med")"
done
ratio=$(bench_ratio "${rmed[kettle]}" "$runc_med")
verdict=met
awk -v r="$ratio" -v t="$TARGET_RUNC" 'BEGIN { exit !(r > t) }' && verdict=MISSED
echo "  target kettle run ≤ ${TARGET_RUNC}× bare runc: $verdict (${ratio}×)"
[ "$have_podman" = 1 ] && echo "  kettle vs podman run: $(bench_ratio "${rmed[kettle]}" "${rmed[podman]}")×"
exit 0
