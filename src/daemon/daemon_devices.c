/*
 * daemon_devices: a container's devices in the daemon (role, layer 3; bottom band of the
 * daemon).
 *
 * CREATE resolves once, before the container's directory exists: a failure (an unknown
 * device, a broken or writable spec, a missing host node) fails the request with the
 * message cdi_resolve wrote and leaves nothing behind; success stores the result in the
 * record, from which config.json is derived. A client never sends resolved edits: a
 * request that carries some is refused, since they would put hooks run as root on the host
 * into config.json unchecked. INFO reads the directories anew; INSPECT only the record.
 * Never blocks on a peer.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cdi/cdi_resolve.h"
#include "daemon/daemon_devices.h"

/* INFO is one reply of at most 64 KiB: what it lists is capped, the rest counted. */
#define INFO_DEVICES_MAX 200
#define INFO_ERRORS_MAX	 16

int daemon_devices_resolve(struct daemon *d, struct record *rec, struct kerr *err)
{
	struct cdi_registry reg = { 0 };
	int rc;

	if (rec->dev.ngroups)
		return kerr_set(err, 0,
				"the create request carries resolved devices, expected none: "
				"the daemon resolves them");
	if (record_dev_empty(&rec->dev))
		return 0;
	if (cdi_resolve_needs_specs(rec) && cdi_load(&reg, d->cdi_dirs, d->ncdi_dirs, err) < 0)
		return -1;
	rc = cdi_resolve(&reg, rec, err);
	cdi_done(&reg);
	return rc;
}

void daemon_devices_info(struct daemon *d, struct json_w *w)
{
	struct cdi_registry reg;
	struct kerr err;
	bool loaded = cdi_load(&reg, d->cdi_dirs, d->ncdi_dirs, &err) == 0;

	json_w_key(w, "CDISpecDirs");
	json_w_arr_begin(w);
	for (size_t i = 0; i < d->ncdi_dirs; i++)
		json_w_str(w, d->cdi_dirs[i]);
	json_w_arr_end(w);
	size_t shown = 0, errors = 0;

	json_w_key(w, "DiscoveredDevices");
	json_w_arr_begin(w);
	for (size_t i = 0; loaded && i < reg.nfiles && shown < INFO_DEVICES_MAX; i++) {
		const struct cdi_file *f = &reg.files[i];

		for (size_t j = 0; !f->error && j < f->spec.ndevices && shown < INFO_DEVICES_MAX;
		     j++) {
			const struct cdi_device *dev = &f->spec.devices[j];
			char id[2 * RECORD_DEV_NAME_MAX + 2];

			/* Each device once, from the file a request would take it from. */
			if (!cdi_is_winner(&reg, f, dev))
				continue;
			snprintf(id, sizeof(id), "%s=%s", f->spec.kind, dev->name);
			shown++;
			json_w_obj_begin(w);
			json_w_key(w, "Source");
			json_w_str(w, "cdi");
			json_w_key(w, "ID");
			json_w_str(w, id);
			json_w_key(w, "Spec");
			json_w_str(w, f->path);
			json_w_obj_end(w);
		}
	}
	json_w_arr_end(w);
	json_w_key(w, "CDISpecErrors");
	json_w_arr_begin(w);
	if (!loaded) {
		json_w_obj_begin(w);
		json_w_key(w, "Path");
		json_w_str(w, "");
		json_w_key(w, "Error");
		json_w_str(w, err.msg);
		json_w_obj_end(w);
	}
	for (size_t i = 0; loaded && i < reg.nfiles && errors < INFO_ERRORS_MAX; i++) {
		if (!reg.files[i].error)
			continue;
		errors++;
		json_w_obj_begin(w);
		json_w_key(w, "Path");
		json_w_str(w, reg.files[i].path);
		json_w_key(w, "Error");
		json_w_str(w, reg.files[i].error);
		json_w_obj_end(w);
	}
	json_w_arr_end(w);
	if (loaded)
		cdi_done(&reg);
}

/* ---- INSPECT ---- */

static void w_strs_or_null(struct json_w *w, const char *key, char *const *v, size_t n)
{
	json_w_key(w, key);
	if (!n) {
		json_w_null(w);
		return;
	}
	json_w_arr_begin(w);
	for (size_t i = 0; i < n; i++)
		json_w_str(w, v[i]);
	json_w_arr_end(w);
}

/* docker's --gpus request: Driver, Count, DeviceIDs, Capabilities ([[words…, "gpu"]]),
 * Options ({}). */
static void w_gpu_request(struct json_w *w, const char *value)
{
	struct record_dev_gpus g;
	struct kerr err;

	if (record_dev_parse_gpus(value, &g, &err) < 0)
		return; /* record_validate checked every value */
	json_w_obj_begin(w);
	json_w_key(w, "Driver");
	json_w_str(w, g.driver ? "nvidia" : "");
	json_w_key(w, "Count");
	json_w_i64(w, g.count);
	json_w_key(w, "DeviceIDs");
	if (g.nids) {
		json_w_arr_begin(w);
		for (size_t i = 0; i < g.nids; i++)
			json_w_str(w, g.ids[i]);
		json_w_arr_end(w);
	} else {
		json_w_null(w);
	}
	json_w_key(w, "Capabilities");
	json_w_arr_begin(w);
	json_w_arr_begin(w);
	for (const char *c = g.capabilities; *c;) {
		size_t n = strcspn(c, ",");

		json_w_strn(w, c, n);
		c += n + (c[n] == ',');
	}
	json_w_str(w, "gpu");
	json_w_arr_end(w);
	json_w_arr_end(w);
	json_w_key(w, "Options");
	json_w_obj_begin(w);
	json_w_obj_end(w);
	json_w_obj_end(w);
}

void daemon_devices_host_config(const struct record *r, struct json_w *w)
{
	const struct record_dev *d = &r->dev;
	struct record_dev_host h;
	struct kerr err;
	size_t ncdi = 0;

	/* docker's shape: "Devices" is [] when there are none, the other two null. */
	json_w_key(w, "Devices");
	json_w_arr_begin(w);
	for (size_t i = 0; i < d->ndevices; i++) {
		if (d->devices[i][0] != '/') {
			ncdi++;
			continue;
		}
		if (record_dev_parse_host(d->devices[i], &h, &err) < 0)
			continue; /* record_validate checked every value */
		json_w_obj_begin(w);
		json_w_key(w, "PathOnHost");
		json_w_str(w, h.host);
		json_w_key(w, "PathInContainer");
		json_w_str(w, h.container);
		json_w_key(w, "CgroupPermissions");
		json_w_str(w, h.access);
		json_w_obj_end(w);
	}
	json_w_arr_end(w);
	w_strs_or_null(w, "DeviceCgroupRules", d->cgroup_rules, d->ncgroup_rules);
	json_w_key(w, "DeviceRequests");
	if (!d->ngpus && !ncdi) {
		json_w_null(w);
		return;
	}
	json_w_arr_begin(w);
	for (size_t i = 0; i < d->ngpus; i++)
		w_gpu_request(w, d->gpus[i]);
	/* docker ≥ 25: every CDI name of --device in one request of driver "cdi". */
	if (ncdi) {
		json_w_obj_begin(w);
		json_w_key(w, "Driver");
		json_w_str(w, "cdi");
		json_w_key(w, "Count");
		json_w_i64(w, 0);
		json_w_key(w, "DeviceIDs");
		json_w_arr_begin(w);
		for (size_t i = 0; i < d->ndevices; i++)
			if (d->devices[i][0] != '/')
				json_w_str(w, d->devices[i]);
		json_w_arr_end(w);
		json_w_key(w, "Capabilities");
		json_w_null(w);
		json_w_key(w, "Options");
		json_w_null(w);
		json_w_obj_end(w);
	}
	json_w_arr_end(w);
}

void daemon_devices_kettle(const struct record *r, struct json_w *w)
{
	const struct record_dev *d = &r->dev;

	json_w_key(w, "Devices");
	json_w_arr_begin(w);
	for (size_t i = 0; i < d->ngroups; i++) {
		const struct record_dev_group *g = &d->groups[i];

		json_w_obj_begin(w);
		json_w_key(w, "Request");
		json_w_str(w, g->request);
		json_w_key(w, "Device");
		json_w_str(w, g->device);
		json_w_key(w, "Spec");
		if (g->spec)
			json_w_str(w, g->spec);
		else
			json_w_null(w);
		json_w_key(w, "ContainerEdits");
		record_dev_json_write_edits(w, &g->edits);
		json_w_obj_end(w);
	}
	json_w_arr_end(w);
}
