#!/bin/sh
# mkimages.sh DIR — build the image tests' fixtures offline, from Debian's busybox-static.
#
# One two-layer image, written three ways: DIR/layout (an OCI image layout directory),
# DIR/layout.tar (a tar of it) and DIR/docker.tar (docker save's archive of docker < 25:
# manifest.json, <config hex>.json, <layer>/layer.tar); and DIR/single.tar, a one-layer
# image (kettle/single) sharing the first layer. Layer 1 (a plain tar) is a busybox
# root: applet symlinks, /etc/passwd and /etc/group (kuser 1000:1000), /etc/removeme,
# /opq/old1 and /opq/old2, a set-uid file, a file with a security.capability xattr, and a
# directory owned by kuser. Layer 2 (gzip -n) deletes /etc/removeme (.wh.removeme), makes
# /opq opaque (.wh..wh..opq) holding only /opq/new, and adds /app/hello. The config sets
# Env, WorkingDir (/app/work, absent from the layers), User (kuser), Entrypoint, Cmd,
# StopSignal, ExposedPorts, a label and a history. Every tar is made with a fixed order,
# owner numbers and times, so the digests are the same on every machine; DIR/ids holds
# the image id and the two diff_ids. Idempotent: built in a temporary sibling, renamed.
set -eu

if [ $# -ne 1 ] || [ -z "$1" ]; then
	echo "usage: mkimages.sh DIR" >&2
	exit 2
fi
dest=${1%/}
bb=/bin/busybox
for tool in tar gzip sha256sum setcap; do
	command -v "$tool" >/dev/null || {
		echo "mkimages.sh: \`$tool\` is missing (scripts/deps.sh installs it)" >&2
		exit 1
	}
done
[ -x "$bb" ] || { echo "mkimages.sh: \`$bb\` is missing; install busybox-static" >&2; exit 1; }

parent=$(dirname "$dest")
mkdir -p "$parent"
tmp=$(mktemp -d "$parent/.images-new.XXXXXX")
trap 'rm -rf "$tmp"' EXIT INT TERM
mtime=@1704164645 # 2024-01-02T03:04:05Z

# mktar DIR OUT: a reproducible tar of DIR's contents (pax, xattrs kept).
mktar() {
	tar --create --file "$2" --directory "$1" --format=posix --xattrs \
		--pax-option=exthdr.name=%d/PaxHeaders/%f,delete=atime,delete=ctime \
		--sort=name --numeric-owner --mtime="$mtime" .
}

# ---- layer 1: a busybox root ----
l1=$tmp/l1
mkdir -p "$l1/bin" "$l1/etc" "$l1/usr" "$l1/tmp" "$l1/root" "$l1/home/kuser" "$l1/opq" \
	"$l1/proc" "$l1/sys" "$l1/dev"
cp "$bb" "$l1/bin/busybox"
for applet in $("$bb" --list); do
	case $applet in busybox | */*) continue ;; esac
	ln -s busybox "$l1/bin/$applet"
done
ln -s bin "$l1/sbin"
ln -s ../bin "$l1/usr/bin"
ln -s ../bin "$l1/usr/sbin"
printf 'root:x:0:0:root:/root:/bin/sh\nkuser:x:1000:1000:kettle:/home/kuser:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' >"$l1/etc/passwd"
printf 'root:x:0:\nkuser:x:1000:\nstaff:x:50:kuser\nnogroup:x:65534:\n' >"$l1/etc/group"
echo "this file is deleted by layer 2" >"$l1/etc/removeme"
echo old1 >"$l1/opq/old1"
echo old2 >"$l1/opq/old2"
printf '#!/bin/sh\necho set-uid\n' >"$l1/bin/suidtool"
cp "$bb" "$l1/bin/capping"
chmod 0755 "$l1/bin/busybox" "$l1/bin/capping"
chmod 4755 "$l1/bin/suidtool"
setcap cap_net_raw+ep "$l1/bin/capping"
chmod 1777 "$l1/tmp"
chmod 0700 "$l1/root"
chmod 0644 "$l1/etc/passwd" "$l1/etc/group" "$l1/etc/removeme"
chown 1000:1000 "$l1/home/kuser"
mktar "$l1" "$tmp/layer1.tar"

# ---- layer 2: a whiteout, an opaque directory, a new file ----
l2=$tmp/l2
mkdir -p "$l2/etc" "$l2/opq" "$l2/app"
: >"$l2/etc/.wh.removeme"
: >"$l2/opq/.wh..wh..opq"
echo new >"$l2/opq/new"
printf '#!/bin/sh\necho "hello from /app/hello"\n' >"$l2/app/hello"
chmod 0755 "$l2/app/hello"
mktar "$l2" "$tmp/layer2.tar"
gzip -n -9 -c "$tmp/layer2.tar" >"$tmp/layer2.tar.gz"

sum() { sha256sum "$1" | cut -d' ' -f1; }
diff1=$(sum "$tmp/layer1.tar")
diff2=$(sum "$tmp/layer2.tar")
blob2=$(sum "$tmp/layer2.tar.gz")

# ---- the config ----
cat >"$tmp/config.json" <<JSON
{"architecture":"amd64","os":"linux","created":"2024-01-02T03:04:05Z","author":"kettle fixtures","config":{"User":"kuser","Env":["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin","GREETING=hello from the image"],"Entrypoint":["/bin/sh","-c"],"Cmd":["echo \"\$GREETING\"; pwd; id -u; id -g"],"WorkingDir":"/app/work","ExposedPorts":{"8080/tcp":{}},"StopSignal":"SIGQUIT","Labels":{"org.kettle.fixture":"two-layers"}},"rootfs":{"type":"layers","diff_ids":["sha256:$diff1","sha256:$diff2"]},"history":[{"created":"2024-01-02T03:04:05Z","created_by":"/bin/sh -c #(nop) ADD file:busybox-static in / "},{"created":"2024-01-02T03:04:06Z","created_by":"/bin/sh -c rm /etc/removeme && rm -r /opq/* && echo new > /opq/new && install /app/hello","comment":"second layer"},{"created":"2024-01-02T03:04:07Z","created_by":"/bin/sh -c #(nop)  CMD [\"echo \$GREETING\"]","empty_layer":true}]}
JSON
printf '%s' "$(cat "$tmp/config.json")" >"$tmp/config.min"
config=$(sum "$tmp/config.min")

# ---- the OCI layout ----
lay=$tmp/layout
mkdir -p "$lay/blobs/sha256"
cp "$tmp/layer1.tar" "$lay/blobs/sha256/$diff1"
cp "$tmp/layer2.tar.gz" "$lay/blobs/sha256/$blob2"
cp "$tmp/config.min" "$lay/blobs/sha256/$config"
size() { stat -c %s "$1"; }
printf '%s' "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"config\":{\"mediaType\":\"application/vnd.oci.image.config.v1+json\",\"digest\":\"sha256:$config\",\"size\":$(size "$tmp/config.min")},\"layers\":[{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar\",\"digest\":\"sha256:$diff1\",\"size\":$(size "$tmp/layer1.tar")},{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar+gzip\",\"digest\":\"sha256:$blob2\",\"size\":$(size "$tmp/layer2.tar.gz")}]}" >"$tmp/manifest.json"
manifest=$(sum "$tmp/manifest.json")
cp "$tmp/manifest.json" "$lay/blobs/sha256/$manifest"
printf '%s' '{"imageLayoutVersion":"1.0.0"}' >"$lay/oci-layout"
printf '%s' "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.index.v1+json\",\"manifests\":[{\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"digest\":\"sha256:$manifest\",\"size\":$(size "$tmp/manifest.json"),\"annotations\":{\"io.containerd.image.name\":\"docker.io/kettle/fixture:latest\",\"org.opencontainers.image.ref.name\":\"latest\"}}]}" >"$lay/index.json"
tar --create --file "$tmp/layout.tar" --directory "$lay" --format=posix --sort=name \
	--numeric-owner --owner=0 --group=0 --mtime="$mtime" .

# ---- docker save's archive (docker < 25) ----
dk=$tmp/docker
mkdir -p "$dk/$diff1" "$dk/$diff2"
cp "$tmp/layer1.tar" "$dk/$diff1/layer.tar"
cp "$tmp/layer2.tar" "$dk/$diff2/layer.tar"
echo 1.0 >"$dk/$diff1/VERSION"
echo 1.0 >"$dk/$diff2/VERSION"
cp "$tmp/config.min" "$dk/$config.json"
printf '%s' "[{\"Config\":\"$config.json\",\"RepoTags\":[\"kettle/fixture:latest\",\"kettle/fixture:v1\"],\"Layers\":[\"$diff1/layer.tar\",\"$diff2/layer.tar\"]}]" >"$dk/manifest.json"
printf '%s' "{\"kettle/fixture\":{\"latest\":\"$diff2\",\"v1\":\"$diff2\"}}" >"$dk/repositories"
tar --create --file "$tmp/docker.tar" --directory "$dk" --format=posix --sort=name \
	--numeric-owner --owner=0 --group=0 --mtime="$mtime" .

# ---- a second image sharing layer 1 (docker-archive, tagged kettle/single) ----
sg=$tmp/single
mkdir -p "$sg/$diff1"
cp "$tmp/layer1.tar" "$sg/$diff1/layer.tar"
printf '%s' "{\"architecture\":\"amd64\",\"os\":\"linux\",\"created\":\"2024-01-03T00:00:00Z\",\"config\":{\"Env\":[\"PATH=/bin\"],\"Cmd\":[\"echo\",\"single\"]},\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\"sha256:$diff1\"]}}" >"$sg/single.json"
single=$(sum "$sg/single.json")
mv "$sg/single.json" "$sg/$single.json"
printf '%s' "[{\"Config\":\"$single.json\",\"RepoTags\":[\"kettle/single:latest\"],\"Layers\":[\"$diff1/layer.tar\"]}]" >"$sg/manifest.json"
tar --create --file "$tmp/single.tar" --directory "$sg" --format=posix --sort=name \
	--numeric-owner --owner=0 --group=0 --mtime="$mtime" .
rm -rf "$sg"

printf 'id=sha256:%s\ndiff1=sha256:%s\ndiff2=sha256:%s\nblob2=sha256:%s\nmanifest=sha256:%s\nsingle=sha256:%s\n' \
	"$config" "$diff1" "$diff2" "$blob2" "$manifest" "$single" >"$tmp/ids"
rm -rf "$l1" "$l2" "$dk" "$tmp/layer1.tar" "$tmp/layer2.tar" "$tmp/layer2.tar.gz" \
	"$tmp/config.json" "$tmp/config.min" "$tmp/manifest.json"
chmod 0755 "$tmp"

old=
if [ -e "$dest" ]; then
	old=$(mktemp -d "$parent/.images-old.XXXXXX")
	mv "$dest" "$old/tree"
fi
mv "$tmp" "$dest"
trap - EXIT INT TERM
[ -n "$old" ] && rm -rf "$old"
exit 0
