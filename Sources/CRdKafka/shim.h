#ifndef REALTIME_ANALYTICS_CRDKAFKA_SHIM_H
#define REALTIME_ANALYTICS_CRDKAFKA_SHIM_H

#include <stddef.h>
#include <sys/types.h>
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

// rd_kafka_producev is a variadic macro API that Swift cannot call; this builds the equivalent rd_kafka_vu_t array
// (the union does not import conveniently) for rd_kafka_produceva. The payload, key and header values are copied by
// librdkafka (RD_KAFKA_MSG_F_COPY), so the caller may reuse its buffers at once. Returns the error code
// (RD_KAFKA_RESP_ERR_NO_ERROR on success).
static inline rd_kafka_resp_err_t ra_kafka_produce(
    rd_kafka_t *rk, const char *topic,
    const void *key, size_t key_len,
    const void *value, size_t value_len,
    const char *header1_name, const void *header1_value, ssize_t header1_len,
    const char *header2_name, const void *header2_value, ssize_t header2_len,
    void *opaque) {
    rd_kafka_vu_t vus[7];
    size_t count = 0;
    vus[count].vtype = RD_KAFKA_VTYPE_TOPIC; vus[count].u.cstr = topic; count++;
    vus[count].vtype = RD_KAFKA_VTYPE_KEY; vus[count].u.mem.ptr = (void *)key; vus[count].u.mem.size = key_len; count++;
    vus[count].vtype = RD_KAFKA_VTYPE_VALUE; vus[count].u.mem.ptr = (void *)value; vus[count].u.mem.size = value_len; count++;
    vus[count].vtype = RD_KAFKA_VTYPE_MSGFLAGS; vus[count].u.i = RD_KAFKA_MSG_F_COPY; count++;
    // Handed back in the delivery report (rd_kafka_message_t._private).
    vus[count].vtype = RD_KAFKA_VTYPE_OPAQUE; vus[count].u.ptr = opaque; count++;
    if (header1_name) {
        vus[count].vtype = RD_KAFKA_VTYPE_HEADER;
        vus[count].u.header.name = header1_name; vus[count].u.header.val = header1_value;
        vus[count].u.header.size = header1_len; count++;
    }
    if (header2_name) {
        vus[count].vtype = RD_KAFKA_VTYPE_HEADER;
        vus[count].u.header.name = header2_name; vus[count].u.header.val = header2_value;
        vus[count].u.header.size = header2_len; count++;
    }
    rd_kafka_error_t *error = rd_kafka_produceva(rk, vus, count);
    if (!error) return RD_KAFKA_RESP_ERR_NO_ERROR;
    rd_kafka_resp_err_t code = rd_kafka_error_code(error);
    rd_kafka_error_destroy(error);
    return code;
}

#endif
