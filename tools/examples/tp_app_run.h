/* Run-loop support shared by the example programs: a stop flag that SIGINT/SIGTERM clear, and the clock. */
#ifndef TP_APP_RUN_H
#define TP_APP_RUN_H

#include <stdbool.h>
#include <stdint.h>

/* From now on SIGINT and SIGTERM make tp_app_is_running() false. */
void tp_app_signals_install(void);
bool tp_app_is_running(void);
/* End the run as a signal would (after an error in the loop). */
void tp_app_stop(void);

/* CLOCK_MONOTONIC in ns. */
uint64_t tp_app_now_ns(void);

#endif /* TP_APP_RUN_H */
