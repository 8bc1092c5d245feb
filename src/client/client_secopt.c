/*
 * client_secopt: `run`/`create --security-opt` (layer 3, client role, bottom band), in
 * docker's spelling: seccomp=unconfined|builtin|PATH and no-new-privileges[=true|false]
 * (docker's older `:` separator too). A PATH is made absolute against our working directory
 * and sent as it is; the daemon reads and checks the profile, so a bad one fails the create
 * with the rule named and nothing made. Anything else (apparmor=, label=, …) is refused:
 * kettle has no such mechanism and will not pretend to apply it.
 */
#include <stdlib.h>
#include <string.h>

#include "client/client.h"
#include "store/record.h"

/* "true"/"false" (and docker's "1"/"0" from strconv.ParseBool's short forms). */
static int parse_bool(const char *s, bool *out)
{
	if (strcmp(s, "true") == 0 || strcmp(s, "1") == 0)
		*out = true;
	else if (strcmp(s, "false") == 0 || strcmp(s, "0") == 0)
		*out = false;
	else
		return -1;
	return 0;
}

int client_secopt_parse(const struct cli_cmd *cmd, struct record *r, const char *val)
{
	size_t klen = strcspn(val, "=:");
	const char *v = val[klen] ? val + klen + 1 : NULL;

	if (klen == 7 && strncmp(val, "seccomp", 7) == 0) {
		if (!v || !v[0])
			return client_usage_error(cmd,
						  "--security-opt `%s` names no profile, expected "
						  "seccomp=unconfined, seccomp=builtin or "
						  "seccomp=PATH",
						  val);
		if (strcmp(v, RECORD_SECCOMP_UNCONFINED) == 0 ||
		    strcmp(v, RECORD_SECCOMP_BUILTIN) == 0) {
			free(r->seccomp);
			r->seccomp = strdup(v);
			return r->seccomp ? 0 : client_runflags_out_of_memory();
		}
		return client_runflags_abs_flag(cmd, "--security-opt seccomp=", v, &r->seccomp);
	}
	if (klen == 17 && strncmp(val, "no-new-privileges", 17) == 0) {
		bool on = true;

		if (v && parse_bool(v, &on) < 0)
			return client_usage_error(cmd,
						  "--security-opt `%s`: expected "
						  "no-new-privileges, no-new-privileges=true or "
						  "no-new-privileges=false",
						  val);
		r->no_new_privileges = on;
		return 0;
	}
	return client_usage_error(cmd,
				  "unsupported --security-opt `%s`, expected seccomp=unconfined, "
				  "seccomp=builtin, seccomp=PATH or no-new-privileges[=true|false]",
				  val);
}
