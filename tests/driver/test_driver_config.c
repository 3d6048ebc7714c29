/*
 * Driver configuration (driver model spec §17, §11; wire spec §15.22): defaults, the example files, every
 * validation rule with its message, unknown-key warnings, environment overrides and derived defaults, and the
 * print -> load round trip.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common/tp_error_private.h"
#include "driver/tp_driver_config.h"

/* A minimal valid profile that the error cases add their one fault to. */
#define BASE_PROFILE "[profiles.p]\npayload_pools = [{ pool_id = 1, stride_bytes = 4096 }]\n"

static tp_driver_config_t *cfg;
static tp_driver_config_t *cfg2;

static int setup(void **state)
{
    cfg = malloc(sizeof(*cfg));
    cfg2 = malloc(sizeof(*cfg2));
    return NULL == cfg || NULL == cfg2 ? -1 : 0;
}

static int teardown(void **state)
{
    free(cfg);
    free(cfg2);
    return 0;
}

static void example_path(char *path, size_t capacity, const char *file)
{
    snprintf(path, capacity, "%s/%s", TP_CONFIG_DIR, file);
}

/* load_string + validate from defaults. */
static int load_text(tp_driver_config_t *config, const char *text)
{
    tp_driver_config_init(config);
    if (0 != tp_driver_config_load_string(config, text, strlen(text), "t.toml"))
    {
        return -1;
    }
    return tp_driver_config_validate(config);
}

static void expect_error(const char *text, const char *sub1, const char *sub2)
{
    int rc = load_text(cfg, text);
    if (-1 != rc || NULL == strstr(tp_errmsg(), sub1) || (NULL != sub2 && NULL == strstr(tp_errmsg(), sub2)))
    {
        print_error("config:\n%s\nrc=%d message: %s\nwanted: '%s' and '%s'\n", text, rc, tp_errmsg(), sub1,
                    NULL == sub2 ? "" : sub2);
        fail();
    }
    assert_true(EINVAL == tp_errcode() || TP_ERR_GENERIC == tp_errcode());
}

static void test_defaults_match_spec(void **state)
{
    tp_driver_config_init(cfg);
    assert_string_equal("driver-01", cfg->instance_id);
    assert_string_equal("", cfg->aeron_dir);
    assert_string_equal("aeron:ipc?term-length=4m", cfg->control_channel);
    assert_int_equal(1000, cfg->control_stream_id);
    assert_string_equal(cfg->control_channel, cfg->announce_channel);
    assert_int_equal(1000, cfg->announce_stream_id);
    assert_string_equal("aeron:ipc?term-length=4m", cfg->qos_channel);
    assert_int_equal(1200, cfg->qos_stream_id);
    assert_false(cfg->stream_id_range.set);
    assert_false(cfg->descriptor_stream_id_range.set);
    assert_false(cfg->control_stream_id_range.set);
    assert_false(cfg->embedded_media_driver);
    assert_string_equal("backoff", cfg->idle_strategy);
    assert_string_equal("/dev/shm/tensorpool", cfg->base_dir);
    assert_string_equal("tensorpool", cfg->namespace_name);
    assert_false(cfg->require_hugepages);
    assert_int_equal(4096, cfg->page_size_bytes);
    assert_int_equal(0660, cfg->permissions_mode);
    assert_int_equal(1, cfg->allowed_base_dir_count);
    assert_string_equal("/dev/shm/tensorpool", cfg->allowed_base_dirs[0]);
    assert_false(cfg->allow_dynamic_streams);
    assert_int_equal(0, cfg->default_profile_index);
    assert_int_equal(1000, cfg->announce_period_ms);
    assert_int_equal(1000, cfg->lease_keepalive_interval_ms);
    assert_int_equal(3, cfg->lease_expiry_grace_intervals);
    assert_true(cfg->prefault_shm);
    assert_false(cfg->mlock_shm);
    assert_true(cfg->epoch_gc_enabled);
    assert_int_equal(2, cfg->epoch_gc_keep);
    assert_int_equal(3000000000ULL, cfg->epoch_gc_min_age_ns);
    assert_false(cfg->epoch_gc_on_startup);
    assert_int_equal(2000, cfg->shutdown_timeout_ms);
    assert_string_equal("", cfg->shutdown_token);
    assert_int_equal(0, cfg->profile_count);
    assert_int_equal(0, cfg->stream_count);
    assert_int_equal(0, cfg->warning_count);

    /* Defaults alone do not validate: §17 requires a profile. */
    assert_int_equal(-1, tp_driver_config_validate(cfg));
    assert_non_null(strstr(tp_errmsg(), "no profile"));

    /* A profile with defaults for its fields: header_nslots 1024. */
    assert_int_equal(0, load_text(cfg, BASE_PROFILE));
    assert_int_equal(1024, cfg->profiles[0].header_nslots);
    assert_int_equal(1, cfg->profiles[0].pool_count);
}

static void test_camera_example(void **state)
{
    char path[4096];
    example_path(path, sizeof(path), "driver_camera.toml");
    assert_int_equal(0, tp_driver_config_load(cfg, path));
    assert_string_equal("camera-driver-01", cfg->instance_id);
    assert_int_equal(1000, cfg->announce_stream_id);
    assert_false(cfg->allow_dynamic_streams);
    assert_false(cfg->stream_id_range.set);
    assert_int_equal(1, cfg->profile_count);
    const tp_driver_profile_t *camera = tp_driver_config_find_profile(cfg, "camera");
    assert_non_null(camera);
    assert_null(tp_driver_config_find_profile(cfg, "nope"));
    assert_int_equal(16, camera->header_nslots);
    assert_int_equal(2, camera->pool_count);
    assert_int_equal(1, camera->pools[0].pool_id);
    assert_int_equal(65536, camera->pools[0].stride_bytes);
    assert_int_equal(2, camera->pools[1].pool_id);
    assert_int_equal(8388608, camera->pools[1].stride_bytes);
    assert_int_equal(2, cfg->stream_count);
    assert_string_equal("camera_front", cfg->streams[0].name);
    assert_int_equal(10001, cfg->streams[0].stream_id);
    assert_string_equal("camera_rear", cfg->streams[1].name);
    assert_int_equal(10002, cfg->streams[1].stream_id);
    assert_int_equal(0, cfg->streams[1].profile_index);
    assert_int_equal(0, cfg->warning_count);
}

static void test_dynamic_example(void **state)
{
    char path[4096];
    example_path(path, sizeof(path), "driver_dynamic.toml");
    assert_int_equal(0, tp_driver_config_load(cfg, path));
    assert_true(cfg->allow_dynamic_streams);
    assert_true(cfg->stream_id_range.set);
    assert_int_equal(20000, cfg->stream_id_range.first);
    assert_int_equal(29999, cfg->stream_id_range.last);
    assert_int_equal(31000, cfg->descriptor_stream_id_range.first);
    assert_int_equal(31999, cfg->descriptor_stream_id_range.last);
    assert_int_equal(32000, cfg->control_stream_id_range.first);
    assert_int_equal(32999, cfg->control_stream_id_range.last);
    assert_string_equal("change-me-4b1d", cfg->shutdown_token);
    assert_int_equal(0660, cfg->permissions_mode);
    assert_string_equal("default", cfg->profiles[cfg->default_profile_index].name);
    assert_int_equal(1000, cfg->announce_stream_id); /* derived from control */
    assert_int_equal(0, cfg->stream_count);
    assert_int_equal(0, cfg->warning_count);
}

static void test_missing_file(void **state)
{
    assert_int_equal(-1, tp_driver_config_load(cfg, "/nonexistent/driver.toml"));
    assert_non_null(strstr(tp_errmsg(), "/nonexistent/driver.toml"));
}

static void test_syntax_error_names_file_line_column(void **state)
{
    expect_error("[driver]\ninstance_id = \"x\"\ncontrol_stream_id = = 3\n", "t.toml:3:", "syntax");
    tp_driver_config_init(cfg);
    const char *text = "[shm\n";
    assert_int_equal(-1, tp_driver_config_load_string(cfg, text, strlen(text), "broken.toml"));
    assert_non_null(strstr(tp_errmsg(), "broken.toml:1:"));
}

static void test_type_and_integer_errors(void **state)
{
    expect_error("[driver]\ncontrol_stream_id = \"1000\"\n" BASE_PROFILE, "driver.control_stream_id",
                 "must be an integer, found string");
    expect_error("[driver]\ncontrol_stream_id = -1\n" BASE_PROFILE, "driver.control_stream_id = -1", "t.toml:2:");
    expect_error("[driver]\nqos_stream_id = 4294967296\n" BASE_PROFILE, "driver.qos_stream_id", "4294967296");
    expect_error("[policies]\nprefault_shm = 1\n" BASE_PROFILE, "policies.prefault_shm", "must be a boolean");
    expect_error("[shm]\nbase_dir = 5\n" BASE_PROFILE, "shm.base_dir", "found integer");
    expect_error("[profiles.p]\npayload_pools = [{ pool_id = 65536, stride_bytes = 4096 }]\n", "pool_id = 65536",
                 "0..65535");
    expect_error("[profiles.p]\nheader_nslots = -4\npayload_pools = [{ pool_id = 1, stride_bytes = 4096 }]\n",
                 "profiles.p.header_nslots = -4", NULL);
    expect_error("driver = 3\n" BASE_PROFILE, "driver must be a table", NULL);
    expect_error("[driver]\nstream_id_range = [1, 2, 3]\n" BASE_PROFILE, "driver.stream_id_range", "array");
    expect_error("[driver]\nstream_id_range = \"a-b\"\n" BASE_PROFILE, "driver.stream_id_range", "'a-b'");
    expect_error("[profiles.p]\npayload_pools = [{ pool_id = 1 }]\n", "payload_pools[0]", "stride_bytes");
}

static void test_profile_and_stream_errors(void **state)
{
    expect_error("[driver]\ninstance_id = \"x\"\n", "no profile", NULL);
    expect_error("[profiles.p]\npayload_pools = []\n", "profiles.p.payload_pools is empty", NULL);
    expect_error("[profiles.p]\nheader_nslots = 1\n", "profiles.p.payload_pools is empty", NULL);
    expect_error("[profiles.p]\npayload_pools = [{ pool_id = 1, stride_bytes = 4096 }, "
                 "{ pool_id = 1, stride_bytes = 8192 }]\n",
                 "duplicate pool_id 1", NULL);
    expect_error("[profiles.p]\nheader_nslots = 1000\npayload_pools = [{ pool_id = 1, stride_bytes = 4096 }]\n",
                 "header_nslots = 1000", "power of two");
    expect_error("[profiles.p]\nheader_nslots = 0\npayload_pools = [{ pool_id = 1, stride_bytes = 4096 }]\n",
                 "header_nslots = 0", "power of two");
    expect_error("[profiles.p]\npayload_pools = [{ pool_id = 1, stride_bytes = 6144 }]\n", "stride_bytes 6144",
                 "power of two");
    expect_error("[profiles.p]\npayload_pools = [{ pool_id = 1, stride_bytes = 2048 }]\n", "stride_bytes 2048",
                 "multiple of shm.page_size_bytes 4096");
    expect_error("[shm]\npage_size_bytes = 3000\n" BASE_PROFILE, "shm.page_size_bytes = 3000", "power of two");
    expect_error(BASE_PROFILE "[streams.s]\nstream_id = 5\nprofile = \"q\"\n", "streams.s.profile",
                 "unknown profile 'q'");
    expect_error(BASE_PROFILE "[streams.s]\nstream_id = 5\n", "streams.s needs both stream_id and profile", NULL);
    expect_error("[policies]\ndefault_profile = \"zz\"\n" BASE_PROFILE, "policies.default_profile",
                 "unknown profile 'zz'");
    expect_error(BASE_PROFILE "[streams.a]\nstream_id = 7\nprofile = \"p\"\n[streams.b]\nstream_id = 7\nprofile = "
                              "\"p\"\n",
                 "streams.b.stream_id 7 duplicates streams.a", NULL);
}

static void test_range_errors(void **state)
{
    expect_error("[driver]\nstream_id_range = \"30-20\"\n" BASE_PROFILE, "driver.stream_id_range", "inverted");
    expect_error(
        "[driver]\nstream_id_range = \"20000-29999\"\ndescriptor_stream_id_range = [29000, 30000]\n" BASE_PROFILE,
        "driver.descriptor_stream_id_range 29000-30000 overlaps driver.stream_id_range", NULL);
    expect_error(
        "[driver]\ndescriptor_stream_id_range = \"100-200\"\ncontrol_stream_id_range = \"200-300\"\n" BASE_PROFILE,
        "driver.control_stream_id_range 200-300 overlaps driver.descriptor_stream_id_range", NULL);
    expect_error("[driver]\nstream_id_range = \"900-1100\"\n" BASE_PROFILE, "contains driver.control_stream_id 1000",
                 NULL);
    expect_error("[driver]\nannounce_stream_id = 5000\ncontrol_stream_id_range = \"5000-5001\"\n" BASE_PROFILE,
                 "contains driver.announce_stream_id 5000", NULL);
    expect_error("[driver]\ndescriptor_stream_id_range = \"1200-1200\"\n" BASE_PROFILE,
                 "contains driver.qos_stream_id 1200", NULL);
    expect_error("[driver]\nstream_id_range = \"20000-29999\"\n" BASE_PROFILE
                 "[streams.cam]\nstream_id = 20001\nprofile = \"p\"\n",
                 "contains streams.cam.stream_id 20001", NULL);
    expect_error("[policies]\nallow_dynamic_streams = true\n" BASE_PROFILE, "allow_dynamic_streams",
                 "driver.stream_id_range");
}

static void test_shm_and_policy_errors(void **state)
{
    expect_error("[shm]\nbase_dir = \"relative/dir\"\n" BASE_PROFILE, "shm.base_dir 'relative/dir'", "absolute");
    expect_error("[shm]\nallowed_base_dirs = [\"/dev/shm/tensorpool\", \"tmp\"]\n" BASE_PROFILE,
                 "allowed_base_dirs entry 'tmp'", "absolute");
    expect_error("[shm]\nbase_dir = \"/dev/shm/other\"\nallowed_base_dirs = [\"/dev/shm/tensorpool\"]\n" BASE_PROFILE,
                 "shm.base_dir '/dev/shm/other' is not inside", NULL);
    /* Component-wise: /dev/shm/tp is not inside /dev/shm/t. */
    expect_error("[shm]\nbase_dir = \"/dev/shm/tp\"\nallowed_base_dirs = [\"/dev/shm/t\"]\n" BASE_PROFILE,
                 "is not inside", NULL);
    assert_int_equal(0, load_text(cfg, "[shm]\nbase_dir = \"/dev/shm/tp/x/\"\nallowed_base_dirs = [\"/a\", "
                                       "\"/dev/shm/tp/\"]\n" BASE_PROFILE));
    assert_int_equal(
        0, load_text(cfg, "[shm]\nbase_dir = \"/dev/shm/tp\"\nallowed_base_dirs = [\"/dev/shm/tp//\"]\n" BASE_PROFILE));
    expect_error("[shm]\npermissions_mode = \"689\"\n" BASE_PROFILE, "shm.permissions_mode", "'689' is not an octal");
    expect_error("[shm]\npermissions_mode = \"1777\"\n" BASE_PROFILE, "shm.permissions_mode", "above 0777");
    expect_error("[shm]\npermissions_mode = 660\n" BASE_PROFILE, "shm.permissions_mode", "must be a string");
    expect_error("[shm]\nnamespace = \"a/b\"\n" BASE_PROFILE, "shm.namespace 'a/b'", "single safe path component");
    expect_error("[shm]\nnamespace = \"..\"\n" BASE_PROFILE, "shm.namespace", NULL);
    expect_error("[policies]\nepoch_gc_keep = 0\n" BASE_PROFILE, "policies.epoch_gc_keep", "at least 1");
    expect_error("[policies]\nlease_keepalive_interval_ms = 0\n" BASE_PROFILE, "policies.lease_keepalive_interval_ms",
                 NULL);
    expect_error("[policies]\nlease_expiry_grace_intervals = 0\n" BASE_PROFILE, "policies.lease_expiry_grace_intervals",
                 NULL);
    expect_error("[policies]\nannounce_period_ms = 0\n" BASE_PROFILE, "policies.announce_period_ms", NULL);
    expect_error("[driver]\nidle_strategy = \"lazy\"\n" BASE_PROFILE, "driver.idle_strategy 'lazy'", NULL);
    expect_error("[driver]\ncontrol_channel = \"udp://x\"\n" BASE_PROFILE, "driver.control_channel", "aeron:");

    char text[1024];
    char token[TP_DRIVER_TOKEN_MAX + 1];
    memset(token, 'k', sizeof(token) - 1);
    token[sizeof(token) - 1] = '\0';
    snprintf(text, sizeof(text), "[policies]\nshutdown_token = \"%s\"\n" BASE_PROFILE, token);
    expect_error(text, "policies.shutdown_token", "longer than the 255 allowed");
    token[TP_DRIVER_TOKEN_MAX - 1] = '\0'; /* 255 bytes fit */
    snprintf(text, sizeof(text), "[policies]\nshutdown_token = \"%s\"\n" BASE_PROFILE, token);
    assert_int_equal(0, load_text(cfg, text));
    assert_int_equal(TP_DRIVER_TOKEN_MAX - 1, strlen(cfg->shutdown_token));

    char name[TP_DRIVER_NAME_MAX + 8];
    memset(name, 'n', TP_DRIVER_NAME_MAX);
    name[TP_DRIVER_NAME_MAX] = '\0';
    snprintf(text, sizeof(text), "[driver]\ninstance_id = \"%s\"\n" BASE_PROFILE, name);
    expect_error(text, "driver.instance_id", "longer than");
    snprintf(text, sizeof(text), "[profiles.%s]\npayload_pools = [{ pool_id = 1, stride_bytes = 4096 }]\n", name);
    expect_error(text, "profiles.nnnn", "longer than");
}

static void test_unknown_keys_warn(void **state)
{
    const char *text = "[driver]\n"
                       "colour = \"blue\"\n"
                       "[profiles.cam]\n"
                       "payload_pools = [{ pool_id = 1, stride_bytes = 4096, flavour = 1 }]\n"
                       "size = 3\n"
                       "[extras]\n"
                       "x = 1\n";
    assert_int_equal(0, load_text(cfg, text));
    assert_int_equal(4, cfg->warning_count);
    bool seen_size = false;
    bool seen_colour = false;
    bool seen_flavour = false;
    bool seen_extras = false;
    for (size_t i = 0; i < cfg->warning_count; i++)
    {
        seen_size = seen_size || NULL != strstr(cfg->warnings[i], "unknown key 'profiles.cam.size' (line 5)");
        seen_colour = seen_colour || NULL != strstr(cfg->warnings[i], "unknown key 'driver.colour' (line 2)");
        seen_flavour = seen_flavour || NULL != strstr(cfg->warnings[i], "profiles.cam.payload_pools[0].flavour");
        seen_extras = seen_extras || NULL != strstr(cfg->warnings[i], "unknown key 'extras' (line 6)");
    }
    assert_true(seen_size && seen_colour && seen_flavour && seen_extras);
}

static void test_range_string_equals_array(void **state)
{
    assert_int_equal(0, load_text(cfg, "[driver]\nstream_id_range = \"20000-29999\"\n" BASE_PROFILE));
    assert_int_equal(0, load_text(cfg2, "[driver]\nstream_id_range = [20000, 29999]\n" BASE_PROFILE));
    assert_memory_equal(&cfg->stream_id_range, &cfg2->stream_id_range, sizeof(cfg->stream_id_range));
    assert_true(cfg->stream_id_range.set);
    assert_int_equal(0, load_text(cfg, "[driver]\nstream_id_range = []\n" BASE_PROFILE));
    assert_false(cfg->stream_id_range.set);
    assert_int_equal(0, load_text(cfg, "[driver]\nstream_id_range = \"7-7\"\n" BASE_PROFILE));
    assert_int_equal(7, cfg->stream_id_range.first);
    assert_int_equal(7, cfg->stream_id_range.last);
}

static void test_profiles_keep_file_order(void **state)
{
    assert_int_equal(0, load_text(cfg, "[profiles.zeta]\npayload_pools = [{ pool_id = 1, stride_bytes = 4096 }]\n"
                                       "[profiles.alpha]\npayload_pools = [{ pool_id = 1, stride_bytes = 4096 }]\n"));
    assert_string_equal("zeta", cfg->profiles[0].name);
    assert_string_equal("alpha", cfg->profiles[1].name);
    assert_int_equal(0, cfg->default_profile_index); /* the first defined */
    /* Embedded discovery provider: on, on the control stream, metadata on the wire spec's 1300. */
    assert_true(cfg->discovery_enabled);
    assert_string_equal(cfg->control_channel, cfg->discovery_channel);
    assert_int_equal(1000, cfg->discovery_stream_id);
    assert_int_equal(1300, cfg->discovery_metadata_stream_id);
}

static const char *const env_vars[] = {
    "DRIVER_CONTROL_STREAM_ID",
    "DRIVER_ANNOUNCE_STREAM_ID",
    "SHM_BASE_DIR",
    "SHM_ALLOWED_BASE_DIRS",
    "DRIVER_STREAM_ID_RANGE",
    "POLICIES_ANNOUNCE_PERIOD_MS",
    "POLICIES_PREFAULT_SHM",
    "SHM_PERMISSIONS_MODE",
    "POLICIES_DEFAULT_PROFILE",
    "POLICIES_ALLOW_DYNAMIC_STREAMS",
    "DRIVER_CONTROL_CHANNEL",
    "DISCOVERY_ENABLED",
    "DISCOVERY_CHANNEL",
    "DISCOVERY_STREAM_ID",
    "DISCOVERY_METADATA_STREAM_ID",
};

static void clear_env(void)
{
    for (size_t i = 0; i < sizeof(env_vars) / sizeof(env_vars[0]); i++)
    {
        unsetenv(env_vars[i]);
    }
}

static void test_env_overrides_file(void **state)
{
    char path[4096];
    example_path(path, sizeof(path), "driver_dynamic.toml");
    clear_env();
    setenv("DRIVER_CONTROL_STREAM_ID", "1500", 1);
    setenv("SHM_BASE_DIR", "/dev/shm/tp-env", 1);
    setenv("DRIVER_STREAM_ID_RANGE", "40000-40999", 1);
    setenv("POLICIES_ANNOUNCE_PERIOD_MS", "250", 1);
    setenv("POLICIES_PREFAULT_SHM", "false", 1);
    setenv("SHM_PERMISSIONS_MODE", "600", 1);
    int rc = tp_driver_config_load(cfg, path);
    if (0 != rc)
    {
        print_error("%s\n", tp_errmsg());
    }
    assert_int_equal(0, rc);
    assert_int_equal(1500, cfg->control_stream_id);
    assert_int_equal(1500, cfg->announce_stream_id); /* derived after the environment */
    assert_string_equal("/dev/shm/tp-env", cfg->base_dir);
    assert_int_equal(1, cfg->allowed_base_dir_count); /* [base_dir], the overridden one */
    assert_string_equal("/dev/shm/tp-env", cfg->allowed_base_dirs[0]);
    assert_int_equal(40000, cfg->stream_id_range.first);
    assert_int_equal(250, cfg->announce_period_ms);
    assert_int_equal(750000000ULL, cfg->epoch_gc_min_age_ns);
    assert_false(cfg->prefault_shm);
    assert_int_equal(0600, cfg->permissions_mode);

    /* An explicit announce stream id in the file stays put when the control stream id moves. */
    clear_env();
    example_path(path, sizeof(path), "driver_camera.toml");
    setenv("DRIVER_CONTROL_STREAM_ID", "1500", 1);
    setenv("SHM_ALLOWED_BASE_DIRS", "/dev/shm/a:/dev/shm/tensorpool", 1);
    setenv("POLICIES_ANNOUNCE_PERIOD_MS", "250", 1);
    assert_int_equal(0, tp_driver_config_load(cfg, path));
    assert_int_equal(1500, cfg->control_stream_id);
    assert_int_equal(1000, cfg->announce_stream_id);
    assert_int_equal(2, cfg->allowed_base_dir_count);
    assert_string_equal("/dev/shm/a", cfg->allowed_base_dirs[0]);
    assert_int_equal(3000000000ULL, cfg->epoch_gc_min_age_ns); /* explicit in the file */

    /* A bad value names the variable and the value. */
    clear_env();
    setenv("DRIVER_CONTROL_STREAM_ID", "12x", 1);
    assert_int_equal(-1, tp_driver_config_load(cfg, path));
    assert_non_null(strstr(tp_errmsg(), "DRIVER_CONTROL_STREAM_ID"));
    assert_non_null(strstr(tp_errmsg(), "12x"));
    clear_env();
    setenv("POLICIES_DEFAULT_PROFILE", "missing", 1);
    assert_int_equal(-1, tp_driver_config_load(cfg, path));
    assert_non_null(strstr(tp_errmsg(), "POLICIES_DEFAULT_PROFILE"));
    assert_non_null(strstr(tp_errmsg(), "unknown profile 'missing'"));
    clear_env();
    setenv("POLICIES_ALLOW_DYNAMIC_STREAMS", "maybe", 1);
    assert_int_equal(-1, tp_driver_config_load(cfg, path));
    assert_non_null(strstr(tp_errmsg(), "POLICIES_ALLOW_DYNAMIC_STREAMS='maybe'"));
    /* Environment validated too: dynamic streams without a range. */
    setenv("POLICIES_ALLOW_DYNAMIC_STREAMS", "true", 1);
    assert_int_equal(-1, tp_driver_config_load(cfg, path));
    assert_non_null(strstr(tp_errmsg(), "driver.stream_id_range"));
    clear_env();
}

static void round_trip(const tp_driver_config_t *original);

static void test_discovery_keys(void **state)
{
    clear_env();
    /* Derived from the control stream unless given; the file sets them, the environment wins. */
    assert_int_equal(
        0, load_text(cfg, "[driver]\ncontrol_stream_id = 1500\ncontrol_channel = \"aeron:ipc\"\n" BASE_PROFILE));
    assert_int_equal(1500, cfg->discovery_stream_id);
    assert_string_equal("aeron:ipc", cfg->discovery_channel);
    assert_int_equal(0, load_text(cfg, "[discovery]\nenabled = false\nchannel = \"aeron:ipc?alias=disc\"\n"
                                       "stream_id = 1600\nmetadata_stream_id = 1301\n" BASE_PROFILE));
    assert_false(cfg->discovery_enabled);
    assert_string_equal("aeron:ipc?alias=disc", cfg->discovery_channel);
    assert_int_equal(1600, cfg->discovery_stream_id);
    assert_int_equal(1301, cfg->discovery_metadata_stream_id);
    assert_int_equal(0, tp_driver_config_set(cfg, "driver.control_stream_id", "1700"));
    assert_int_equal(1600, cfg->discovery_stream_id); /* explicit: does not follow the control stream */

    char path[4096];
    example_path(path, sizeof(path), "driver_camera.toml");
    setenv("DISCOVERY_ENABLED", "false", 1);
    setenv("DISCOVERY_CHANNEL", "aeron:ipc?alias=env", 1);
    setenv("DISCOVERY_STREAM_ID", "1700", 1);
    setenv("DISCOVERY_METADATA_STREAM_ID", "1302", 1);
    assert_int_equal(0, tp_driver_config_load(cfg, path));
    assert_false(cfg->discovery_enabled);
    assert_string_equal("aeron:ipc?alias=env", cfg->discovery_channel);
    assert_int_equal(1700, cfg->discovery_stream_id);
    assert_int_equal(1302, cfg->discovery_metadata_stream_id);
    clear_env();

    expect_error("[discovery]\nchannel = \"udp://x\"\n" BASE_PROFILE, "discovery.channel", "not an Aeron channel");
    expect_error("[discovery]\nstream_id = 0\n" BASE_PROFILE, "discovery.stream_id", "at least 1");
    expect_error("[discovery]\nenabled = 3\n" BASE_PROFILE, "discovery.enabled", NULL);

    /* Printed and loaded back. */
    assert_int_equal(0, load_text(cfg, "[discovery]\nenabled = false\nstream_id = 1600\n" BASE_PROFILE));
    round_trip(cfg);
}

static void test_set_never_truncates(void **state)
{
    tp_driver_config_init(cfg);
    char channel[TP_CHANNEL_MAX + 1];
    memset(channel, 'c', sizeof(channel) - 1);
    channel[sizeof(channel) - 1] = '\0';
    memcpy(channel, "aeron:", 6);
    assert_int_equal(-1, tp_driver_config_set(cfg, "driver.control_channel", channel));
    assert_non_null(strstr(tp_errmsg(), "driver.control_channel"));
    assert_string_equal("aeron:ipc?term-length=4m", cfg->control_channel);
    assert_int_equal(-1, tp_driver_config_set(cfg, "driver.nope", "1"));
    assert_int_equal(-1, tp_driver_config_key_kind("driver.nope"));
    assert_int_equal(TP_DRIVER_KEY_RANGE, tp_driver_config_key_kind("driver.stream_id_range"));
    assert_int_equal(-1, tp_driver_config_set(cfg, "policies.epoch_gc_min_age_ns", "9223372036854775808"));
    assert_int_equal(0, tp_driver_config_set(cfg, "policies.epoch_gc_min_age_ns", "9223372036854775807"));
    assert_int_equal(0, tp_driver_config_set(cfg, "driver.announce_channel", "aeron:ipc?alias=ann"));
    assert_int_equal(0, tp_driver_config_set(cfg, "driver.control_channel", "aeron:ipc?alias=ctl"));
    assert_string_equal("aeron:ipc?alias=ann", cfg->announce_channel);
}

static void assert_configs_equal(const tp_driver_config_t *a, const tp_driver_config_t *b)
{
    assert_string_equal(a->instance_id, b->instance_id);
    assert_string_equal(a->aeron_dir, b->aeron_dir);
    assert_string_equal(a->control_channel, b->control_channel);
    assert_int_equal(a->control_stream_id, b->control_stream_id);
    assert_string_equal(a->announce_channel, b->announce_channel);
    assert_int_equal(a->announce_stream_id, b->announce_stream_id);
    assert_string_equal(a->qos_channel, b->qos_channel);
    assert_int_equal(a->qos_stream_id, b->qos_stream_id);
    assert_memory_equal(&a->stream_id_range, &b->stream_id_range, sizeof(a->stream_id_range));
    assert_memory_equal(&a->descriptor_stream_id_range, &b->descriptor_stream_id_range, sizeof(tp_driver_range_t));
    assert_memory_equal(&a->control_stream_id_range, &b->control_stream_id_range, sizeof(tp_driver_range_t));
    assert_int_equal(a->embedded_media_driver, b->embedded_media_driver);
    assert_string_equal(a->idle_strategy, b->idle_strategy);
    assert_int_equal(a->discovery_enabled, b->discovery_enabled);
    assert_string_equal(a->discovery_channel, b->discovery_channel);
    assert_int_equal(a->discovery_stream_id, b->discovery_stream_id);
    assert_int_equal(a->discovery_metadata_stream_id, b->discovery_metadata_stream_id);
    assert_string_equal(a->base_dir, b->base_dir);
    assert_string_equal(a->namespace_name, b->namespace_name);
    assert_int_equal(a->require_hugepages, b->require_hugepages);
    assert_int_equal(a->page_size_bytes, b->page_size_bytes);
    assert_int_equal(a->permissions_mode, b->permissions_mode);
    assert_int_equal(a->allowed_base_dir_count, b->allowed_base_dir_count);
    for (size_t i = 0; i < a->allowed_base_dir_count; i++)
    {
        assert_string_equal(a->allowed_base_dirs[i], b->allowed_base_dirs[i]);
    }
    assert_int_equal(a->allow_dynamic_streams, b->allow_dynamic_streams);
    assert_int_equal(a->default_profile_index, b->default_profile_index);
    assert_int_equal(a->announce_period_ms, b->announce_period_ms);
    assert_int_equal(a->lease_keepalive_interval_ms, b->lease_keepalive_interval_ms);
    assert_int_equal(a->lease_expiry_grace_intervals, b->lease_expiry_grace_intervals);
    assert_int_equal(a->prefault_shm, b->prefault_shm);
    assert_int_equal(a->mlock_shm, b->mlock_shm);
    assert_int_equal(a->epoch_gc_enabled, b->epoch_gc_enabled);
    assert_int_equal(a->epoch_gc_keep, b->epoch_gc_keep);
    assert_int_equal(a->epoch_gc_min_age_ns, b->epoch_gc_min_age_ns);
    assert_int_equal(a->epoch_gc_on_startup, b->epoch_gc_on_startup);
    assert_int_equal(a->shutdown_timeout_ms, b->shutdown_timeout_ms);
    assert_string_equal(a->shutdown_token, b->shutdown_token);
    assert_int_equal(a->profile_count, b->profile_count);
    for (size_t i = 0; i < a->profile_count; i++)
    {
        assert_string_equal(a->profiles[i].name, b->profiles[i].name);
        assert_int_equal(a->profiles[i].header_nslots, b->profiles[i].header_nslots);
        assert_int_equal(a->profiles[i].pool_count, b->profiles[i].pool_count);
        assert_memory_equal(a->profiles[i].pools, b->profiles[i].pools,
                            a->profiles[i].pool_count * sizeof(tp_driver_pool_config_t));
    }
    assert_int_equal(a->stream_count, b->stream_count);
    for (size_t i = 0; i < a->stream_count; i++)
    {
        assert_string_equal(a->streams[i].name, b->streams[i].name);
        assert_int_equal(a->streams[i].stream_id, b->streams[i].stream_id);
        assert_int_equal(a->streams[i].profile_index, b->streams[i].profile_index);
    }
}

static void round_trip(const tp_driver_config_t *original)
{
    char *text = NULL;
    size_t length = 0;
    FILE *out = open_memstream(&text, &length);
    assert_non_null(out);
    tp_driver_config_print(original, out);
    assert_int_equal(0, fclose(out));
    tp_driver_config_init(cfg2);
    int rc = tp_driver_config_load_string(cfg2, text, length, "printed.toml");
    if (0 != rc || 0 != tp_driver_config_validate(cfg2) || 0 != cfg2->warning_count)
    {
        print_error("%s\n%s\n", text, tp_errmsg());
        fail();
    }
    assert_configs_equal(original, cfg2);
    free(text);
}

static void test_print_round_trip(void **state)
{
    char path[4096];
    clear_env();
    example_path(path, sizeof(path), "driver_camera.toml");
    assert_int_equal(0, tp_driver_config_load(cfg, path));
    round_trip(cfg);
    example_path(path, sizeof(path), "driver_dynamic.toml");
    assert_int_equal(0, tp_driver_config_load(cfg, path));
    round_trip(cfg);

    /* Names and strings that need quoting or escaping, several profiles, a non-first default. */
    const char *text = "[driver]\ninstance_id = \"drv \\\"q\\\" \\\\\"\naeron_dir = \"/tmp/a\\tb\\u0001\"\n"
                       "embedded_media_driver = true\nidle_strategy = \"spin\"\n"
                       "[shm]\nallowed_base_dirs = [\"/dev/shm\", \"/tmp\"]\nbase_dir = \"/tmp/x\"\n"
                       "permissions_mode = \"0600\"\nrequire_hugepages = true\npage_size_bytes = 8192\n"
                       "[policies]\ndefault_profile = \"two words\"\nepoch_gc_min_age_ns = 12345\n"
                       "shutdown_token = \"t\\u00e9\"\nmlock_shm = true\n"
                       "[profiles.one]\nheader_nslots = 2\npayload_pools = [{ pool_id = 3, stride_bytes = 8192 }]\n"
                       "[profiles.\"two words\"]\npayload_pools = [{ pool_id = 65535, stride_bytes = 2147483648 }]\n"
                       "[streams.\"s.1\"]\nstream_id = 4294967295\nprofile = \"two words\"\n";
    int rc = load_text(cfg, text);
    if (0 != rc)
    {
        print_error("%s\n", tp_errmsg());
    }
    assert_int_equal(0, rc);
    assert_int_equal(1, cfg->default_profile_index);
    assert_string_equal("s.1", cfg->streams[0].name);
    round_trip(cfg);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults_match_spec),
        cmocka_unit_test(test_camera_example),
        cmocka_unit_test(test_dynamic_example),
        cmocka_unit_test(test_missing_file),
        cmocka_unit_test(test_syntax_error_names_file_line_column),
        cmocka_unit_test(test_type_and_integer_errors),
        cmocka_unit_test(test_profile_and_stream_errors),
        cmocka_unit_test(test_range_errors),
        cmocka_unit_test(test_shm_and_policy_errors),
        cmocka_unit_test(test_unknown_keys_warn),
        cmocka_unit_test(test_range_string_equals_array),
        cmocka_unit_test(test_profiles_keep_file_order),
        cmocka_unit_test(test_env_overrides_file),
        cmocka_unit_test(test_set_never_truncates),
        cmocka_unit_test(test_discovery_keys),
        cmocka_unit_test(test_print_round_trip),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
