/*
 * Fragment assemblers: collect BEGIN..END fragments of one message into a growable buffer and hand the whole
 * message to the delegate with a header describing it. The image variants keep one buffer; the subscription
 * variants keep one per session id, since fragments of several images interleave in a subscription poll.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "aeron_client_private.h"

#define AERON_ASSEMBLER_INITIAL_CAPACITY 4096

typedef struct aeron_buffer_builder_stct
{
    uint8_t *buffer;
    size_t capacity;
    size_t limit;
    int32_t next_term_offset;
    int32_t session_id;
    bool in_use;
    aeron_header_values_frame_t frame;
    aeron_header_t header;
} aeron_buffer_builder_t;

static int aeron_buffer_builder_init(aeron_buffer_builder_t *builder, int32_t session_id)
{
    memset(builder, 0, sizeof(*builder));
    builder->buffer = malloc(AERON_ASSEMBLER_INITIAL_CAPACITY);
    if (NULL == builder->buffer)
    {
        aeron_err_set(ENOMEM, "could not allocate %d-byte reassembly buffer", AERON_ASSEMBLER_INITIAL_CAPACITY);
        return -1;
    }
    builder->capacity = AERON_ASSEMBLER_INITIAL_CAPACITY;
    builder->session_id = session_id;
    builder->in_use = true;
    return 0;
}

static int aeron_buffer_builder_append(aeron_buffer_builder_t *builder, const uint8_t *buffer, size_t length)
{
    size_t required = builder->limit + length;
    if (required > builder->capacity)
    {
        size_t capacity = builder->capacity;
        while (capacity < required)
        {
            capacity *= 2;
        }
        uint8_t *grown = realloc(builder->buffer, capacity);
        if (NULL == grown)
        {
            aeron_err_set(ENOMEM, "could not grow reassembly buffer to %zu bytes", capacity);
            return -1;
        }
        builder->buffer = grown;
        builder->capacity = capacity;
    }
    memcpy(builder->buffer + builder->limit, buffer, length);
    builder->limit = required;
    return 0;
}

/* Feeds one fragment; returns true with the complete message in the builder when an END fragment completes it. */
static bool aeron_buffer_builder_on_fragment(aeron_buffer_builder_t *builder, const uint8_t *buffer, size_t length,
                                             aeron_header_t *header)
{
    uint8_t flags = header->frame->flags;
    if (flags & AERON_FRAME_BEGIN_FLAG)
    {
        builder->limit = 0;
        builder->next_term_offset = -1;
        if (aeron_buffer_builder_append(builder, buffer, length) < 0)
        {
            return false;
        }
        builder->frame = *header->frame;
        builder->header = *header;
        builder->header.frame = &builder->frame;
        builder->next_term_offset = aeron_header_next_term_offset(header);
        return false;
    }
    if (builder->next_term_offset != header->frame->term_offset || builder->next_term_offset < 0)
    {
        builder->limit = 0;
        builder->next_term_offset = -1; /* a gap or a stray fragment: drop what was collected */
        return false;
    }
    if (aeron_buffer_builder_append(builder, buffer, length) < 0)
    {
        builder->limit = 0;
        builder->next_term_offset = -1;
        return false;
    }
    if (flags & AERON_FRAME_END_FLAG)
    {
        builder->header.frame = &builder->frame; /* the builder may have moved since BEGIN */
        builder->frame.frame_length = (int32_t)builder->limit + AERON_FRAME_HEADER_LENGTH;
        builder->frame.flags |= AERON_FRAME_END_FLAG;
        builder->header.next_term_offset_override = aeron_header_next_term_offset(header);
        builder->next_term_offset = -1;
        return true;
    }
    builder->next_term_offset = aeron_header_next_term_offset(header);
    return false;
}

static inline bool aeron_fragment_is_unfragmented(aeron_header_t *header)
{
    return (header->frame->flags & AERON_FRAME_UNFRAGMENTED) == AERON_FRAME_UNFRAGMENTED;
}

/* ---- image assembler ---- */

struct aeron_image_fragment_assembler_stct
{
    aeron_fragment_handler_t delegate;
    void *delegate_clientd;
    aeron_buffer_builder_t builder;
};

int aeron_image_fragment_assembler_create(aeron_image_fragment_assembler_t **assembler,
                                          aeron_fragment_handler_t delegate, void *delegate_clientd)
{
    if (NULL == assembler || NULL == delegate)
    {
        aeron_err_set(EINVAL, "aeron_image_fragment_assembler_create: assembler or delegate is NULL");
        return -1;
    }
    aeron_image_fragment_assembler_t *a = calloc(1, sizeof(*a));
    if (NULL == a || aeron_buffer_builder_init(&a->builder, 0) < 0)
    {
        free(a);
        aeron_err_set(ENOMEM, "could not allocate image fragment assembler");
        return -1;
    }
    a->delegate = delegate;
    a->delegate_clientd = delegate_clientd;
    *assembler = a;
    return 0;
}

int aeron_image_fragment_assembler_delete(aeron_image_fragment_assembler_t *assembler)
{
    if (NULL != assembler)
    {
        free(assembler->builder.buffer);
        free(assembler);
    }
    return 0;
}

void aeron_image_fragment_assembler_handler(void *clientd, const uint8_t *buffer, size_t length, aeron_header_t *header)
{
    aeron_image_fragment_assembler_t *a = clientd;
    if (aeron_fragment_is_unfragmented(header))
    {
        a->delegate(a->delegate_clientd, buffer, length, header);
    }
    else if (aeron_buffer_builder_on_fragment(&a->builder, buffer, length, header))
    {
        a->delegate(a->delegate_clientd, a->builder.buffer, a->builder.limit, &a->builder.header);
        a->builder.limit = 0;
    }
}

/* ---- image controlled assembler ---- */

struct aeron_image_controlled_fragment_assembler_stct
{
    aeron_controlled_fragment_handler_t delegate;
    void *delegate_clientd;
    aeron_buffer_builder_t builder;
};

int aeron_image_controlled_fragment_assembler_create(aeron_image_controlled_fragment_assembler_t **assembler,
                                                     aeron_controlled_fragment_handler_t delegate,
                                                     void *delegate_clientd)
{
    if (NULL == assembler || NULL == delegate)
    {
        aeron_err_set(EINVAL, "aeron_image_controlled_fragment_assembler_create: assembler or delegate is NULL");
        return -1;
    }
    aeron_image_controlled_fragment_assembler_t *a = calloc(1, sizeof(*a));
    if (NULL == a || aeron_buffer_builder_init(&a->builder, 0) < 0)
    {
        free(a);
        aeron_err_set(ENOMEM, "could not allocate controlled fragment assembler");
        return -1;
    }
    a->delegate = delegate;
    a->delegate_clientd = delegate_clientd;
    *assembler = a;
    return 0;
}

int aeron_image_controlled_fragment_assembler_delete(aeron_image_controlled_fragment_assembler_t *assembler)
{
    if (NULL != assembler)
    {
        free(assembler->builder.buffer);
        free(assembler);
    }
    return 0;
}

/*
 * An ABORT on the completed message must leave the builder able to see the message again: the poll rewinds
 * to the END fragment only, so the collected prefix is kept and the END fragment is re-appended next time.
 */
static aeron_controlled_fragment_handler_action_t
aeron_controlled_assemble(aeron_buffer_builder_t *builder, aeron_controlled_fragment_handler_t delegate,
                          void *delegate_clientd, const uint8_t *buffer, size_t length, aeron_header_t *header)
{
    if (aeron_fragment_is_unfragmented(header))
    {
        return delegate(delegate_clientd, buffer, length, header);
    }
    size_t prefix = builder->limit;
    int32_t expected = builder->next_term_offset;
    if (!aeron_buffer_builder_on_fragment(builder, buffer, length, header))
    {
        return AERON_ACTION_CONTINUE;
    }
    aeron_controlled_fragment_handler_action_t action =
        delegate(delegate_clientd, builder->buffer, builder->limit, &builder->header);
    if (AERON_ACTION_ABORT == action)
    {
        builder->limit = prefix;
        builder->next_term_offset = expected;
        builder->header.next_term_offset_override = 0;
        builder->frame.flags &= (uint8_t)~AERON_FRAME_END_FLAG;
    }
    else
    {
        builder->limit = 0;
    }
    return action;
}

aeron_controlled_fragment_handler_action_t aeron_image_controlled_fragment_assembler_handler(void *clientd,
                                                                                             const uint8_t *buffer,
                                                                                             size_t length,
                                                                                             aeron_header_t *header)
{
    aeron_image_controlled_fragment_assembler_t *a = clientd;
    return aeron_controlled_assemble(&a->builder, a->delegate, a->delegate_clientd, buffer, length, header);
}

/* ---- subscription assemblers: one builder per session id ---- */

typedef struct aeron_builder_table_stct
{
    aeron_buffer_builder_t *builders;
    size_t count;
    size_t capacity;
} aeron_builder_table_t;

static aeron_buffer_builder_t *aeron_builder_table_get(aeron_builder_table_t *table, int32_t session_id)
{
    for (size_t i = 0; i < table->count; i++)
    {
        if (table->builders[i].session_id == session_id)
        {
            return &table->builders[i];
        }
    }
    if (table->count == table->capacity)
    {
        size_t capacity = 0 == table->capacity ? 4 : table->capacity * 2;
        aeron_buffer_builder_t *grown = realloc(table->builders, capacity * sizeof(*grown));
        if (NULL == grown)
        {
            aeron_err_set(ENOMEM, "could not grow fragment assembler session table to %zu", capacity);
            return NULL;
        }
        table->builders = grown;
        table->capacity = capacity;
    }
    aeron_buffer_builder_t *builder = &table->builders[table->count];
    if (aeron_buffer_builder_init(builder, session_id) < 0)
    {
        return NULL;
    }
    table->count++;
    return builder;
}

static void aeron_builder_table_free(aeron_builder_table_t *table)
{
    for (size_t i = 0; i < table->count; i++)
    {
        free(table->builders[i].buffer);
    }
    free(table->builders);
}

struct aeron_fragment_assembler_stct
{
    aeron_fragment_handler_t delegate;
    void *delegate_clientd;
    aeron_builder_table_t table;
};

int aeron_fragment_assembler_create(aeron_fragment_assembler_t **assembler, aeron_fragment_handler_t delegate,
                                    void *delegate_clientd)
{
    if (NULL == assembler || NULL == delegate)
    {
        aeron_err_set(EINVAL, "aeron_fragment_assembler_create: assembler or delegate is NULL");
        return -1;
    }
    aeron_fragment_assembler_t *a = calloc(1, sizeof(*a));
    if (NULL == a)
    {
        aeron_err_set(ENOMEM, "could not allocate fragment assembler");
        return -1;
    }
    a->delegate = delegate;
    a->delegate_clientd = delegate_clientd;
    *assembler = a;
    return 0;
}

int aeron_fragment_assembler_delete(aeron_fragment_assembler_t *assembler)
{
    if (NULL != assembler)
    {
        aeron_builder_table_free(&assembler->table);
        free(assembler);
    }
    return 0;
}

void aeron_fragment_assembler_handler(void *clientd, const uint8_t *buffer, size_t length, aeron_header_t *header)
{
    aeron_fragment_assembler_t *a = clientd;
    if (aeron_fragment_is_unfragmented(header))
    {
        a->delegate(a->delegate_clientd, buffer, length, header);
        return;
    }
    aeron_buffer_builder_t *builder = aeron_builder_table_get(&a->table, header->frame->session_id);
    if (NULL != builder && aeron_buffer_builder_on_fragment(builder, buffer, length, header))
    {
        a->delegate(a->delegate_clientd, builder->buffer, builder->limit, &builder->header);
        builder->limit = 0;
    }
}

struct aeron_controlled_fragment_assembler_stct
{
    aeron_controlled_fragment_handler_t delegate;
    void *delegate_clientd;
    aeron_builder_table_t table;
};

int aeron_controlled_fragment_assembler_create(aeron_controlled_fragment_assembler_t **assembler,
                                               aeron_controlled_fragment_handler_t delegate, void *delegate_clientd)
{
    if (NULL == assembler || NULL == delegate)
    {
        aeron_err_set(EINVAL, "aeron_controlled_fragment_assembler_create: assembler or delegate is NULL");
        return -1;
    }
    aeron_controlled_fragment_assembler_t *a = calloc(1, sizeof(*a));
    if (NULL == a)
    {
        aeron_err_set(ENOMEM, "could not allocate controlled fragment assembler");
        return -1;
    }
    a->delegate = delegate;
    a->delegate_clientd = delegate_clientd;
    *assembler = a;
    return 0;
}

int aeron_controlled_fragment_assembler_delete(aeron_controlled_fragment_assembler_t *assembler)
{
    if (NULL != assembler)
    {
        aeron_builder_table_free(&assembler->table);
        free(assembler);
    }
    return 0;
}

aeron_controlled_fragment_handler_action_t
aeron_controlled_fragment_assembler_handler(void *clientd, const uint8_t *buffer, size_t length, aeron_header_t *header)
{
    aeron_controlled_fragment_assembler_t *a = clientd;
    if (aeron_fragment_is_unfragmented(header))
    {
        return a->delegate(a->delegate_clientd, buffer, length, header);
    }
    aeron_buffer_builder_t *builder = aeron_builder_table_get(&a->table, header->frame->session_id);
    if (NULL == builder)
    {
        return AERON_ACTION_ABORT;
    }
    return aeron_controlled_assemble(builder, a->delegate, a->delegate_clientd, buffer, length, header);
}
