/* Stop flag and clock of the example programs (see tp_app_run.h). */
#include <signal.h>
#include <time.h>

#include "tp_app_run.h"

static volatile sig_atomic_t tp_app_running = 1;

static void tp_app_on_signal(int signo)
{
    (void)signo;
    tp_app_running = 0;
}

void tp_app_signals_install(void)
{
    signal(SIGINT, tp_app_on_signal);
    signal(SIGTERM, tp_app_on_signal);
}

bool tp_app_is_running(void)
{
    return 0 != tp_app_running;
}

void tp_app_stop(void)
{
    tp_app_running = 0;
}

uint64_t tp_app_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}
