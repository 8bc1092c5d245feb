/*
 * cdi: the CDI spec directories and the devices they define (mechanism, src/cdi).
 *
 * cdi_load reads every *.json, *.yaml and *.yml file of the directories, in name order,
 * and keeps each as a decoded spec or as the reason it is not used: unreadable, too big,
 * not JSON (YAML gets the flag that makes JSON), a strict decoding failure, or a file or
 * directory that anyone but root (or the daemon's own user) could write. That last one
 * matters because a spec's hooks run as root on the host. Directories come in priority
 * order: for a device defined in two of them the later wins (/var/run/cdi over /etc/cdi);
 * two files in one directory defining the same device are an error. A broken file whose
 * kind can be read fails every request of that kind it could be overriding, so a device is
 * never taken from a lower directory because a higher one's file was unreadable. Never
 * logs; problems are returned, per request, naming the file and the device.
 */
#ifndef KETTLE_CDI_H
#define KETTLE_CDI_H

#include <stdbool.h>
#include <stddef.h>

#include "base/kerr.h"
#include "cdi/cdi_spec.h"

#define CDI_DIRS_MAX	    16		   /* spec directories (kettle daemon --cdi-spec-dir) */
#define CDI_DIR_FILES_MAX   256		   /* spec files read from one directory */
#define CDI_DEFAULT_DIR_ETC "/etc/cdi"	   /* CDI's static specs */
#define CDI_DEFAULT_DIR_RUN "/var/run/cdi" /* CDI's generated specs; wins over /etc/cdi */

/* One spec file (or an unreadable directory, path being the directory). */
struct cdi_file {
	char *path;	      /* owned; the file ("DIR/NAME") */
	size_t dir;	      /* index of its directory: a higher one wins */
	char *kind;	      /* owned; the spec's kind (read even from a broken file when it
			       * says one), or NULL */
	struct cdi_spec spec; /* decoded; empty when error is set */
	char *error;	      /* owned; why the file is not used, or NULL */
};

struct cdi_registry {
	const char *const *dirs; /* borrowed; the directories, lowest priority first */
	size_t ndirs;		 /* entries of dirs */
	struct cdi_file *files;	 /* owned; directory order, then name order */
	size_t nfiles;		 /* entries of files */
};

/* A device found: its spec file and its definition. */
struct cdi_found {
	const struct cdi_file *file;	 /* borrowed from the registry */
	const struct cdi_device *device; /* borrowed from file->spec */
};

/* Reads the directories (absent ones are simply empty). Fails only when out of memory:
 * every other problem is kept in reg->files. */
int cdi_load(struct cdi_registry *reg, const char *const *dirs, size_t ndirs, struct kerr *err);
void cdi_done(struct cdi_registry *reg);
/*
 * The device "kind=name" (name_at: the offset of name in qname). "all" is the device named
 * all when a spec defines one (nvidia-ctk does), else every device of the kind, each as
 * cdi_find would pick it; out gets up to cap of them and *n their count. Errors name the
 * device and the file: unknown, defined twice in one directory, in a broken or writable
 * spec file.
 */
int cdi_find(const struct cdi_registry *reg, const char *qname, struct cdi_found *out, size_t cap,
	     size_t *n, struct kerr *err);
/* True when file/device is what cdi_find picks for its name (the one `kettle info` lists). */
bool cdi_is_winner(const struct cdi_registry *reg, const struct cdi_file *f,
		   const struct cdi_device *dev);

#endif
