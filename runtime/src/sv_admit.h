/* Admission control over the active containers with the Banker's
 * algorithm (banker.h): the allocation and claim vectors of a spec. */
#ifndef RT_SV_ADMIT_H
#define RT_SV_ADMIT_H

#include <cjson/cJSON.h>
#include "proto.h"
#include "sv_core.h"

/* 1 admitted, 0 unsafe now (reason set), negative: never admissible. */
int admission_check(const struct container_spec *s, char *reason, size_t rlen, struct herror *err);
/* The current safe sequence, for ps. */
cJSON *safe_sequence_json(void);

#endif
