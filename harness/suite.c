#include "suite.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yaml.h>

#include "experiments.h"
#include "gsettings.h"
#include "virt.h"

struct ctx {
	const char *file;
	yaml_document_t doc;
	struct herror *err;
};

static int line_of(yaml_node_t *n)
{
	return n ? (int)n->start_mark.line + 1 : 0;
}

static int bad_line(struct ctx *c, int line, const char *key, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static int bad_line(struct ctx *c, int line, const char *key, const char *fmt, ...)
{
	char what[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	return error_setx(c->err, EINVAL, "%s:%d: %s%s%s", c->file, line, key ? key : "", key ? ": " : "", what);
}

/* The error at node n: file, line, key and why. */
#define bad(c, n, key, ...) bad_line((c), line_of(n), (key), __VA_ARGS__)

static const char *scalar(yaml_node_t *n)
{
	return n && n->type == YAML_SCALAR_NODE ? (const char *)n->data.scalar.value : NULL;
}

static int get_int(struct ctx *c, yaml_node_t *n, const char *key, long min, long max, int *out)
{
	const char *s = scalar(n);
	long v;
	int r;

	if (s == NULL)
		return bad(c, n, key, "expected a number");
	r = parse_long(s, min, max, &v);
	if (r == -ERANGE) {
		char d[128];
		snprintf(d, sizeof(d), "'%s' is out of range [%ld, %ld]", s, min, max);
		return bad(c, n, key, "%s", d);
	}
	if (r < 0)
		return bad(c, n, key, "'%s' is not a whole number", s);
	*out = (int)v;
	return 0;
}

static int get_double(struct ctx *c, yaml_node_t *n, const char *key, double min, double max, double *out)
{
	const char *s = scalar(n);

	if (s == NULL)
		return bad(c, n, key, "expected a number");
	if (parse_double(s, min, max, out) < 0) {
		char d[160];
		snprintf(d, sizeof(d), "'%s' is not a number in [%g, %g]", s, min, max);
		return bad(c, n, key, "%s", d);
	}
	return 0;
}

static int get_str(struct ctx *c, yaml_node_t *n, const char *key, char **out)
{
	const char *s = scalar(n);

	if (s == NULL || *s == '\0')
		return bad(c, n, key, "expected a non-empty string");
	free(*out);
	*out = xstrdup(s);
	return 0;
}

static int one_of(struct ctx *c, yaml_node_t *n, const char *key, const char *v, const char *const *allowed)
{
	char list[256] = "";

	for (size_t i = 0; allowed[i]; i++) {
		if (strcmp(v, allowed[i]) == 0)
			return 0;
		strncat(list, i ? ", " : "", sizeof(list) - strlen(list) - 1);
		strncat(list, allowed[i], sizeof(list) - strlen(list) - 1);
	}
	char d[400];
	snprintf(d, sizeof(d), "'%s' is not one of: %s", v, list);
	return bad(c, n, key, "%s", d);
}

/* Names become parts of run ids, domain names and paths. */
static int check_name(struct ctx *c, yaml_node_t *n, const char *key, const char *name)
{
	size_t len = strlen(name);

	if (len > SUITE_NAME_MAX)
		return bad(c, n, key, "a name has at most %d characters (this one has %zu)", SUITE_NAME_MAX, len);
	if (strspn(name, "abcdefghijklmnopqrstuvwxyz0123456789_-") != len)
		return bad(c, n, key, "'%s' may hold only a-z, 0-9, '-' and '_'", name);
	return 0;
}

#define FOR_PAIRS(doc, map, p) \
	for (yaml_node_pair_t *p = (map)->data.mapping.pairs.start; p < (map)->data.mapping.pairs.top; p++)
#define FOR_ITEMS(doc, seq, it) \
	for (yaml_node_item_t *it = (seq)->data.sequence.items.start; it < (seq)->data.sequence.items.top; it++)

static const char *const disk_buses[] = { "virtio", "sata", "scsi", NULL };
static const char *const disk_caches[] = { "none", "writeback", "writethrough", "directsync", "unsafe", "default", NULL };
static const char *const disk_ios[] = { "default", "native", "threads", "io_uring", NULL };
const char *const suite_nic_models[] = { "none", "virtio", "e1000", "rtl8139", NULL };

/* A guest's host: one of the suite's hosts (parsed before the guests). */
static int check_host_ref(struct ctx *c, yaml_node_t *n, const struct suite *s, const char *name)
{
	char list[256] = "";

	for (size_t i = 0; i < s->nhosts; i++) {
		if (strcmp(s->hosts[i].name, name) == 0)
			return 0;
		strncat(list, i ? ", " : "", sizeof(list) - strlen(list) - 1);
		strncat(list, s->hosts[i].name, sizeof(list) - strlen(list) - 1);
	}
	return bad(c, n, "host", "'%s' is not a host of the suite (hosts: %s)", name, list);
}

/* Each pair of a mapping through fn, in order; a key that is not a string
 * is refused. Stops at fn's first error (reported). */
typedef int (*key_fn)(struct ctx *c, void *arg, const char *key, yaml_node_t *k, yaml_node_t *v);

static int for_each_key(struct ctx *c, yaml_node_t *map, key_fn fn, void *arg)
{
	int r;

	FOR_PAIRS(&c->doc, map, p) {
		yaml_node_t *k = yaml_document_get_node(&c->doc, p->key);
		yaml_node_t *v = yaml_document_get_node(&c->doc, p->value);
		const char *key = scalar(k);

		if (key == NULL)
			return bad(c, k, NULL, "a key must be a string");
		if ((r = fn(c, arg, key, k, v)) < 0)
			return r;
	}
	return 0;
}

/* A host's or a guest's name: given (in the list's item n) and valid. */
static int check_item_name(struct ctx *c, yaml_node_t *n, const char *list, const char *what, const char *name,
			   yaml_node_t *name_node)
{
	if (name == NULL)
		return bad(c, n, list, "a %s needs a name", what);
	return check_name(c, name_node, "name", name);
}

struct host_parse {
	struct host_def *h;
	yaml_node_t *name_node;
};

static int host_key(struct ctx *c, void *arg, const char *key, yaml_node_t *k, yaml_node_t *v)
{
	struct host_parse *hp = arg;
	struct host_def *h = hp->h;
	int r;

	if (strcmp(key, "name") == 0) {
		r = get_str(c, v, key, &h->name);
		hp->name_node = v;
	} else if (strcmp(key, "uri") == 0) {
		r = get_str(c, v, key, &h->uri);
		if (r == 0 && (strstr(h->uri, "://") == NULL || strpbrk(h->uri, " \t\n'\"") || strlen(h->uri) > 1024))
			r = bad(c, v, key, "'%.200s' is not a libvirt URI (driver[+transport]://[host]/path)", h->uri);
	} else if (strcmp(key, "address") == 0) {
		r = get_str(c, v, key, &h->address);
		if (r == 0 && (strlen(h->address) > 255 ||
			       strspn(h->address, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-:") !=
				       strlen(h->address)))
			r = bad(c, v, key, "'%.200s' is not a host name or an IP address", h->address);
	} else
		r = bad(c, k, key, "unknown key in a host (known: name, uri, address)");
	return r;
}

/* hosts: [{name, uri, address}]: libvirt URIs; hosts.c connects. */
static int parse_host(struct ctx *c, yaml_node_t *n, struct host_def *h)
{
	struct host_parse hp = { .h = h };
	int r;

	if (n->type != YAML_MAPPING_NODE)
		return bad(c, n, "hosts", "each host must be a mapping (name, uri, address)");
	h->line = line_of(n);
	if ((r = for_each_key(c, n, host_key, &hp)) < 0)
		return r;
	if ((r = check_item_name(c, n, "hosts", "host", h->name, hp.name_node)) < 0)
		return r;
	if (h->uri == NULL)
		return bad(c, n, "hosts", "host '%s' needs a uri (qemu:///system for this machine)", h->name);
	return 0;
}

struct guest_parse {
	struct guest_def *g;
	const struct suite *s;
	yaml_node_t *name_node;
};

static int guest_key(struct ctx *c, void *arg, const char *key, yaml_node_t *k, yaml_node_t *v)
{
	struct guest_parse *gp = arg;
	struct guest_def *g = gp->g;
	int r;

	if (strcmp(key, "name") == 0) {
		r = get_str(c, v, key, &g->name);
		gp->name_node = v;
	} else if (strcmp(key, "image") == 0)
		/* A name under the state directory's images/, never a path. */
		r = get_str(c, v, key, &g->image) ?: check_name(c, v, key, g->image);
	else if (strcmp(key, "vcpus") == 0)
		r = get_int(c, v, key, 1, 64, &g->vcpus);
	else if (strcmp(key, "memory_mib") == 0)
		r = get_int(c, v, key, 128, 1 << 20, &g->memory_mib);
	else if (strcmp(key, "disk_bus") == 0)
		r = get_str(c, v, key, &g->disk_bus) ?: one_of(c, v, key, g->disk_bus, disk_buses);
	else if (strcmp(key, "disk_cache") == 0)
		r = get_str(c, v, key, &g->disk_cache) ?: one_of(c, v, key, g->disk_cache, disk_caches);
	else if (strcmp(key, "disk_io") == 0)
		r = get_str(c, v, key, &g->disk_io) ?: one_of(c, v, key, g->disk_io, disk_ios);
	else if (strcmp(key, "host") == 0)
		r = get_str(c, v, key, &g->host) ?: check_host_ref(c, v, gp->s, g->host);
	else if (strcmp(key, "nic_model") == 0)
		r = get_str(c, v, key, &g->nic_model) ?: one_of(c, v, key, g->nic_model, suite_nic_models);
	else
		r = bad(c, k, key, "unknown key in a guest (known: name, image, host, vcpus, memory_mib, disk_bus, disk_cache, disk_io, nic_model)");
	return r;
}

static int parse_guest(struct ctx *c, yaml_node_t *n, const struct suite *s, struct guest_def *g)
{
	struct guest_parse gp = { .g = g, .s = s };
	int r;

	if (n->type != YAML_MAPPING_NODE)
		return bad(c, n, "guests", "each guest must be a mapping");
	g->vcpus = 1;
	g->memory_mib = 1024;
	g->disk_bus = xstrdup("virtio");
	g->disk_cache = xstrdup("none");
	g->disk_io = xstrdup("default");
	g->nic_model = xstrdup("none");
	if ((r = for_each_key(c, n, guest_key, &gp)) < 0)
		return r;
	if ((r = check_item_name(c, n, "guests", "guest", g->name, gp.name_node)) < 0)
		return r;
	if (g->image == NULL)
		return bad(c, n, "guests", "guest '%s' needs an image", g->name);
	if (strcmp(g->disk_io, "native") == 0 && strcmp(g->disk_cache, "none") != 0 &&
	    strcmp(g->disk_cache, "directsync") != 0)
		return bad(c, n, "disk_io", "native I/O needs disk_cache none or directsync (guest '%s')", g->name);
	return 0;
}

/* Through the experiment's descriptor: the list of values and its check. */
static int check_axis_value(struct ctx *c, yaml_node_t *n, const struct suite *s, const struct exp_setting *st,
			    const char *v)
{
	char why[400];

	if (exp_setting_check(st, v, s, why, sizeof(why)) < 0)
		return bad(c, n, st->key, "%s", why);
	return 0;
}

struct exp_parse {
	struct experiment_def *e;
	const struct suite *s;
	yaml_node_t *vary;
};

/* type, duration_s, repeats, warmup, vary (kept for vary_key). */
static int exp_key(struct ctx *c, void *arg, const char *key, yaml_node_t *k, yaml_node_t *v)
{
	struct exp_parse *x = arg;
	struct experiment_def *e = x->e;
	int r;

	if (strcmp(key, "type") == 0) {
		if ((r = get_str(c, v, key, &e->type)) < 0)
			return r;
		e->ops = experiment_find(e->type);
		if (e->ops == NULL)
			return bad(c, v, key, "unknown experiment type '%s' (known: %s)", e->type, experiment_names());
	} else if (strcmp(key, "duration_s") == 0) {
		if ((r = get_double(c, v, key, 1, 86400, &e->duration_s)) < 0)
			return r;
	} else if (strcmp(key, "repeats") == 0) {
		if (x->s->repeats_auto)
			return bad(c, v, key, "the suite's repeats are auto: an experiment cannot set its own");
		if ((r = get_int(c, v, key, 1, 1000, &e->repeats)) < 0)
			return r;
	} else if (strcmp(key, "warmup") == 0) {
		if ((r = get_int(c, v, key, 0, 100, &e->warmup)) < 0)
			return r;
	} else if (strcmp(key, "vary") == 0) {
		x->vary = v;
	} else
		return bad(c, k, key, "unknown key in an experiment (known: type, duration_s, repeats, warmup, vary)");
	return 0;
}

/* One axis of vary: a setting of the experiment and its value or values. */
static int vary_key(struct ctx *c, void *arg, const char *key, yaml_node_t *k, yaml_node_t *v)
{
	struct exp_parse *x = arg;
	struct experiment_def *e = x->e;
	const struct exp_setting *st;
	char list[256] = "", gwhy[300] = "";
	int r;

	st = gsettings_axis_setting(e->ops, x->s, key, gwhy, sizeof(gwhy));
	if (st == NULL && strchr(key, '.'))
		return bad(c, k, key, "%s", gwhy);
	for (size_t i = 0; i < e->ops->nsettings; i++) {
		strncat(list, i ? ", " : "", sizeof(list) - strlen(list) - 1);
		strncat(list, e->ops->settings[i].key, sizeof(list) - strlen(list) - 1);
	}
	if (st == NULL) {
		char d[400];
		snprintf(d, sizeof(d), "unknown setting for %s (known: %s)", e->type, *list ? list : "none");
		return bad(c, k, key, "%s", d);
	}
	for (size_t i = 0; i < e->naxes; i++)
		if (strcmp(e->axes[i].key, key) == 0)
			return bad(c, k, key, "setting varied twice in one experiment");
	struct axis *a = &e->axes[e->naxes++];
	a->key = xstrdup(key);
	if (v->type == YAML_SCALAR_NODE) {
		a->values = xcalloc(1, sizeof(char *));
		a->values[a->nvalues++] = xstrdup(scalar(v));
		return check_axis_value(c, v, x->s, st, scalar(v));
	}
	if (v->type != YAML_SEQUENCE_NODE || v->data.sequence.items.top == v->data.sequence.items.start)
		return bad(c, v, key, "expected a value or a non-empty list of values");
	a->values = xcalloc((size_t)(v->data.sequence.items.top - v->data.sequence.items.start), sizeof(char *));
	FOR_ITEMS(&c->doc, v, it) {
		yaml_node_t *item = yaml_document_get_node(&c->doc, *it);
		if (scalar(item) == NULL)
			return bad(c, item, key, "each value must be a scalar");
		if ((r = check_axis_value(c, item, x->s, st, scalar(item))) < 0)
			return r;
		a->values[a->nvalues++] = xstrdup(scalar(item));
	}
	return 0;
}

static int parse_experiment(struct ctx *c, yaml_node_t *n, const struct suite *s, struct experiment_def *e)
{
	struct exp_parse x = { .e = e, .s = s };
	yaml_node_t *vary;
	int r;

	if (n->type != YAML_MAPPING_NODE)
		return bad(c, n, "experiments", "each experiment must be a mapping");
	e->line = line_of(n);
	e->duration_s = 20;
	e->repeats = -1;
	e->warmup = -1;
	if ((r = for_each_key(c, n, exp_key, &x)) < 0)
		return r;
	vary = x.vary;
	if (e->type == NULL)
		return bad(c, n, "experiments", "an experiment needs a type");
	if (vary == NULL) {
		/* The defaults together, in the suite's guests (exp_check_combinations). */
		char why[400];
		if (exp_check_combinations(s, e, why, sizeof(why)) < 0)
			return bad(c, n, "type", "%s", why);
		return 0;
	}
	if (vary->type != YAML_MAPPING_NODE)
		return bad(c, vary, "vary", "expected a mapping of setting: [values]");
	e->axes = xcalloc((size_t)(vary->data.mapping.pairs.top - vary->data.mapping.pairs.start), sizeof(*e->axes));
	if ((r = for_each_key(c, vary, vary_key, &x)) < 0)
		return r;
	/* Guest settings together, in every combination (gsettings.c). */
	{
		char why[400];
		if (gsettings_check_experiment(s, e, why, sizeof(why)) < 0)
			return bad(c, vary, "vary", "%s", why);
		/* The experiment's own settings together. */
		if (exp_check_combinations(s, e, why, sizeof(why)) < 0)
			return bad(c, vary, "vary", "%s", why);
	}
	return 0;
}

/* Each experiment runs every combination of its settings' values, warm-ups
 * and repeats included: bounded, computed without wrapping around. */
static int check_plan_size(struct ctx *c, const struct suite *s)
{
	uint64_t total = 0;

	for (size_t e = 0; e < s->nexps; e++) {
		const struct experiment_def *ex = &s->exps[e];
		uint64_t runs = (uint64_t)experiment_warmup(s, ex) + (uint64_t)experiment_repeats(s, ex);

		for (size_t a = 0; a < ex->naxes; a++) {
			if (ex->axes[a].nvalues > SUITE_MAX_RUNS || runs > SUITE_MAX_RUNS)
				runs = SUITE_MAX_RUNS + 1;
			else
				runs *= ex->axes[a].nvalues;
		}
		total += runs;
		if (total > SUITE_MAX_RUNS) {
			return bad_line(c, ex->line, "experiments",
				   "the suite has more than %d runs (combinations of settings x (warmup + repeats)); split it",
				   SUITE_MAX_RUNS);
		}
	}
	return 0;
}

/* libyaml keeps every pair of a mapping: a key given twice would silently
 * mean its last value here. Refused in every mapping of the document: the
 * keys of each mapping sorted (by key, then position), so that a repeat is
 * next to its first: n log n, not n squared. */
struct key_at {
	const char *key;
	yaml_node_t *node;
	size_t pos;
};

static int cmp_key_at(const void *a, const void *b)
{
	const struct key_at *x = a, *y = b;
	int c = strcmp(x->key, y->key);

	return c ? c : x->pos < y->pos ? -1 : x->pos > y->pos;
}

static int check_duplicate_keys(struct ctx *c)
{
	for (yaml_node_t *n = c->doc.nodes.start; n < c->doc.nodes.top; n++) {
		struct key_at *keys;
		size_t nk = 0;
		int r = 0;

		if (n->type != YAML_MAPPING_NODE)
			continue;
		keys = xcalloc((size_t)(n->data.mapping.pairs.top - n->data.mapping.pairs.start), sizeof(*keys));
		FOR_PAIRS(&c->doc, n, p) {
			yaml_node_t *k = yaml_document_get_node(&c->doc, p->key);

			if (scalar(k)) {
				keys[nk] = (struct key_at){ scalar(k), k, nk };
				nk++;
			}
		}
		qsort(keys, nk, sizeof(*keys), cmp_key_at);
		for (size_t i = 1; i < nk && r == 0; i++)
			if (strcmp(keys[i - 1].key, keys[i].key) == 0)
				r = bad(c, keys[i].node, keys[i].key, "duplicate key (first on line %d)",
					line_of(keys[i - 1].node));
		free(keys);
		if (r < 0)
			return r;
	}
	return 0;
}

/* repeats: N, repeats: auto, or repeats: {min: N, max: N, target_ci: F}. */
#define AUTO_MIN 5
#define AUTO_MAX 20
#define AUTO_TARGET_CI 0.05
static int parse_repeats(struct ctx *c, yaml_node_t *v, struct suite *s)
{
	const char *text = scalar(v);
	int r;

	if (v->type == YAML_SCALAR_NODE && text && strcmp(text, "auto") != 0)
		return get_int(c, v, "repeats", 1, 1000, &s->repeats);
	s->repeats_auto = true;
	s->repeats_min = AUTO_MIN;
	s->repeats = AUTO_MAX;
	s->target_ci = AUTO_TARGET_CI;
	if (v->type == YAML_SCALAR_NODE)
		return 0;
	if (v->type != YAML_MAPPING_NODE)
		return bad(c, v, "repeats", "expected a number, auto, or a mapping (min, max, target_ci)");
	FOR_PAIRS(&c->doc, v, p) {
		yaml_node_t *k = yaml_document_get_node(&c->doc, p->key);
		yaml_node_t *w = yaml_document_get_node(&c->doc, p->value);
		const char *key = scalar(k);

		if (key == NULL)
			return bad(c, k, NULL, "a key must be a string");
		if (strcmp(key, "min") == 0)
			r = get_int(c, w, key, 2, 1000, &s->repeats_min);
		else if (strcmp(key, "max") == 0)
			r = get_int(c, w, key, 2, 1000, &s->repeats);
		else if (strcmp(key, "target_ci") == 0)
			r = get_double(c, w, key, 1e-6, 10, &s->target_ci);
		else
			r = bad(c, k, key, "unknown key in repeats (known: min, max, target_ci)");
		if (r < 0)
			return r;
	}
	if (s->repeats_min > s->repeats)
		return bad(c, v, "repeats", "min (%d) is above max (%d)", s->repeats_min, s->repeats);
	return 0;
}

/* parallel: hosts runs each guest on every host, the plan's runs spread
 * over the hosts: only runs that stand alone on one host can be spread. */
static int check_parallel(struct ctx *c, const struct suite *s, yaml_node_t *parallel, yaml_node_t *pool)
{
	if (pool && !s->parallel_hosts)
		return bad(c, pool, "pool_hosts", "only means something with 'parallel: hosts'");
	if (!s->parallel_hosts)
		return 0;
	if (s->nhosts < 2)
		return bad(c, parallel, "parallel", "'hosts' needs at least two hosts in 'hosts:' (this suite has %zu)",
			   s->nhosts);
	if (s->repeats_auto)
		return bad(c, parallel, "parallel", "'hosts' cannot be used with 'repeats: auto' (its rounds are "
			   "decided one after the other)");
	for (size_t i = 0; i < s->nguests; i++)
		if (s->guests[i].host)
			return bad(c, parallel, "parallel", "with 'hosts' every guest runs on each host: guest '%s' "
				   "names a host", s->guests[i].name);
	for (size_t i = 0; i < s->nexps; i++) {
		const struct experiment *e = s->exps[i].ops;
		if (e->spans_hosts || e->guests == EXP_GUESTS_NONE)
			return bad_line(c, s->exps[i].line, "type", "%s cannot be spread over hosts by "
					"'parallel: hosts' (%s)", e->name, e->spans_hosts ? "its runs span hosts" :
					"it runs on this machine, without guests");
	}
	return 0;
}

static int parse_root(struct ctx *c, struct suite *s)
{
	yaml_node_t *root = yaml_document_get_root_node(&c->doc);
	yaml_node_t *guests = NULL, *exps = NULL, *suite_name = NULL, *hosts = NULL, *parallel = NULL, *pool = NULL;
	int r;

	if (root == NULL)
		return error_setx(c->err, EINVAL, "%s: empty suite file", c->file);
	if (root->type != YAML_MAPPING_NODE)
		return bad(c, root, NULL, "a suite file is a mapping (suite, repeats, guests, experiments)");
	if ((r = check_duplicate_keys(c)) < 0)
		return r;
	s->repeats = 3;
	s->warmup = 1;
	s->boot_timeout_s = 600;
	s->rerun_disturbed = 1;
	FOR_PAIRS(&c->doc, root, p) {
		yaml_node_t *k = yaml_document_get_node(&c->doc, p->key);
		yaml_node_t *v = yaml_document_get_node(&c->doc, p->value);
		const char *key = scalar(k);

		if (key == NULL)
			return bad(c, k, NULL, "a key must be a string");
		if (strcmp(key, "suite") == 0) {
			r = get_str(c, v, key, &s->name);
			suite_name = v;
		}
		else if (strcmp(key, "repeats") == 0)
			r = parse_repeats(c, v, s);
		else if (strcmp(key, "order") == 0) {
			static const char *const orders[] = { "shuffled", "sequential", NULL };
			const char *o = scalar(v);
			r = one_of(c, v, key, o ? o : "", orders);
			s->order = r == 0 && strcmp(o, "sequential") == 0 ? ORDER_SEQUENTIAL : ORDER_SHUFFLED;
		} else if (strcmp(key, "seed") == 0) {
			double d;
			r = get_double(c, v, key, 0, 4294967295.0, &d);
			if (r == 0 && d != (double)(unsigned long)d)
				r = bad(c, v, key, "expected a whole number");
			s->seed = (unsigned long)d;
			s->seed_set = true;
		}
		else if (strcmp(key, "warmup") == 0)
			r = get_int(c, v, key, 0, 100, &s->warmup);
		else if (strcmp(key, "boot_timeout_s") == 0)
			r = get_int(c, v, key, 10, 7200, &s->boot_timeout_s);
		else if (strcmp(key, "rerun_disturbed") == 0)
			r = get_int(c, v, key, 0, 10, &s->rerun_disturbed);
		else if (strcmp(key, "fresh_guests") == 0) {
			static const char *const when[] = { "per-suite", "per-run", NULL };
			const char *w = scalar(v);
			r = one_of(c, v, key, w ? w : "", when);
			s->fresh_per_run = r == 0 && strcmp(w, "per-run") == 0;
		}
		else if (strcmp(key, "hosts") == 0)
			r = (hosts = v)->type == YAML_SEQUENCE_NODE ? 0 : bad(c, v, key, "expected a list of hosts");
		else if (strcmp(key, "parallel") == 0) {
			static const char *const modes[] = { "none", "hosts", NULL };
			r = one_of(c, v, key, scalar(v) ? scalar(v) : "", modes);
			s->parallel_hosts = r == 0 && strcmp(scalar(v), "hosts") == 0;
			parallel = v;
		} else if (strcmp(key, "pool_hosts") == 0) {
			static const char *const yesno[] = { "true", "false", NULL };
			r = one_of(c, v, key, scalar(v) ? scalar(v) : "", yesno);
			s->pool_hosts = r == 0 && strcmp(scalar(v), "true") == 0;
			pool = v;
		}
		else if (strcmp(key, "guests") == 0)
			r = (guests = v)->type == YAML_SEQUENCE_NODE ? 0 :
			    bad(c, v, key, "expected a list of guests");
		else if (strcmp(key, "experiments") == 0)
			r = (exps = v)->type == YAML_SEQUENCE_NODE ? 0 :
			    bad(c, v, key, "expected a list of experiments");
		else
			r = bad(c, k, key, "unknown key (known: suite, repeats, order, seed, warmup, boot_timeout_s, "
				"rerun_disturbed, fresh_guests, hosts, parallel, pool_hosts, guests, experiments)");
		if (r < 0)
			return r;
	}
	if (hosts && hosts->data.sequence.items.top - hosts->data.sequence.items.start > SUITE_MAX_HOSTS)
		return bad(c, hosts, "hosts", "a suite has at most %d hosts (this one has %td)", SUITE_MAX_HOSTS,
			   hosts->data.sequence.items.top - hosts->data.sequence.items.start);
	if (guests && guests->data.sequence.items.top - guests->data.sequence.items.start > SUITE_MAX_GUESTS)
		return bad(c, guests, "guests", "a suite has at most %d guests (this one has %td)", SUITE_MAX_GUESTS,
			   guests->data.sequence.items.top - guests->data.sequence.items.start);
	if (hosts && hosts->data.sequence.items.top > hosts->data.sequence.items.start) {
		s->hosts = xcalloc((size_t)(hosts->data.sequence.items.top - hosts->data.sequence.items.start),
				   sizeof(*s->hosts));
		FOR_ITEMS(&c->doc, hosts, it) {
			yaml_node_t *hn = yaml_document_get_node(&c->doc, *it);
			struct host_def *h = &s->hosts[s->nhosts++];
			if ((r = parse_host(c, hn, h)) < 0)
				return r;
			for (size_t i = 0; i + 1 < s->nhosts; i++)
				if (strcmp(s->hosts[i].name, h->name) == 0)
					return bad(c, hn, "name", "duplicate host name '%s'", h->name);
			/* The run's own connection, the standing guests and the
			 * saved states are this machine's: the first host is it. */
			if (s->nhosts == 1 && !virt_uri_is_local(h->uri))
				return bad(c, hn, "uri", "the first host must be this machine (qemu:///system), "
					   "not '%s': its guests borrow the standing guests and saved states here; "
					   "list the remote host after it and place guests there with 'host:'", h->uri);
		}
	} else {
		s->hosts = xcalloc(1, sizeof(*s->hosts));
		s->hosts[0].name = xstrdup("local");
		s->nhosts = 1;
	}
	if (guests) {
		s->guests = xcalloc((size_t)(guests->data.sequence.items.top - guests->data.sequence.items.start),
				    sizeof(*s->guests));
		FOR_ITEMS(&c->doc, guests, it) {
			yaml_node_t *gn = yaml_document_get_node(&c->doc, *it);
			struct guest_def *g = &s->guests[s->nguests++];
			if ((r = parse_guest(c, gn, s, g)) < 0)
				return r;
			for (size_t i = 0; i + 1 < s->nguests; i++)
				if (strcmp(s->guests[i].name, g->name) == 0)
					return bad(c, gn, "name", "duplicate guest name '%s'", g->name);
		}
	}
	if (s->name == NULL)
		return bad(c, root, "suite", "the suite needs a name (suite: NAME)");
	if ((r = check_name(c, suite_name, "suite", s->name)) < 0)
		return r;
	if (s->nguests == 0)
		return bad(c, root, "guests", "the suite needs at least one guest");
	if (exps == NULL || exps->data.sequence.items.top == exps->data.sequence.items.start)
		return bad(c, root, "experiments", "the suite needs at least one experiment");
	s->exps = xcalloc((size_t)(exps->data.sequence.items.top - exps->data.sequence.items.start), sizeof(*s->exps));
	FOR_ITEMS(&c->doc, exps, it) {
		yaml_node_t *en = yaml_document_get_node(&c->doc, *it);
		if ((r = parse_experiment(c, en, s, &s->exps[s->nexps++])) < 0)
			return r;
	}
	if ((r = check_parallel(c, s, parallel, pool)) < 0)
		return r;
	return check_plan_size(c, s);
}

/* The document's shape, from libyaml's events, before it is loaded:
 * nesting, keys of a mapping, items of a list and nodes are bounded, and
 * SIGINT/SIGTERM (stop_requested) end it. The first event past a bound
 * stops the scanner, so a hostile file costs no more than the bounds. */
struct shape_level {
	bool mapping;
	size_t n;		/* keys and values of a mapping, items of a list */
};

static int check_shape(const char *name, const char *text, size_t len, struct herror *err)
{
	struct shape_level stack[SUITE_MAX_DEPTH + 1];
	yaml_parser_t parser;
	size_t depth = 0, nodes = 0;
	int r = 0;
	bool done = false;

	if (!yaml_parser_initialize(&parser))
		return error_setx(err, ENOMEM, "cannot initialize the YAML parser");
	yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
	while (!done && r == 0) {
		yaml_event_t ev;
		int line;

		if (stop_requested) {
			r = error_setx(err, EINTR, "%s: interrupted while it was read", name);
			break;
		}
		if (!yaml_parser_parse(&parser, &ev))
			break;	/* the loader says what is wrong, with its line */
		line = (int)ev.start_mark.line + 1;
		switch (ev.type) {
		case YAML_SCALAR_EVENT:
		case YAML_ALIAS_EVENT:
		case YAML_SEQUENCE_START_EVENT:
		case YAML_MAPPING_START_EVENT:
			if (++nodes > SUITE_MAX_NODES) {
				r = error_setx(err, E2BIG, "%s:%d: more than %d values, lists and mappings in one suite",
					       name, line, SUITE_MAX_NODES);
				break;
			}
			if (depth > 0) {
				struct shape_level *l = &stack[depth - 1];

				l->n++;
				if (l->mapping && l->n > 2 * SUITE_MAX_KEYS)
					r = error_setx(err, E2BIG, "%s:%d: more than %d keys in one mapping", name, line,
						       SUITE_MAX_KEYS);
				else if (!l->mapping && l->n > SUITE_MAX_ITEMS)
					r = error_setx(err, E2BIG, "%s:%d: more than %d items in one list", name, line,
						       SUITE_MAX_ITEMS);
			}
			if (r == 0 && (ev.type == YAML_SEQUENCE_START_EVENT || ev.type == YAML_MAPPING_START_EVENT)) {
				if (depth == SUITE_MAX_DEPTH)
					r = error_setx(err, E2BIG, "%s:%d: lists and mappings nested more than %d deep",
						       name, line, SUITE_MAX_DEPTH);
				else
					stack[depth++] = (struct shape_level){ ev.type == YAML_MAPPING_START_EVENT, 0 };
			}
			break;
		case YAML_SEQUENCE_END_EVENT:
		case YAML_MAPPING_END_EVENT:
			if (depth > 0)
				depth--;
			break;
		case YAML_STREAM_END_EVENT:
			done = true;
			break;
		default:
			break;
		}
		yaml_event_delete(&ev);
	}
	yaml_parser_delete(&parser);
	return r;
}

int suite_parse(const char *name, const char *text, size_t len, struct suite **out, struct herror *err)
{
	yaml_parser_t parser;
	struct ctx c = { .file = name, .err = err };
	struct suite *s;
	int r;

	*out = NULL;
	if ((r = check_shape(name, text, len, err)) < 0)
		return r;
	if (!yaml_parser_initialize(&parser))
		return error_setx(err, ENOMEM, "cannot initialize the YAML parser");
	yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
	if (!yaml_parser_load(&parser, &c.doc)) {
		r = error_setx(err, EINVAL, "%s:%zu: %s%s%s", name, parser.problem_mark.line + 1,
			     parser.problem ? parser.problem : "malformed YAML",
			     parser.context ? " " : "", parser.context ? parser.context : "");
		yaml_parser_delete(&parser);
		return r;
	}
	/* One document: what follows a "---" would be ignored. */
	{
		yaml_document_t extra;
		bool more;

		if (!yaml_parser_load(&parser, &extra)) {
			r = error_setx(err, EINVAL, "%s:%zu: %s", name, parser.problem_mark.line + 1,
				       parser.problem ? parser.problem : "malformed YAML");
			yaml_document_delete(&c.doc);
			yaml_parser_delete(&parser);
			return r;
		}
		more = yaml_document_get_root_node(&extra) != NULL;
		if (more) {
			r = error_setx(err, EINVAL, "%s:%d: a suite file holds one YAML document", name,
				       (int)extra.start_mark.line + 1);
			yaml_document_delete(&extra);
			yaml_document_delete(&c.doc);
			yaml_parser_delete(&parser);
			return r;
		}
		yaml_document_delete(&extra);
	}
	s = xcalloc(1, sizeof(*s));
	s->path = xstrdup(name);
	r = parse_root(&c, s);
	yaml_document_delete(&c.doc);
	yaml_parser_delete(&parser);
	if (r < 0) {
		suite_free(s);
		return r;
	}
	*out = s;
	return 0;
}

char *suite_read(const char *path, size_t *len_out, struct herror *err)
{
	struct stat st;
	cleanup_close int fd = -1;
	cleanup_free char *text = NULL;
	size_t len = 0;

	/* O_NONBLOCK: opening a FIFO does not wait for a writer. */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	if (fd < 0) {
		error_set(err, errno, "cannot open suite '%s'", path);
		return NULL;
	}
	if (fstat(fd, &st) < 0) {
		error_set(err, errno, "cannot stat suite '%s'", path);
		return NULL;
	}
	if (!S_ISREG(st.st_mode)) {
		error_setx(err, EINVAL, "suite '%s' is not a regular file", path);
		return NULL;
	}
	if (st.st_size > SUITE_MAX_BYTES) {
		error_setx(err, EFBIG, "suite '%s' is larger than %d KiB", path, SUITE_MAX_BYTES >> 10);
		return NULL;
	}
	text = xcalloc((size_t)st.st_size + 2, 1);
	/* The file may grow while it is read: at most one byte more is taken,
	 * which tells that it is over the limit. */
	while (len < (size_t)st.st_size + 1) {
		ssize_t n = read(fd, text + len, (size_t)st.st_size + 1 - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			error_set(err, errno, "cannot read suite '%s'", path);
			return NULL;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	if (len > (size_t)st.st_size) {
		error_setx(err, EFBIG, "suite '%s' changed while it was read", path);
		return NULL;
	}
	text[len] = '\0';
	if (len_out)
		*len_out = len;
	return steal_pointer(&text);
}

int suite_load(const char *path, struct suite **out, struct herror *err)
{
	size_t len;
	cleanup_free char *text = suite_read(path, &len, err);

	*out = NULL;
	if (text == NULL)
		return -err->status;
	return suite_parse(path, text, len, out, err);
}

void suite_free(struct suite *s)
{
	if (s == NULL)
		return;
	for (size_t i = 0; i < s->nguests; i++) {
		struct guest_def *g = &s->guests[i];
		free(g->name); free(g->image); free(g->disk_bus);
		free(g->disk_cache); free(g->disk_io); free(g->nic_model); free(g->host);
	}
	for (size_t i = 0; i < s->nhosts; i++) {
		free(s->hosts[i].name); free(s->hosts[i].uri); free(s->hosts[i].address);
	}
	free(s->hosts);
	for (size_t i = 0; i < s->nexps; i++) {
		for (size_t a = 0; a < s->exps[i].naxes; a++) {
			for (size_t v = 0; v < s->exps[i].axes[a].nvalues; v++)
				free(s->exps[i].axes[a].values[v]);
			free(s->exps[i].axes[a].values);
			free(s->exps[i].axes[a].key);
		}
		free(s->exps[i].axes);
		free(s->exps[i].type);
	}
	free(s->guests);
	free(s->exps);
	free(s->name);
	free(s->path);
	free(s);
}

char *suite_resolve(const char *name_or_path, const char *suites_dir)
{
	if (strchr(name_or_path, '/') || access(name_or_path, F_OK) == 0)
		return xstrdup(name_or_path);
	return xasprintf("%s/%s.yaml", suites_dir, name_or_path);
}

static int yaml_file(const struct dirent *e)
{
	size_t n = strlen(e->d_name);

	return e->d_name[0] != '.' && n > 5 && strcmp(e->d_name + n - 5, ".yaml") == 0;
}

int suite_list(const char *suites_dir, FILE *out)
{
	struct dirent **names = NULL;
	int n = scandir(suites_dir, &names, yaml_file, alphasort);
	int listed = 0;

	if (n < 0)
		return -1;
	for (int i = 0; i < n; i++) {
		cleanup_free char *file = xstrdup(names[i]->d_name);
		int namelen = (int)(strlen(file) - 5);
		cleanup_free char *path = xasprintf("%s/%s", suites_dir, file);
		char line[256] = "";
		const char *text = "";
		struct stat st;
		FILE *f;

		free(names[i]);
		/* A regular file only: a FIFO would block the help text. */
		if (stat(path, &st) < 0 || !S_ISREG(st.st_mode))
			continue;
		f = fopen(path, "re");
		if (f != NULL) {
			if (fgets(line, sizeof(line), f) == NULL)
				line[0] = '\0';
			fclose(f);
		}
		line[strcspn(line, "\r\n")] = '\0';
		if (line[0] == '#') {
			text = line + 1 + strspn(line + 1, " ");
			if (strncmp(text, file, (size_t)namelen) == 0 && text[namelen] == ':')
				text += namelen + 1 + strspn(text + namelen + 1, " ");
		}
		fprintf(out, "  %-10.*s  %s\n", namelen, file, text);
		listed++;
	}
	free(names);
	return listed;
}

const struct guest_def *suite_guest(const struct suite *s, const char *name)
{
	for (size_t i = 0; i < s->nguests; i++)
		if (strcmp(s->guests[i].name, name) == 0)
			return &s->guests[i];
	return NULL;
}
