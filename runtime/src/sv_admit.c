#include "sv_admit.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "banker.h"
#include "sv_state.h"

static void ctr_alloc_vector(const struct container_spec *s, uint64_t *v)
{
	v[0] = s->limits.memory_max;
	v[1] = s->limits.cpu_quota_us ? (uint64_t)s->limits.cpu_quota_us * 1000 / s->limits.cpu_period_us : 0;
	v[2] = s->limits.pids_max;
	if (s->claims.hold_memory > v[0])
		v[0] = s->claims.hold_memory;
	if (s->claims.hold_cpu_milli > v[1])
		v[1] = s->claims.hold_cpu_milli;
	if (s->claims.hold_pids > v[2])
		v[2] = s->claims.hold_pids;
}

static void ctr_claim_vector(const struct container_spec *s, uint64_t *v)
{
	v[0] = s->claims.memory;
	v[1] = s->claims.cpu_milli;
	v[2] = s->claims.pids;
}

/* Builds the banker state over active declared containers; idx maps
 * banker rows to containers. */
static void build_banker(struct banker *b, struct ctr **idx)
{
	memset(b, 0, sizeof(*b));
	b->nres = 3;
	memcpy(b->available, sv.cfg->capacity, sizeof(sv.cfg->capacity));
	for (int i = 0; i < MAX_CONTAINERS && b->nproc < BANKER_MAX_PROCS - 1; i++) {
		struct ctr *c = &sv.c[i];
		uint64_t a[3];

		if (!is_active(c) || !c->spec.claims.declared)
			continue;
		ctr_claim_vector(&c->spec, b->max[b->nproc]);
		ctr_alloc_vector(&c->spec, a);
		for (int r = 0; r < 3; r++) {
			b->alloc[b->nproc][r] = a[r];
			b->available[r] = b->available[r] > a[r] ? b->available[r] - a[r] : 0;
		}
		idx[b->nproc++] = c;
	}
}

/* 1 admitted, 0 unsafe now (reason set), negative: can never be admitted. */
int admission_check(const struct container_spec *s, char *reason, size_t rlen, struct herror *err)
{
	static const char *const res_names[] = { "memory", "cpu", "pids" };
	struct banker b;
	struct ctr *idx[BANKER_MAX_PROCS];
	uint64_t claim[3], req[3];
	int p, r;

	if (!s->claims.declared)
		return 1;
	if (!sv.cfg->have_capacity)
		return error_setx(err, EINVAL, "container '%s' declares claims but the supervisor has no --capacity", s->name);
	ctr_claim_vector(s, claim);
	ctr_alloc_vector(s, req);
	for (int i = 0; i < 3; i++)
		if (claim[i] > sv.cfg->capacity[i])
			return error_setx(err, ENOSPC, "the %s claim of '%s' (%llu) exceeds the capacity (%llu)",
					res_names[i], s->name, (unsigned long long)claim[i],
					(unsigned long long)sv.cfg->capacity[i]);
	build_banker(&b, idx);
	if (b.nproc >= BANKER_MAX_PROCS - 1)
		return error_setx(err, ENOSPC, "too many containers under admission control");
	p = b.nproc++;
	memcpy(b.max[p], claim, sizeof(claim));
	r = banker_request_is_safe(&b, p, req, NULL);
	if (r == 1)
		return 1;
	if (r < 0)
		return error_setx(err, EINVAL, "inconsistent claims for '%s'", s->name);
	for (int i = 0; i < 3; i++)
		if (req[i] > b.available[i]) {
			snprintf(reason, rlen, "not enough %s available now (%llu asked, %llu free)", res_names[i],
				 (unsigned long long)req[i], (unsigned long long)b.available[i]);
			return 0;
		}
	snprintf(reason, rlen, "no safe sequence would remain if '%s' were admitted", s->name);
	return 0;
}

cJSON *safe_sequence_json(void)
{
	struct banker b;
	struct ctr *idx[BANKER_MAX_PROCS];
	int seq[BANKER_MAX_PROCS];
	cJSON *o;

	if (!sv.cfg->have_capacity)
		return cJSON_CreateNull();
	build_banker(&b, idx);
	if (banker_safe_sequence(&b, seq) != 1)
		return cJSON_CreateString("unsafe");
	o = cJSON_CreateArray();
	for (int i = 0; i < b.nproc; i++)
		cJSON_AddItemToArray(o, cJSON_CreateString(idx[seq[i]]->spec.name));
	return o;
}
