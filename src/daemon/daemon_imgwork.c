/*
 * daemon_imgwork: image workers, started and heard back from (role, layer 3; middle band
 * of the daemon).
 *
 * A worker is a direct child (PR_SET_PDEATHSIG: it dies with the daemon, and the next
 * daemon empties images/tmp of what it left) whose fd 3 is the write end of a report
 * pipe. The read end is in the loop; its EOF means the worker is gone, and what it wrote
 * before is its whole report: {"ok": true, "images": [meta with tags…]} or {"ok": false,
 * "error": "…"}. A report that is missing or does not parse is a worker that died: the
 * client is told so. The worker's exit status is reaped by daemon.c's SIGCHLD drain.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/fd.h"
#include "base/json.h"
#include "base/json_w.h"
#include "base/log.h"
#include "base/str.h"
#include "daemon/daemon_images.h"
#include "daemon/daemon_imgwork.h"
#include "daemon/daemon_reply.h"
#include "runtime/proc.h"

#define READ_CHUNK 65536

/* One worker in flight. */
struct work {
	struct daemon *d;	   /* borrowed */
	enum daemon_imgwork_op op; /* what it does */
	uint64_t client;	   /* rpc conn id to answer */
	uint32_t reqid;		   /* request id to answer */
	int fd;			   /* owned: the report pipe's read end, in the loop */
	pid_t pid;		   /* the worker */
	struct buf report;	   /* what it wrote so far */
};

static const char *const op_names[] = { "load", "import", "save" };

static void reply_images(struct work *w, const struct imgload_result *res)
{
	struct rpc_conn *conn = rpc_conn_find(w->client);
	struct wire_enc e;
	struct json_w jw;
	struct buf b;
	struct kerr err;

	if (!conn)
		return;
	buf_init(&b, KETTLE_FRAME_MAX / 2);
	json_w_init(&jw, &b);
	json_w_obj_begin(&jw);
	json_w_key(&jw, "images");
	json_w_arr_begin(&jw);
	for (size_t i = 0; i < res->n; i++) {
		json_w_obj_begin(&jw);
		json_w_key(&jw, "id");
		json_w_str(&jw, res->images[i].id);
		json_w_key(&jw, "tags");
		json_w_arr_begin(&jw);
		for (size_t t = 0; t < res->images[i].tags.n; t++)
			json_w_str(&jw, res->images[i].tags.v[t]);
		json_w_arr_end(&jw);
		json_w_obj_end(&jw);
	}
	json_w_arr_end(&jw);
	json_w_obj_end(&jw);
	if (json_w_end(&jw, &err) < 0) {
		daemon_reply_error(w->client, w->reqid, DAEMON_FAIL_CODE, err.msg);
		buf_done(&b);
		return;
	}
	wire_enc_begin(&e, rpc_conn_txbuf(conn), WIRE_T_OK, w->reqid, 0);
	if (res->n == 1)
		wire_enc_str(&e, WIRE_F_ID, res->images[0].id);
	wire_enc_bytes(&e, WIRE_F_JSON, b.data, b.len);
	if (wire_enc_end(&e, &err) < 0)
		daemon_reply_error(w->client, w->reqid, DAEMON_FAIL_CODE, err.msg);
	else
		rpc_conn_send(conn);
	buf_done(&b);
}

/* Parses the report's images (load, import) into res. */
static int report_images(const struct json_doc *doc, struct imgload_result *res, struct kerr *err)
{
	int v = json_obj_get(doc, 0, "images");

	memset(res, 0, sizeof(*res));
	if (v < 0 || doc->toks[v].type != JSON_ARRAY)
		return kerr_set(err, 0, "the report has no images");
	res->images = calloc((size_t)doc->toks[v].size + 1, sizeof(*res->images));
	if (!res->images)
		return kerr_set(err, ENOMEM, "the report");
	int k = v + 1;
	for (int i = 0; i < doc->toks[v].size; i++) {
		const struct json_tok *t = &doc->toks[k];

		if (t->type != JSON_OBJECT ||
		    imgstore_meta_decode(doc->text + t->start, (size_t)(t->end - t->start),
					 &res->images[res->n], err) < 0)
			return kerr_wrap(err, "the report's image %d", i + 1);
		res->n++;
		k = json_skip(doc, k);
	}
	return 0;
}

static void finish(struct work *w)
{
	struct daemon *d = w->d;
	struct json_tok *toks = calloc(JSON_TOKENS_MAX, sizeof(*toks));
	struct imgload_result res = { 0 };
	struct json_doc doc;
	struct kerr err;
	bool ok = false;
	int v;

	if (!toks) {
		daemon_reply_error(w->client, w->reqid, DAEMON_FAIL_CODE, "out of memory");
		goto out;
	}
	if (w->report.len == 0 ||
	    json_parse(&doc, (const char *)w->report.data, w->report.len, toks, JSON_TOKENS_MAX,
		       &err) < 0 ||
	    doc.toks[0].type != JSON_OBJECT || (v = json_obj_get(&doc, 0, "ok")) < 0 ||
	    json_get_bool(&doc, v, &ok, &err) < 0) {
		log_error("image %s worker pid %d ended without a report", op_names[w->op],
			  (int)w->pid);
		daemon_reply_error(w->client, w->reqid, DAEMON_FAIL_CODE,
				   "the image worker died before it finished (see the daemon's "
				   "log)");
		d->images->gc_pending = w->op != DAEMON_IMGWORK_SAVE;
		goto out;
	}
	if (!ok) {
		char msg[KERR_MSG_MAX];

		v = json_obj_get(&doc, 0, "error");
		if (v < 0 || json_get_str(&doc, v, msg, sizeof(msg), &err) < 0)
			str_copy(msg, sizeof(msg), "the image worker failed without saying why");
		log_info("image %s failed: %s", op_names[w->op], msg);
		daemon_reply_error(w->client, w->reqid, DAEMON_FAIL_CODE, msg);
		/* What it stored may serve no image now. */
		d->images->gc_pending = w->op != DAEMON_IMGWORK_SAVE;
		goto out;
	}
	if (w->op == DAEMON_IMGWORK_SAVE) {
		daemon_reply_ok(w->client, w->reqid);
		goto out;
	}
	if (report_images(&doc, &res, &err) < 0 || daemon_images_record(d, &res, &err) < 0) {
		log_error("image %s: %s", op_names[w->op], err.msg);
		daemon_reply_error(w->client, w->reqid, DAEMON_FAIL_CODE, err.msg);
		goto out;
	}
	for (size_t i = 0; i < res.n; i++)
		log_info("image %s: %s (%zu tags)", op_names[w->op], res.images[i].id,
			 res.images[i].tags.n);
	reply_images(w, &res);
out:
	imgload_result_done(&res);
	free(toks);
	if (d->images->workers > 0)
		d->images->workers--;
	if (d->images->workers == 0 && d->images->gc_pending)
		daemon_images_gc(d);
}

static void on_report(struct loop *l, int fd, uint32_t events, void *data)
{
	struct work *w = data;
	struct kerr err;

	(void)events;
	for (;;) {
		if (buf_reserve(&w->report, READ_CHUNK, &err) < 0 &&
		    w->report.len >= w->report.max) {
			log_error("image worker pid %d: its report exceeds %u bytes", (int)w->pid,
				  DAEMON_IMGWORK_REPORT_MAX);
			w->report.len = 0; /* treated as no report */
			break;
		}
		ssize_t n = read(fd, w->report.data + w->report.len, w->report.cap - w->report.len);
		if (n > 0) {
			w->report.len += (size_t)n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return;
		break; /* EOF or an error: the worker is done */
	}
	loop_del_fd(l, fd);
	w->fd = fd_close(w->fd);
	finish(w);
	buf_done(&w->report);
	free(w);
}

int daemon_imgwork_start(struct daemon *d, enum daemon_imgwork_op op, uint64_t client,
			 uint32_t reqid, const char *job, int in, int out, int progress,
			 struct kerr *err)
{
	struct daemon_images *im = d->images;
	int p[2];

	if (im->workers >= DAEMON_IMGWORK_MAX)
		return kerr_set(err, 0, "%u image loads and saves are running already; try again",
				im->workers);
	if (pipe2(p, O_CLOEXEC) < 0)
		return kerr_set(err, errno, "create an image worker's report pipe");
	_cleanup_close_ int rfd = p[0];
	_cleanup_close_ int wfd = p[1];
	char *argv[] = { "kettle-image-worker", "--root", d->root, "--job", (char *)job, NULL };
	struct proc_spawn sp = {
		.path = "/proc/self/exe",
		.argv = argv,
		.stdio = { in, out, progress },
		.keep_fd = wfd,
		.new_session = true,
		.die_with = getpid(),
	};
	pid_t pid;
	if (proc_spawn(&sp, &pid, err) < 0)
		return kerr_wrap(err, "start the image worker");
	wfd = fd_close(wfd);
	struct work *w = calloc(1, sizeof(*w));
	if (!w)
		return kerr_set(err, ENOMEM, "image worker");
	*w = (struct work){
		.d = d,
		.op = op,
		.client = client,
		.reqid = reqid,
		.fd = -1,
		.pid = pid,
	};
	buf_init(&w->report, DAEMON_IMGWORK_REPORT_MAX);
	if (fd_set_nonblock(rfd, true, err) < 0 ||
	    loop_add_fd(d->loop, rfd, LOOP_READ, on_report, w, err) < 0) {
		/* It runs on, unheard; its results are on disk for the next collection. */
		buf_done(&w->report);
		free(w);
		return kerr_wrap(err, "watch the image worker");
	}
	w->fd = take_fd(&rfd);
	im->workers++;
	log_debug("image %s worker: pid %d", op_names[op], (int)pid);
	return 0;
}
