/*
 * tp_shm_inspect: show what is in tensorpool SHM regions (wire spec §7, §8, §15.21a), read-only and safe to run
 * while a producer writes. PATH is a header.ring, a payload-<id>.pool, or a directory: an epoch directory (its
 * region files), a stream/instance directory (those of each epoch-<E> subdirectory), or a namespace or SHM base
 * directory further up (subdirectories are searched down to the epoch level; symlinks are never followed).
 *
 * Exit status: 0 every region found is valid; 1 nothing found, or a region failed validation; 2 usage error, or
 * a PATH that cannot be read or is not a regular file or directory.
 */
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "tp_inspect_json.h"
#include "tp_inspect_print.h"
#include "tp_app_options.h"
#include "tp_inspect_region.h"

#define TP_INSPECT_PATH_MAX   4096
#define TP_INSPECT_ERRORS_TOP 64
/* base dir (0) / namespace (1) / instance or driver stream (2) / epoch-<E> (3): region files live at depth 3. */
#define TP_INSPECT_DEPTH_MAX 3

typedef struct tp_inspect_run_stct
{
    bool json;
    tp_inspect_select_t select;
    unsigned found;
    unsigned invalid;
    unsigned printed; /* regions printed so far: separators go between them */
    bool io_error;
    unsigned error_count; /* path-level errors, also gathered for the JSON document */
    char errors[TP_INSPECT_ERRORS_TOP][TP_INSPECT_PATH_MAX + 128];
} tp_inspect_run_t;

static void tp_inspect_usage(FILE *out)
{
    fprintf(out, "Usage: tp_shm_inspect [options] PATH...\n"
                 "Show the tensorpool SHM regions at PATH, read-only (safe while a producer writes).\n"
                 "PATH is a header.ring, a payload-<id>.pool, an epoch-<E> directory (its region files), a\n"
                 "stream/instance directory (those of each epoch-<E>), or a namespace or SHM base directory\n"
                 "(searched down to the epoch level; symlinks are never followed).\n"
                 "\n"
                 "Options:\n"
                 "  --json          print one JSON document instead of text\n"
                 "  --slots N       show at most N slots of each header ring\n"
                 "  --all-slots     show every slot (default: the committed ones)\n"
                 "  -h, --help      this help\n"
                 "\n"
                 "Exit status: 0 all regions valid; 1 nothing found or a region failed validation;\n"
                 "2 usage error, or a PATH that is missing, unreadable or not a regular file or directory.\n");
}

/* A path-level problem: always one line on stderr, and in the JSON document's "errors". */
static void tp_inspect_path_error(tp_inspect_run_t *run, const char *path, const char *what)
{
    fprintf(stderr, "tp_shm_inspect: %s: %s\n", path, what);
    if (run->error_count < TP_INSPECT_ERRORS_TOP)
    {
        snprintf(run->errors[run->error_count++], sizeof(run->errors[0]), "%s: %s", path, what);
    }
}

static void tp_inspect_region(tp_inspect_run_t *run, const char *path)
{
    tp_inspect_region_t *region = malloc(sizeof(*region));
    if (NULL == region)
    {
        tp_inspect_path_error(run, path, "out of memory");
        run->io_error = true;
        return;
    }
    int rc = tp_inspect_region_read(path, &run->select, region);
    run->found++;
    if (rc < 0 || !region->valid)
    {
        run->invalid++;
    }
    if (rc < 0)
    {
        /* Not a file we may open (a symlink or FIFO in place of a region, say): one line, then the next. */
        tp_inspect_path_error(run, path, region->errors[0]);
    }
    if (run->json)
    {
        fprintf(stdout, "%s", 0 == run->printed++ ? "" : ",");
        tp_inspect_print_json(stdout, region);
    }
    else if (rc == 0)
    {
        fprintf(stdout, "%s", 0 == run->printed++ ? "" : "\n");
        tp_inspect_print_text(stdout, region);
    }
    tp_inspect_region_free(region);
    free(region);
}

static bool tp_inspect_is_region_name(const char *name)
{
    unsigned pool_id = 0;
    char tail[8] = {0};
    return 0 == strcmp(name, "header.ring") ||
           (2 == sscanf(name, "payload-%u.%7s", &pool_id, tail) && 0 == strcmp(tail, "pool"));
}

/* The region files of dir and of its subdirectories down to an epoch dir below a base dir, in name order. */
static void tp_inspect_dir(tp_inspect_run_t *run, const char *dir, int depth)
{
    struct dirent **entries = NULL;
    int n = scandir(dir, &entries, NULL, alphasort);
    if (n < 0)
    {
        char what[300];
        snprintf(what, sizeof(what), "cannot read directory: %s", strerror(errno));
        tp_inspect_path_error(run, dir, what);
        run->io_error = true;
        return;
    }
    for (int i = 0; i < n; i++)
    {
        const char *name = entries[i]->d_name;
        char path[TP_INSPECT_PATH_MAX];
        int len = snprintf(path, sizeof(path), "%s/%s", dir, name);
        if (len < 0 || (size_t)len >= sizeof(path))
        {
            tp_inspect_path_error(run, dir, "entry path too long");
            continue;
        }
        struct stat st;
        if (tp_inspect_is_region_name(name))
        {
            tp_inspect_region(run, path);
        }
        else if (depth < TP_INSPECT_DEPTH_MAX && '.' != name[0] && 0 == lstat(path, &st) && S_ISDIR(st.st_mode))
        {
            tp_inspect_dir(run, path, depth + 1); /* lstat: a symlinked directory is never followed */
        }
    }
    for (int i = 0; i < n; i++)
    {
        free(entries[i]);
    }
    free(entries);
}

static void tp_inspect_path(tp_inspect_run_t *run, const char *path)
{
    struct stat st;
    if (lstat(path, &st) < 0)
    {
        char what[300];
        snprintf(what, sizeof(what), "cannot stat: %s", strerror(errno));
        tp_inspect_path_error(run, path, what);
        run->io_error = true;
        return;
    }
    if (S_ISDIR(st.st_mode))
    {
        tp_inspect_dir(run, path, 0);
        return;
    }
    if (!S_ISREG(st.st_mode))
    {
        /* Never follow or open these: a symlink could point anywhere, a FIFO would block. */
        const char *kind = S_ISLNK(st.st_mode)                            ? "a symlink"
                           : S_ISFIFO(st.st_mode)                         ? "a FIFO"
                           : S_ISSOCK(st.st_mode)                         ? "a socket"
                           : (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode)) ? "a device"
                                                                          : "not a regular file";
        char what[128];
        snprintf(what, sizeof(what), "refused: %s, not a regular file or directory", kind);
        tp_inspect_path_error(run, path, what);
        run->io_error = true;
        return;
    }
    tp_inspect_region(run, path);
}

int main(int argc, char **argv)
{
    static tp_inspect_run_t run; /* large: the gathered error lines */
    run.select.max_slots = UINT32_MAX;
    enum
    {
        OPT_JSON = 256,
        OPT_SLOTS,
        OPT_ALL_SLOTS
    };
    static const struct option long_options[] = {
        {"json", no_argument, NULL, OPT_JSON},
        {"slots", required_argument, NULL, OPT_SLOTS},
        {"all-slots", no_argument, NULL, OPT_ALL_SLOTS},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int opt;
    uint64_t slots = 0;
    while (-1 != (opt = getopt_long(argc, argv, "h", long_options, NULL)))
    {
        switch (opt)
        {
            case OPT_JSON:
                run.json = true;
                break;
            case OPT_SLOTS:
                if (tp_app_size_parse("--slots", optarg, 0, UINT32_MAX, &slots) < 0)
                {
                    return 2;
                }
                run.select.max_slots = (uint32_t)slots;
                break;
            case OPT_ALL_SLOTS:
                run.select.all_slots = true;
                break;
            case 'h':
                tp_inspect_usage(stdout);
                return 0;
            default:
                tp_inspect_usage(stderr);
                return 2;
        }
    }
    if (optind >= argc)
    {
        fprintf(stderr, "tp_shm_inspect: no PATH given\n");
        tp_inspect_usage(stderr);
        return 2;
    }

    if (run.json)
    {
        fprintf(stdout, "{\"tool\":\"tp_shm_inspect\",\"regions\":[");
    }
    for (int i = optind; i < argc; i++)
    {
        tp_inspect_path(&run, argv[i]);
    }
    if (0 == run.found && !run.io_error)
    {
        for (int i = optind; i < argc; i++)
        {
            tp_inspect_path_error(&run, argv[i], "nothing found (no header.ring or payload-<id>.pool)");
        }
    }
    if (run.json)
    {
        fprintf(stdout, "],\"found\":%u,\"invalid\":%u,\"errors\":[", run.found, run.invalid);
        for (unsigned i = 0; i < run.error_count; i++)
        {
            fprintf(stdout, "%s", 0 == i ? "" : ",");
            tp_inspect_json_string(stdout, run.errors[i]);
        }
        fprintf(stdout, "]}\n");
    }
    else if (run.found > 0)
    {
        fprintf(stdout, "\n%u region(s), %u invalid\n", run.found, run.invalid);
    }
    if (run.io_error)
    {
        return 2;
    }
    return 0 == run.found || 0 != run.invalid ? 1 : 0;
}
