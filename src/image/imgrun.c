/*
 * imgrun: docker's mapping of an image config onto a container (mechanism, image folder).
 *
 * Works on the request in place: lists are rebuilt (image entries first, then the
 * user's) into fresh arrays, strings duplicated, so the record owns all it holds. A
 * failure leaves the request as it was or partly merged; the caller discards it either
 * way.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/fd.h"
#include "base/str.h"
#include "image/imgref.h"
#include "image/imgrun.h"
#include "image/imguser.h"

#define NS_PER_MS 1000000ull

/* v := a + b (copies of both); frees the old v. */
static int concat(struct record_strv *v, const struct record_strv *a, const struct record_strv *b,
		  struct kerr *err)
{
	struct record_strv out = { 0 };

	out.v = calloc(a->n + b->n + 1, sizeof(*out.v));
	if (!out.v)
		return kerr_set(err, ENOMEM, "create from the image");
	for (size_t i = 0; i < a->n + b->n; i++) {
		out.v[i] = strdup(i < a->n ? a->v[i] : b->v[i - a->n]);
		if (!out.v[i]) {
			record_strv_free(&out);
			return kerr_set(err, ENOMEM, "create from the image");
		}
		out.n++;
	}
	record_strv_free(v);
	*v = out;
	return 0;
}

/* Labels: the image's not set by the user, then the user's. */
static int merge_labels(struct record_strv *user, const struct record_strv *image, struct kerr *err)
{
	struct record_strv keep = { 0 };
	int rc;

	keep.v = calloc(image->n + 1, sizeof(*keep.v));
	if (!keep.v)
		return kerr_set(err, ENOMEM, "labels");
	for (size_t i = 0; i < image->n; i++) {
		size_t k = strcspn(image->v[i], "=");
		bool set = false;

		for (size_t j = 0; j < user->n && !set; j++)
			set = strncmp(user->v[j], image->v[i], k) == 0 && user->v[j][k] == '=';
		if (!set)
			keep.v[keep.n++] = image->v[i];
	}
	struct record_strv mine = *user;
	*user = (struct record_strv){ 0 };
	rc = concat(user, &keep, &mine, err);
	record_strv_free(&mine);
	free(keep.v); /* the strings are the image's */
	return rc;
}

/* ["CMD", a, b] as one /bin/sh -c line: each word single-quoted. */
static char *shell_join(const struct record_strv *t)
{
	size_t n = 1;

	for (size_t i = 1; i < t->n; i++)
		n += 4 * strlen(t->v[i]) + 3;
	char *s = malloc(n), *o = s;
	if (!s)
		return NULL;
	for (size_t i = 1; i < t->n; i++) {
		if (i > 1)
			*o++ = ' ';
		*o++ = '\'';
		for (const char *p = t->v[i]; *p; p++) {
			if (*p == '\'') {
				memcpy(o, "'\\''", 4);
				o += 4;
			} else {
				*o++ = *p;
			}
		}
		*o++ = '\'';
	}
	*o = '\0';
	return s;
}

static uint64_t ms_of(uint64_t ns)
{
	return ns ? (ns + NS_PER_MS - 1) / NS_PER_MS : 0;
}

static int apply_health(const struct imgdoc_config *cfg, struct record *r, struct kerr *err)
{
	const struct imgdoc_health *h = &cfg->health;

	if (r->image.no_healthcheck) {
		free(r->health_cmd);
		r->health_cmd = NULL;
	} else if (!r->health_cmd && h->set && h->test.n > 0) {
		const char *kind = h->test.v[0];

		if (strcmp(kind, "CMD-SHELL") == 0 && h->test.n >= 2)
			r->health_cmd = strdup(h->test.v[1]);
		else if (strcmp(kind, "CMD") == 0 && h->test.n >= 2)
			r->health_cmd = shell_join(&h->test);
		else if (strcmp(kind, "NONE") != 0)
			return kerr_set(
				err, 0,
				"the image's Healthcheck.Test starts with `%.40s`, expected "
				"CMD, CMD-SHELL or NONE",
				kind);
		if (strcmp(kind, "NONE") != 0 && !r->health_cmd)
			return kerr_set(err, ENOMEM, "health check");
		if (!r->health_interval_ms)
			r->health_interval_ms = ms_of(h->interval_ns);
		if (!r->health_timeout_ms)
			r->health_timeout_ms = ms_of(h->timeout_ns);
		if (!r->health_start_period_ms)
			r->health_start_period_ms = ms_of(h->start_period_ns);
		if (!r->health_retries)
			r->health_retries = h->retries;
	}
	if (!r->health_cmd) {
		/* Tuning for a check that is not there: nothing to tune. */
		r->health_interval_ms = r->health_timeout_ms = r->health_start_period_ms = 0;
		r->health_retries = 0;
		r->health_on_failure = RECORD_HEALTH_NONE;
	}
	return 0;
}

static int apply_user(const struct imgstore *st, const struct imgstore_image *im,
		      const struct imgdoc_config *cfg, struct record *r, struct kerr *err)
{
	const char *spec = r->image.user ? r->image.user : cfg->user;
	_cleanup_free_ int *fds = NULL;
	int rc = 0;

	if (!spec || !spec[0])
		return 0;
	fds = calloc(im->nlayers + 1, sizeof(*fds));
	if (!fds)
		return kerr_set(err, ENOMEM, "look the user up");
	for (size_t i = 0; i < im->nlayers; i++) {
		char diff[96];

		snprintf(diff, sizeof(diff), "%s/" IMGSTORE_DIFF, imgref_hex(im->layers[i].chain));
		fds[i] = openat(st->layers, diff, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (fds[i] < 0) {
			rc = kerr_set(err, errno, "open layer %s", im->layers[i].chain);
			for (size_t k = 0; k < i; k++)
				fd_close(fds[k]);
			return rc;
		}
	}
	rc = imguser_resolve(fds, im->nlayers, spec, &r->uid, &r->gid, err);
	for (size_t i = 0; i < im->nlayers; i++)
		fd_close(fds[i]);
	if (rc < 0)
		return -1;
	r->user_set = true;
	return 0;
}

int imgrun_apply(const struct imgstore *st, const struct imgstore_image *im,
		 const struct imgdoc_config *cfg, const char *storage, struct record *r,
		 struct kerr *err)
{
	static const struct record_strv none = { 0 };
	struct record_image *ri = &r->image;
	const struct record_strv *entry = ri->entrypoint_set ? &ri->entrypoint : &cfg->entrypoint;
	const struct record_strv *cmd = r->args.n	     ? &r->args
					: ri->entrypoint_set ? &none
							     : &cfg->cmd;

	/* args = entrypoint + cmd (the user's command, or the image's Cmd). */
	struct record_strv user_args = r->args;
	r->args = (struct record_strv){ 0 };
	int rc = concat(&r->args, entry, cmd == &user_args || cmd == &r->args ? &user_args : cmd,
			err);
	record_strv_free(&user_args);
	if (rc < 0)
		return -1;
	if (r->args.n == 0)
		return kerr_set(err, 0,
				"no command specified: the image has neither Entrypoint nor Cmd; "
				"give one after the image");
	struct record_strv user_env = r->env;
	r->env = (struct record_strv){ 0 };
	rc = concat(&r->env, &cfg->env, &user_env, err);
	record_strv_free(&user_env);
	if (rc < 0 || merge_labels(&r->labels, &cfg->labels, err) < 0)
		return -1;
	if (!r->workdir && cfg->workdir && cfg->workdir[0]) {
		size_t n = strlen(cfg->workdir);
		r->workdir = malloc(n + 2);
		if (!r->workdir)
			return kerr_set(err, ENOMEM, "workdir");
		snprintf(r->workdir, n + 2, "%s%s", cfg->workdir[0] == '/' ? "" : "/",
			 cfg->workdir);
	}
	if (apply_user(st, im, cfg, r, err) < 0 || apply_health(cfg, r, err) < 0)
		return -1;
	free(ri->stop_signal);
	ri->stop_signal = cfg->stop_signal && cfg->stop_signal[0] ? strdup(cfg->stop_signal) : NULL;
	if (concat(&ri->exposed_ports, &cfg->exposed_ports, &none, err) < 0)
		return -1;
	str_copy(ri->id, sizeof(ri->id), im->id);
	record_strv_free(&ri->layers);
	ri->layers.v = calloc(im->nlayers + 1, sizeof(char *));
	if (!ri->layers.v)
		return kerr_set(err, ENOMEM, "layers");
	for (size_t i = 0; i < im->nlayers; i++) {
		ri->layers.v[i] = strdup(im->layers[i].chain);
		if (!ri->layers.v[i])
			return kerr_set(err, ENOMEM, "layers");
		ri->layers.n++;
	}
	str_copy(ri->storage, sizeof(ri->storage), storage);
	return 0;
}
