/*
 * cli: one declarative table per command, and what is generated from it (mechanism M1,
 * pure): option parsing (cli.c), the `--help` text (cli_help.c) and shell completion
 * (cli_complete.c).
 *
 * A command is a const struct cli_cmd: its synopsis, description, positional arguments and
 * options. The parser is an iterator over argv with musl getopt_long's grammar (clustered
 * short options, "-tVALUE", "--long=VALUE" or "--long VALUE", unique prefixes of long
 * names, "--" ends the options) but no global state, no reordering of argv unless the table
 * asks for it, and every misuse returned as a kerr with getopt's wording as kettle prints
 * it. A role either drives the iterator from its own small loop (daemon, shim, init) or
 * lets its own wrapper do it (client_parse). Nothing here prints, exits or allocates: the
 * help, the usage line and completion are written to the FILE the caller gives.
 */
#ifndef KETTLE_CLI_H
#define KETTLE_CLI_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "base/kerr.h"

#define CLI_HELP      1	  /* the id cli_parse_next returns for --help */
#define CLI_ARGS_MANY 255 /* cli_pos.max: no upper bound */
#define CLI_COUNT(a)  ((uint8_t)(sizeof(a) / sizeof((a)[0])))
/* On every table: GCC aligns a static object of 32 bytes or more to 32 (-malign-data),
 * padding each command and option list by up to 31 bytes; pointers need 8. */
#define CLI_TABLE     __attribute__((aligned(8)))

/* What an option's value (or a positional argument) is: how help names it, what
 * completion offers. The parser only tells CLI_FLAG from the rest. */
enum cli_kind {
	CLI_FLAG = 0,  /* takes no value */
	CLI_STRING,    /* free text: completion offers nothing */
	CLI_NUMBER,    /* an integer */
	CLI_SIZE,      /* bytes with an optional unit (64m) */
	CLI_DURATION,  /* 50ms, 10s, 5m */
	CLI_CHOICE,    /* one of the words of .value, separated by '|' ("table|json") */
	CLI_FILE,      /* a host path: completion offers files (the shell's default) */
	CLI_DIR,       /* a host directory: completion offers directories */
	CLI_CONTAINER, /* a container name: completion asks the daemon (the script) */
	CLI_ANYTHING,  /* a command line of its own: the shell's default completion */
	CLI_BOOL,      /* a flag that also takes "=true" or "=false" (docker's boolean
			* flags: --sig-proxy=false); never the next argument */
};

/* cli_opt.flags */
#define CLI_REPEAT   0x1 /* each use adds a value (-e, -v): completion offers it again */
#define CLI_HIDDEN   0x2 /* an alias: parsed, but neither in the help nor completed */
#define CLI_REQUIRED 0x4 /* no brackets in a spelled-out synopsis (the role checks it) */

/*
 * An option's words, packed into one string (one pointer per option, not three: the tables
 * are most of what the parser costs), separated by tabs (not NULs, so the string stays a
 * plain mergeable literal): its long name ("detach" for --detach), its value's name in the
 * help ("SECONDS"; a CHOICE's words, "table|json"), and what it does (wrapped by the help
 * writer; '\n' breaks a line). "" for what it has not.
 */
#define CLI_TEXT(long_name, value, help) long_name "\t" value "\t" help

enum cli_field {
	CLI_LONG = 0, /* the long name */
	CLI_VALUE,    /* the value's name */
	CLI_ABOUT,    /* the help line */
};

/*
 * One row of an option table, in the order help shows an option: its id for the handler,
 * its short name ('t', or 0), the kind of its value (CLI_FLAG: none), CLI_REPEAT or
 * CLI_HIDDEN (or 0), its long name, the value's name and the help line ("" for none).
 */
#define CLI_OPT(id_, short_, kind_, flags_, long_, value_, help_)                                  \
	{                                                                                          \
		.id = (id_), .short_name = (short_), .kind = (kind_), .flags = (flags_),           \
		.text = CLI_TEXT(long_, value_, help_)                                             \
	}

/* One option of a command (written with CLI_OPT). */
struct cli_opt {
	int16_t id;	  /* what cli_parse_next returns for it; > CLI_HELP */
	char short_name;  /* 'd' for -d, or 0 */
	uint8_t kind;	  /* enum cli_kind of its value */
	uint8_t flags;	  /* CLI_REPEAT, CLI_HIDDEN, CLI_REQUIRED */
	const char *text; /* CLI_TEXT(long name, value name, help) */
};

/*
 * cli_cmd.flags. CLI_INTERLEAVE: options may follow positional arguments until "--" (off,
 * the default: parsing stops at the first argument, as getopt's "+" does, which run and
 * exec need to leave the container command's flags alone). CLI_OPTIONS_ELSEWHERE: the
 * help lists no options, the description says where they are (create shares run's).
 * CLI_INTERNAL: a command another program runs, never a person (the daemon starts each
 * shim): its usage line reads "usage: " in lower case, as that program's log quotes it.
 */
#define CLI_INTERLEAVE	      0x1
#define CLI_OPTIONS_ELSEWHERE 0x2
#define CLI_INTERNAL	      0x4

/* A command's positional arguments. */
struct cli_pos {
	uint8_t min;   /* at least (0 or 1) ... */
	uint8_t max;   /* ... and at most (CLI_ARGS_MANY); 0..MANY: the command checks them
			* itself, in its own words */
	uint8_t first; /* enum cli_kind of the first */
	uint8_t rest;  /* enum cli_kind of the others */
};

/* What most commands take: one container or more. */
#define CLI_CONTAINERS                                                                             \
	{                                                                                          \
		.min = 1, .max = CLI_ARGS_MANY, .first = CLI_CONTAINER, .rest = CLI_CONTAINER      \
	}

/* One command: everything its parser, help and completion need. */
struct cli_cmd {
	const char *name;	    /* "stop" */
	const char *summary;	    /* one line for the command list */
	const char *synopsis;	    /* "kettle stop [-t SECONDS] CONTAINER [CONTAINER...]";
				     * NULL: spelled out from the options (as cli_misuse_write
				     * does), for a command that takes no arguments */
	const char *description;    /* the help's paragraph(s); '\n' breaks a line */
	const struct cli_opt *opts; /* its options, in help order (--help is implied) */
	uint8_t nopts;		    /* entries of opts; completion tells apart the first 63 */
	struct cli_pos pos;	    /* its positional arguments */
	uint8_t flags;		    /* CLI_INTERLEAVE, CLI_OPTIONS_ELSEWHERE, CLI_INTERNAL */
};

/* One row of a program's command table (kettle.c), sorted by name. */
struct cli_entry {
	const char *name;		    /* what a person types */
	int (*main)(int argc, char **argv); /* argv[0] is the command name */
	const struct cli_cmd *cmd;	    /* its table; NULL hides the row (aliases,
					     * internal commands) */
};

/* ---- cli.c: parsing ---- */

/* The row named name, or NULL. */
const struct cli_entry *cli_find(const struct cli_entry *table, size_t n, const char *name);

/* cmd's i-th option, the implied --help last (when the table has no option of id
 * CLI_HELP); NULL past the end. */
const struct cli_opt *cli_opt_at(const struct cli_cmd *cmd, int i);
/* One of the words of o->text: *s points at it; returns its length (0: it has none). */
size_t cli_opt_text(const struct cli_opt *o, enum cli_field field, const char **s);

/* An iteration over one argv. */
struct cli_parser {
	const struct cli_cmd *cmd; /* borrowed */
	int argc;		   /* entries of argv */
	char **argv;		   /* borrowed; argv[0] is the command name. CLI_INTERLEAVE
				    * moves the positional arguments to its front */
	int ind;		   /* next argv entry to read */
	int pos;		   /* inside a cluster of short options: offset of the next */
	int moved;		   /* CLI_INTERLEAVE: positional arguments moved so far */
	const struct cli_opt *opt; /* the option just returned, or the one whose misuse was:
				    * with a CLI_FLAG kind it got a value, with CLI_BOOL a
				    * word that is no boolean, else it lacks one */
	char *val;		   /* the value of the option just returned, or NULL */
	char *word;		   /* the argv entry that option (or misuse) was read from:
				    * "-dx", "--root=/x" (what a getopt loop's argv[optind - 1]
				    * named) */
	bool dashes;		   /* the options ended at "--" */
	char **args;		   /* at the end: the positional arguments (in argv)... */
	int nargs;		   /* ... and how many */
};

void cli_parse_init(struct cli_parser *p, const struct cli_cmd *cmd, int argc, char **argv);
/* A CLI_BOOL option's value as cli_parse_next left it: NULL (the flag alone) is true. */
bool cli_bool(const char *val);
/*
 * The next option: its id (> 0; CLI_HELP for --help) with its value in p->val; 0 when
 * the options have ended, with the positional arguments in p->args and p->nargs;
 * -1 with err on misuse ("unknown option `--x`", "option `-t` needs a value", "option
 * `--all` takes no value", "option `--sig-proxy` takes true or false, got `x`"). A
 * CLI_BOOL option's value is NULL or one of Go's boolean words (1, t, true, TRUE, True,
 * and 0, f, false, ...). Nothing is consumed past the returned option.
 */
int cli_parse_next(struct cli_parser *p, struct kerr *err);
/* After the end: the positional argument count against the table's bounds, with the
 * wording kettle has always used ("at least one container is required", "a container
 * is required", "one container only; 2 were given", "unexpected argument `x`"). */
int cli_check_args(const struct cli_cmd *cmd, int n, char *const *args, struct kerr *err);

/* ---- cli_help.c ---- */

/* The `--help` text: usage line, description, the options in aligned columns. */
void cli_help_write(const struct cli_cmd *cmd, FILE *out);
/*
 * What a misuse of a command that takes no arguments prints (its role then exits 125):
 * the usage line with every option spelled out, "Usage: kettle daemon [--root DIR] [-d]
 * ..." ("usage:" with CLI_INTERNAL; a CLI_REQUIRED option without brackets), then
 * "kettle NAME: " and the message.
 */
void cli_misuse_write(FILE *out, const struct cli_cmd *cmd, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* The command list of `kettle --help`: one aligned line per visible row. */
void cli_help_list(const struct cli_entry *table, size_t n, FILE *out);

/* ---- cli_complete.c ---- */

/*
 * Bash completion of words[cword] (words[0] is the program) against the table, the words
 * before it read by the parser (which may reorder them, as it does argv): the
 * matching candidates, one per line, or one directive line the completion script turns
 * into candidates: "@containers" or "@dirs". Nothing at all: the shell's default (files).
 */
void cli_complete_write(const struct cli_entry *table, size_t n, int cword, char **words,
			int nwords, FILE *out);

#endif
