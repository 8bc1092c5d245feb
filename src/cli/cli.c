/*
 * cli: the option parser of the command tables (mechanism M1, pure): an iterator over
 * argv that returns one option at a time, then the positional arguments.
 *
 * The grammar is musl getopt_long's with "+" (what every kettle command used): short
 * options cluster ("-it") and take their value attached ("-t5", "-e=X" is "=X") or as the
 * next argument, whatever it looks like; a long option takes "=VALUE" or the next argument
 * and may be shortened to a unique prefix (an exact name always wins); "--" ends the
 * options and "-" is an argument. Options end at the first argument unless the table sets
 * CLI_INTERLEAVE. Misuse is returned in a kerr, worded as kettle has always printed it.
 * Never prints; keeps no state outside the struct cli_parser.
 */
#include <string.h>

#include "cli/cli.h"

static const struct cli_opt help_opt CLI_TABLE =
	CLI_OPT(CLI_HELP, 0, CLI_FLAG, 0, "help", "", "Print this help");

size_t cli_opt_text(const struct cli_opt *o, enum cli_field field, const char **s)
{
	const char *p = o->text;

	for (int i = 0; i < (int)field && *p; i++) {
		p += strcspn(p, "\t");
		p += *p != '\0';
	}
	*s = p;
	return strcspn(p, "\t");
}

const struct cli_opt *cli_opt_at(const struct cli_cmd *cmd, int i)
{
	if (i < cmd->nopts)
		return &cmd->opts[i];
	if (i > cmd->nopts)
		return NULL;
	for (int k = 0; k < cmd->nopts; k++)
		if (cmd->opts[k].id == CLI_HELP)
			return NULL;
	return &help_opt;
}

const struct cli_entry *cli_find(const struct cli_entry *table, size_t n, const char *name)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(name, table[mid].name);
		if (c == 0)
			return &table[mid];
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return NULL;
}

void cli_parse_init(struct cli_parser *p, const struct cli_cmd *cmd, int argc, char **argv)
{
	*p = (struct cli_parser){ .cmd = cmd, .argc = argc, .argv = argv, .ind = 1 };
}

/* The words Go's strconv.ParseBool takes, which docker's boolean flags accept after '='. */
static const char *const true_words[] = { "1", "t", "T", "true", "TRUE", "True" };
static const char *const false_words[] = { "0", "f", "F", "false", "FALSE", "False" };

static bool in_words(const char *s, const char *const *words, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(s, words[i]) == 0)
			return true;
	return false;
}

bool cli_bool(const char *val)
{
	return !val || in_words(val, true_words, sizeof(true_words) / sizeof(true_words[0]));
}

static bool bool_word(const char *s)
{
	return cli_bool(s) ||
	       in_words(s, false_words, sizeof(false_words) / sizeof(false_words[0]));
}

/* "--name", "--name=VALUE" or "--name VALUE"; name points past the dashes. */
static int long_option(struct cli_parser *p, char *name, struct kerr *err)
{
	const struct cli_opt *o, *match = NULL;
	size_t n = strcspn(name, "=");
	int count = 0;

	p->opt = NULL;
	p->word = p->argv[p->ind];
	for (int i = 0; (o = cli_opt_at(p->cmd, i)); i++) {
		const char *l;
		size_t len = cli_opt_text(o, CLI_LONG, &l);

		if (len == 0 || len < n || strncmp(l, name, n) != 0)
			continue;
		match = o;
		if (len == n) {
			count = 1;
			break;
		}
		count++;
	}
	p->ind++;
	/* An ambiguous prefix is as unknown as a wrong name: getopt said so too. */
	if (count != 1)
		return kerr_set(err, 0, "unknown option `--%.*s`", (int)n, name);
	p->opt = match;
	if (name[n] == '=') {
		if (match->kind == CLI_FLAG)
			return kerr_set(err, 0, "option `--%.*s` takes no value", (int)n, name);
		p->val = name + n + 1;
		if (match->kind == CLI_BOOL && !bool_word(p->val)) {
			p->val = NULL;
			return kerr_set(err, 0, "option `--%.*s` takes true or false, got `%s`",
					(int)n, name, name + n + 1);
		}
	} else if (match->kind != CLI_FLAG && match->kind != CLI_BOOL) {
		if (p->ind >= p->argc)
			return kerr_set(err, 0, "option `--%s` needs a value", name);
		p->val = p->argv[p->ind++];
	}
	return match->id;
}

/* The short option at p->pos of argv[p->ind]. */
static int short_option(struct cli_parser *p, struct kerr *err)
{
	char *arg = p->argv[p->ind];
	unsigned char c = (unsigned char)arg[p->pos++];
	const struct cli_opt *o = NULL;

	p->word = arg;
	if (arg[p->pos] == '\0') {
		p->ind++;
		p->pos = 0;
	}
	for (int i = 0; c && !o && i < p->cmd->nopts; i++)
		if ((unsigned char)p->cmd->opts[i].short_name == c)
			o = &p->cmd->opts[i];
	p->opt = o;
	if (!o) {
		if (c > ' ' && c < 127)
			return kerr_set(err, 0, "unknown option `-%c`", c);
		return kerr_set(err, 0, "unknown option `%s`", arg);
	}
	if (o->kind == CLI_FLAG || o->kind == CLI_BOOL)
		return o->id;
	if (p->pos) {
		p->val = arg + p->pos;
		p->ind++;
		p->pos = 0;
	} else if (p->ind < p->argc) {
		p->val = p->argv[p->ind++];
	} else {
		return kerr_set(err, 0, "option `-%c` needs a value", c);
	}
	return o->id;
}

int cli_parse_next(struct cli_parser *p, struct kerr *err)
{
	bool interleave = p->cmd->flags & CLI_INTERLEAVE;

	p->val = NULL;
	while (!p->pos && !p->args && p->ind < p->argc) {
		char *arg = p->argv[p->ind];

		if (arg[0] != '-' || arg[1] == '\0') {
			if (!interleave)
				break;
			/* argv[1 + moved] was read already: an option or an argument. */
			p->argv[1 + p->moved++] = arg;
			p->ind++;
		} else if (arg[1] != '-') {
			p->pos = 1;
		} else if (arg[2] != '\0') {
			return long_option(p, arg + 2, err);
		} else {
			p->ind++;
			p->dashes = true;
			break;
		}
	}
	if (p->pos)
		return short_option(p, err);
	if (!p->args) {
		/* The options have ended at p->ind: the rest are positional arguments, with
		 * CLI_INTERLEAVE after those already moved to the front of argv. */
		if (interleave) {
			while (p->ind < p->argc)
				p->argv[1 + p->moved++] = p->argv[p->ind++];
			p->args = p->argv + 1;
			p->nargs = p->moved;
		} else {
			p->args = p->argv + p->ind;
			p->nargs = p->argc - p->ind;
		}
		p->ind = p->argc;
	}
	return 0;
}

int cli_check_args(const struct cli_cmd *cmd, int n, char *const *args, struct kerr *err)
{
	/* The arguments' name in the messages: what the first one is. */
	const char *noun = cmd->pos.first == CLI_CONTAINER ? "container" : "argument";

	if (cmd->pos.max != CLI_ARGS_MANY && n > cmd->pos.max) {
		if (cmd->pos.max == 1)
			return kerr_set(err, 0, "one %s only; %d were given", noun, n);
		return kerr_set(err, 0, "unexpected argument `%s`", args[cmd->pos.max]);
	}
	if (n >= cmd->pos.min)
		return 0;
	if (cmd->pos.max == 1)
		return kerr_set(err, 0, "a %s is required", noun);
	return kerr_set(err, 0, "at least one %s is required", noun);
}
