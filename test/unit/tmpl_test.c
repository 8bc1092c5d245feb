/*
 * tmpl_test: the template engine (src/tmpl) against docker's documented examples and Go's
 * text/template behaviour (test layer).
 *
 * One table of {template, document, expected output or error}: the examples of docker's
 * `inspect` reference and "Format command and log output" page, `ps --format` and the
 * header row of a table, then the engine's own rules (pipelines, variables, range, else,
 * break, comparisons, printf) and errors in Go's words. The expected strings were written
 * by hand from docker's documentation and Go's rules, not produced by this code. Then the
 * pieces that are not templates: Go's JSON encoding, the tabwriter layout, docker's
 * preFormat, and the caps.
 */
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "tmpl/tmpl.h"

/* An inspect document in docker's shape (fields the examples use). */
#define INSPECT                                                                                    \
	"{\"Id\":\"3b2cbf074c99db4a0cad35966a9e24d7bc277f5565c17233386589029b7db273\","            \
	"\"Name\":\"/database\",\"Path\":\"docker-entrypoint.sh\",\"Args\":[\"redis-server\","     \
	"\"--port\",\"6379\"],"                                                                    \
	"\"State\":{\"Status\":\"running\",\"Running\":true,\"Pid\":4242,\"ExitCode\":0},"         \
	"\"LogPath\":\"/var/lib/docker/containers/3b2c/3b2c-json.log\","                           \
	"\"Mounts\":[{\"Type\":\"bind\",\"Source\":\"/srv/data\",\"Destination\":\"/data\","       \
	"\"Mode\":\"\",\"RW\":true},{\"Type\":\"bind\",\"Source\":\"/etc/app\","                   \
	"\"Destination\":\"/conf\",\"Mode\":\"ro\",\"RW\":false}],"                                \
	"\"Config\":{\"Hostname\":\"3b2cbf074c99\",\"Env\":[\"PATH=/usr/bin\",\"A=<b>&c\"],"       \
	"\"Image\":\"redis:7\",\"Entrypoint\":null,"                                               \
	"\"Labels\":{\"com.example.vendor\":\"ACME\",\"com.example.version\":\"1.0\"}},"           \
	"\"NetworkSettings\":{\"Ports\":{\"6379/tcp\":[{\"HostIp\":\"0.0.0.0\","                   \
	"\"HostPort\":\"6379\"}],\"8787/tcp\":[{\"HostIp\":\"\",\"HostPort\":\"49153\"}]},"        \
	"\"Networks\":{\"bridge\":{\"IPAddress\":\"172.17.0.2\",\"MacAddress\":"                   \
	"\"02:42:ac:11:00:02\"}}}}"

/* A ps row as docker's ContainerContext marshals it. */
#define PSROW                                                                                      \
	"{\"Command\":\"\\\"redis-server\\\"\",\"ID\":\"a87ecb4f327c\",\"Image\":\"redis:7\","     \
	"\"Labels\":\"com.docker.swarm.node=ubuntu,com.docker.swarm.storage=ssd\","                \
	"\"Names\":\"database\",\"Status\":\"Up 2 minutes\",\"State\":\"running\"}"

static const char *const maps[] = { "Config.Labels", "NetworkSettings.Ports",
				    "NetworkSettings.Networks", NULL };
static const char *const optional[] = { "State.Health", NULL };
static const struct tmpl_schema schema = { .maps = maps, .optional = optional };

struct tcase {
	const char *tmpl; /* the template */
	const char *json; /* the document */
	const char *out;  /* expected output (NULL: an error is expected) */
	const char *err;  /* expected error message, exactly */
};

static const struct tcase tcases[] = {
	/* docker inspect reference: "Get an instance's IP address", MAC, log path, image. */
	{ "{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}", INSPECT, "172.17.0.2", NULL },
	{ "{{range .NetworkSettings.Networks}}{{.MacAddress}}{{end}}", INSPECT, "02:42:ac:11:00:02",
	  NULL },
	{ "{{.LogPath}}", INSPECT, "/var/lib/docker/containers/3b2c/3b2c-json.log", NULL },
	{ "{{.Config.Image}}", INSPECT, "redis:7", NULL },
	/* "List all port bindings" and "Find a specific port mapping". */
	{ "{{range $p, $conf := .NetworkSettings.Ports}} {{$p}} -> {{(index $conf 0).HostPort}} "
	  "{{end}}",
	  INSPECT, " 6379/tcp -> 6379  8787/tcp -> 49153 ", NULL },
	{ "{{(index (index .NetworkSettings.Ports \"8787/tcp\") 0).HostPort}}", INSPECT, "49153",
	  NULL },
	/* "Get a subsection in JSON format": keys in document order, no HTML escaping. */
	{ "{{json .Config.Env}}", INSPECT, "[\"PATH=/usr/bin\",\"A=<b>&c\"]", NULL },
	{ "{{json .State}}", INSPECT,
	  "{\"Status\":\"running\",\"Running\":true,\"Pid\":4242,\"ExitCode\":0}", NULL },
	/* The script lines. */
	{ "{{.State.Pid}}", INSPECT, "4242", NULL },
	{ "{{range .Mounts}}{{.Source}}{{end}}", INSPECT, "/srv/data/etc/app", NULL },
	/* "Format command and log output": join, json, lower, split, title, upper, println. */
	{ "{{join .Args \" , \"}}", INSPECT, "redis-server , --port , 6379", NULL },
	{ "{{json .Mounts}}", INSPECT,
	  "[{\"Type\":\"bind\",\"Source\":\"/srv/data\",\"Destination\":\"/data\",\"Mode\":\"\","
	  "\"RW\":true},{\"Type\":\"bind\",\"Source\":\"/etc/app\",\"Destination\":\"/conf\","
	  "\"Mode\":\"ro\",\"RW\":false}]",
	  NULL },
	{ "{{lower .Name}}", "{\"Name\":\"/Database\"}", "/database", NULL },
	{ "{{split .Config.Image \":\"}}", INSPECT, "[redis 7]", NULL },
	{ "{{title .Name}}", "{\"Name\":\"/my web-app\"}", "/My Web-App", NULL },
	{ "{{upper .Name}}", INSPECT, "/DATABASE", NULL },
	{ "{{range .NetworkSettings.Networks}}{{println .IPAddress}}{{end}}", INSPECT,
	  "172.17.0.2\n", NULL },
	{ "{{index .Config.Labels \"com.example.vendor\"}}", INSPECT, "ACME", NULL },
	/* A map prints sorted (fmt's %v), a struct as its values, a slice bracketed. */
	{ "{{.Config.Labels}}", INSPECT, "map[com.example.vendor:ACME com.example.version:1.0]",
	  NULL },
	{ "{{.State}}", INSPECT, "{running true 4242 0}", NULL },
	{ "{{.Config.Env}}", INSPECT, "[PATH=/usr/bin A=<b>&c]", NULL },
	{ "{{.Config.Entrypoint}}", INSPECT, "<nil>", NULL },
	/* A map's missing key has no value; a struct's missing field is an error. */
	{ "{{.Config.Labels.nope}}", INSPECT, "<no value>", NULL },
	{ "{{index .Config.Labels \"nope\"}}|", INSPECT, "|", NULL },
	{ "{{.State.Health}}", INSPECT, "<nil>", NULL },
	{ "{{if .State.Health}}health{{else}}none{{end}}", INSPECT, "none", NULL },
	/* docker ps --format examples (the row is one ContainerContext). */
	{ "{{.ID}}: {{.Command}}", PSROW, "a87ecb4f327c: \"redis-server\"", NULL },
	{ "{{.ID}}\t{{.Labels}}", PSROW,
	  "a87ecb4f327c\tcom.docker.swarm.node=ubuntu,com.docker.swarm.storage=ssd", NULL },
	{ "{{.Names}}\t{{.Status}}", PSROW, "database\tUp 2 minutes", NULL },
	{ "{{json .}}", PSROW, PSROW, NULL },
	/* Go's text/template: pipelines, variables, control. */
	{ "{{.Name | printf \"%q\"}}", INSPECT, "\"/database\"", NULL },
	{ "{{$n := len .Args}}{{$n}} args", INSPECT, "3 args", NULL },
	{ "{{$x := 1}}{{$x = 2}}{{$x}}", "{}", "2", NULL },
	{ "{{range $i, $a := .Args}}{{if $i}},{{end}}{{$i}}={{$a}}{{end}}", INSPECT,
	  "0=redis-server,1=--port,2=6379", NULL },
	{ "{{range .Args}}{{if eq . \"--port\"}}{{break}}{{end}}{{.}}{{end}}", INSPECT,
	  "redis-server", NULL },
	{ "{{range .Args}}{{if eq . \"--port\"}}{{continue}}{{end}}{{.}} {{end}}", INSPECT,
	  "redis-server 6379 ", NULL },
	{ "{{range .Nothing}}x{{else}}empty{{end}}", "{\"Nothing\":[]}", "empty", NULL },
	{ "{{with .State}}{{.Status}}{{end}}", INSPECT, "running", NULL },
	{ "{{if eq .State.Status \"exited\"}}down{{else if .State.Running}}up{{else}}?{{end}}",
	  INSPECT, "up", NULL },
	{ "{{if and .State.Running (gt .State.Pid 0)}}ok{{end}}", INSPECT, "ok", NULL },
	{ "{{or .Config.Labels.X \"dflt\"}}", INSPECT, "dflt", NULL },
	{ "{{ne .State.ExitCode 0}} {{lt 1 2}} {{le \"a\" \"b\"}} {{ge 2 3}} {{not true}}", INSPECT,
	  "false true true false false", NULL },
	{ "{{eq .State.Status \"created\" \"running\"}}", INSPECT, "true", NULL },
	{ "{{printf \"%s has pid %d (%5.1f%%) %-4s| %x %v\" .Name .State.Pid 12.345 \"ab\" 255 "
	  ".Args}}",
	  INSPECT, "/database has pid 4242 ( 12.3%) ab  | ff [redis-server --port 6379]", NULL },
	{ "{{printf \"%d\" .Name}}", INSPECT, "%!d(string=/database)", NULL },
	{ "{{printf \"%s %s\" \"a\"}}", "{}", "a %!s(MISSING)", NULL },
	{ "{{print 1 2 \"a\" \"b\" 3}}", "{}", "1 2ab3", NULL },
	{ "{{- \" a \" -}}  b  {{- \"c\" }}", "{}", " a bc", NULL },
	{ "x{{/* a comment */}}y", "{}", "xy", NULL },
	{ "{{pad .Name 1 2}}|{{truncate .Name 4}}", INSPECT, " /database  |/dat", NULL },
	{ "{{len .Config.Labels}} {{slice .Name 1 4}} {{index .Args 2}}", INSPECT, "2 dat 6379",
	  NULL },
	{ "{{html \"<a&b>\"}} {{urlquery \"a b/c\"}}", "{}", "&lt;a&amp;b&gt; a+b%2Fc", NULL },
	{ "{{range 3}}{{.}}{{end}}", "{}", "012", NULL },
	{ "{{1.5}} {{0x10}} {{'a'}} {{1e3}}", "{}", "1.5 16 97 1000", NULL },
	/* Errors, as docker prints them after "template parsing error: ". */
	{ "{{.Nope}}", INSPECT, NULL,
	  "template: :1:2: executing \"\" at <.Nope>: map has no entry for key \"Nope\"" },
	{ "{{.State.Nope}}", INSPECT, NULL,
	  "template: :1:8: executing \"\" at <.State.Nope>: map has no entry for key \"Nope\"" },
	{ "{{foo}}", INSPECT, NULL, "template: :1: function \"foo\" not defined" },
	{ "{{.Name", INSPECT, NULL, "template: :1: unclosed action" },
	{ "line1\n{{if .Name}}", INSPECT, NULL, "template: :2: unexpected EOF" },
	{ "{{end}}", INSPECT, NULL, "template: :1: unexpected {{end}}" },
	{ "{{$x}}", INSPECT, NULL, "template: :1: undefined variable \"$x\"" },
	{ "{{\"abc}}", INSPECT, NULL, "template: :1: unterminated quoted string" },
	{ "{{index .Args 9}}", INSPECT, NULL,
	  "template: :1:2: executing \"\" at <index .Args 9>: error calling index: index out of "
	  "range: 9" },
	{ "{{upper .State.Pid}}", INSPECT, NULL,
	  "template: :1:14: executing \"\" at <.State.Pid>: wrong type for value; expected "
	  "string; got int" },
	{ "{{join .Args}}", INSPECT, NULL,
	  "template: :1:2: executing \"\" at <join>: wrong number of args for join: want 2 got 1" },
	{ "{{.Args.X}}", INSPECT, NULL,
	  "template: :1:7: executing \"\" at <.Args.X>: can't evaluate field X in type []interface "
	  "{}" },
	{ "{{.Config.Entrypoint.X}}", INSPECT, NULL,
	  "template: :1:9: executing \"\" at <.Config.Entrypoint.X>: nil pointer evaluating "
	  "interface {}.X" },
	{ "{{eq 1 \"1\"}}", "{}", NULL,
	  "template: :1:2: executing \"\" at <eq 1 \"1\">: error calling eq: incompatible types "
	  "for "
	  "comparison" },
	{ "{{template \"x\"}}", "{}", NULL,
	  "template: :1: {{template}} is not supported by kettle's templates" },
};

static void run_case(const struct tcase *c)
{
	struct json_tok toks[512];
	struct json_doc d;
	struct tmpl *t = NULL;
	struct kerr err;
	struct buf out;
	int rc;

	buf_init(&out, 1 << 20);
	ASSERT_EQ(json_parse(&d, c->json, strlen(c->json), toks, 512, &err), 0);
	rc = tmpl_parse(c->tmpl, strlen(c->tmpl), &t, &err);
	if (rc == 0) {
		struct tmpl_data data = { .doc = &d, .schema = &schema };

		rc = tmpl_exec(t, &data, &out, &err);
	}
	tmpl_free(t);
	if (c->out) {
		if (rc != 0)
			fprintf(stderr, "  %s: %s\n", c->tmpl, err.msg);
		ASSERT_EQ(rc, 0);
		ASSERT_EQ(out.len, strlen(c->out));
		if (out.len)
			ASSERT_MEMEQ(out.data, c->out, out.len);
	} else {
		ASSERT_EQ(rc, -1);
		ASSERT_STREQ(err.msg, c->err);
	}
	buf_done(&out);
}

TEST(table_of_templates)
{
	for (size_t i = 0; i < sizeof(tcases) / sizeof(tcases[0]); i++) {
		int before = harness_failed_here;

		harness_failed_here = 0;
		run_case(&tcases[i]);
		if (harness_failed_here)
			fprintf(stderr, "  case %zu: %s\n", i, tcases[i].tmpl);
		harness_failed_here |= before;
	}
}

/* The header of `table {{.ID}}\t{{.Label "com.example.version"}}`: docker's header
 * functions and its Label method on the header map. */
static int header_label(void *ctx, const char *name, size_t nargs, const char *const *args,
			const char **result, struct kerr *err)
{
	(void)ctx, (void)err, (void)nargs;
	if (strcmp(name, "Label") != 0)
		return 0;
	*result = strrchr(args[0], '.') + 1;
	return 1;
}

TEST(header_mode)
{
	static const char *const root[] = { "", NULL };
	static const struct tmpl_schema hs = { .maps = root };
	const char *hdr = "{\"ID\":\"CONTAINER ID\",\"Names\":\"NAMES\"}";
	struct json_tok toks[16];
	struct json_doc d;
	struct tmpl *t;
	struct kerr err;
	struct buf out;

	buf_init(&out, 4096);
	ASSERT_EQ(json_parse(&d, hdr, strlen(hdr), toks, 16, &err), 0);
	const char *text =
		"{{.ID}}\t{{upper .Names}}\t{{.Label \"com.example.version\"}}\t{{.Nope}}";
	ASSERT_EQ(tmpl_parse(text, strlen(text), &t, &err), 0);
	struct tmpl_data data = {
		.doc = &d, .schema = &hs, .header = true, .method = header_label
	};
	ASSERT_EQ(tmpl_exec(t, &data, &out, &err), 0);
	tmpl_free(t);
	ASSERT_EQ(out.len, strlen("CONTAINER ID\tNAMES\tversion\t<no value>"));
	ASSERT_MEMEQ(out.data, "CONTAINER ID\tNAMES\tversion\t<no value>", out.len);
	buf_done(&out);
}

TEST(go_json_encoding)
{
	/* Controls as Go writes them, U+2028/2029 escaped, <>& and DEL left alone. */
	const char *in = "{\"s\":\"a\\n\\t\\u0001\\u2028\\u2029<>&\\u007f\\\"\\\\\"}";
	const char *want = "{\"s\":\"a\\n\\t\\u0001\\u2028\\u2029<>&\x7f\\\"\\\\\"}";
	struct json_tok toks[32];
	struct json_doc d;
	struct kerr err;
	struct buf out;

	buf_init(&out, 4096);
	ASSERT_EQ(json_parse(&d, in, strlen(in), toks, 32, &err), 0);
	ASSERT_EQ(tmpl_json_compact(&d, 0, &out, &err), 0);
	ASSERT_EQ(out.len, strlen(want));
	ASSERT_MEMEQ(out.data, want, out.len);
	buf_clear(&out);
	/* json.Indent's layout: empty containers stay closed. */
	const char *nested = "{\"a\":[],\"b\":{},\"c\":[1,{\"d\":null}]}";
	const char *pretty = "{\n    \"a\": [],\n    \"b\": {},\n    \"c\": [\n        1,\n"
			     "        {\n            \"d\": null\n        }\n    ]\n}";
	ASSERT_EQ(json_parse(&d, nested, strlen(nested), toks, 32, &err), 0);
	ASSERT_EQ(tmpl_json_indent(&d, 0, 0, "    ", &out, &err), 0);
	ASSERT_EQ(out.len, strlen(pretty));
	ASSERT_MEMEQ(out.data, pretty, out.len);
	buf_done(&out);
}

TEST(tabwriter_layout)
{
	/* minwidth 10, padding 3, the last cell unpadded; widths in characters. */
	const char *in = "CONTAINER ID\tNAMES\tSTATUS\n"
			 "a87ecb4f327c\tdb\tUp 2 minutes\n"
			 "01c2\tcaf\xc3\xa9\tExited (0)\n";
	const char *want = "CONTAINER ID   NAMES     STATUS\n"
			   "a87ecb4f327c   db        Up 2 minutes\n"
			   "01c2           caf\xc3\xa9      Exited (0)\n";
	struct kerr err;
	struct buf out;

	buf_init(&out, 4096);
	ASSERT_EQ(tmpl_tabwrite(in, strlen(in), &out, &err), 0);
	ASSERT_EQ(out.len, strlen(want));
	ASSERT_MEMEQ(out.data, want, out.len);
	buf_clear(&out);
	/* Column blocks: a line with fewer cells ends the block above it. */
	const char *blocks = "a\tb\nlonger-cell\nccccccccccccc\td\n";
	const char *bwant = "a         b\nlonger-cell\nccccccccccccc   d\n";
	ASSERT_EQ(tmpl_tabwrite(blocks, strlen(blocks), &out, &err), 0);
	ASSERT_EQ(out.len, strlen(bwant));
	ASSERT_MEMEQ(out.data, bwant, out.len);
	buf_done(&out);
}

TEST(docker_preformat)
{
	struct kerr err;
	char *f = tmpl_docker_format("table {{.ID}}\\t{{.Names}}\\n ", &err);

	ASSERT_STREQ(f, "{{.ID}}\t{{.Names}}\n");
	free(f);
	f = tmpl_docker_format("json", &err);
	ASSERT_STREQ(f, "{{json .}}");
	free(f);
	ASSERT(tmpl_is_table("table"));
	ASSERT(!tmpl_is_table("{{.ID}}"));
}

TEST(caps)
{
	struct json_tok toks[4];
	struct json_doc d;
	struct tmpl *t;
	struct kerr err;
	struct buf out;
	char *deep = malloc(4 * TMPL_DEPTH_MAX + 64);

	ASSERT(deep != NULL);
	/* Too deep: parentheses past the cap fail at parse time. */
	size_t n = 0;
	n += (size_t)sprintf(deep + n, "{{");
	for (int i = 0; i <= TMPL_DEPTH_MAX; i++)
		deep[n++] = '(';
	deep[n++] = '1';
	for (int i = 0; i <= TMPL_DEPTH_MAX; i++)
		deep[n++] = ')';
	n += (size_t)sprintf(deep + n, "}}");
	ASSERT_EQ(tmpl_parse(deep, n, &t, &err), -1);
	ASSERT_CONTAINS(err.msg, "nested deeper than");
	free(deep);
	/* Too much work: the step cap ends the run with an error. */
	const char *busy = "{{range 100000}}{{range 1000}}{{end}}{{end}}";
	ASSERT_EQ(json_parse(&d, "{}", 2, toks, 4, &err), 0);
	ASSERT_EQ(tmpl_parse(busy, strlen(busy), &t, &err), 0);
	buf_init(&out, SIZE_MAX);
	struct tmpl_data data = { .doc = &d };
	ASSERT_EQ(tmpl_exec(t, &data, &out, &err), -1);
	ASSERT_CONTAINS(err.msg, "steps");
	tmpl_free(t);
	/* Too much output: pad cannot make more than the cap. */
	const char *big = "{{pad \"x\" 100000000 0}}";
	ASSERT_EQ(tmpl_parse(big, strlen(big), &t, &err), 0);
	buf_clear(&out);
	ASSERT_EQ(tmpl_exec(t, &data, &out, &err), -1);
	ASSERT_CONTAINS(err.msg, "exceeds");
	tmpl_free(t);
	buf_done(&out);
	/* Too long a template. */
	char *huge = calloc(TMPL_TEXT_MAX + 2, 1);
	ASSERT(huge != NULL);
	memset(huge, 'x', TMPL_TEXT_MAX + 1);
	ASSERT_EQ(tmpl_parse(huge, TMPL_TEXT_MAX + 1, &t, &err), -1);
	ASSERT_CONTAINS(err.msg, "exceeds the limit");
	free(huge);
}

RUN_TESTS(T(table_of_templates), T(header_mode), T(go_json_encoding), T(tabwriter_layout),
	  T(docker_preformat), T(caps))
