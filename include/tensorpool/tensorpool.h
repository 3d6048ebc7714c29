/* tensorpool: everything an application needs (client, producer, consumer, errors, tensor descriptions). */
#ifndef TENSORPOOL_TENSORPOOL_H
#define TENSORPOOL_TENSORPOOL_H

#include "tensorpool/tp_client.h"
#include "tensorpool/tp_consumer.h"
#include "tensorpool/tp_error.h"
#include "tensorpool/tp_producer.h"
#include "tensorpool/tp_tensor.h"

#endif /* TENSORPOOL_TENSORPOOL_H */
