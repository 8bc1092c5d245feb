/*
 * daemon_imgjob: the image worker process (role, layer 3; the entry of its own process).
 *
 * Started by the daemon (daemon_imgwork.c, or daemon_images.c for the cleaner), never by
 * a person: it reads its job, runs it with the image folder's jobs (imgload, imgsave,
 * imgstore_clean) on the state root's store and writes one JSON report to fd 3. It may
 * block (that is why it is its own process); it never logs: what went wrong is the
 * report's "error", which the daemon logs once and sends to the client. Progress goes
 * to fd 2 as one JSON object per line, at most every PROGRESS_MS per layer, for a client
 * that asked for it (the pipe is the client's own).
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/clock.h"
#include "base/fd.h"
#include "base/json.h"
#include "base/json_w.h"
#include "base/str.h"
#include "daemon/daemon_imgjob.h"
#include "image/gz.h"
#include "image/imgload.h"
#include "image/imgsave.h"
#include "image/imgstore.h"
#include "image/layer.h"
#include "store/store.h"

#define REPORT_FD   3
#define PROGRESS_FD 2
#define PROGRESS_MS 100
#define EXIT_USAGE  125
#define JOB_TOKENS  8192
#define SAVE_MAX    512 /* images one save writes */

/* The job, as the daemon wrote it. */
struct job {
	char op[16];		       /* load, import, save, clean */
	uint64_t max_layer_size;       /* bytes */
	bool progress;		       /* write progress lines on fd 2 */
	char tag[2 * IMGREF_MAX + 2];  /* import: the tag, or "" */
	char message[1024];	       /* import: the history's comment */
	char format[16];	       /* save: docker or oci */
	struct imgstore_image *images; /* save: id and tags of each */
	size_t nimages;		       /* entries of images */
};

/* Throttles progress lines: one per PROGRESS_MS, and the last of each layer. */
struct progress {
	char id[80];	  /* the layer being reported */
	uint64_t last_ms; /* when a line was last written */
};

static void on_progress(void *data, const char *action, const char *id, uint64_t done,
			uint64_t total)
{
	struct progress *p = data;
	uint64_t now = clock_mono_ms();
	char line[512];

	if (strcmp(p->id, id) == 0 && now - p->last_ms < PROGRESS_MS && done != total)
		return;
	str_copy(p->id, sizeof(p->id), id);
	p->last_ms = now;
	int n = snprintf(
		line, sizeof(line),
		"{\"id\":\"%.64s\",\"action\":\"%.40s\",\"current\":%llu,\"total\":%llu}\n", id,
		action, (unsigned long long)done, (unsigned long long)total);
	/* A client that stopped reading loses its progress, not the job (SIGPIPE ignored). */
	if (n > 0)
		(void)!write(PROGRESS_FD, line, (size_t)n);
}

static int parse_job(const char *text, struct job *j, struct kerr *err)
{
	struct json_tok *toks = calloc(JOB_TOKENS, sizeof(*toks));
	struct json_doc d;
	int v, rc = -1;

	memset(j, 0, sizeof(*j));
	j->max_layer_size = LAYER_MAX_SIZE_DEFAULT;
	str_copy(j->message, sizeof(j->message), "Imported from -");
	if (!toks)
		return kerr_set(err, ENOMEM, "job");
	if (json_parse(&d, text, strlen(text), toks, JOB_TOKENS, err) < 0 ||
	    d.toks[0].type != JSON_OBJECT)
		goto out;
	if ((v = json_obj_get(&d, 0, "op")) < 0 ||
	    json_get_str(&d, v, j->op, sizeof(j->op), err) < 0)
		goto out;
	if ((v = json_obj_get(&d, 0, "max_layer_size")) >= 0 &&
	    json_get_u64(&d, v, &j->max_layer_size, err) < 0)
		goto out;
	if ((v = json_obj_get(&d, 0, "progress")) >= 0 &&
	    json_get_bool(&d, v, &j->progress, err) < 0)
		goto out;
	if ((v = json_obj_get(&d, 0, "tag")) >= 0 && d.toks[v].type == JSON_STRING &&
	    json_get_str(&d, v, j->tag, sizeof(j->tag), err) < 0)
		goto out;
	if ((v = json_obj_get(&d, 0, "message")) >= 0 &&
	    json_get_str(&d, v, j->message, sizeof(j->message), err) < 0)
		goto out;
	if ((v = json_obj_get(&d, 0, "format")) >= 0 &&
	    json_get_str(&d, v, j->format, sizeof(j->format), err) < 0)
		goto out;
	if ((v = json_obj_get(&d, 0, "images")) >= 0) {
		if (d.toks[v].type != JSON_ARRAY || d.toks[v].size > SAVE_MAX) {
			kerr_set(err, 0, "job: images is not a list of at most %d", SAVE_MAX);
			goto out;
		}
		j->images = calloc((size_t)d.toks[v].size + 1, sizeof(*j->images));
		if (!j->images) {
			kerr_set(err, ENOMEM, "job");
			goto out;
		}
		int k = v + 1;
		for (int i = 0; i < d.toks[v].size; i++, j->nimages++) {
			struct imgstore_image *im = &j->images[i];
			int id = json_obj_get(&d, k, "id"), t = json_obj_get(&d, k, "tags");

			if (id < 0 || json_get_str(&d, id, im->id, sizeof(im->id), err) < 0)
				goto out;
			if (t >= 0 && d.toks[t].type == JSON_ARRAY) {
				im->tags.v = calloc((size_t)d.toks[t].size + 1, sizeof(char *));
				if (!im->tags.v) {
					kerr_set(err, ENOMEM, "job");
					goto out;
				}
				int q = t + 1;
				for (int m = 0; m < d.toks[t].size; m++, im->tags.n++) {
					char tag[2 * IMGREF_MAX + 2];
					if (json_get_str(&d, q, tag, sizeof(tag), err) < 0 ||
					    !(im->tags.v[m] = strdup(tag)))
						goto out;
					q = json_skip(&d, q);
				}
			}
			k = json_skip(&d, k);
		}
	}
	rc = 0;
out:
	free(toks);
	return rc < 0 ? kerr_wrap(err, "the worker's job") : 0;
}

static void job_done(struct job *j)
{
	for (size_t i = 0; i < j->nimages; i++)
		imgstore_image_done(&j->images[i]);
	free(j->images);
}

/* The input as a file the archive reader can seek in: fd 0 itself when it is a plain
 * regular file, else a staged copy (decompressed for load when it is gzip). */
static int seekable_input(const struct imgstore *st, bool gunzip, int *out, struct kerr *err)
{
	struct stat s;
	uint8_t magic[6];

	if (fstat(0, &s) < 0)
		return kerr_set(err, errno, "stat the input");
	if (S_ISREG(s.st_mode)) {
		ssize_t n = pread(0, magic, sizeof(magic), 0);
		if (n < 0)
			return kerr_set(err, errno, "read the input");
		if (!gunzip || gz_detect(magic, (size_t)n) != GZ_GZIP) {
			*out = fcntl(0, F_DUPFD_CLOEXEC, 3);
			return *out < 0 ? kerr_set(err, errno, "dup the input") : 0;
		}
		if (lseek(0, 0, SEEK_SET) < 0)
			return kerr_set(err, errno, "rewind the input");
	}
	return imgload_stage(st, 0, gunzip, out, err);
}

static int run_job(const struct imgstore *st, struct job *j, struct imgload_result *res,
		   struct kerr *err)
{
	struct progress p = { .id = "" };
	struct imgload_opts o = {
		.max_layer_size = j->max_layer_size,
		.devices = geteuid() == 0,
		.progress = j->progress ? on_progress : NULL,
		.pdata = &p,
	};
	_cleanup_close_ int in = -1;

	if (strcmp(j->op, "load") == 0) {
		if (seekable_input(st, true, &in, err) < 0)
			return kerr_wrap(err, "load");
		return imgload_archive(st, in, &o, res, err);
	}
	if (strcmp(j->op, "import") == 0) {
		if (seekable_input(st, false, &in, err) < 0)
			return kerr_wrap(err, "import");
		return imgload_import(st, in, j->tag[0] ? j->tag : NULL, j->message, &o, res, err);
	}
	if (strcmp(j->op, "save") == 0) {
		for (size_t i = 0; i < j->nimages; i++) {
			struct imgstore_image meta;

			if (imgstore_meta_read(st, j->images[i].id, &meta, err) < 0)
				return kerr_wrap(err, "save");
			meta.tags = j->images[i].tags;
			j->images[i].tags = (struct record_strv){ 0 };
			imgstore_image_done(&j->images[i]);
			j->images[i] = meta;
		}
		return imgsave_write(st, j->images, j->nimages,
				     strcmp(j->format, "oci") == 0 ? IMGSAVE_OCI : IMGSAVE_DOCKER,
				     1, o.progress, o.pdata, err);
	}
	if (strcmp(j->op, "clean") == 0)
		return imgstore_clean(st, err);
	return kerr_set(err, 0, "unknown job `%s`", j->op);
}

static int write_report(bool ok, const struct kerr *why, const struct imgload_result *res)
{
	struct buf b;
	struct json_w w;
	struct kerr err;
	int rc = 0;

	/* The images are metas as imgstore encodes them, spliced in whole. */
	buf_init(&b, 8u * 1024u * 1024u);
	json_w_init(&w, &b);
	json_w_obj_begin(&w);
	json_w_key(&w, "ok");
	json_w_bool(&w, ok);
	if (!ok) {
		json_w_key(&w, "error");
		json_w_str(&w, why->msg);
	}
	json_w_key(&w, "images");
	json_w_arr_begin(&w);
	for (size_t i = 0; ok && res && i < res->n; i++) {
		struct buf one;

		buf_init(&one, IMGSTORE_META_MAX);
		if (imgstore_meta_encode(&res->images[i], true, &one, &err) == 0)
			json_w_raw(&w, (const char *)one.data, one.len);
		buf_done(&one);
	}
	json_w_arr_end(&w);
	json_w_obj_end(&w);
	if (json_w_end(&w, &err) < 0 || fd_write_full(REPORT_FD, b.data, b.len, &err) < 0)
		rc = -1;
	buf_done(&b);
	return rc;
}

int daemon_imgjob_main(int argc, char **argv)
{
	struct imgload_result res = { 0 };
	struct imgstore st = {
		.dirfd = -1,
		.blobs = -1,
		.layers = -1,
		.meta = -1,
		.tmp = -1,
		.trash = -1,
	};
	struct job j;
	struct kerr err;
	int rootfd = -1, rc;

	if (argc != 5 || strcmp(argv[1], "--root") != 0 || strcmp(argv[3], "--job") != 0 ||
	    fcntl(REPORT_FD, F_GETFD) < 0) {
		fprintf(stderr, "kettle image-worker: started by `kettle daemon` with its report "
				"pipe on fd 3; never run it by hand\n");
		return EXIT_USAGE;
	}
	(void)fcntl(REPORT_FD, F_SETFD, FD_CLOEXEC);
	(void)prctl(PR_SET_NAME, "kettle-imgwork", 0, 0, 0);
	signal(SIGPIPE, SIG_IGN);
	rc = parse_job(argv[4], &j, &err);
	if (rc == 0)
		rc = store_open_root(argv[2], false, &rootfd, &err);
	if (rc == 0)
		rc = imgstore_open(rootfd, false, &st, &err);
	if (rc == 0)
		rc = run_job(&st, &j, &res, &err);
	if (write_report(rc == 0, &err, &res) < 0)
		rc = 1;
	else
		rc = 0;
	imgload_result_done(&res);
	job_done(&j);
	imgstore_close(&st);
	fd_close(rootfd);
	return rc;
}
