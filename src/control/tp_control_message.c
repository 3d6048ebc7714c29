#include <string.h>

#include "control/tp_control_message.h"
#include "tensorpool/tp_sink.h"

tp_control_peek_result_t tp_control_peek(const uint8_t *buffer, size_t length, tp_control_header_t *header)
{
    if (NULL == buffer || length < TP_CONTROL_HEADER_LENGTH)
    {
        return TP_CONTROL_PEEK_SHORT;
    }
    /* Little-endian u16 fields, read byte-wise so the buffer needs no alignment. */
    header->block_length = (uint16_t)(buffer[0] | (buffer[1] << 8));
    header->template_id = (uint16_t)(buffer[2] | (buffer[3] << 8));
    header->schema_id = (uint16_t)(buffer[4] | (buffer[5] << 8));
    header->version = (uint16_t)(buffer[6] | (buffer[7] << 8));
    return TP_CONTROL_SCHEMA_ID == header->schema_id ? TP_CONTROL_PEEK_OK : TP_CONTROL_PEEK_FOREIGN;
}

bool tp_control_accept(const uint8_t *buffer, size_t length, tp_control_header_t *header, uint64_t *foreign_messages,
                       uint64_t *malformed_messages)
{
    tp_control_peek_result_t peek = tp_control_peek(buffer, length, header);
    if (TP_CONTROL_PEEK_OK == peek)
    {
        return true;
    }
    if (TP_CONTROL_PEEK_FOREIGN == peek)
    {
        (*foreign_messages)++;
    }
    else
    {
        (*malformed_messages)++;
    }
    return false;
}

bool tp_control_channel_is_valid(const char *channel, size_t length)
{
    if (NULL == channel || 0 == length || length >= TP_CHANNEL_MAX)
    {
        return false;
    }
    for (size_t i = 0; i < length; i++)
    {
        unsigned char c = (unsigned char)channel[i];
        if (c <= 0x20 || c >= 0x7f)
        {
            return false;
        }
    }
    return (length >= 9 && 0 == memcmp(channel, "aeron:ipc", 9)) ||
           (length >= 9 && 0 == memcmp(channel, "aeron:udp", 9));
}

bool tp_control_copy_string(char *dst, size_t capacity, const char *src, size_t length)
{
    if (length >= capacity || (length > 0 && NULL == src))
    {
        if (capacity > 0)
        {
            dst[0] = '\0';
        }
        return false;
    }
    if (length > 0)
    {
        memcpy(dst, src, length);
    }
    dst[length] = '\0';
    return true;
}
