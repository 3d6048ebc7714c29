/*
 * Running an operator tool once from a cmocka test: stdout and stderr captured into the scratch dir, and in a
 * sanitizer build a report fails the test instead of passing for the tool's own exit status.
 */
#ifndef TP_APPS_TOOL_RUN_H
#define TP_APPS_TOOL_RUN_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apps_test_process.h"

typedef struct apps_tool_result_stct
{
    int status;
    char *out;
    char *err;
} apps_tool_result_t;

/* argv is NULL-terminated (argv[0] the program); name labels the capture files in dir. */
static inline apps_tool_result_t apps_tool_run(const char *dir, const char *name, const char *const *argv)
{
    char out_path[300];
    char err_path[300];
    snprintf(out_path, sizeof(out_path), "%s/%s.out", dir, name);
    snprintf(err_path, sizeof(err_path), "%s/%s.err", dir, name);
    const char *env[] = {"ASAN_OPTIONS=exitcode=99", "UBSAN_OPTIONS=exitcode=99:print_stacktrace=1", NULL};
    pid_t pid = apps_process_spawn_io(argv, env, out_path, err_path);
    assert_true(pid > 0);
    apps_tool_result_t result;
    result.status = apps_process_wait(pid, 30000);
    result.out = apps_file_read(out_path);
    result.err = apps_file_read(err_path);
    assert_non_null(result.out);
    assert_non_null(result.err);
    assert_null(strstr(result.err, "Sanitizer"));
    assert_null(strstr(result.err, "runtime error"));
    return result;
}

static inline void apps_tool_result_free(apps_tool_result_t *result)
{
    free(result->out);
    free(result->err);
}

static inline unsigned apps_count_occurrences(const char *text, const char *needle)
{
    unsigned n = 0;
    for (const char *p = strstr(text, needle); NULL != p; p = strstr(p + 1, needle))
    {
        n++;
    }
    return n;
}

#endif /* TP_APPS_TOOL_RUN_H */
