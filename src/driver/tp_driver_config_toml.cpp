/*
 * TOML front end of the driver configuration: toml++ (Debian's libtomlplusplus) parses the text, this file
 * walks the tables and fills the C struct. Scalar keys go through tp_driver_config_set() so the file and the
 * environment share one set of parsing rules; profiles and streams (file-only) are filled here. The only C++
 * in the project: every exception is caught in tp_driver_config_load_string() and turned into -1 plus the
 * thread-local error, so nothing C++ crosses the C boundary.
 */
#include <algorithm>
#include <cerrno>
#include <cinttypes>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include <toml++/toml.h>

extern "C"
{
#include "common/tp_error_private.h"
}
#include "driver/tp_driver_config.h"

namespace
{

/* Thrown once the thread-local error is set; caught at the C boundary. */
struct tp_load_failed
{
};

const char *tp_toml_type_name(toml::node_type type)
{
    switch (type)
    {
        case toml::node_type::table:
            return "table";
        case toml::node_type::array:
            return "array";
        case toml::node_type::string:
            return "string";
        case toml::node_type::integer:
            return "integer";
        case toml::node_type::floating_point:
            return "float";
        case toml::node_type::boolean:
            return "boolean";
        case toml::node_type::date:
            return "date";
        case toml::node_type::time:
            return "time";
        case toml::node_type::date_time:
            return "date-time";
        default:
            return "nothing";
    }
}

/* A table's entries in file order (toml++ keeps them sorted by key; "first profile" means first in the file). */
std::vector<std::pair<const toml::key *, const toml::node *>> tp_toml_in_file_order(const toml::table &table)
{
    std::vector<std::pair<const toml::key *, const toml::node *>> entries;
    for (auto &&[key, node] : table)
    {
        entries.emplace_back(&key, &node);
    }
    std::stable_sort(entries.begin(), entries.end(), [](const auto &a, const auto &b) {
        const toml::source_position &pa = a.first->source().begin;
        const toml::source_position &pb = b.first->source().begin;
        return pa.line != pb.line ? pa.line < pb.line : pa.column < pb.column;
    });
    return entries;
}

class tp_toml_loader
{
  public:
    tp_toml_loader(tp_driver_config_t *config, const char *name) : config_(config), name_(name)
    {
    }

    void load(const toml::table &root)
    {
        /* Profiles first: streams and policies.default_profile refer to them by name. */
        if (const toml::node *profiles = root.get("profiles"))
        {
            load_profiles(*profiles);
        }
        if (const toml::node *streams = root.get("streams"))
        {
            load_streams(*streams);
        }
        for (auto &&[key_ptr, node_ptr] : tp_toml_in_file_order(root))
        {
            std::string key(key_ptr->str());
            if ("driver" == key || "shm" == key || "policies" == key || "discovery" == key)
            {
                load_scalar_section(key, *node_ptr);
            }
            else if ("profiles" != key && "streams" != key)
            {
                warn_unknown(key, *key_ptr);
            }
        }
        tp_driver_config_apply_derived(config_);
    }

  private:
    tp_driver_config_t *config_;
    const char *name_;

    void warn_unknown(const std::string &key, const toml::key &where)
    {
        if (config_->warning_count < TP_DRIVER_MAX_WARNINGS)
        {
            std::snprintf(config_->warnings[config_->warning_count], sizeof(config_->warnings[0]),
                          "unknown key '%s' (line %u)", key.c_str(), (unsigned)where.source().begin.line);
            config_->warning_count++;
        }
    }

    [[noreturn]] void fail_type(const std::string &key, const char *expected, const toml::node &node)
    {
        const toml::source_position &at = node.source().begin;
        TP_SET_ERR(EINVAL, "%s:%u:%u: %s must be %s, found %s", name_, (unsigned)at.line, (unsigned)at.column,
                   key.c_str(), expected, tp_toml_type_name(node.type()));
        throw tp_load_failed{};
    }

    /* Adds file:line:column to an error already set (by tp_driver_config_set or a range check). */
    [[noreturn]] void fail_at(const toml::node &node)
    {
        const toml::source_position &at = node.source().begin;
        TP_APPEND_ERR("at %s:%u:%u", name_, (unsigned)at.line, (unsigned)at.column);
        throw tp_load_failed{};
    }

    uint64_t get_uint(const std::string &key, const toml::node &node, uint64_t max)
    {
        const toml::value<int64_t> *integer = node.as_integer();
        if (nullptr == integer)
        {
            fail_type(key, "an integer", node);
        }
        int64_t v = integer->get();
        if (v < 0 || (uint64_t)v > max)
        {
            const toml::source_position &at = node.source().begin;
            TP_SET_ERR(EINVAL, "%s:%u:%u: %s = %" PRId64 " is out of range 0..%" PRIu64, name_, (unsigned)at.line,
                       (unsigned)at.column, key.c_str(), v, max);
            throw tp_load_failed{};
        }
        return (uint64_t)v;
    }

    std::string get_string(const std::string &key, const toml::node &node)
    {
        const toml::value<std::string> *str = node.as_string();
        if (nullptr == str)
        {
            fail_type(key, "a string", node);
        }
        const std::string &s = str->get();
        if (std::string::npos != s.find('\0'))
        {
            const toml::source_position &at = node.source().begin;
            TP_SET_ERR(EINVAL, "%s:%u:%u: %s contains a NUL character", name_, (unsigned)at.line, (unsigned)at.column,
                       key.c_str());
            throw tp_load_failed{};
        }
        return s;
    }

    void copy_name(char *dst, size_t capacity, const std::string &key, const std::string &name, const toml::node &node)
    {
        if (name.size() >= capacity || std::string::npos != name.find('\0'))
        {
            const toml::source_position &at = node.source().begin;
            TP_SET_ERR(EINVAL, "%s:%u:%u: %s: name of %zu bytes is longer than the %zu allowed (or has a NUL)", name_,
                       (unsigned)at.line, (unsigned)at.column, key.c_str(), name.size(), capacity - 1);
            throw tp_load_failed{};
        }
        std::memcpy(dst, name.c_str(), name.size() + 1);
    }

    void set(const std::string &key, const std::string &text, const toml::node &node)
    {
        if (0 != tp_driver_config_set(config_, key.c_str(), text.c_str()))
        {
            fail_at(node);
        }
    }

    void load_scalar_section(const std::string &section, const toml::node &node)
    {
        const toml::table *table = node.as_table();
        if (nullptr == table)
        {
            fail_type(section, "a table", node);
        }
        for (auto &&[key_ptr, value_ptr] : tp_toml_in_file_order(*table))
        {
            std::string key = section + "." + std::string(key_ptr->str());
            const toml::node &value = *value_ptr;
            switch (tp_driver_config_key_kind(key.c_str()))
            {
                case TP_DRIVER_KEY_STRING:
                    set(key, get_string(key, value), value);
                    break;
                case TP_DRIVER_KEY_UINT:
                    /* The set() parses the decimal again and applies the key's own maximum. */
                    set(key, std::to_string(get_uint(key, value, INT64_MAX)), value);
                    break;
                case TP_DRIVER_KEY_BOOL:
                    if (nullptr == value.as_boolean())
                    {
                        fail_type(key, "a boolean", value);
                    }
                    set(key, value.as_boolean()->get() ? "true" : "false", value);
                    break;
                case TP_DRIVER_KEY_RANGE:
                    load_range(key, value);
                    break;
                case TP_DRIVER_KEY_LIST:
                    load_dirs(key, value);
                    break;
                default:
                    warn_unknown(key, *key_ptr);
                    break;
            }
        }
    }

    void load_range(const std::string &key, const toml::node &value)
    {
        if (value.is_string())
        {
            set(key, get_string(key, value), value);
            return;
        }
        const toml::array *array = value.as_array();
        if (nullptr == array || (0 != array->size() && 2 != array->size()))
        {
            fail_type(key, "a \"first-last\" string or an array [first, last]", value);
        }
        if (array->empty())
        {
            set(key, "", value);
            return;
        }
        uint64_t first = get_uint(key, *array->get(0), UINT32_MAX);
        uint64_t last = get_uint(key, *array->get(1), UINT32_MAX);
        set(key, std::to_string(first) + "-" + std::to_string(last), value);
    }

    void load_dirs(const std::string &key, const toml::node &value)
    {
        const toml::array *array = value.as_array();
        if (nullptr == array)
        {
            fail_type(key, "an array of strings", value);
        }
        if (array->size() > TP_DRIVER_MAX_ALLOWED_DIRS)
        {
            const toml::source_position &at = value.source().begin;
            TP_SET_ERR(EINVAL, "%s:%u:%u: %s has %zu entries, at most %d allowed", name_, (unsigned)at.line,
                       (unsigned)at.column, key.c_str(), array->size(), TP_DRIVER_MAX_ALLOWED_DIRS);
            throw tp_load_failed{};
        }
        for (size_t i = 0; i < array->size(); i++)
        {
            std::string dir = get_string(key, *array->get(i));
            copy_name(config_->allowed_base_dirs[i], sizeof(config_->allowed_base_dirs[i]), key, dir, *array->get(i));
        }
        config_->allowed_base_dir_count = array->size();
        /* An empty list means the default, [shm.base_dir]. */
        config_->allowed_base_dirs_explicit = !array->empty();
        tp_driver_config_apply_derived(config_);
    }

    void load_pool(const std::string &key, const toml::node &node, tp_driver_pool_config_t *pool)
    {
        const toml::table *table = node.as_table();
        if (nullptr == table)
        {
            fail_type(key, "a table { pool_id = ..., stride_bytes = ... }", node);
        }
        bool have_id = false;
        bool have_stride = false;
        for (auto &&[field_key, field] : tp_toml_in_file_order(*table))
        {
            std::string name(field_key->str());
            std::string full = key + "." + name;
            if ("pool_id" == name)
            {
                pool->pool_id = (uint16_t)get_uint(full, *field, UINT16_MAX);
                have_id = true;
            }
            else if ("stride_bytes" == name)
            {
                pool->stride_bytes = (uint32_t)get_uint(full, *field, UINT32_MAX);
                have_stride = true;
            }
            else
            {
                warn_unknown(full, *field_key);
            }
        }
        if (!have_id || !have_stride)
        {
            const toml::source_position &at = node.source().begin;
            TP_SET_ERR(EINVAL, "%s:%u:%u: %s needs both pool_id and stride_bytes", name_, (unsigned)at.line,
                       (unsigned)at.column, key.c_str());
            throw tp_load_failed{};
        }
    }

    void load_profiles(const toml::node &node)
    {
        const toml::table *table = node.as_table();
        if (nullptr == table)
        {
            fail_type("profiles", "a table", node);
        }
        for (auto &&[name_key, profile_node] : tp_toml_in_file_order(*table))
        {
            std::string name(name_key->str());
            std::string prefix = "profiles." + name;
            const toml::table *profile_table = profile_node->as_table();
            if (nullptr == profile_table)
            {
                fail_type(prefix, "a table", *profile_node);
            }
            if (config_->profile_count >= TP_DRIVER_MAX_PROFILES)
            {
                const toml::source_position &at = profile_node->source().begin;
                TP_SET_ERR(EINVAL, "%s:%u:%u: %s: more than %d profiles", name_, (unsigned)at.line, (unsigned)at.column,
                           prefix.c_str(), TP_DRIVER_MAX_PROFILES);
                throw tp_load_failed{};
            }
            tp_driver_profile_t *profile = &config_->profiles[config_->profile_count];
            std::memset(profile, 0, sizeof(*profile));
            copy_name(profile->name, sizeof(profile->name), prefix, name, *profile_node);
            profile->header_nslots = 1024;
            for (auto &&[field_key, field] : tp_toml_in_file_order(*profile_table))
            {
                std::string field_name(field_key->str());
                std::string full = prefix + "." + field_name;
                if ("header_nslots" == field_name)
                {
                    profile->header_nslots = (uint32_t)get_uint(full, *field, UINT32_MAX);
                }
                else if ("payload_pools" == field_name)
                {
                    const toml::array *pools = field->as_array();
                    if (nullptr == pools)
                    {
                        fail_type(full, "an array of tables", *field);
                    }
                    if (pools->size() > TP_DRIVER_MAX_POOLS)
                    {
                        const toml::source_position &at = field->source().begin;
                        TP_SET_ERR(EINVAL, "%s:%u:%u: %s has %zu pools, at most %d allowed", name_, (unsigned)at.line,
                                   (unsigned)at.column, full.c_str(), pools->size(), TP_DRIVER_MAX_POOLS);
                        throw tp_load_failed{};
                    }
                    for (size_t i = 0; i < pools->size(); i++)
                    {
                        load_pool(full + "[" + std::to_string(i) + "]", *pools->get(i), &profile->pools[i]);
                    }
                    profile->pool_count = pools->size();
                }
                else
                {
                    warn_unknown(full, *field_key);
                }
            }
            config_->profile_count++;
        }
    }

    void load_streams(const toml::node &node)
    {
        const toml::table *table = node.as_table();
        if (nullptr == table)
        {
            fail_type("streams", "a table", node);
        }
        for (auto &&[name_key, stream_node] : tp_toml_in_file_order(*table))
        {
            std::string name(name_key->str());
            std::string prefix = "streams." + name;
            const toml::table *stream_table = stream_node->as_table();
            if (nullptr == stream_table)
            {
                fail_type(prefix, "a table", *stream_node);
            }
            const toml::source_position &at = stream_node->source().begin;
            if (config_->stream_count >= TP_DRIVER_MAX_STATIC)
            {
                TP_SET_ERR(EINVAL, "%s:%u:%u: %s: more than %d static streams", name_, (unsigned)at.line,
                           (unsigned)at.column, prefix.c_str(), TP_DRIVER_MAX_STATIC);
                throw tp_load_failed{};
            }
            tp_driver_stream_config_t *stream = &config_->streams[config_->stream_count];
            std::memset(stream, 0, sizeof(*stream));
            copy_name(stream->name, sizeof(stream->name), prefix, name, *stream_node);
            bool have_id = false;
            bool have_profile = false;
            for (auto &&[field_key, field] : tp_toml_in_file_order(*stream_table))
            {
                std::string field_name(field_key->str());
                std::string full = prefix + "." + field_name;
                if ("stream_id" == field_name)
                {
                    stream->stream_id = (uint32_t)get_uint(full, *field, UINT32_MAX);
                    have_id = true;
                }
                else if ("profile" == field_name)
                {
                    std::string profile_name = get_string(full, *field);
                    const tp_driver_profile_t *profile = tp_driver_config_find_profile(config_, profile_name.c_str());
                    if (nullptr == profile)
                    {
                        const toml::source_position &fat = field->source().begin;
                        TP_SET_ERR(EINVAL, "%s:%u:%u: %s: unknown profile '%s' (no [profiles.%s] table)", name_,
                                   (unsigned)fat.line, (unsigned)fat.column, full.c_str(), profile_name.c_str(),
                                   profile_name.c_str());
                        throw tp_load_failed{};
                    }
                    stream->profile_index = (size_t)(profile - config_->profiles);
                    have_profile = true;
                }
                else
                {
                    warn_unknown(full, *field_key);
                }
            }
            if (!have_id || !have_profile)
            {
                TP_SET_ERR(EINVAL, "%s:%u:%u: %s needs both stream_id and profile", name_, (unsigned)at.line,
                           (unsigned)at.column, prefix.c_str());
                throw tp_load_failed{};
            }
            config_->stream_count++;
        }
    }
};

} // namespace

extern "C" int tp_driver_config_load_string(tp_driver_config_t *config, const char *toml, size_t length,
                                            const char *name)
{
    const char *label = nullptr == name ? "<string>" : name;
    try
    {
        toml::table root = toml::parse(std::string_view(toml, length), std::string(label));
        tp_toml_loader loader(config, label);
        loader.load(root);
        return 0;
    }
    catch (const toml::parse_error &e)
    {
        const toml::source_position &at = e.source().begin;
        std::string_view description = e.description();
        TP_SET_ERR(EINVAL, "%s:%u:%u: TOML syntax error: %.*s", label, (unsigned)at.line, (unsigned)at.column,
                   (int)description.size(), description.data());
    }
    catch (const tp_load_failed &)
    {
        /* The error is already set. */
    }
    catch (const std::exception &e)
    {
        TP_SET_ERR(TP_ERR_GENERIC, "%s: cannot load driver config: %s", label, e.what());
    }
    catch (...)
    {
        TP_SET_ERR(TP_ERR_GENERIC, "%s: cannot load driver config: unexpected failure", label);
    }
    return -1;
}
