/* SPDX-License-Identifier: Apache-2.0 */
/*
 * core/config/yaml.h - a small YAML tree with file:line on every node.
 *
 * libyaml's event API builds the tree; every node keeps the file name and
 * the 1-based line and column where it starts, so configuration errors can
 * say exactly where they are. Duplicate mapping keys, aliases and multi-
 * document streams are rejected while parsing (config files never need
 * them, and a silently shadowed key is a classic config bug).
 *
 * Ownership: samsa_yaml_load_*() returns a document that owns every node
 * and string; samsa_yaml_free() releases it. Nodes are read-only after
 * loading. One thread at a time per document.
 */
#ifndef SAMSA_CONFIG_YAML_H
#define SAMSA_CONFIG_YAML_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <samsa/errors.h>

typedef enum samsa_ynode_type {
    SAMSA_YNODE_SCALAR = 1,
    SAMSA_YNODE_SEQ = 2,
    SAMSA_YNODE_MAP = 3,
} samsa_ynode_type_t;

typedef struct samsa_ynode samsa_ynode_t;

struct samsa_ynode {
    samsa_ynode_type_t type;
    const char *file; /* owned by the document */
    uint32_t line;    /* 1-based */
    uint32_t column;  /* 1-based */
    /* SCALAR */
    char *value; /* NUL-terminated text */
    bool quoted; /* '...' or "...": always a string, never null/bool */
    /* SEQ: items[0..count); MAP: keys[i] -> items[i] (keys are scalars) */
    size_t count;
    samsa_ynode_t **keys;
    samsa_ynode_t **items;
};

typedef struct samsa_ydoc {
    char *file;          /* name used in messages */
    samsa_ynode_t *root; /* NULL for an empty document */
} samsa_ydoc_t;

/** Parse the file at @p path. Errors (SAMSA_ERR_IO, SAMSA_ERR_CONFIG,
 *  SAMSA_ERR_NOMEM) are written to errbuf as "file:line: reason". */
samsa_err_t samsa_yaml_load_file(const char *path, samsa_ydoc_t **doc,
                                 char *errbuf, size_t errbuf_size);

/** Parse @p len bytes of @p text; @p name is used in messages. */
samsa_err_t samsa_yaml_load_string(const char *name, const char *text,
                                   size_t len, samsa_ydoc_t **doc, char *errbuf,
                                   size_t errbuf_size);

void samsa_yaml_free(samsa_ydoc_t *doc);

/** Value of @p key in mapping @p map, or NULL (also when map is NULL or
 *  not a mapping). */
const samsa_ynode_t *samsa_ynode_get(const samsa_ynode_t *map, const char *key);

/** True for a plain (unquoted) scalar spelling null: "", "~", "null". */
bool samsa_ynode_is_null(const samsa_ynode_t *node);

/** Scalar conversions; false when the text does not have that type.
 *  Booleans accept true/false/yes/no/on/off in lower, Title or UPPER case;
 *  integers are decimal or 0x hex, with an optional sign. */
bool samsa_ynode_bool(const samsa_ynode_t *node, bool *out);
bool samsa_ynode_int(const samsa_ynode_t *node, int64_t *out);
bool samsa_ynode_double(const samsa_ynode_t *node, double *out);

/** "scalar", "sequence" or "mapping" (for messages). */
const char *samsa_ynode_type_name(const samsa_ynode_t *node);

#endif /* SAMSA_CONFIG_YAML_H */
