/*
 * bootfile: the containers file of `kettle daemon --boot --containers FILE` (mechanism,
 * rank 20; pure: bytes in, words or a kerr out, no I/O, no allocation).
 *
 * One container per line: the arguments of `kettle run`, split into words the way a POSIX
 * shell splits them (blanks between words; '…' and "…" quotes; a backslash escapes one
 * character, and a backslash at the end of a line continues it; # at the start of a word
 * starts a comment) but with nothing a shell would expand or interpret: an unquoted
 * $ ` | & ; < > ( ) * ? [ and ~ at the start of a word, and $ or ` inside "…", are errors
 * that name their line and column rather than being taken literally, so a line never
 * means something else than it would typed at a shell. Control characters (but tab) and
 * NUL are errors too. A bad line is skipped whole; the next call goes on with the next.
 */
#ifndef KETTLE_BOOTFILE_H
#define KETTLE_BOOTFILE_H

#include <stddef.h>

#include "base/kerr.h"

#define BOOTFILE_MAX	   (1024u * 1024u) /* bytes of a whole file */
#define BOOTFILE_LINE_MAX  (64u * 1024u)   /* bytes of one line's words, NULs included */
#define BOOTFILE_ARGS_MAX  1024		   /* words on one line */
#define BOOTFILE_LINES_MAX 1000		   /* containers in one file */

/* A cursor over a whole file's text. */
struct bootfile {
	const char *text; /* borrowed; len bytes, not NUL-terminated */
	size_t len;	  /* bytes of text */
	size_t off;	  /* next byte to read */
	unsigned line;	  /* physical line of text[off], from 1 */
	unsigned entries; /* lines with words returned (or refused) so far */
};

/* One line's words. Large (64 KiB): allocate it once. */
struct bootfile_line {
	unsigned lineno;		   /* physical line the entry starts on, from 1 */
	size_t argc;			   /* words in argv */
	char *argv[BOOTFILE_ARGS_MAX + 1]; /* into buf; NULL-terminated */
	char buf[BOOTFILE_LINE_MAX];	   /* the words, each NUL-terminated */
};

void bootfile_init(struct bootfile *bf, const char *text, size_t len);

/*
 * The next line that holds words (blank and comment lines are passed over). Returns 1
 * with out filled, 0 at the end of the text, -1 with err ("line 3, column 17: …") for a
 * line that is refused: the cursor has moved past it, so the caller may go on.
 */
int bootfile_next(struct bootfile *bf, struct bootfile_line *out, struct kerr *err);

#endif
