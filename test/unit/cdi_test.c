/*
 * cdi_test: unit tests of the CDI spec directories and of resolution (test layer, tests
 * src/cdi/cdi.c and src/cdi/cdi_resolve.c). Needs neither root nor runc: the specs live in
 * temporary directories and the host node used is /dev/null.
 *
 * A later directory wins for a device both define; two files of one directory defining it
 * fail; a broken, writable or YAML file fails the requests of its kind it could concern
 * (and only those), naming the file and the device; "=all" is a spec's own "all" device or
 * every device of the kind; --device becomes the host's node with exactly its permissions;
 * --gpus maps onto nvidia.com/gpu; a spec's shared edits come once, before its devices.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness.h"
#include "cdi/cdi_resolve.h"

static char dir_etc[64], dir_run[64];
static const char *dirs[2] = { dir_etc, dir_run };

static const char null0[] =
	"{\"cdiVersion\":\"0.6.0\",\"kind\":\"example.com/test\","
	"\"containerEdits\":{\"env\":[\"SHARED=%s\"]},"
	"\"devices\":[{\"name\":\"null0\",\"containerEdits\":{\"env\":[\"WHERE=%s\"],"
	"\"deviceNodes\":[{\"path\":\"/dev/kt-null\",\"hostPath\":\"/dev/null\"}]}},"
	"{\"name\":\"null1\",\"containerEdits\":{\"env\":[\"ONE=%s\"]}}]}";

static void put(const char *dir, const char *name, mode_t mode, const char *fmt, const char *arg)
{
	char path[256], text[4096];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	snprintf(text, sizeof(text), fmt, arg, arg, arg);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0 || write(fd, text, strlen(text)) != (ssize_t)strlen(text))
		abort();
	close(fd);
	chmod(path, mode);
}

static void rm(const char *dir, const char *name)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	unlink(path);
}

static void setup(void)
{
	if (!dir_etc[0]) {
		strcpy(dir_etc, "/tmp/kettle-cdi-etc.XXXXXX");
		strcpy(dir_run, "/tmp/kettle-cdi-run.XXXXXX");
		if (!mkdtemp(dir_etc) || !mkdtemp(dir_run))
			abort();
	}
}

/* Looks qname up in a fresh load; returns cdi_find's result, the first env of the found
 * device's edits in where (or ""). */
static int find(const char *qname, char *where, size_t cap, size_t *n, struct kerr *err)
{
	struct cdi_registry reg;
	struct cdi_found found[8];
	int rc;

	where[0] = '\0';
	if (cdi_load(&reg, dirs, 2, err) < 0)
		return -2;
	rc = cdi_find(&reg, qname, found, 8, n, err);
	if (rc == 0 && found[0].device->edits.nenv)
		snprintf(where, cap, "%s", found[0].device->edits.env[0]);
	cdi_done(&reg);
	return rc;
}

TEST(override_and_duplicates)
{
	char where[64];
	struct kerr err;
	size_t n;

	setup();
	put(dir_etc, "test.json", 0644, null0, "etc");
	ASSERT_EQ(find("example.com/test=null0", where, sizeof(where), &n, &err), 0);
	ASSERT_STREQ(where, "WHERE=etc");
	/* The later directory wins. */
	put(dir_run, "test.json", 0644, null0, "run");
	ASSERT_EQ(find("example.com/test=null0", where, sizeof(where), &n, &err), 0);
	ASSERT_STREQ(where, "WHERE=run");
	/* Two files of one directory defining it: an error naming both. */
	put(dir_run, "again.json", 0644, null0, "again");
	ASSERT_EQ(find("example.com/test=null0", where, sizeof(where), &n, &err), -1);
	ASSERT_CONTAINS(err.msg, "CDI device `example.com/test=null0` is defined twice in `");
	ASSERT_CONTAINS(err.msg, "again.json` and `");
	rm(dir_run, "again.json");
	rm(dir_run, "test.json");
	/* "all" without such a device: every device of the kind. */
	ASSERT_EQ(find("example.com/test=all", where, sizeof(where), &n, &err), 0);
	ASSERT_EQ(n, 2);
	ASSERT_EQ(find("example.com/test=nope", where, sizeof(where), &n, &err), -1);
	ASSERT_CONTAINS(err.msg, "CDI device `example.com/test=nope` not found: the specs of kind "
				 "`example.com/test` (`");
	ASSERT_CONTAINS(err.msg, "test.json`) define no device `nope`");
	ASSERT_EQ(find("other.com/x=y", where, sizeof(where), &n, &err), -1);
	ASSERT_CONTAINS(err.msg, "no spec of kind `other.com/x` in /tmp/kettle-cdi-etc.");
	rm(dir_etc, "test.json");
}

TEST(broken_files)
{
	char where[64];
	struct kerr err;
	size_t n;

	setup();
	put(dir_etc, "test.json", 0644, null0, "etc");
	/* A broken file of the kind in a higher directory: it might be the override. */
	put(dir_run, "bad.json", 0644,
	    "{\"cdiVersion\":\"0.6.0\",\"kind\":\"example.com/test\",\"bogus\":%s}", "1");
	ASSERT_EQ(find("example.com/test=null0", where, sizeof(where), &n, &err), -1);
	ASSERT_CONTAINS(err.msg, "CDI device `example.com/test=null0`: spec file `");
	ASSERT_CONTAINS(err.msg, "bad.json`: unknown key `bogus` in `the spec`");
	/* ...but not another kind's requests. */
	put(dir_etc, "other.json", 0644,
	    "{\"cdiVersion\":\"0.6.0\",\"kind\":\"other.com/x\",\"devices\":[{\"name\":\"y\","
	    "\"containerEdits\":{\"env\":[\"%s=1\"]}}]}",
	    "Y");
	ASSERT_EQ(find("other.com/x=y", where, sizeof(where), &n, &err), 0);
	rm(dir_run, "bad.json");
	/* A file others may write: its hooks would run as root. */
	put(dir_run, "test.json", 0666, null0, "run");
	ASSERT_EQ(find("example.com/test=null0", where, sizeof(where), &n, &err), -1);
	ASSERT_CONTAINS(err.msg, "test.json`: the file is writable by its group or others (mode "
				 "0666), expected by its owner alone: its hooks would run as root");
	rm(dir_run, "test.json");
	/* A directory others may write, likewise. */
	chmod(dir_etc, 0777);
	ASSERT_EQ(find("example.com/test=null0", where, sizeof(where), &n, &err), -1);
	ASSERT_CONTAINS(err.msg, "its directory is writable by its group or others (mode 0777)");
	chmod(dir_etc, 0700);
	/* YAML, with its kind read from its kind: line. */
	put(dir_run, "nvidia.yaml", 0644, "cdiVersion: 0.5.0\nkind: nvidia.com/%s\n", "gpu");
	ASSERT_EQ(find("nvidia.com/gpu=all", where, sizeof(where), &n, &err), -1);
	ASSERT_CONTAINS(err.msg, "nvidia.yaml`: the spec is YAML, which kettle does not read: "
				 "generate it as JSON (nvidia-ctk cdi generate --format=json)");
	rm(dir_run, "nvidia.yaml");
	/* A file whose kind cannot be told is named when nothing is found. */
	put(dir_run, "junk.json", 0644, "{%s", "");
	ASSERT_EQ(find("nvidia.com/gpu=0", where, sizeof(where), &n, &err), -1);
	ASSERT_CONTAINS(err.msg, "junk.json` could not be read: invalid json");
	ASSERT_EQ(find("example.com/test=null0", where, sizeof(where), &n, &err), 0);
	rm(dir_run, "junk.json");
	rm(dir_etc, "test.json");
	rm(dir_etc, "other.json");
}

/* A record asking for devs and gpus, resolved against the directories. */
static int resolve(struct record *r, const char *const *devs, size_t ndevs, const char *gpus,
		   struct kerr *err)
{
	static char *args[] = { "sh", NULL };
	struct cdi_registry reg;
	int rc;

	record_init(r);
	r->rootfs = strdup("/r");
	r->args.v = calloc(2, sizeof(char *));
	r->args.v[0] = strdup(args[0]);
	r->args.n = 1;
	r->dev.devices = calloc(ndevs + 1, sizeof(char *));
	for (size_t i = 0; i < ndevs; i++)
		r->dev.devices[r->dev.ndevices++] = strdup(devs[i]);
	if (gpus) {
		r->dev.gpus = calloc(2, sizeof(char *));
		r->dev.gpus[r->dev.ngpus++] = strdup(gpus);
	}
	if (cdi_load(&reg, dirs, 2, err) < 0)
		return -2;
	rc = cdi_resolve(&reg, r, err);
	cdi_done(&reg);
	return rc;
}

TEST(resolve_host_and_cdi)
{
	const char *devs[] = { "/dev/null:/dev/ro-null:r", "example.com/test=null0",
			       "example.com/test=all" };
	const struct record_dev_node *nd;
	struct record r;
	struct kerr err;

	setup();
	put(dir_etc, "test.json", 0644, null0, "etc");
	ASSERT_EQ(resolve(&r, devs, 3, NULL, &err), 0);
	/* host node; the spec's shared edits; null0; null1 (null0 again is not repeated). */
	ASSERT_EQ(r.dev.ngroups, 4);
	nd = &r.dev.groups[0].edits.nodes[0];
	ASSERT_STREQ(nd->path, "/dev/ro-null");
	ASSERT_EQ(nd->type, 'c');
	ASSERT_EQ(nd->major, 1);
	ASSERT_EQ(nd->minor, 3);
	/* The mode grants no more than the permissions. */
	ASSERT_EQ(nd->file_mode & 0222, 0);
	ASSERT_STREQ(nd->access, "r");
	ASSERT(r.dev.groups[0].spec == NULL);
	ASSERT_STREQ(r.dev.groups[1].device, "example.com/test");
	ASSERT_STREQ(r.dev.groups[1].edits.env[0], "SHARED=etc");
	ASSERT_STREQ(r.dev.groups[2].device, "example.com/test=null0");
	ASSERT_STREQ(r.dev.groups[2].request, "example.com/test=null0");
	nd = &r.dev.groups[2].edits.nodes[0];
	ASSERT_EQ(nd->major, 1);
	ASSERT_EQ(nd->minor, 3);
	ASSERT_STREQ(nd->access, "rwm");
	ASSERT_EQ(nd->uid, 0);
	ASSERT_STREQ(r.dev.groups[3].device, "example.com/test=null1");
	ASSERT_STREQ(r.dev.groups[3].request, "example.com/test=all");
	ASSERT_EQ(record_dev_validate(&r, &err), 0);
	record_done(&r);
	rm(dir_etc, "test.json");
}

TEST(resolve_errors)
{
	const char *missing[] = { "/dev/kettle-no-such-device" };
	const char *dir[] = { "/tmp:/x" };
	const char *cdi[] = { "example.com/test=null0" };
	struct record r;
	struct kerr err;

	setup();
	ASSERT_EQ(resolve(&r, missing, 1, NULL, &err), -1);
	ASSERT_STREQ(err.msg, "--device `/dev/kettle-no-such-device`: stat "
			      "`/dev/kettle-no-such-device`: No such file or directory");
	ASSERT_EQ(r.dev.ngroups, 0);
	record_done(&r);
	ASSERT_EQ(resolve(&r, dir, 1, NULL, &err), -1);
	ASSERT_STREQ(err.msg, "--device `/tmp:/x`: `/tmp` is a directory, not a device node "
			      "(expected a character or block device)");
	record_done(&r);
	/* A node the host lacks, not fully specified: named with its device and spec. */
	put(dir_etc, "test.json", 0644,
	    "{\"cdiVersion\":\"0.6.0\",\"kind\":\"example.com/test\",\"devices\":[{\"name\":"
	    "\"null0\",\"containerEdits\":{\"deviceNodes\":[{\"path\":\"/dev/%s\"}]}}]}",
	    "kettle-absent");
	ASSERT_EQ(resolve(&r, cdi, 1, NULL, &err), -1);
	ASSERT_CONTAINS(err.msg, "CDI device `example.com/test=null0` (spec file `");
	ASSERT_CONTAINS(err.msg, "): stat host device `/dev/kettle-absent`: No such file");
	record_done(&r);
	/* Fully specified, it need not exist; the type must match when it does. */
	put(dir_etc, "test.json", 0644,
	    "{\"cdiVersion\":\"0.6.0\",\"kind\":\"example.com/test\",\"devices\":[{\"name\":"
	    "\"null0\",\"containerEdits\":{\"deviceNodes\":[{\"path\":\"/dev/kettle-absent\","
	    "\"type\":\"c\",\"major\":%s}]}}]}",
	    "240");
	ASSERT_EQ(resolve(&r, cdi, 1, NULL, &err), 0);
	ASSERT_EQ(r.dev.groups[0].edits.nodes[0].file_mode, 0666);
	ASSERT(r.dev.groups[0].edits.nodes[0].host_path == NULL);
	record_done(&r);
	put(dir_etc, "test.json", 0644,
	    "{\"cdiVersion\":\"0.6.0\",\"kind\":\"example.com/test\",\"devices\":[{\"name\":"
	    "\"null0\",\"containerEdits\":{\"deviceNodes\":[{\"path\":\"/dev/null\","
	    "\"type\":\"%s\"}]}}]}",
	    "b");
	ASSERT_EQ(resolve(&r, cdi, 1, NULL, &err), -1);
	ASSERT_CONTAINS(err.msg,
			"the spec says type b but the host device `/dev/null` is of type c");
	record_done(&r);
	/* An edit kettle cannot apply is refused by name. */
	put(dir_etc, "test.json", 0644,
	    "{\"cdiVersion\":\"1.1.0\",\"kind\":\"example.com/test\",\"devices\":[{\"name\":"
	    "\"null0\",\"containerEdits\":{\"netDevices\":[{\"hostInterfaceName\":\"%s\","
	    "\"name\":\"eth0\"}]}}]}",
	    "eth9");
	ASSERT_EQ(resolve(&r, cdi, 1, NULL, &err), -1);
	ASSERT_CONTAINS(err.msg, "its netDevices edits are not supported by kettle");
	record_done(&r);
	rm(dir_etc, "test.json");
}

TEST(gpus)
{
	static const char nvidia[] =
		"{\"cdiVersion\":\"0.5.0\",\"kind\":\"nvidia.com/gpu\",\"devices\":["
		"{\"name\":\"0\",\"containerEdits\":{\"env\":[\"G=0%s\"]}},"
		"{\"name\":\"1\",\"containerEdits\":{\"env\":[\"G=1\"]}},"
		"{\"name\":\"all\",\"containerEdits\":{\"env\":[\"G=all\"]}}]}";
	struct record r;
	struct kerr err;

	setup();
	put(dir_run, "nvidia.json", 0644, nvidia, "");
	ASSERT_EQ(resolve(&r, NULL, 0, "2", &err), 0);
	ASSERT_EQ(r.dev.ngroups, 2);
	ASSERT_STREQ(r.dev.groups[1].device, "nvidia.com/gpu=1");
	ASSERT_STREQ(r.dev.groups[1].request, "--gpus 2");
	record_done(&r);
	ASSERT_EQ(resolve(&r, NULL, 0, "all", &err), 0);
	ASSERT_EQ(r.dev.ngroups, 1);
	ASSERT_STREQ(r.dev.groups[0].edits.env[0], "G=all");
	record_done(&r);
	ASSERT_EQ(resolve(&r, NULL, 0, "\"device=1,0\"", &err), 0);
	ASSERT_STREQ(r.dev.groups[0].device, "nvidia.com/gpu=1");
	record_done(&r);
	ASSERT_EQ(resolve(&r, NULL, 0, "3", &err), -1);
	ASSERT_CONTAINS(err.msg, "--gpus `3`: CDI device `nvidia.com/gpu=2` not found");
	record_done(&r);
	rm(dir_run, "nvidia.json");
	rmdir(dir_etc);
	rmdir(dir_run);
}

RUN_TESTS(T(override_and_duplicates), T(broken_files), T(resolve_host_and_cdi), T(resolve_errors),
	  T(gpus))
