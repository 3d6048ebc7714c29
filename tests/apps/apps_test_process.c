/* Process helpers for the apps tests (see apps_test_process.h). */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "apps_test_process.h"

static void apps_redirect(const char *path, int target)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (fd < 0 || dup2(fd, target) < 0)
    {
        fprintf(stderr, "cannot redirect fd %d to %s: %s\n", target, path, strerror(errno));
        _exit(126);
    }
    close(fd);
}

pid_t apps_process_spawn(const char *const *argv, const char *const *env, const char *stdout_path)
{
    return apps_process_spawn_io(argv, env, stdout_path, NULL);
}

pid_t apps_process_spawn_io(const char *const *argv, const char *const *env, const char *stdout_path,
                            const char *stderr_path)
{
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    if (0 != pid)
    {
        return pid;
    }
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    apps_redirect(stdout_path, STDOUT_FILENO);
    if (NULL != stderr_path)
    {
        apps_redirect(stderr_path, STDERR_FILENO);
    }
    for (size_t i = 0; NULL != env && NULL != env[i]; i++)
    {
        putenv((char *)env[i]);
    }
    execv(argv[0], (char *const *)argv);
    fprintf(stderr, "exec %s: %s\n", argv[0], strerror(errno));
    _exit(127);
}

int apps_process_wait(pid_t pid, int64_t timeout_ms)
{
    const int64_t deadline = apps_now_ms() + timeout_ms;
    while (true)
    {
        int status = 0;
        pid_t r = waitpid(pid, &status, WNOHANG);
        if (r == pid)
        {
            return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
        }
        if (r < 0 || apps_now_ms() > deadline)
        {
            fprintf(stderr, "process %d did not end within %" PRId64 " ms: killed\n", (int)pid, timeout_ms);
            kill(pid, SIGKILL);
            waitpid(pid, NULL, 0);
            return -1;
        }
        apps_sleep_ms(10);
    }
}

void apps_process_stop(pid_t pid)
{
    if (pid > 0)
    {
        kill(pid, SIGCONT);
        kill(pid, SIGINT);
        apps_process_wait(pid, 20000);
    }
}

char *apps_file_read(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (NULL == f)
    {
        return NULL;
    }
    size_t capacity = 4096;
    size_t length = 0;
    char *text = malloc(capacity);
    while (NULL != text)
    {
        size_t n = fread(text + length, 1, capacity - length - 1, f);
        length += n;
        if (length + 1 < capacity)
        {
            break;
        }
        char *bigger = realloc(text, capacity * 2);
        if (NULL == bigger)
        {
            free(text);
            text = NULL;
            break;
        }
        text = bigger;
        capacity *= 2;
    }
    fclose(f);
    if (NULL != text)
    {
        text[length] = '\0';
    }
    return text;
}

bool apps_summary_parse(const char *text, tp_app_summary_t *summary)
{
    size_t end = strlen(text);
    while (end > 0 && ('\n' == text[end - 1] || '\r' == text[end - 1]))
    {
        end--;
    }
    size_t start = end;
    while (start > 0 && '\n' != text[start - 1])
    {
        start--;
    }
    char line[512];
    size_t length = end - start;
    if (length >= sizeof(line))
    {
        return false;
    }
    memcpy(line, text + start, length);
    line[length] = '\0';
    int consumed = 0;
    if (5 != sscanf(line,
                    "received=%" SCNu64 " verified=%" SCNu64 " bad=%" SCNu64 " drops_gap=%" SCNu64
                    " drops_late=%" SCNu64 "%n",
                    &summary->received, &summary->verified, &summary->bad, &summary->drops_gap, &summary->drops_late,
                    &consumed) ||
        (size_t)consumed != length)
    {
        return false;
    }
    /* Exactly the format the programs print: re-render and compare. */
    char rendered[512];
    snprintf(rendered, sizeof(rendered),
             "received=%" PRIu64 " verified=%" PRIu64 " bad=%" PRIu64 " drops_gap=%" PRIu64 " drops_late=%" PRIu64,
             summary->received, summary->verified, summary->bad, summary->drops_gap, summary->drops_late);
    return 0 == strcmp(rendered, line);
}

int apps_temp_dir(char *path, size_t length, const char *prefix)
{
    snprintf(path, length, "/dev/shm/%s-XXXXXX", prefix);
    return NULL == mkdtemp(path) ? -1 : 0;
}

static int apps_remove_entry(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
    (void)st;
    (void)type;
    (void)ftw;
    remove(path);
    return 0;
}

void apps_temp_dir_remove(const char *path)
{
    nftw(path, apps_remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

int64_t apps_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void apps_sleep_ms(int64_t ms)
{
    struct timespec ts = {.tv_sec = (time_t)(ms / 1000), .tv_nsec = (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

int apps_scratch_setup(void **state, const char *prefix)
{
    char *dir = calloc(1, 256);
    if (NULL == dir || apps_temp_dir(dir, 256, prefix) < 0)
    {
        free(dir);
        return -1;
    }
    *state = dir;
    return 0;
}

int apps_scratch_teardown(void **state)
{
    apps_temp_dir_remove(*state);
    free(*state);
    return 0;
}
