/*
 * cli_test: unit tests for src/cli (test layer): the parser against musl getopt_long's
 * grammar with "+" (clusters, attached and separate values, unique long prefixes, "--",
 * "-", the stop at the first argument, CLI_INTERLEAVE), every misuse message and the
 * argv word it came from, the count rules, the generated help (columns, wrapping, hidden
 * aliases), the spelled-out usage line of a misuse, and completion.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "harness.h"

enum {
	OPT_ALL = 'a',
	OPT_TIME = 't',
	OPT_ENV = 'e',
	OPT_FORMAT = 256,
	OPT_ROOT,
	OPT_RM
};

static const struct cli_opt opts[] = {
	CLI_OPT(OPT_ALL, 'a', CLI_FLAG, 0, "all", "", "Show all of them"),
	CLI_OPT(OPT_TIME, 't', CLI_NUMBER, 0, "time", "SECONDS", "Grace period"),
	CLI_OPT(OPT_TIME, 0, CLI_NUMBER, CLI_HIDDEN, "timeout", "", ""),
	CLI_OPT(OPT_ENV, 'e', CLI_STRING, CLI_REPEAT, "env", "KEY=VALUE", "Set a variable"),
	CLI_OPT(OPT_FORMAT, 0, CLI_CHOICE, 0, "format", "table|json",
		"How to print them, a longer text that wraps at the width --like this one"),
	CLI_OPT(OPT_ROOT, 0, CLI_DIR, 0, "root", "DIR", "State root"),
	CLI_OPT(OPT_RM, 0, CLI_FLAG, 0, "rm", "", "Remove"),
};

static const struct cli_cmd cmd = {
	.name = "demo",
	.summary = "A demo",
	.synopsis = "kettle demo [OPTIONS] CONTAINER [CONTAINER...]",
	.description = "Does things to containers.",
	.opts = opts,
	.nopts = CLI_COUNT(opts),
	.pos = CLI_CONTAINERS,
};

/* Parses the words into "id=value id ... | args" or "error: msg". */
static const char *parse(const struct cli_cmd *c, const char *words)
{
	static char out[KERR_MSG_MAX + 64];
	static char copy[512];
	char *argv[32];
	int argc = 0, id;
	struct cli_parser p;
	struct kerr err;
	size_t n = 0;

	snprintf(copy, sizeof(copy), "%s", words);
	argv[argc++] = "demo";
	for (char *w = strtok(copy, " "); w && argc < 31; w = strtok(NULL, " "))
		argv[argc++] = strcmp(w, "''") == 0 ? w + 2 : w;
	argv[argc] = NULL;
	out[0] = '\0';
	cli_parse_init(&p, c, argc, argv);
	while ((id = cli_parse_next(&p, &err)) > 0 && id != CLI_HELP)
		n += (size_t)snprintf(out + n, sizeof(out) - n, p.val ? "%d=%s " : "%d ", id,
				      p.val ? p.val : "");
	if (id < 0) {
		snprintf(out, sizeof(out), "error: %s", err.msg);
		return out;
	}
	if (id == CLI_HELP)
		return "help"; /* the role prints it and stops there */
	n += (size_t)snprintf(out + n, sizeof(out) - n, "|");
	for (int i = 0; i < p.nargs; i++)
		n += (size_t)snprintf(out + n, sizeof(out) - n, " %s", p.args[i]);
	return out;
}

TEST(flags_and_values)
{
	ASSERT_STREQ(parse(&cmd, "-a x"), "97 | x");
	ASSERT_STREQ(parse(&cmd, "-t 5 x"), "116=5 | x");
	ASSERT_STREQ(parse(&cmd, "-t5 x"), "116=5 | x");
	ASSERT_STREQ(parse(&cmd, "-at5 x"), "97 116=5 | x");
	ASSERT_STREQ(parse(&cmd, "-e=X"), "101==X |");
	ASSERT_STREQ(parse(&cmd, "--time=5 --time 6 --time= x"), "116=5 116=6 116= | x");
	ASSERT_STREQ(parse(&cmd, "-t -- x"), "116=-- | x");
	ASSERT_STREQ(parse(&cmd, "--env --rm x"), "101=--rm | x");
	ASSERT_STREQ(parse(&cmd, "-t '' x"), "116= | x");
}

TEST(long_prefixes)
{
	ASSERT_STREQ(parse(&cmd, "--al x"), "97 | x");
	ASSERT_STREQ(parse(&cmd, "--timeo 3 x"), "116=3 | x");
	/* "time" is exact even though "timeout" starts with it. */
	ASSERT_STREQ(parse(&cmd, "--time 3"), "116=3 |");
	/* Ambiguous: time and timeout, as getopt_long said. */
	ASSERT_STREQ(parse(&cmd, "--tim 3"), "error: unknown option `--tim`");
	ASSERT_STREQ(parse(&cmd, "--r"), "error: unknown option `--r`");
	ASSERT_STREQ(parse(&cmd, "--he"), "help");
	ASSERT_STREQ(parse(&cmd, "--=x"), "error: unknown option `--`");
}

TEST(end_of_options)
{
	ASSERT_STREQ(parse(&cmd, "x -a"), "| x -a");
	ASSERT_STREQ(parse(&cmd, "-a -- -t"), "97 | -t");
	ASSERT_STREQ(parse(&cmd, "- -a"), "| - -a");
	ASSERT_STREQ(parse(&cmd, "''"), "| ");
	ASSERT_STREQ(parse(&cmd, ""), "|");
	ASSERT_STREQ(parse(&cmd, "--help --bogus"), "help");
	ASSERT_STREQ(parse(&cmd, "--bogus --help"), "error: unknown option `--bogus`");
}

TEST(misuse)
{
	ASSERT_STREQ(parse(&cmd, "-z"), "error: unknown option `-z`");
	ASSERT_STREQ(parse(&cmd, "-az"), "error: unknown option `-z`");
	ASSERT_STREQ(parse(&cmd, "-a-"), "error: unknown option `--`");
	ASSERT_STREQ(parse(&cmd, "-h"), "error: unknown option `-h`");
	ASSERT_STREQ(parse(&cmd, "-\x01x"), "error: unknown option `-\x01x`");
	ASSERT_STREQ(parse(&cmd, "--bogus=1"), "error: unknown option `--bogus`");
	ASSERT_STREQ(parse(&cmd, "-t"), "error: option `-t` needs a value");
	ASSERT_STREQ(parse(&cmd, "-at"), "error: option `-t` needs a value");
	ASSERT_STREQ(parse(&cmd, "--time"), "error: option `--time` needs a value");
	ASSERT_STREQ(parse(&cmd, "--tim"), "error: unknown option `--tim`");
	ASSERT_STREQ(parse(&cmd, "--timeo"), "error: option `--timeo` needs a value");
	ASSERT_STREQ(parse(&cmd, "--all=1"), "error: option `--all` takes no value");
	ASSERT_STREQ(parse(&cmd, "--al="), "error: option `--al` takes no value");
	ASSERT_STREQ(parse(&cmd, "--help=x"), "error: option `--help` takes no value");
}

TEST(explicit_help)
{
	static const struct cli_opt h[] = {
		{ .id = CLI_HELP,
		  .short_name = 'h',
		  .text = CLI_TEXT("help", "", "Print this help") },
	};
	struct cli_cmd c = {
		.name = "version", .synopsis = "kettle version", .opts = h, .nopts = 1
	};

	ASSERT_STREQ(parse(&c, "-h"), "help");
	ASSERT_STREQ(parse(&c, "--h"), "help");
	ASSERT(cli_opt_at(&c, 1) == NULL);
	ASSERT(cli_opt_at(&cmd, CLI_COUNT(opts)) != NULL);
	ASSERT(cli_opt_at(&cmd, CLI_COUNT(opts) + 1) == NULL);
}

TEST(interleave)
{
	struct cli_cmd c = cmd;

	c.flags = CLI_INTERLEAVE;
	ASSERT_STREQ(parse(&c, "x -a y -t 5 z"), "97 116=5 | x y z");
	ASSERT_STREQ(parse(&c, "x -- -a y"), "| x -a y");
	ASSERT_STREQ(parse(&c, "- x"), "| - x");
	ASSERT_STREQ(parse(&c, "-a"), "97 |");
}

/* A CLI_BOOL option: alone it is true, "=WORD" takes Go's boolean words, and it never
 * takes the next argument (that stays an argument, even when it reads "false"). */
TEST(bool_option)
{
	static const struct cli_opt bopts[] = {
		CLI_OPT(300, 0, CLI_BOOL, 0, "sig-proxy", "", "Forward signals"),
		CLI_OPT('x', 'x', CLI_BOOL, 0, "extra", "", "Extra"),
	};
	static const struct cli_cmd bcmd = {
		.name = "demo",
		.synopsis = "kettle demo [OPTIONS] CONTAINER",
		.opts = bopts,
		.nopts = CLI_COUNT(bopts),
		.pos = CLI_CONTAINERS,
		.flags = CLI_INTERLEAVE,
	};

	ASSERT_STREQ(parse(&bcmd, "--sig-proxy x"), "300 | x");
	ASSERT_STREQ(parse(&bcmd, "--sig-proxy false"), "300 | false");
	ASSERT_STREQ(parse(&bcmd, "x --sig-proxy=false"), "300=false | x");
	ASSERT_STREQ(parse(&bcmd, "--sig-proxy=0 --sig-proxy=True x"), "300=0 300=True | x");
	ASSERT_STREQ(parse(&bcmd, "--sig=f x"), "300=f | x");
	ASSERT_STREQ(parse(&bcmd, "-x x"), "120 | x");
	ASSERT_STREQ(parse(&bcmd, "--sig-proxy=no x"),
		     "error: option `--sig-proxy` takes true or false, got `no`");
	ASSERT_STREQ(parse(&bcmd, "--sig-proxy= x"),
		     "error: option `--sig-proxy` takes true or false, got ``");
	ASSERT(cli_bool(NULL));
	ASSERT(cli_bool("true") && cli_bool("1") && cli_bool("T") && cli_bool("TRUE"));
	ASSERT(!cli_bool("false") && !cli_bool("0") && !cli_bool("F") && !cli_bool("False"));
}

TEST(fields)
{
	const char *s;

	ASSERT_EQ(cli_opt_text(&opts[1], CLI_LONG, &s), 4);
	ASSERT(strncmp(s, "time", 4) == 0);
	ASSERT_EQ(cli_opt_text(&opts[1], CLI_VALUE, &s), 7);
	ASSERT(strncmp(s, "SECONDS", 7) == 0);
	cli_opt_text(&opts[1], CLI_ABOUT, &s);
	ASSERT_STREQ(s, "Grace period");
	ASSERT_EQ(cli_opt_text(&opts[0], CLI_VALUE, &s), 0);
}

TEST(counts)
{
	char *args[] = { "a", "b", "c" };
	struct cli_cmd c = cmd;
	struct kerr err;

	ASSERT_EQ(cli_check_args(&c, 0, args, &err), -1);
	ASSERT_STREQ(err.msg, "at least one container is required");
	ASSERT_EQ(cli_check_args(&c, 3, args, &err), 0);
	c.pos.max = 1;
	ASSERT_EQ(cli_check_args(&c, 0, args, &err), -1);
	ASSERT_STREQ(err.msg, "a container is required");
	ASSERT_EQ(cli_check_args(&c, 2, args, &err), -1);
	ASSERT_STREQ(err.msg, "one container only; 2 were given");
	c.pos.min = 0;
	c.pos.max = 0;
	c.pos.first = CLI_STRING;
	ASSERT_EQ(cli_check_args(&c, 0, args, &err), 0);
	ASSERT_EQ(cli_check_args(&c, 2, args, &err), -1);
	ASSERT_STREQ(err.msg, "unexpected argument `a`");
	c.pos.max = 2;
	ASSERT_EQ(cli_check_args(&c, 3, args, &err), -1);
	ASSERT_STREQ(err.msg, "unexpected argument `c`");
}

TEST(help)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	cli_help_write(&cmd, f);
	fclose(f);
	ASSERT_STREQ(
		buf,
		"Usage: kettle demo [OPTIONS] CONTAINER [CONTAINER...]\n"
		"\n"
		"Does things to containers.\n"
		"\n"
		"Options:\n"
		"  -a, --all                 Show all of them\n"
		"  -t, --time SECONDS        Grace period\n"
		"  -e, --env KEY=VALUE       Set a variable\n"
		/* wrapped at 88 columns; a word starting with '-' stays with the one before */
		"      --format table|json   How to print them, a longer text that wraps at the\n"
		"                            width --like this one\n"
		"      --root DIR            State root\n"
		"      --rm                  Remove\n"
		"      --help                Print this help\n");
	free(buf);
}

TEST(help_elsewhere_and_list)
{
	static const struct cli_cmd own = { .name = "daemon", .summary = "Run it" };
	static const struct cli_entry table[] = {
		{ "demo", NULL, &cmd },
		{ "hidden", NULL, NULL },
		{ "own", NULL, &own },
	};
	struct cli_cmd c = cmd;
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	c.flags = CLI_OPTIONS_ELSEWHERE;
	cli_help_write(&c, f);
	cli_help_list(table, 3, f);
	fclose(f);
	ASSERT_STREQ(buf, "Usage: kettle demo [OPTIONS] CONTAINER [CONTAINER...]\n"
			  "\n"
			  "Does things to containers.\n"
			  "  demo       A demo\n"
			  "  own        Run it\n");
	ASSERT(cli_find(table, 3, "own") == &table[2]);
	ASSERT(cli_find(table, 3, "demo") == &table[0]);
	ASSERT(cli_find(table, 3, "nope") == NULL);
	free(buf);
}

/* The argv word of each misuse, as a getopt loop's argv[optind - 1] quoted it. */
static const char *word(const char *words)
{
	static char copy[512];
	char *argv[32];
	int argc = 0;
	struct cli_parser p;
	struct kerr err;

	snprintf(copy, sizeof(copy), "%s", words);
	argv[argc++] = "demo";
	for (char *w = strtok(copy, " "); w && argc < 31; w = strtok(NULL, " "))
		argv[argc++] = w;
	argv[argc] = NULL;
	cli_parse_init(&p, &cmd, argc, argv);
	while (cli_parse_next(&p, &err) > 0)
		;
	return p.word ? p.word : "(none)";
}

TEST(misuse_word)
{
	ASSERT_STREQ(word("--bogus=1"), "--bogus=1");
	ASSERT_STREQ(word("-a --all=1"), "--all=1");
	ASSERT_STREQ(word("-az"), "-az");
	ASSERT_STREQ(word("-a -t"), "-t");
	ASSERT_STREQ(word("--rm --time"), "--time");
	ASSERT_STREQ(word("x"), "(none)");
}

static const struct cli_opt spelled_opts[] = {
	CLI_OPT(OPT_ROOT, 0, CLI_DIR, CLI_REQUIRED, "root", "ROOT", "State root"),
	CLI_OPT(OPT_TIME, 't', CLI_NUMBER, 0, "time", "SECONDS", "Grace period"),
	CLI_OPT(OPT_TIME, 0, CLI_NUMBER, CLI_HIDDEN, "timeout", "SECONDS", ""),
	CLI_OPT(OPT_ALL, 'a', CLI_FLAG, 0, "all", "", "Show all of them"),
	CLI_OPT(OPT_FORMAT, 0, CLI_CHOICE, 0, "format", "table|json", "How to print them"),
	CLI_OPT(OPT_RM, 0, CLI_FLAG, 0, "remove-everything-afterwards", "", "Remove"),
	CLI_OPT(CLI_HELP, 'h', CLI_FLAG, 0, "help", "", "Print this help"),
};

TEST(spelled_usage)
{
	struct cli_cmd c = { .name = "spell",
			     .opts = spelled_opts,
			     .nopts = CLI_COUNT(spelled_opts) };
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	cli_misuse_write(f, &c, "unknown option `%s`", "-x");
	c.flags = CLI_INTERNAL;
	cli_misuse_write(f, &c, "%d", 7);
	/* No synopsis: the help spells it out too, wrapped under the first option. */
	c.description = "Spells.";
	c.nopts = 6;
	cli_help_write(&c, f);
	fclose(f);
	ASSERT_STREQ(buf,
		     "Usage: kettle spell --root ROOT [-t SECONDS] [-a] [--format table|json] "
		     "[--remove-everything-afterwards]\n"
		     "kettle spell: unknown option `-x`\n"
		     "usage: kettle spell --root ROOT [-t SECONDS] [-a] [--format table|json] "
		     "[--remove-everything-afterwards]\n"
		     "kettle spell: 7\n"
		     "usage: kettle spell --root ROOT [-t SECONDS] [-a] [--format table|json]\n"
		     "                    [--remove-everything-afterwards]\n"
		     "\n"
		     "Spells.\n"
		     "\n"
		     "Options:\n"
		     "      --root ROOT           State root\n"
		     "  -t, --time SECONDS        Grace period\n"
		     "  -a, --all                 Show all of them\n"
		     "      --format table|json   How to print them\n"
		     "      --remove-everything-afterwards  Remove\n"
		     "      --help                Print this help\n");
	free(buf);
}

/* Completion of the last of the words (the program's name first). */
static const char *complete(const char *words)
{
	static const struct cli_cmd own = { .name = "own", .summary = "No options" };
	static const struct cli_entry table[] = {
		{ "demo", NULL, &cmd },
		{ "dull", NULL, &own },
		{ "hidden", NULL, NULL },
	};
	static char out[2048];
	char copy[512], *argv[32];
	int argc = 0;
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	snprintf(copy, sizeof(copy), "%s", words);
	for (char *w = strtok(copy, " "); w && argc < 31; w = strtok(NULL, " "))
		argv[argc++] = strcmp(w, "''") == 0 ? w + 2 : w;
	cli_complete_write(table, 3, argc - 1, argv, argc, f);
	fclose(f);
	snprintf(out, sizeof(out), "%s", buf ? buf : "");
	free(buf);
	for (char *p = out; (p = strchr(p, '\n'));)
		*p = ' ';
	return out;
}

TEST(complete)
{
	ASSERT_STREQ(complete("kettle ''"), "demo dull --help --version ");
	ASSERT_STREQ(complete("kettle d"), "demo dull ");
	ASSERT_STREQ(complete("kettle help d"), "demo dull ");
	ASSERT_STREQ(complete("kettle help demo ''"), "");
	ASSERT_STREQ(complete("kettle demo -"),
		     "-a --all -t --time -e --env --format --root --rm --help ");
	ASSERT_STREQ(complete("kettle demo --r"), "--root --rm ");
	/* Given once: not again, unless repeatable. */
	ASSERT_STREQ(complete("kettle demo -a -e x --tim"), "--time ");
	ASSERT_STREQ(complete("kettle demo -a -e x --e"), "--env ");
	ASSERT_STREQ(complete("kettle demo -a --a"), "");
	ASSERT_STREQ(complete("kettle demo --format j"), "json ");
	ASSERT_STREQ(complete("kettle demo --format ''"), "table json ");
	ASSERT_STREQ(complete("kettle demo --root ''"), "@dirs ");
	ASSERT_STREQ(complete("kettle demo -t ''"), "");
	ASSERT_STREQ(complete("kettle demo -t5 ''"), "@containers ");
	ASSERT_STREQ(complete("kettle demo ''"), "@containers ");
	/* After the first argument the options have ended. */
	ASSERT_STREQ(complete("kettle demo x -"), "@containers ");
	ASSERT_STREQ(complete("kettle demo -- -"), "@containers ");
	ASSERT_STREQ(complete("kettle demo --bogus ''"), "");
	/* No options of its own: --help still is one. */
	ASSERT_STREQ(complete("kettle dull --r"), "");
	ASSERT_STREQ(complete("kettle dull -"), "--help ");
	ASSERT_STREQ(complete("kettle dull x"), "");
	ASSERT_STREQ(complete("kettle hidden -"), "");
	ASSERT_STREQ(complete("kettle nope -"), "");
}

RUN_TESTS(T(flags_and_values), T(long_prefixes), T(end_of_options), T(misuse), T(explicit_help),
	  T(interleave), T(bool_option), T(fields), T(counts), T(help), T(help_elsewhere_and_list),
	  T(misuse_word), T(spelled_usage), T(complete))
