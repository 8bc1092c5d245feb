/*
 * seccomp_spec: the `linux.seccomp` member of config.json (mechanism, rank 35).
 *
 * defaultAction (and defaultErrnoRet), the filter's architectures with the native one
 * first, then one entry per selected rule: its kept names, action, errnoRet and args.
 * Several conditions on one argument stay in one entry: runc 1.1.5 adds each as a rule of
 * its own (an OR), which is what the profile's author wrote for; the built-in profile never
 * relies on it. No `flags`: runc 1.1.5 refuses every one. Never logs.
 */
#include "seccomp/seccomp_spec.h"

static void w_arch(struct json_w *w, const struct seccomp_filter *f)
{
	json_w_key(w, "architectures");
	json_w_arr_begin(w);
	json_w_str(w, seccomp_profile_arch_name(f->native));
	for (int a = 0; a < SECCOMP_ARCH_COUNT; a++)
		if ((f->arches & (1u << a)) && a != (int)f->native)
			json_w_str(w, seccomp_profile_arch_name((enum seccomp_arch)a));
	json_w_arr_end(w);
}

static void w_rule(struct json_w *w, const struct seccomp_frule *fr)
{
	const struct seccomp_rule *r = fr->rule;

	json_w_obj_begin(w);
	json_w_key(w, "names");
	json_w_arr_begin(w);
	for (size_t i = 0; i < fr->nnames; i++)
		json_w_str(w, fr->names[i]);
	json_w_arr_end(w);
	json_w_key(w, "action");
	json_w_str(w, seccomp_profile_action_name(r->action));
	if (r->errno_set) {
		json_w_key(w, "errnoRet");
		json_w_u64(w, r->errno_ret);
	}
	if (r->nargs) {
		json_w_key(w, "args");
		json_w_arr_begin(w);
		for (size_t i = 0; i < r->nargs; i++) {
			json_w_obj_begin(w);
			json_w_key(w, "index");
			json_w_u64(w, r->args[i].index);
			json_w_key(w, "value");
			json_w_u64(w, r->args[i].value);
			json_w_key(w, "valueTwo");
			json_w_u64(w, r->args[i].value_two);
			json_w_key(w, "op");
			json_w_str(w, seccomp_profile_op_name(r->args[i].op));
			json_w_obj_end(w);
		}
		json_w_arr_end(w);
	}
	json_w_obj_end(w);
}

void seccomp_spec_write(struct json_w *w, const struct seccomp_filter *f)
{
	const struct seccomp_profile *p = f->profile;

	json_w_key(w, "seccomp");
	json_w_obj_begin(w);
	json_w_key(w, "defaultAction");
	json_w_str(w, seccomp_profile_action_name(p->default_action));
	if (p->default_errno_set) {
		json_w_key(w, "defaultErrnoRet");
		json_w_u64(w, p->default_errno);
	}
	w_arch(w, f);
	json_w_key(w, "syscalls");
	json_w_arr_begin(w);
	for (size_t i = 0; i < f->nrules; i++)
		w_rule(w, &f->rules[i]);
	json_w_arr_end(w);
	json_w_obj_end(w);
}
