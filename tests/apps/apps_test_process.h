/*
 * Running the demo and example programs as real processes in tests: spawn with stdout captured to a file,
 * wait with a deadline, and read the summary line they end with.
 */
#ifndef TP_APPS_TEST_PROCESS_H
#define TP_APPS_TEST_PROCESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "tp_app_options.h"

/* Exec argv (NULL-terminated) with extra NAME=VALUE settings (NULL-terminated, may be NULL) and stdout going to
 * stdout_path (stderr stays the test's, so failures show in the ctest log). Returns the pid or -1. */
pid_t apps_process_spawn(const char *const *argv, const char *const *env, const char *stdout_path);
/* The same with stderr going to stderr_path too (NULL: the test's stderr). */
pid_t apps_process_spawn_io(const char *const *argv, const char *const *env, const char *stdout_path,
                            const char *stderr_path);

/* The exit status; 128 + signal when killed by one; -1 (after SIGKILL) when it did not end within timeout_ms. */
int apps_process_wait(pid_t pid, int64_t timeout_ms);

/* SIGCONT (it may have been stopped by the test) then SIGINT, and wait up to 20 s for it, SIGKILLing it after that.
 * pid <= 0 (never started) is ignored. */
void apps_process_stop(pid_t pid);

/* The whole file as a NUL-terminated string (malloc'd), NULL when it cannot be read. */
char *apps_file_read(const char *path);

/* True when the last non-empty line of text is exactly the summary line; fills summary. */
bool apps_summary_parse(const char *text, tp_app_summary_t *summary);

/* A fresh directory under /dev/shm ("/dev/shm/<prefix>-XXXXXX"), and its recursive removal. */
int apps_temp_dir(char *path, size_t length, const char *prefix);
void apps_temp_dir_remove(const char *path);

/* cmocka setup / teardown of a scratch dir (*state = its path, a malloc'd string), removed in teardown so a
 * failed assertion leaves nothing behind in /dev/shm either. */
int apps_scratch_setup(void **state, const char *prefix);
int apps_scratch_teardown(void **state);

int64_t apps_now_ms(void);
void apps_sleep_ms(int64_t ms);

#endif /* TP_APPS_TEST_PROCESS_H */
