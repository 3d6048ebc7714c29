/*
 * TOML front end of the tp_discoveryd configuration, over toml++ like the driver's loader: [registry] scalar keys
 * go through tp_discoveryd_config_set() (shared with the environment), [drivers.<name>] tables are filled here.
 * Every exception stops at the C boundary and becomes -1 plus the thread-local error.
 */
#include <cinttypes>
#include <cstdio>
#include <cstring>
#include <string>

#include <toml++/toml.h>

extern "C"
{
#include "common/tp_error_private.h"
}
#include "tp_discoveryd_config.h"

namespace
{

struct tp_discoveryd_load_failed
{
};

class tp_discoveryd_loader
{
  public:
    tp_discoveryd_loader(tp_discoveryd_config_t *config, const char *name) : config_(config), name_(name)
    {
    }

    void load(const toml::table &root)
    {
        for (auto &&[key, node] : root)
        {
            std::string section(key.str());
            if ("registry" == section)
            {
                load_registry(node);
            }
            else if ("drivers" == section)
            {
                load_drivers(node);
            }
            else
            {
                fail(node, "unknown table '" + section + "' (expected [registry] and [drivers.<name>])");
            }
        }
    }

  private:
    tp_discoveryd_config_t *config_;
    const char *name_;

    [[noreturn]] void fail(const toml::node &node, const std::string &what)
    {
        const toml::source_position &at = node.source().begin;
        TP_SET_ERR(EINVAL, "%s:%u:%u: %s", name_, (unsigned)at.line, (unsigned)at.column, what.c_str());
        throw tp_discoveryd_load_failed{};
    }

    const toml::table &table_of(const toml::node &node, const std::string &key)
    {
        const toml::table *table = node.as_table();
        if (nullptr == table)
        {
            fail(node, key + " must be a table");
        }
        return *table;
    }

    std::string text_of(const toml::node &node, const std::string &key)
    {
        if (const toml::value<std::string> *s = node.as_string())
        {
            if (std::string::npos != s->get().find('\0'))
            {
                fail(node, key + " contains a NUL character");
            }
            return s->get();
        }
        if (const toml::value<int64_t> *i = node.as_integer())
        {
            return std::to_string(i->get());
        }
        fail(node, key + " must be a string or an integer");
    }

    void load_registry(const toml::node &node)
    {
        for (auto &&[key, value] : table_of(node, "registry"))
        {
            std::string full = "registry." + std::string(key.str());
            if (0 != tp_discoveryd_config_set(config_, full.c_str(), text_of(value, full).c_str()))
            {
                const toml::source_position &at = value.source().begin;
                TP_APPEND_ERR("at %s:%u:%u", name_, (unsigned)at.line, (unsigned)at.column);
                throw tp_discoveryd_load_failed{};
            }
        }
    }

    void copy(char *dst, size_t capacity, const std::string &key, const toml::node &node)
    {
        std::string text = text_of(node, key);
        if (!node.is_string())
        {
            fail(node, key + " must be a string");
        }
        if (text.size() >= capacity)
        {
            fail(node, key + " is longer than " + std::to_string(capacity - 1) + " bytes");
        }
        std::memcpy(dst, text.c_str(), text.size() + 1);
    }

    uint32_t stream_id(const std::string &key, const toml::node &node)
    {
        const toml::value<int64_t> *i = node.as_integer();
        if (nullptr == i || i->get() < 1 || i->get() > INT32_MAX)
        {
            fail(node, key + " must be an integer in 1..2147483647");
        }
        return (uint32_t)i->get();
    }

    void load_drivers(const toml::node &node)
    {
        for (auto &&[name, driver_node] : table_of(node, "drivers"))
        {
            std::string prefix = "drivers." + std::string(name.str());
            if (config_->driver_count == TP_DISCOVERYD_MAX_DRIVERS)
            {
                fail(driver_node, "more than " + std::to_string(TP_DISCOVERYD_MAX_DRIVERS) + " drivers");
            }
            tp_discoveryd_driver_t *d = &config_->drivers[config_->driver_count];
            std::memset(d, 0, sizeof(*d));
            if (name.str().size() >= sizeof(d->name))
            {
                fail(driver_node, prefix + ": table name too long");
            }
            std::memcpy(d->name, name.str().data(), name.str().size());
            for (auto &&[key_node, value] : table_of(driver_node, prefix))
            {
                std::string key(key_node.str());
                std::string full = prefix + "." + key;
                if ("instance_id" == key)
                {
                    copy(d->instance_id, sizeof(d->instance_id), full, value);
                }
                else if ("control_channel" == key)
                {
                    copy(d->control_channel, sizeof(d->control_channel), full, value);
                }
                else if ("control_stream_id" == key)
                {
                    d->control_stream_id = stream_id(full, value);
                }
                else if ("announce_channel" == key)
                {
                    copy(d->announce_channel, sizeof(d->announce_channel), full, value);
                }
                else if ("announce_stream_id" == key)
                {
                    d->announce_stream_id = stream_id(full, value);
                }
                else if ("metadata_channel" == key)
                {
                    copy(d->metadata_channel, sizeof(d->metadata_channel), full, value);
                }
                else if ("metadata_stream_id" == key)
                {
                    d->metadata_stream_id = stream_id(full, value);
                }
                else
                {
                    fail(value, "unknown key " + full);
                }
            }
            config_->driver_count++;
        }
    }
};

} // namespace

extern "C" int tp_discoveryd_config_load_string(tp_discoveryd_config_t *config, const char *text, size_t length,
                                                const char *name)
{
    try
    {
        toml::table root = toml::parse(std::string_view(text, length), std::string_view(name));
        tp_discoveryd_loader(config, name).load(root);
        return 0;
    }
    catch (const toml::parse_error &e)
    {
        const toml::source_position &at = e.source().begin;
        TP_SET_ERR(EINVAL, "%s:%u:%u: %s", name, (unsigned)at.line, (unsigned)at.column,
                   std::string(e.description()).c_str());
    }
    catch (const tp_discoveryd_load_failed &)
    {
    }
    catch (...)
    {
        TP_SET_ERR(EINVAL, "%s: unexpected error while loading", name);
    }
    return -1;
}
