/* harness doctor */
#ifndef HARNESS_DOCTOR_H
#define HARNESS_DOCTOR_H

/* Print one line per check; returns 0 when the host can run the harness. */
int doctor(const char *payload_root);

#endif
