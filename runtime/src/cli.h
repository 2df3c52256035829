/* The client verbs of harness-runtime, one file per verb (cmd_*.c, as
 * crun's src/create.c, src/ps.c...), and what they share: the supervisor's
 * socket, one request per connection, one printed line per error. */
#ifndef RT_CLI_H
#define RT_CLI_H

#include <stdint.h>
#include <cjson/cJSON.h>

/* The supervisor's socket: --socket, $HARNESS_RUNTIME_SOCKET or the default. */
extern const char *cli_socket_path;
/* The whole command line, for the supervisor's re-exec of itself. */
extern char **cli_program_argv;

/* A request {"op": op} with "name" when name is not NULL. */
cJSON *cli_request(const char *op, const char *name);

/* Sends req (consumed) and returns the response when it says ok; prints
 * the error and returns NULL otherwise. */
cJSON *cli_call(cJSON *req);

/* The same for a reply that announces "data_bytes": the data frame that
 * follows it in *data (malloc'd, *len bytes, NULL when there are none). */
cJSON *cli_call_data(cJSON *req, char **data, size_t *len);

/* "harness-runtime: invalid WHAT 'VALUE'" on stderr; returns 2, the usage status. */
int cli_bad(const char *what, const char *value);

/* A decimal integer in min..max (digits, an optional '-', nothing else). */
int cli_parse_long(const char *s, long min, long max, long *out);

/* The container's exit code in a status response, 255 when there is none. */
int cli_exit_status(const cJSON *resp);

/* "NAME STATE exit N" of a container that has ended (stop, wait). */
void cli_print_end(const char *name, const cJSON *resp);

/* Prints the verb's usage line (from the verb table) on stderr; returns 2. */
int cli_usage(const char *verb);

/* Prints a container's log from the start; with follow, until it ended. */
int cli_print_logs(const char *name, int follow);

/* The verbs: argv[0] is the verb's name, the return value the exit status. */
int cmd_supervisor(int argc, char **argv);
int cmd_start(int argc, char **argv);
int cmd_run(int argc, char **argv);
int cmd_stop(int argc, char **argv);
int cmd_ps(int argc, char **argv);
int cmd_logs(int argc, char **argv);
int cmd_inspect(int argc, char **argv);
int cmd_wait(int argc, char **argv);
int cmd_rm(int argc, char **argv);
int cmd_shutdown(int argc, char **argv);

#endif
