/*
 * seccomp_default: kettle's built-in seccomp profile (mechanism, rank 35), equal in effect to
 * docker's default profile; seccomp_default.c says where it differs and why. Const data only.
 */
#ifndef KETTLE_SECCOMP_DEFAULT_H
#define KETTLE_SECCOMP_DEFAULT_H

#include "seccomp/seccomp_profile.h"

/* The built-in profile; static, never freed (seccomp_profile_free leaves it alone). */
const struct seccomp_profile *seccomp_default_profile(void);

#endif
