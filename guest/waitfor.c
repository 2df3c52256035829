/* waitfor: a thread waits for at most one lock and a lock has at most one
 * holder, so every node has at most one outgoing edge and a cycle is found
 * by following edges from each node. */
#include "waitfor.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_THREADS 256

struct node {
	const char *id;
	const char *waits_for;
	const cJSON *holds;
	int next;               /* index of the holder of waits_for, or -1 */
};

static int holder_of(struct node *nodes, int n, const char *lock)
{
	for (int i = 0; i < n; i++) {
		const cJSON *h;
		cJSON_ArrayForEach(h, nodes[i].holds)
			if (cJSON_IsString(h) && strcmp(h->valuestring, lock) == 0)
				return i;
	}
	return -1;
}

static void append(char *buf, size_t size, size_t *len, const char *s)
{
	int n = snprintf(buf + *len, size - *len, "%s", s);

	if (n > 0)
		*len = *len + (size_t)n < size ? *len + (size_t)n : size - 1;
}

cJSON *waitfor_graph(const cJSON *state)
{
	const cJSON *threads = cJSON_GetObjectItemCaseSensitive(state, "threads"), *t;
	struct node nodes[MAX_THREADS];
	cJSON *g, *arr;
	int n = 0, cycle_start = -1;
	char text[2048];
	size_t len = 0;

	if (!cJSON_IsArray(threads))
		return NULL;
	cJSON_ArrayForEach(t, threads) {
		const cJSON *id = cJSON_GetObjectItemCaseSensitive(t, "id");
		const cJSON *w = cJSON_GetObjectItemCaseSensitive(t, "waits_for");
		if (n == MAX_THREADS || !cJSON_IsString(id))
			continue;
		nodes[n].id = id->valuestring;
		nodes[n].waits_for = cJSON_IsString(w) ? w->valuestring : NULL;
		nodes[n].holds = cJSON_GetObjectItemCaseSensitive(t, "holds");
		nodes[n].next = -1;
		n++;
	}
	g = cJSON_CreateObject();
	if (!g)
		return NULL;
	arr = cJSON_AddArrayToObject(g, "nodes");
	for (int i = 0; arr && i < n; i++)
		cJSON_AddItemToArray(arr, cJSON_CreateString(nodes[i].id));
	arr = cJSON_AddArrayToObject(g, "edges");
	for (int i = 0; i < n; i++) {
		cJSON *e;
		if (!nodes[i].waits_for)
			continue;
		nodes[i].next = holder_of(nodes, n, nodes[i].waits_for);
		if (nodes[i].next < 0 || !arr || !(e = cJSON_CreateObject()))
			continue;
		cJSON_AddStringToObject(e, "from", nodes[i].id);
		cJSON_AddStringToObject(e, "to", nodes[nodes[i].next].id);
		cJSON_AddStringToObject(e, "lock", nodes[i].waits_for);
		cJSON_AddItemToArray(arr, e);
	}
	/* Walk at most n steps from each node; a node seen twice on the walk
	 * starts the cycle. */
	for (int s = 0; s < n && cycle_start < 0; s++) {
		int seen[MAX_THREADS] = { 0 }, cur = s;
		for (int step = 0; cur >= 0 && step <= n; step++) {
			if (seen[cur]) {
				cycle_start = cur;
				break;
			}
			seen[cur] = 1;
			cur = nodes[cur].next;
		}
	}
	if (cycle_start < 0) {
		cJSON_AddNullToObject(g, "cycle");
		cJSON_AddStringToObject(g, "text", "no cycle");
		return g;
	}
	arr = cJSON_AddArrayToObject(g, "cycle");
	int cur = cycle_start;
	do {
		cJSON_AddItemToArray(arr, cJSON_CreateString(nodes[cur].id));
		append(text, sizeof(text), &len, nodes[cur].id);
		append(text, sizeof(text), &len, " -(");
		append(text, sizeof(text), &len, nodes[cur].waits_for);
		append(text, sizeof(text), &len, ")-> ");
		cur = nodes[cur].next;
	} while (cur != cycle_start);
	cJSON_AddItemToArray(arr, cJSON_CreateString(nodes[cycle_start].id));
	append(text, sizeof(text), &len, nodes[cycle_start].id);
	cJSON_AddStringToObject(g, "text", text);
	return g;
}
