/*
 * tp_shm_inspect as a real process. (1) Over the live regions of tp_example_producer (with tp_mediadriver and a
 * verifying tp_example_consumer): every --json run is a valid JSON document describing a valid ring and pool,
 * and the consumer still verifies every frame, because the tool only reads. (2) After the producer's clean close
 * nothing is left: exit 1, "nothing found". (3) Hostile files built here (bad magic, 10 bytes, wrong layout
 * version, nslots beyond the file, unknown region type, garbage slots, a FIFO, a symlink): a clear message and
 * the documented exit status, never a crash.
 */
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "apps_test_process.h"
#include "apps_tool_run.h"
#include "shm/tp_seqlock.h"
#include "shm/tp_slot_header.h"
#include "shm/tp_superblock.h"

#define RING_SLOTS 8
#define RING_BYTES (TP_SUPERBLOCK_LENGTH + RING_SLOTS * TP_SLOT_HEADER_BYTES)

static int inspect_setup(void **state)
{
    return apps_scratch_setup(state, "tp-test-inspect");
}

static int inspect_teardown(void **state)
{
    return apps_scratch_teardown(state);
}

/* ---- a validating JSON parser (RFC 8259 grammar; numbers and escapes checked, values not kept) ---- */

static bool json_value(const char **p, int depth);

static void json_ws(const char **p)
{
    while (' ' == **p || '\t' == **p || '\n' == **p || '\r' == **p)
    {
        (*p)++;
    }
}

static bool json_string(const char **p)
{
    if ('"' != **p)
    {
        return false;
    }
    (*p)++;
    while ('"' != **p)
    {
        unsigned char c = (unsigned char)**p;
        if ('\0' == c || c < 0x20)
        {
            return false;
        }
        if ('\\' == c)
        {
            (*p)++;
            if ('u' == **p)
            {
                for (int i = 1; i <= 4; i++)
                {
                    char h = (*p)[i];
                    if (!((h >= '0' && h <= '9') || (h >= 'a' && h <= 'f') || (h >= 'A' && h <= 'F')))
                    {
                        return false;
                    }
                }
                *p += 4;
            }
            else if (NULL == strchr("\"\\/bfnrt", **p) || '\0' == **p)
            {
                return false;
            }
        }
        (*p)++;
    }
    (*p)++;
    return true;
}

static bool json_digits(const char **p)
{
    const char *start = *p;
    while (**p >= '0' && **p <= '9')
    {
        (*p)++;
    }
    return *p > start;
}

static bool json_number(const char **p)
{
    if ('-' == **p)
    {
        (*p)++;
    }
    if ('0' == **p)
    {
        (*p)++;
    }
    else if (!json_digits(p))
    {
        return false;
    }
    if ('.' == **p)
    {
        (*p)++;
        if (!json_digits(p))
        {
            return false;
        }
    }
    if ('e' == **p || 'E' == **p)
    {
        (*p)++;
        if ('+' == **p || '-' == **p)
        {
            (*p)++;
        }
        if (!json_digits(p))
        {
            return false;
        }
    }
    return true;
}

static bool json_container(const char **p, int depth, char close, bool keyed)
{
    (*p)++;
    json_ws(p);
    if (close == **p)
    {
        (*p)++;
        return true;
    }
    for (;;)
    {
        json_ws(p);
        if (keyed)
        {
            if (!json_string(p))
            {
                return false;
            }
            json_ws(p);
            if (':' != **p)
            {
                return false;
            }
            (*p)++;
        }
        if (!json_value(p, depth + 1))
        {
            return false;
        }
        json_ws(p);
        if (',' == **p)
        {
            (*p)++;
            continue;
        }
        if (close == **p)
        {
            (*p)++;
            return true;
        }
        return false;
    }
}

static bool json_literal(const char **p, const char *word)
{
    size_t n = strlen(word);
    if (0 != strncmp(*p, word, n))
    {
        return false;
    }
    *p += n;
    return true;
}

static bool json_value(const char **p, int depth)
{
    if (depth > 64)
    {
        return false;
    }
    json_ws(p);
    switch (**p)
    {
        case '{':
            return json_container(p, depth, '}', true);
        case '[':
            return json_container(p, depth, ']', false);
        case '"':
            return json_string(p);
        case 't':
            return json_literal(p, "true");
        case 'f':
            return json_literal(p, "false");
        case 'n':
            return json_literal(p, "null");
        default:
            return json_number(p);
    }
}

static bool json_document_valid(const char *text)
{
    const char *p = text;
    if (!json_value(&p, 0))
    {
        return false;
    }
    json_ws(&p);
    return '\0' == *p;
}

static void test_json_validator(void **state)
{
    (void)state;
    assert_true(json_document_valid("{\"a\":[1,-2.5e3,true,null,\"x\\u00e9\\n\"],\"b\":{}}\n"));
    assert_false(json_document_valid("{\"a\":1,}"));
    assert_false(json_document_valid("{\"a\":\"tab\there\"}"));
    assert_false(json_document_valid("{\"a\":01}"));
    assert_false(json_document_valid("[1] [2]"));
    assert_false(json_document_valid("{\"a\":\"\\x\"}"));
}

/* ---- running the tool ---- */

typedef apps_tool_result_t inspect_result_t;

/* Runs tp_shm_inspect with up to 4 arguments (NULL-terminated), stdout and stderr captured. */
static inspect_result_t inspect_run(const char *dir, const char *a0, const char *a1, const char *a2, const char *a3)
{
    const char *argv[] = {TP_SHM_INSPECT_BIN, a0, a1, a2, a3, NULL};
    return apps_tool_run(dir, "inspect", argv);
}

static void inspect_result_free(inspect_result_t *result)
{
    apps_tool_result_free(result);
}

/* ---- (1) and (2): the live regions of a real producer, then its clean close ---- */

static bool process_running(pid_t pid, int *status)
{
    int raw = 0;
    pid_t r = waitpid(pid, &raw, WNOHANG);
    if (0 == r)
    {
        return true;
    }
    *status = r == pid && WIFEXITED(raw) ? WEXITSTATUS(raw) : -1;
    return false;
}

static void test_live_producer(void **state)
{
    const char *dir = *state;
    char aeron_dir[300];
    char shm_dir[300];
    char out_driver[300];
    char out_producer[300];
    char out_consumer[300];
    snprintf(aeron_dir, sizeof(aeron_dir), "%s/aeron", dir);
    snprintf(shm_dir, sizeof(shm_dir), "%s/shm", dir);
    snprintf(out_driver, sizeof(out_driver), "%s/driver.txt", dir);
    snprintf(out_producer, sizeof(out_producer), "%s/producer.txt", dir);
    snprintf(out_consumer, sizeof(out_consumer), "%s/consumer.txt", dir);

    char env_dir[320];
    snprintf(env_dir, sizeof(env_dir), "AERON_DIR=%s", aeron_dir);
    const char *env[] = {env_dir, "AERON_DIR_DELETE_ON_SHUTDOWN=true", "AERON_THREADING_MODE=SHARED", NULL};
    const char *driver_argv[] = {TP_MEDIADRIVER_BIN, NULL};
    pid_t driver = apps_process_spawn(driver_argv, env, out_driver);
    assert_true(driver > 0);
    const char *consumer_argv[] = {TP_EXAMPLE_CONSUMER_BIN,
                                   "-p",
                                   aeron_dir,
                                   "--shm-dir",
                                   shm_dir,
                                   "--shape",
                                   "240x320",
                                   "--dtype",
                                   "uint16",
                                   "--frames",
                                   "300",
                                   "--duration",
                                   "90",
                                   NULL};
    const char *producer_argv[] = {
        TP_EXAMPLE_PRODUCER_BIN, "--shm-dir", shm_dir,      "--shape", "240x320", "--dtype", "uint16", "--rate", "100",
        "--wait-consumers",      "1",         "--duration", "90",      NULL};
    pid_t consumer = apps_process_spawn(consumer_argv, NULL, out_consumer);
    pid_t producer = apps_process_spawn(producer_argv, env, out_producer);
    assert_true(consumer > 0 && producer > 0);

    /* The producer's instance dir (<shm>/<ns>/<instance>) once its header ring exists. */
    char pattern[400];
    snprintf(pattern, sizeof(pattern), "%s/*/*/epoch-*/header.ring", shm_dir);
    char instance_dir[400] = {0};
    int64_t deadline = apps_now_ms() + 60000;
    while ('\0' == instance_dir[0] && apps_now_ms() < deadline)
    {
        glob_t g;
        if (0 == glob(pattern, 0, NULL, &g) && 1 == g.gl_pathc)
        {
            snprintf(instance_dir, sizeof(instance_dir), "%s", g.gl_pathv[0]);
            *strrchr(instance_dir, '/') = '\0'; /* the epoch dir */
            *strrchr(instance_dir, '/') = '\0'; /* the instance dir */
        }
        globfree(&g);
        apps_sleep_ms(20);
    }
    assert_true('\0' != instance_dir[0]);

    /* Inspect over and over while the consumer reads: each run a valid document of a valid ring and pool. */
    int consumer_status = -1;
    unsigned runs = 0;
    unsigned runs_with_frames = 0;
    while (process_running(consumer, &consumer_status) && apps_now_ms() < deadline + 30000)
    {
        inspect_result_t r = inspect_run(dir, "--json", instance_dir, NULL, NULL);
        if (!json_document_valid(r.out))
        {
            fprintf(stderr, "not valid JSON:\n%s\n", r.out);
        }
        assert_true(json_document_valid(r.out));
        assert_int_equal(r.status, 0);
        assert_non_null(strstr(r.out, "\"found\":2,\"invalid\":0"));
        assert_non_null(strstr(r.out, "\"region_type_name\":\"header_ring\""));
        assert_non_null(strstr(r.out, "\"region_type_name\":\"payload_pool\""));
        assert_non_null(strstr(r.out, "\"pid_alive\":true"));
        if (NULL != strstr(r.out, "\"state\":\"committed\""))
        {
            assert_non_null(strstr(r.out, "\"tensor\":{\"dtype\":\"uint16\",\"ndims\":2,\"dims\":[240,320]"));
            runs_with_frames++;
        }
        runs++;
        inspect_result_free(&r);
        apps_sleep_ms(10);
    }
    /* One text run too, while the producer still holds its regions. */
    inspect_result_t text = inspect_run(dir, "--slots", "3", instance_dir, NULL);
    fprintf(stderr, "tp_shm_inspect (%u JSON runs, %u saw frames):\n%s\n", runs, runs_with_frames, text.out);
    assert_int_equal(text.status, 0);
    assert_non_null(strstr(text.out, "header.ring: 4160 bytes, ok"));
    assert_non_null(strstr(text.out, "(alive)"));
    assert_true(apps_count_occurrences(text.out, "committed      seq") <= 3);
    inspect_result_free(&text);
    /* From the base dir, the search goes down through namespace and instance to the same two regions. */
    text = inspect_run(dir, "--slots", "0", shm_dir, NULL);
    assert_int_equal(text.status, 0);
    assert_non_null(strstr(text.out, "2 region(s), 0 invalid"));
    assert_int_equal(apps_count_occurrences(text.out, "committed      seq"), 0);
    inspect_result_free(&text);

    kill(producer, SIGINT);
    int producer_status = apps_process_wait(producer, 20000);
    char *consumer_text = apps_file_read(out_consumer);
    assert_non_null(consumer_text);
    fprintf(stderr, "consumer:\n%s\n", consumer_text);
    assert_true(runs > 0);
    assert_true(runs_with_frames > 0);
    assert_int_equal(consumer_status, 0);
    tp_app_summary_t summary;
    assert_true(apps_summary_parse(consumer_text, &summary));
    assert_int_equal(summary.received, 300);
    assert_int_equal(summary.bad, 0);
    assert_true(summary.received - summary.verified <= summary.drops_late);
    free(consumer_text);
    assert_int_equal(producer_status, 0);

    /* (2) The clean close removed every region and directory: nothing found. */
    inspect_result_t gone = inspect_run(dir, shm_dir, NULL, NULL, NULL);
    assert_int_equal(gone.status, 1);
    assert_non_null(strstr(gone.err, "nothing found"));
    inspect_result_free(&gone);
    gone = inspect_run(dir, "--json", shm_dir, NULL, NULL);
    assert_int_equal(gone.status, 1);
    assert_true(json_document_valid(gone.out));
    assert_non_null(strstr(gone.out, "\"found\":0"));
    inspect_result_free(&gone);
    gone = inspect_run(dir, instance_dir, NULL, NULL, NULL); /* the removed dir itself is a bad path */
    assert_int_equal(gone.status, 2);
    inspect_result_free(&gone);

    kill(driver, SIGINT);
    assert_int_equal(apps_process_wait(driver, 20000), 0);
}

/* ---- (3): hostile files ---- */

/* A header ring of RING_SLOTS slots: slots 0..2 committed (seq 8..10), slot 3 being written (seq 11), rest empty. */
static void ring_build(uint8_t *ring)
{
    memset(ring, 0, RING_BYTES);
    tp_superblock_t sb;
    tp_superblock_init_header_ring(&sb, 7, 10, RING_SLOTS);
    assert_int_equal(tp_superblock_write(ring, RING_BYTES, &sb), 0);
    for (uint32_t i = 0; i < 4; i++)
    {
        uint8_t *slot = ring + TP_SUPERBLOCK_LENGTH + i * TP_SLOT_HEADER_BYTES;
        tp_slot_header_fields_t fields;
        memset(&fields, 0, sizeof(fields));
        fields.values_len_bytes = 24;
        fields.payload_slot = i;
        fields.pool_id = 1;
        fields.tensor.dtype = TP_DTYPE_FLOAT32;
        fields.tensor.major_order = TP_MAJOR_ORDER_ROW;
        fields.tensor.ndims = 2;
        fields.tensor.dims[0] = 2;
        fields.tensor.dims[1] = 3;
        tp_seqlock_write_begin(tp_seqlock_word(slot), 8 + i);
        assert_int_equal(tp_slot_header_encode(slot, TP_SLOT_HEADER_BYTES, &fields), TP_FRAME_OK);
        if (i < 3)
        {
            tp_seqlock_write_commit(tp_seqlock_word(slot), 8 + i);
        }
    }
}

static void file_write(const char *dir, const char *name, const uint8_t *bytes, size_t length, char *path,
                       size_t path_length)
{
    snprintf(path, path_length, "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(bytes, 1, length, f), length);
    assert_int_equal(fclose(f), 0);
}

static void put_u32(uint8_t *at, uint32_t v)
{
    memcpy(at, &v, sizeof(v));
}

/* One file alone: the status, and the message on stdout (text mode), then the same in a valid JSON document. */
static void expect_file(const char *dir, const char *path, int status, const char *message)
{
    inspect_result_t r = inspect_run(dir, path, NULL, NULL, NULL);
    fprintf(stderr, "%s -> %d\n%s%s", path, r.status, r.out, r.err);
    assert_int_equal(r.status, status);
    assert_true(NULL != strstr(r.out, message) || NULL != strstr(r.err, message));
    inspect_result_free(&r);
    r = inspect_run(dir, "--json", path, NULL, NULL);
    assert_int_equal(r.status, status);
    assert_true(json_document_valid(r.out));
    assert_non_null(strstr(r.out, message));
    inspect_result_free(&r);
}

static void test_valid_ring_slots(void **state)
{
    const char *dir = *state;
    uint8_t ring[RING_BYTES];
    ring_build(ring);
    char path[300];
    file_write(dir, "header.ring", ring, sizeof(ring), path, sizeof(path));

    inspect_result_t r = inspect_run(dir, "--json", path, NULL, NULL);
    assert_int_equal(r.status, 0);
    assert_true(json_document_valid(r.out));
    assert_non_null(strstr(r.out, "\"committed\":3,\"in_progress\":1,\"changing\":0,\"empty\":4"));
    assert_int_equal(apps_count_occurrences(r.out, "\"index\":"), 3); /* default: the committed ones */
    assert_non_null(strstr(r.out, "\"seq\":10,\"pool_id\":1,\"payload_slot\":2"));
    assert_non_null(strstr(r.out, "\"dtype\":\"float32\",\"ndims\":2,\"dims\":[2,3],\"strides\":[0,0]"));
    inspect_result_free(&r);
    r = inspect_run(dir, "--json", "--all-slots", path, NULL);
    assert_int_equal(apps_count_occurrences(r.out, "\"index\":"), RING_SLOTS);
    assert_non_null(strstr(r.out, "{\"index\":3,\"state\":\"in_progress\",\"seq\":11}"));
    inspect_result_free(&r);
    r = inspect_run(dir, "--json", "--slots", "2", path);
    assert_int_equal(apps_count_occurrences(r.out, "\"index\":"), 2);
    inspect_result_free(&r);
    r = inspect_run(dir, path, NULL, NULL, NULL);
    assert_int_equal(r.status, 0);
    assert_non_null(strstr(r.out, "3 committed, 1 in progress, 0 changing, 4 empty"));
    assert_non_null(strstr(r.out, "float32 ndims 2 dims [2x3]"));
    inspect_result_free(&r);
    /* The tool never wrote: the file is byte for byte what we wrote. */
    char *after = apps_file_read(path);
    assert_non_null(after);
    assert_memory_equal(after, ring, sizeof(ring));
    free(after);
}

static void test_corrupt_files(void **state)
{
    const char *dir = *state;
    uint8_t ring[RING_BYTES];
    char path[300];

    ring_build(ring);
    ring[0] ^= 0xff;
    file_write(dir, "bad-magic.ring", ring, sizeof(ring), path, sizeof(path));
    expect_file(dir, path, 1, "bad magic");

    ring_build(ring);
    file_write(dir, "short.ring", ring, 10, path, sizeof(path));
    expect_file(dir, path, 1, "file of 10 bytes is shorter than the 64-byte superblock");

    ring_build(ring);
    put_u32(ring + 8, 2); /* layoutVersion */
    file_write(dir, "version.ring", ring, sizeof(ring), path, sizeof(path));
    expect_file(dir, path, 1, "layout_version 2");

    ring_build(ring);
    put_u32(ring + 28, 1u << 30); /* nslots far beyond the file */
    file_write(dir, "nslots.ring", ring, sizeof(ring), path, sizeof(path));
    expect_file(dir, path, 1, "nslots 1073741824 x 256 bytes needs 274877907008 bytes, the file holds 2112");

    ring_build(ring);
    ring[24] = 7; /* regionType */
    file_write(dir, "type.ring", ring, sizeof(ring), path, sizeof(path));
    expect_file(dir, path, 1, "unknown region_type 7");

    ring_build(ring);
    put_u32(ring + 36, 3000); /* a pool whose stride is not a power of two */
    ring[24] = TP_REGION_PAYLOAD_POOL;
    file_write(dir, "payload-0.pool", ring, sizeof(ring), path, sizeof(path));
    expect_file(dir, path, 1, "stride_bytes 3000 is not a power of two");

    /* A committed slot whose embedded header lies: reported on the slot, the ring itself is fine. */
    ring_build(ring);
    ring[TP_SUPERBLOCK_LENGTH + TP_SLOT_HEADER_BLOCK_LENGTH] = 0x7f; /* headerBytes length */
    file_write(dir, "lying-slot.ring", ring, sizeof(ring), path, sizeof(path));
    expect_file(dir, path, 0, "headerBytes length 127, expected 192");

    char fifo[300];
    snprintf(fifo, sizeof(fifo), "%s/fifo.ring", dir);
    assert_int_equal(mkfifo(fifo, 0600), 0);
    expect_file(dir, fifo, 2, "refused: a FIFO");
    char link[300];
    snprintf(link, sizeof(link), "%s/link.ring", dir);
    assert_int_equal(symlink(path, link), 0);
    expect_file(dir, link, 2, "refused: a symlink");
    expect_file(dir, "/dev/null", 2, "refused: a device");

    inspect_result_t r = inspect_run(dir, "/nonexistent/tp-inspect/header.ring", NULL, NULL, NULL);
    assert_int_equal(r.status, 2);
    assert_non_null(strstr(r.err, "cannot stat"));
    inspect_result_free(&r);
    r = inspect_run(dir, NULL, NULL, NULL, NULL);
    assert_int_equal(r.status, 2);
    inspect_result_free(&r);
    r = inspect_run(dir, "--slots", "-1", dir, NULL);
    assert_int_equal(r.status, 2);
    inspect_result_free(&r);
}

/* A sparse ring of 2^20 slots that are all empty: counted without being kept, none shown, the ring valid. */
static void test_large_sparse_ring(void **state)
{
    const char *dir = *state;
    const uint32_t nslots = 1u << 20;
    uint8_t superblock[TP_SUPERBLOCK_LENGTH];
    tp_superblock_t sb;
    tp_superblock_init_header_ring(&sb, 3, 10, nslots);
    assert_int_equal(tp_superblock_write(superblock, sizeof(superblock), &sb), 0);
    char path[300];
    file_write(dir, "header.ring", superblock, sizeof(superblock), path, sizeof(path));
    assert_int_equal(truncate(path, (off_t)TP_SUPERBLOCK_LENGTH + (off_t)nslots * TP_SLOT_HEADER_BYTES), 0);
    inspect_result_t r = inspect_run(dir, "--json", path, NULL, NULL);
    assert_int_equal(r.status, 0);
    assert_true(json_document_valid(r.out));
    assert_non_null(strstr(r.out, "\"committed\":0,\"in_progress\":0,\"changing\":0,\"empty\":1048576},\"slots\":[]"));
    inspect_result_free(&r);
    r = inspect_run(dir, "--all-slots", "--slots=5", path, NULL);
    assert_int_equal(r.status, 0);
    assert_int_equal(apps_count_occurrences(r.out, "] empty"), 5);
    inspect_result_free(&r);
}

/* An epoch dir whose header.ring is a FIFO and whose pool is a symlink: one line each, the rest still shown. */
static void test_hostile_epoch_dir(void **state)
{
    const char *dir = *state;
    char epoch[300];
    snprintf(epoch, sizeof(epoch), "%s/inst/epoch-5", dir);
    char inst[300];
    snprintf(inst, sizeof(inst), "%s/inst", dir);
    assert_int_equal(mkdir(inst, 0700), 0);
    assert_int_equal(mkdir(epoch, 0700), 0);
    char fifo[400];
    snprintf(fifo, sizeof(fifo), "%s/header.ring", epoch);
    assert_int_equal(mkfifo(fifo, 0600), 0);
    char link[400];
    snprintf(link, sizeof(link), "%s/payload-1.pool", epoch);
    assert_int_equal(symlink("/etc/passwd", link), 0);
    uint8_t ring[RING_BYTES];
    ring_build(ring);
    char path[400];
    file_write(epoch, "payload-2.pool", ring, sizeof(ring), path, sizeof(path)); /* holds a header ring */

    inspect_result_t r = inspect_run(dir, inst, NULL, NULL, NULL);
    fprintf(stderr, "%s%s", r.out, r.err);
    assert_int_equal(r.status, 1);
    assert_non_null(strstr(r.err, "header.ring: refused: a FIFO"));
    assert_non_null(strstr(r.err, "payload-1.pool: refused: a symlink"));
    assert_non_null(strstr(r.out, "payload-2.pool holds region_type 1 pool_id 0"));
    assert_non_null(strstr(r.out, "3 region(s), 3 invalid"));
    inspect_result_free(&r);
    r = inspect_run(dir, "--json", epoch, NULL, NULL);
    assert_int_equal(r.status, 1);
    assert_true(json_document_valid(r.out));
    assert_non_null(strstr(r.out, "\"found\":3,\"invalid\":3"));
    inspect_result_free(&r);
}

/* Random bytes after a valid magic, a plausible superblock and garbage slots: any verdict, but no crash. */
static void test_garbage_never_crashes(void **state)
{
    const char *dir = *state;
    uint8_t ring[RING_BYTES];
    char path[300];
    srand(12345);
    for (int round = 0; round < 40; round++)
    {
        ring_build(ring);
        size_t from = round < 20 ? 8 : TP_SUPERBLOCK_LENGTH; /* the superblock too, or only the slots */
        for (size_t i = from; i < sizeof(ring); i++)
        {
            ring[i] = (uint8_t)rand();
        }
        if (round >= 20)
        {
            for (uint32_t s = 0; s < RING_SLOTS; s++)
            {
                ring[TP_SUPERBLOCK_LENGTH + s * TP_SLOT_HEADER_BYTES] |= 1u; /* committed, so the slot is decoded */
            }
        }
        size_t length = 64 + (size_t)rand() % (sizeof(ring) - 63);
        file_write(dir, "header.ring", ring, length, path, sizeof(path));
        inspect_result_t r = inspect_run(dir, "--json", "--all-slots", path, NULL);
        assert_true(0 == r.status || 1 == r.status);
        assert_true(json_document_valid(r.out));
        inspect_result_free(&r);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_json_validator),
        cmocka_unit_test_setup_teardown(test_valid_ring_slots, inspect_setup, inspect_teardown),
        cmocka_unit_test_setup_teardown(test_corrupt_files, inspect_setup, inspect_teardown),
        cmocka_unit_test_setup_teardown(test_hostile_epoch_dir, inspect_setup, inspect_teardown),
        cmocka_unit_test_setup_teardown(test_large_sparse_ring, inspect_setup, inspect_teardown),
        cmocka_unit_test_setup_teardown(test_garbage_never_crashes, inspect_setup, inspect_teardown),
        cmocka_unit_test_setup_teardown(test_live_producer, inspect_setup, inspect_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
