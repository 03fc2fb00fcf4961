/* SPDX-License-Identifier: Apache-2.0 */
/*
 * core/protocol/schema.h - message descriptors and the generic codec.
 *
 * tools/protogen turns Kafka's JSON message specs into C structs plus
 * constant descriptor tables (core/protocol/generated/). The functions here
 * interpret those tables: decode (bounds-checked, arena-allocated, zero
 * copy), encode (into an iobuf), init (defaults), and helpers. The generated
 * samsa_<Msg>_decode/_encode/_init functions are thin typed wrappers.
 *
 * Array fields are structs { int32_t count; T *items; } (count -1 = null).
 * Single struct fields are embedded by value, except nullable ones, which
 * are pointers (NULL = null).
 */
#ifndef SAMSA_PROTOCOL_SCHEMA_H
#define SAMSA_PROTOCOL_SCHEMA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <samsa/errors.h>

#include "protocol/arena.h"
#include "protocol/buf.h"

/* "N+" ranges end here. */
#define SAMSA_VER_MAX INT16_MAX
/* First flexible version of something that is never flexible. */
#define SAMSA_VER_NEVER INT16_MAX

/* Arrays of primitives (struct arrays get generated typedefs of the same
 * shape). count -1 = null. */
#define SAMSA_ARRAY_OF(T)                                                      \
    struct {                                                                   \
        int32_t count;                                                         \
        T *items;                                                              \
    }
typedef SAMSA_ARRAY_OF(bool) samsa_bool_array_t;
typedef SAMSA_ARRAY_OF(int8_t) samsa_int8_array_t;
typedef SAMSA_ARRAY_OF(int16_t) samsa_int16_array_t;
typedef SAMSA_ARRAY_OF(uint16_t) samsa_uint16_array_t;
typedef SAMSA_ARRAY_OF(int32_t) samsa_int32_array_t;
typedef SAMSA_ARRAY_OF(uint32_t) samsa_uint32_array_t;
typedef SAMSA_ARRAY_OF(int64_t) samsa_int64_array_t;
typedef SAMSA_ARRAY_OF(double) samsa_float64_array_t;
typedef SAMSA_ARRAY_OF(samsa_uuid_t) samsa_uuid_array_t;
typedef SAMSA_ARRAY_OF(samsa_str_t) samsa_string_array_t;
typedef SAMSA_ARRAY_OF(samsa_bytes_t) samsa_bytes_array_t;
/* Generic view of any array field. */
typedef SAMSA_ARRAY_OF(void) samsa_array_t;

typedef enum samsa_ftype {
    SAMSA_FT_BOOL = 1,
    SAMSA_FT_INT8,
    SAMSA_FT_INT16,
    SAMSA_FT_UINT16,
    SAMSA_FT_INT32,
    SAMSA_FT_UINT32,
    SAMSA_FT_INT64,
    SAMSA_FT_FLOAT64,
    SAMSA_FT_UUID,
    SAMSA_FT_STRING,
    SAMSA_FT_BYTES,
    SAMSA_FT_RECORDS,
    SAMSA_FT_STRUCT, /* single struct: embedded, or pointer if FF_PTR */
    SAMSA_FT_ARRAY,  /* elem says of what */
} samsa_ftype_t;

/* Field flags. */
#define SAMSA_FF_NULL_DEFAULT 0x01 /* default is null */
#define SAMSA_FF_PTR          0x02 /* nullable single struct: a pointer */
#define SAMSA_FF_IGNORABLE    0x04 /* may be dropped by older versions */

struct samsa_struct_desc;

typedef struct samsa_field_desc {
    const char *name;
    uint32_t offset;    /* offsetof in the C struct */
    uint8_t type;       /* samsa_ftype_t */
    uint8_t elem;       /* ARRAY: element type */
    uint8_t flags;      /* SAMSA_FF_* */
    int16_t vmin, vmax; /* versions */
    int16_t nmin, nmax; /* nullableVersions (vmin > vmax: never) */
    int16_t tmin;       /* first tagged version, SAMSA_VER_NEVER if none */
    int16_t fmin;       /* first version with compact encoding */
    int32_t tag;
    int64_t idef;     /* default of integers and bool */
    double fdef;      /* default of float64 */
    const char *sdef; /* default of strings (NULL with FF_NULL_DEFAULT) */
    int32_t sdef_len;
    const struct samsa_struct_desc *sub; /* STRUCT / ARRAY of STRUCT */
} samsa_field_desc_t;

typedef struct samsa_struct_desc {
    const char *name; /* C type name */
    uint32_t size;    /* sizeof the C struct */
    uint16_t nfields;
    uint16_t ntagged;
    uint32_t min_wire; /* lower bound of the encoded size, any version */
    const samsa_field_desc_t *fields;
    const uint16_t *tag_order; /* field indexes of tagged fields by tag */
} samsa_struct_desc_t;

typedef enum samsa_msg_kind {
    SAMSA_MSG_REQUEST = 1,
    SAMSA_MSG_RESPONSE,
    SAMSA_MSG_HEADER,
    SAMSA_MSG_DATA,
} samsa_msg_kind_t;

typedef struct samsa_msg_desc {
    const char *name;   /* Kafka name, e.g. "MetadataRequest" */
    int16_t api_key;    /* -1 for headers and data */
    uint8_t kind;       /* samsa_msg_kind_t */
    int16_t vmin, vmax; /* validVersions */
    int16_t flex_min;   /* first flexible version or SAMSA_VER_NEVER */
    const samsa_struct_desc_t *body;
} samsa_msg_desc_t;

/* Set every field to its default (as when decoding a version lacking it). */
void samsa_msg_init(const samsa_msg_desc_t *d, void *msg);
/*
 * Decode one message body of the given version. Initialises *msg first.
 * Arrays and nullable structs come from the arena; strings, bytes and
 * records point into rb's buffer. Errors: SAMSA_ERR_UNSUPPORTED_VERSION for
 * a version outside validVersions, SAMSA_ERR_PROTOCOL for malformed input,
 * SAMSA_ERR_NOMEM. Trailing bytes after the body are left in rb (callers
 * decide whether that is an error; Kafka ignores them).
 */
samsa_err_t samsa_msg_decode(const samsa_msg_desc_t *d, samsa_rbuf_t *rb,
                             int16_t version, samsa_arena_t *arena, void *msg);
/* Append the body to out. SAMSA_ERR_INVAL if a non-nullable field holds a
 * null, SAMSA_ERR_UNSUPPORTED_VERSION for a bad version, NOMEM. On error
 * out may hold a partial body. */
samsa_err_t samsa_msg_encode(const samsa_msg_desc_t *d, samsa_iobuf_t *out,
                             int16_t version, const void *msg);
/* Same, through an existing writer (no flush). */
samsa_err_t samsa_msg_write(const samsa_msg_desc_t *d, samsa_wbuf_t *w,
                            int16_t version, const void *msg);
/* Encoded size of the body in bytes. */
size_t samsa_msg_size(const samsa_msg_desc_t *d, int16_t version,
                      const void *msg);
/*
 * Kafka's non-ignorable check: SAMSA_ERR_UNSUPPORTED_VERSION if a field
 * that does not exist in this version holds a non-default value and is not
 * ignorable (the data would be silently lost). *field gets its name.
 */
samsa_err_t samsa_msg_check_version(const samsa_msg_desc_t *d, int16_t version,
                                    const void *msg, const char **field);

/* Struct-level versions of the above (used by generated code and tests). */
void samsa_struct_init(const samsa_struct_desc_t *sd, void *s);
bool samsa_field_is_default(const samsa_field_desc_t *f, const void *s);
static inline bool samsa_ver_in(int16_t v, int16_t lo, int16_t hi)
{
    return v >= lo && v <= hi;
}

#endif /* SAMSA_PROTOCOL_SCHEMA_H */
