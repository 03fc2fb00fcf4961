/* SPDX-License-Identifier: Apache-2.0 */
/*
 * samsa/abi.h - versioning of the Samsa plugin ABI.
 *
 * Every struct that crosses the boundary between samsad and a plugin (the
 * plugin descriptor, the host services table, every ops table) opens with a
 * samsa_abi_header_t. The header never moves and never changes shape:
 *
 *   abi_major    A different major means the layouts are incompatible; the
 *                registry refuses the plugin and names both numbers.
 *   abi_minor    Grows when fields are appended. A newer minor on either side
 *                is accepted: each side reads only min(its sizeof, struct_size)
 *                bytes and treats the rest as absent.
 *   struct_size  sizeof() the struct as the author's compiler saw it.
 *
 * Authors never type these numbers: SAMSA_ABI_HEADER(type) fills them from
 * the headers the plugin was compiled against.
 *
 * Rules for changing the ABI (reviewers enforce; tests/unit/abi freezes it):
 *   - fields are only ever appended at the end of a struct, and each new
 *     field's comment names the minor that added it;
 *   - enums only gain values; existing values never change;
 *   - no implicit padding: every struct is laid out with explicit widths so
 *     the same headers give the same layout under any compiler flags.
 */
#ifndef SAMSA_ABI_H
#define SAMSA_ABI_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** ABI major version: bumped only for incompatible changes. */
#define SAMSA_ABI_MAJOR 1
/** ABI minor version: bumped when fields or functions are appended. */
#define SAMSA_ABI_MINOR 7

/** The fixed header opening every versioned ABI struct (8 bytes). */
typedef struct samsa_abi_header {
    uint16_t abi_major;   /**< SAMSA_ABI_MAJOR the struct was built with */
    uint16_t abi_minor;   /**< SAMSA_ABI_MINOR the struct was built with */
    uint32_t struct_size; /**< sizeof(struct) as compiled; see file comment */
} samsa_abi_header_t;

/** Initializer for a samsa_abi_header_t describing struct type @p type. */
/* clang-format off */
#define SAMSA_ABI_HEADER(type) \
    { SAMSA_ABI_MAJOR, SAMSA_ABI_MINOR, (uint32_t)sizeof(type) }
/* clang-format on */

/**
 * True when the struct at @p ptr (which starts with a samsa_abi_header_t) is
 * large enough to contain @p field of type @p type. Use it before reading a
 * field added in a later minor:
 *
 *     if (SAMSA_ABI_HAS(samsa_services_t, svc, timer_start)) ...
 */
#define SAMSA_ABI_HAS(type, ptr, field)                                        \
    ((ptr)->hdr.struct_size >= offsetof(type, field) + sizeof((ptr)->field))

/** Symbol visibility for the one exported entry point of a plugin. */
#if defined(__GNUC__)
#define SAMSA_EXPORT __attribute__((visibility("default")))
#else
#define SAMSA_EXPORT
#endif

#ifdef __cplusplus
}
#endif

#endif /* SAMSA_ABI_H */
