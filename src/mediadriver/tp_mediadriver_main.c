/*
 * tp_mediadriver: the embedded IPC media driver as a stand-alone program. Configured like aeronmd through
 * AERON_* environment variables (see tensorpool/tp_mediadriver.h); stops cleanly on SIGINT / SIGTERM.
 */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "tensorpool/tp_error.h"
#include "tensorpool/tp_mediadriver.h"

static volatile sig_atomic_t tp_running = 1;

static void tp_on_signal(int signo)
{
    (void)signo;
    tp_running = 0;
}

int main(int argc, char **argv)
{
    if (argc > 1 && (0 == strcmp(argv[1], "-h") || 0 == strcmp(argv[1], "--help")))
    {
        printf("usage: %s\n"
               "Serves aeron:ipc for Aeron clients in $AERON_DIR (default /dev/shm/aeron-$USER).\n"
               "Settings come from AERON_* environment variables, e.g. AERON_IPC_TERM_BUFFER_LENGTH=16m,\n"
               "AERON_CLIENT_LIVENESS_TIMEOUT=5s, AERON_DIR_DELETE_ON_SHUTDOWN=true.\n",
               argv[0]);
        return 0;
    }

    struct sigaction action;
    memset(&action, 0, sizeof(action));
    action.sa_handler = tp_on_signal;
    sigaction(SIGINT, &action, NULL);
    sigaction(SIGTERM, &action, NULL);

    tp_mediadriver_context_t *context = NULL;
    tp_mediadriver_t *driver = NULL;
    if (tp_mediadriver_context_init(&context) < 0)
    {
        fprintf(stderr, "tp_mediadriver: %s\n", tp_errmsg());
        return 1;
    }
    if (tp_mediadriver_start(&driver, context) < 0)
    {
        fprintf(stderr, "tp_mediadriver: %s\n", tp_errmsg());
        tp_mediadriver_context_close(context);
        return 1;
    }
    fprintf(stderr, "tp_mediadriver: serving aeron:ipc in %s\n", tp_mediadriver_dir(driver));

    while (tp_running)
    {
        struct timespec ts = {.tv_sec = 0, .tv_nsec = 50 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }

    tp_mediadriver_close(driver);
    tp_mediadriver_context_close(context);
    fprintf(stderr, "tp_mediadriver: stopped\n");
    return 0;
}
