/*
 * tp_shm_gc: finds the SHM regions a crashed or vanished owner left under a base directory and, with --delete,
 * removes them. Dry run by default. Never follows a symlink and never leaves the base directory: every directory
 * is opened relative to its parent's descriptor with O_NOFOLLOW, names come from readdir (never "." or ".."),
 * and files are removed with unlinkat in the directory they were found in (wire spec §15.21a).
 *
 * A region is collected when
 *   dead:       its owner (superblock pid + start time, see src/shm/tp_shm_gc_owner.c) is gone and its activity
 * timestamp is older than --stale-ms, or superseded: a newer epoch-<E> of the same instance exists and its activity is
 * older than --stale-ms (the driver's epoch GC rule: an epoch nobody refreshes once a newer one is in use). Anything
 * else (a live owner's fresh region, a file that is not a valid region, an unknown file) stays.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "shm/tp_shm_gc.h"
#include "shm/tp_superblock.h"
#include "tp_app_options.h"

#define TP_GC_EXIT_FOUND 1
#define TP_GC_EXIT_ERROR 2
#define TP_GC_MAX_DEPTH  2 /* instance dirs at <base>/<instance>/ or <base>/<namespace>/<instance>/ */

static const char usage_str[] =
    "Usage: tp_shm_gc [-h] [--json] [--delete] [--base-dir DIR] [--stale-ms MS]\n"
    "Finds SHM regions whose owner is gone (or whose epoch is superseded) and, with --delete, removes them.\n"
    "    -h, --help        this help\n"
    "    --json            one JSON document instead of text\n"
    "    --delete          delete what is found (default: list only)\n"
    "    --base-dir DIR    SHM base directory (default /dev/shm/tensorpool)\n"
    "    --stale-ms MS     activity older than this is stale (default 10000)\n"
    "Exit status: 0 nothing found or all deleted, 1 regions found (dry run), 2 error.\n";

typedef struct tp_gc_stct
{
    bool json;
    bool delete_found;
    uint64_t stale_ns;
    uint64_t now_mono_ns;
    size_t examined;
    size_t found;
    size_t deleted;
    size_t kept;
    size_t errors;
    bool first_region;
} tp_gc_t;

static uint64_t tp_gc_now(clockid_t clock)
{
    struct timespec ts;
    clock_gettime(clock, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static void tp_gc_error(tp_gc_t *gc, const char *path, const char *what, int err)
{
    gc->errors++;
    fprintf(stderr, "tp_shm_gc: %s: %s%s%s\n", path, what, 0 != err ? ": " : "", 0 != err ? strerror(err) : "");
}

static void tp_gc_report(tp_gc_t *gc, const char *path, const tp_superblock_t *sb, const char *verdict,
                         const char *reason, bool deleted)
{
    if (gc->json)
    {
        printf("%s{\"path\":", gc->first_region ? "" : ",");
        tp_app_json_string(path);
        printf(",\"verdict\":\"%s\",\"reason\":", verdict);
        tp_app_json_string(reason);
        printf(",\"epoch\":%" PRIu64 ",\"stream_id\":%" PRIu32 ",\"pid\":%" PRIu64 ",\"deleted\":%s}", sb->epoch,
               sb->stream_id, sb->pid, deleted ? "true" : "false");
        gc->first_region = false;
    }
    else
    {
        printf("%s %s: %s%s\n", verdict, path, reason, deleted ? " (deleted)" : "");
    }
}

typedef struct tp_gc_epoch_scan_stct
{
    tp_gc_t *gc;
    const char *epoch_path;
    uint64_t epoch;
    uint64_t newest_epoch;
} tp_gc_epoch_scan_t;

/* One region file: the shared rule decides, this tool reports (and with --delete removes). */
static void tp_gc_region(void *clientd, int epoch_fd, const char *name)
{
    tp_gc_epoch_scan_t *scan = clientd;
    tp_gc_t *gc = scan->gc;
    char path[4096];
    if (snprintf(path, sizeof(path), "%s/%s", scan->epoch_path, name) >= (int)sizeof(path))
    {
        return;
    }
    gc->examined++;
    tp_superblock_t sb;
    if (0 != tp_shm_gc_read_superblock(epoch_fd, name, &sb))
    {
        gc->kept++;
        fprintf(stderr, "tp_shm_gc: %s: kept: not a valid region (no superblock)\n", path);
        return;
    }
    char reason[256];
    tp_shm_gc_verdict_t verdict = tp_shm_gc_decide_region(&sb, scan->epoch, scan->newest_epoch, gc->now_mono_ns,
                                                          gc->stale_ns, reason, sizeof(reason));
    if (TP_SHM_GC_KEEP == verdict)
    {
        gc->kept++;
        return;
    }
    gc->found++;
    bool deleted = false;
    if (gc->delete_found)
    {
        if (0 == tp_shm_gc_unlink_region(epoch_fd, name))
        {
            deleted = true;
            gc->deleted++;
        }
        else
        {
            tp_gc_error(gc, path, "cannot delete", errno);
        }
    }
    tp_gc_report(gc, path, &sb, tp_shm_gc_verdict_name(verdict), reason, deleted);
}

/* One epoch directory: classify (and maybe delete) its region files. newest_epoch is the instance's newest. */
static void tp_gc_epoch(tp_gc_t *gc, int epoch_fd, const char *epoch_path, uint64_t epoch, uint64_t newest_epoch)
{
    tp_gc_epoch_scan_t scan = {.gc = gc, .epoch_path = epoch_path, .epoch = epoch, .newest_epoch = newest_epoch};
    if (tp_shm_gc_visit_regions(epoch_fd, tp_gc_region, &scan) < 0)
    {
        tp_gc_error(gc, epoch_path, "cannot list", errno);
    }
    else if (gc->delete_found)
    {
        (void)tp_shm_gc_unlink_sidecars(epoch_fd); /* the wake-up word, once its regions are gone */
    }
}

/* Opens a child directory without following a symlink; -1 if it is not a real directory. */
static int tp_gc_open_dir_at(int parent_fd, const char *name)
{
    return openat(parent_fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
}

/* A directory: an instance (holds epoch-<E> dirs) or, above max depth, a namespace to descend into. */
static void tp_gc_dir(tp_gc_t *gc, int dir_fd, const char *dir_path, int depth)
{
    uint64_t newest = tp_shm_gc_newest_epoch(dir_fd);
    DIR *dir = tp_shm_gc_open_listing(dir_fd);
    if (NULL == dir)
    {
        tp_gc_error(gc, dir_path, "cannot list", errno);
        return;
    }
    struct dirent *entry;
    while (NULL != (entry = readdir(dir)))
    {
        if ('.' == entry->d_name[0])
        {
            continue; /* ".", ".." and hidden names are not ours */
        }
        struct stat st;
        if (0 != fstatat(dir_fd, entry->d_name, &st, AT_SYMLINK_NOFOLLOW) || !S_ISDIR(st.st_mode))
        {
            continue; /* files, symlinks and special files at this level are left alone */
        }
        char path[4096];
        if (snprintf(path, sizeof(path), "%s/%s", dir_path, entry->d_name) >= (int)sizeof(path))
        {
            continue;
        }
        int child_fd = tp_gc_open_dir_at(dir_fd, entry->d_name);
        if (child_fd < 0)
        {
            continue; /* replaced by a symlink since the lstat: not followed */
        }
        uint64_t epoch;
        if (tp_shm_gc_parse_epoch_dir(entry->d_name, &epoch))
        {
            tp_gc_epoch(gc, child_fd, path, epoch, newest);
            close(child_fd);
            /* An emptied epoch dir goes; one still holding anything stays (ENOTEMPTY is the expected case). */
            if (gc->delete_found && 0 == unlinkat(dir_fd, entry->d_name, AT_REMOVEDIR) && !gc->json)
            {
                printf("removed empty %s\n", path);
            }
            continue;
        }
        if (depth < TP_GC_MAX_DEPTH)
        {
            bool is_instance = 0 != tp_shm_gc_newest_epoch(child_fd);
            tp_gc_dir(gc, child_fd, path, depth + 1);
            close(child_fd);
            /* An instance dir whose epochs all went is removed too (only if now empty). */
            if (gc->delete_found && is_instance && 0 == unlinkat(dir_fd, entry->d_name, AT_REMOVEDIR) && !gc->json)
            {
                printf("removed empty %s\n", path);
            }
            continue;
        }
        close(child_fd);
    }
    closedir(dir);
}

int main(int argc, char **argv)
{
    static const struct option options[] = {
        {"help", no_argument, NULL, 'h'},           {"json", no_argument, NULL, 'j'},
        {"delete", no_argument, NULL, 'D'},         {"base-dir", required_argument, NULL, 'b'},
        {"stale-ms", required_argument, NULL, 's'}, {NULL, 0, NULL, 0}};
    tp_gc_t gc = {.stale_ns = 10000ULL * 1000000ULL, .first_region = true};
    const char *base = "/dev/shm/tensorpool";
    int opt;
    opterr = 0;
    while ((opt = getopt_long(argc, argv, "h", options, NULL)) != -1)
    {
        uint64_t ms;
        switch (opt)
        {
            case 'h':
                fputs(usage_str, stdout);
                return 0;
            case 'j':
                gc.json = true;
                break;
            case 'D':
                gc.delete_found = true;
                break;
            case 'b':
                base = optarg;
                break;
            case 's':
                if (tp_app_size_parse("--stale-ms", optarg, 0, UINT64_MAX / 1000000ULL, &ms) < 0)
                {
                    return TP_GC_EXIT_ERROR;
                }
                gc.stale_ns = ms * 1000000ULL;
                break;
            default:
                fprintf(stderr, "tp_shm_gc: unknown or incomplete option '%s' (try --help)\n", argv[optind - 1]);
                return TP_GC_EXIT_ERROR;
        }
    }
    if (optind < argc)
    {
        fprintf(stderr, "tp_shm_gc: unexpected argument '%s' (try --help)\n", argv[optind]);
        return TP_GC_EXIT_ERROR;
    }
    /* The base dir itself must be a real directory, not a symlink to one. */
    int base_fd = open(base, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (base_fd < 0)
    {
        fprintf(stderr, "tp_shm_gc: %s: %s\n", base,
                ELOOP == errno || ENOTDIR == errno ? "not a directory (symlinks are refused)" : strerror(errno));
        return TP_GC_EXIT_ERROR;
    }
    gc.now_mono_ns = tp_gc_now(CLOCK_MONOTONIC);
    if (gc.json)
    {
        printf("{\"tool\":\"tp_shm_gc\",\"base_dir\":");
        tp_app_json_string(base);
        printf(",\"delete\":%s,\"stale_ms\":%" PRIu64 ",\"regions\":[", gc.delete_found ? "true" : "false",
               (uint64_t)(gc.stale_ns / 1000000ULL));
    }
    tp_gc_dir(&gc, base_fd, base, 0);
    close(base_fd);
    if (gc.json)
    {
        printf("],\"examined\":%zu,\"found\":%zu,\"deleted\":%zu,\"kept\":%zu,\"errors\":%zu}\n", gc.examined, gc.found,
               gc.deleted, gc.kept, gc.errors);
    }
    else
    {
        printf("%zu region(s) examined, %zu found, %zu deleted, %zu kept\n", gc.examined, gc.found, gc.deleted,
               gc.kept);
    }
    if (0 != gc.errors)
    {
        return TP_GC_EXIT_ERROR;
    }
    return gc.found > gc.deleted ? TP_GC_EXIT_FOUND : 0;
}
